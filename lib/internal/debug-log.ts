import createDebug from 'debug';

/** A namespaced debug logger; `enabled` is read before building any message on a hot path. */
export interface DebugLog {
  (format: string, ...args: unknown[]): void;
  readonly enabled: boolean;
}

/**
 * The `peerchannel:<area>` logger of the `debug` package: silent unless `DEBUG` names it
 * (`DEBUG=peerchannel:*` for all, `DEBUG=peerchannel:mesh,peerchannel:trace` for some).
 *
 * @remarks Call sites on hot paths test `log.enabled` first, so formatting costs nothing when off.
 * @internal
 */
export function debugLog(area: string): DebugLog {
  return createDebug(`peerchannel:${area}`) as unknown as DebugLog;
}
