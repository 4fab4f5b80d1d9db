/**
 * A typed dependency-injection token (tsyringe's own `InjectionToken<T>` resolves to `unknown`).
 */
export type Token<T> = symbol & {
  /** Type-only brand carrying `T`; never set at run time. */
  readonly __peerchannelToken?: T;
};

/** Makes a typed token; the same description always gives the same token. */
export function token<T>(description: string): Token<T> {
  return Symbol.for(`peerchannel:${description}`) as Token<T>;
}
