import { ErrorCode, PeerChannelError } from '../errors/index.js';
import type { ResolvedPeer } from './resolver.js';

/**
 * Bounds every resolver applies to names and peers, whether they come from the local API or from
 * the network.
 *
 * @remarks
 * API callers that exceed a bound get `PC_ERR_INVALID_ARGUMENT`; remote input that exceeds one is
 * dropped (and counted) or closes the offending link, depending on the resolver.
 */
export interface ResolverLimits {
  /**
   * Longest mesh name.
   * @defaultValue 256
   */
  readonly maxMeshLength: number;
  /**
   * Longest peer id.
   * @defaultValue 256
   */
  readonly maxPeerIdLength: number;
  /**
   * Most addresses per peer.
   * @defaultValue 16
   */
  readonly maxAddresses: number;
  /**
   * Longest address.
   * @defaultValue 512
   */
  readonly maxAddressLength: number;
  /**
   * Largest `max` a resolve may ask for; larger values are clamped.
   * @defaultValue 100
   */
  readonly maxResolve: number;
}

/** Defaults for {@link ResolverLimits}. */
export const defaultResolverLimits: ResolverLimits = Object.freeze({
  maxMeshLength: 256,
  maxPeerIdLength: 256,
  maxAddresses: 16,
  maxAddressLength: 512,
  maxResolve: 100,
});

/** Default number of peers {@link PeerResolver.resolve} returns when `max` is not given. */
export const DEFAULT_RESOLVE_MAX = 10;

function invalid(message: string): PeerChannelError {
  return new PeerChannelError(ErrorCode.INVALID_ARGUMENT, message);
}

/** True when `v` is a string of 1..`max` characters. */
export function isBoundedString(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= max;
}

/** Checks a mesh name from an API caller. @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT` */
export function checkMesh(mesh: unknown, limits: ResolverLimits = defaultResolverLimits): string {
  if (!isBoundedString(mesh, limits.maxMeshLength)) throw invalid(`mesh must be a non-empty string of at most ${limits.maxMeshLength} characters`);
  return mesh;
}

/**
 * Checks a peer from an API caller and returns a frozen copy (so later changes by the caller do
 * not leak into a store). @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT`
 */
export function checkPeer(peer: unknown, limits: ResolverLimits = defaultResolverLimits): ResolvedPeer {
  const checked = parsePeer(peer, limits);
  if (checked === undefined) {
    throw invalid(`peer must be { peerId: string (1..${limits.maxPeerIdLength}), addresses: string[] (at most ${limits.maxAddresses}, each 1..${limits.maxAddressLength}) }`);
  }
  return checked;
}

/** Parses an untrusted peer; `undefined` when it breaks a bound or has the wrong shape. */
export function parsePeer(peer: unknown, limits: ResolverLimits = defaultResolverLimits): ResolvedPeer | undefined {
  if (typeof peer !== 'object' || peer === null) return undefined;
  const { peerId, addresses } = peer as { peerId?: unknown; addresses?: unknown };
  if (!isBoundedString(peerId, limits.maxPeerIdLength)) return undefined;
  if (!Array.isArray(addresses) || addresses.length > limits.maxAddresses) return undefined;
  if (!addresses.every((a) => isBoundedString(a, limits.maxAddressLength))) return undefined;
  return Object.freeze({ peerId, addresses: Object.freeze([...(addresses as string[])]) });
}

/** The number of peers a resolve returns for `max`. @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT` */
export function checkMax(max: unknown, limits: ResolverLimits = defaultResolverLimits): number {
  if (max === undefined) return Math.min(DEFAULT_RESOLVE_MAX, limits.maxResolve);
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) throw invalid('max must be a positive integer');
  return Math.min(max, limits.maxResolve);
}

/** Checks a TTL option. @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT` */
export function checkTtl(ttlMs: unknown, what = 'ttlMs'): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs < 1 || ttlMs > 2 ** 31 - 1) {
    throw invalid(`${what} must be a number of milliseconds in 1..2^31-1`);
  }
  return Math.floor(ttlMs);
}

/** Rejects with `PC_ERR_ABORTED` when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new PeerChannelError(ErrorCode.ABORTED, `${what} aborted`, { cause: signal.reason });
}

/** The error every resolver raises for calls after close. */
export function closedError(name: string): PeerChannelError {
  return new PeerChannelError(ErrorCode.CLOSED, `${name} resolver is closed`);
}

/** The error every resolver raises for a refresh of an unknown or expired registration. */
export function notRegistered(id: string): PeerChannelError {
  return new PeerChannelError(ErrorCode.NOT_REGISTERED, `registration ${id.slice(0, 40)} is unknown or expired`);
}

/** Fisher–Yates shuffle in place, so resolve spreads load over the members of a mesh. */
export function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const t = items[i] as T;
    items[i] = items[j] as T;
    items[j] = t;
  }
  return items;
}
