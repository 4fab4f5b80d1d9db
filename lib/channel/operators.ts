import { type MonoTypeOperatorFunction, filter } from 'rxjs';
import type { PeerCall } from './peer-call.js';

/** Keeps calls that travelled at most `hops` hops. */
export function withinHops<T extends Pick<PeerCall, 'hops'>>(hops: number): MonoTypeOperatorFunction<T> {
  return filter((call) => call.hops <= hops);
}

/** Keeps calls from one peer (or any of several). */
export function fromPeer<T extends Pick<PeerCall, 'from'>>(...peerIds: string[]): MonoTypeOperatorFunction<T> {
  const set = new Set(peerIds);
  return filter((call) => set.has(call.from));
}

/** Keeps calls of the named operations. */
export function ofOperation<T extends Pick<PeerCall, 'operation'>>(...operations: string[]): MonoTypeOperatorFunction<T> {
  const set = new Set(operations);
  return filter((call) => set.has(call.operation));
}

/** Drops this node's own echo of its floods. */
export function notFromSelf<T extends Pick<PeerCall, 'local'>>(): MonoTypeOperatorFunction<T> {
  return filter((call) => !call.local);
}
