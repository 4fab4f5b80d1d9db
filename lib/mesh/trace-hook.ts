import type { CallBody } from '../codec/index.js';

/**
 * What one node did with one traced message, as the mesh tells the {@link TraceHook}.
 * @internal
 */
export interface TraceEvent {
  readonly body: CallBody;
  readonly kind: 'flood' | 'direct';
  /** Neighbour it arrived from; `undefined` when this node sent it. */
  readonly via: string | undefined;
  /** Hops travelled to reach this node (0 for the sender). */
  readonly hops: number;
  /** A copy of a message already seen here: nothing else happened. */
  readonly duplicate: boolean;
  readonly delivered: boolean;
  /** Neighbours it was passed on to (pushed, or offered by id in tree mode). */
  readonly forwardedTo: readonly string[];
  /** Why it was not delivered or not passed on: `filter`, `hop-limit`, `duplicate`, or a `PC_ERR_*` routing code. */
  readonly reason: string | undefined;
  /** The code local delivery refused it with (e.g. `PC_ERR_UNKNOWN_CONTRACT`), if it did. */
  readonly refused?: string;
}

/**
 * Receives the handling of traced messages from the flooder and the router.
 *
 * @remarks
 * Called only for messages whose signed body carries the trace mark, after the mesh has acted on
 * them, so untraced messages pay one property read. Never called for a message that failed
 * verification: its trace mark (and claimed origin) cannot be trusted.
 * @internal
 */
export interface TraceHook {
  handled(event: TraceEvent): void;
}

/** Peer ids of the neighbours a flood from `via` was passed on to. @internal */
export function forwardedIds(neighbors: ReadonlyMap<string, unknown>, via: string | undefined): string[] {
  const out: string[] = [];
  for (const id of neighbors.keys()) if (id !== via) out.push(id);
  return out;
}
