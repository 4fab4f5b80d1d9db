import { ErrorCode, PeerChannelError } from '../errors/index.js';

declare const peerIdBrand: unique symbol;

/**
 * A peer's id: 64 lowercase hex digits, the SHA-256 of its public key. A string at run time;
 * branded in types so that a name such as `'bob'` cannot be passed where an id is expected
 * (`proxy.to(id)`). Ids come typed from the framework (`node.peerId`, `PeerCall.from`,
 * `Reply.from`, `node.neighbors`, `node.members`, contacts); a string from elsewhere (a command
 * line, a file, a message) becomes one through {@link asPeerId} or the {@link isPeerId} guard.
 */
export type PeerId = string & {
  /** Type-only brand: no such property exists at run time. */
  readonly [peerIdBrand]: true;
};

/**
 * True for the char code (or byte) of a lowercase hex digit, what a peer id is made of.
 * @internal
 */
export function isLowerHexCode(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);
}

/**
 * Whether `value` has the form of a peer id: 64 lowercase hex digits (a SHA-256). Directed calls
 * (`proxy.to(id)`) take only such strings; a name such as `'bob'` is not one (find a peer's id in
 * `PeerCall.from`, `neighbors$`, a resolver's answer, or `node.peerId` on that peer).
 */
export function isPeerId(value: unknown): value is PeerId {
  // A char-code loop: every received message's origin passes here, and the regex cost 3% of a flood.
  if (typeof value !== 'string' || value.length !== 64) return false;
  for (let i = 0; i < 64; i++) if (!isLowerHexCode(value.charCodeAt(i))) return false;
  return true;
}

/**
 * `value` as a {@link PeerId}.
 * @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT` unless it is 64 lowercase hex digits.
 * @example
 * ```ts
 * const bob = asPeerId(process.argv[2] ?? '');
 * ```
 */
export function asPeerId(value: string): PeerId {
  if (isPeerId(value)) return value;
  const shown = typeof value === 'string' ? `'${(value as string).slice(0, 80)}'` : typeof value;
  throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `a peer id is 64 lowercase hex digits, not ${shown}`);
}
