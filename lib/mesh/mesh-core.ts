import type { PeerId } from '../identity/peer-id.js';
import type { FrameLimits } from '../codec/index.js';
import type { PeerChannelError } from '../errors/index.js';
import type { DeliveredMessage } from './delivered-message.js';
import type { MeshStats } from './mesh-stats.js';
import type { Neighbor } from './neighbor.js';
import type { PropagationDecision, PropagationFilter } from './propagation.js';
import type { SeenIds } from './seen-ids.js';
import type { TraceHook } from './trace-hook.js';

/**
 * The narrow bag of mesh state and services that the flooder and router work with.
 * @internal
 */
export interface MeshCore {
  readonly localPeerId: PeerId;
  readonly limits: FrameLimits;
  /** Largest message this node sends or takes; above `limits.maxFrameBytes` it goes in chunks. */
  readonly maxMessageBytes: number;
  readonly seen: SeenIds;
  /**
   * Ids (as `idKey` keys) of the traced messages this node has taken or sent. A duplicate's
   * body is decoded to report it to the tracer only when its id is here, so untraced duplicates
   * still cost one lookup while a tracer is attached (every node has one).
   */
  readonly traced: SeenIds;
  readonly stats: MeshStats;
  readonly filter: PropagationFilter | undefined;
  /** Current neighbours by peer id. */
  readonly neighbors: ReadonlyMap<string, Neighbor>;
  /** Signature blob for a body, or `null` when messages are not signed. */
  sign(body: Uint8Array): Uint8Array | null;
  /** True if the body verifies for `origin` (always true when verification is off). */
  verify(origin: string, body: Uint8Array, sig: Uint8Array | null): boolean;
  /** Sends a frame to every neighbour except `except`; returns how many took it. */
  broadcast(frame: Uint8Array, except: Neighbor | undefined): number;
  /** Set while message tracing is on; told only about messages that carry the trace mark. */
  readonly tracer: TraceHook | undefined;
  /** Hands a message to the channel layer; returns the code it was refused with, if it was. */
  deliver(message: DeliveredMessage): string | undefined;
  /** True while someone observes decisions (a duplicate's body is decoded only to report it). */
  readonly decisionsObserved: boolean;
  /** Reports a propagation decision; the thunk runs only if someone observes decisions. */
  decide(make: () => PropagationDecision): void;
  /** A neighbour broke the protocol: count, report, and close its link. */
  violation(from: Neighbor, error: PeerChannelError): void;
  /** Counts and reports a dropped message (with its hex id, if known) without closing anything. */
  drop(code: string, message: string, from?: Neighbor, messageId?: string): void;
  /** Reports an error on `errors$`. */
  report(error: PeerChannelError): void;
  /** Remembers that `origin` was last heard through neighbour `via`. */
  learnRoute(origin: string, via: Neighbor): void;
  /** The neighbour to send toward `target`, if a route is known. */
  routeTo(target: string): Neighbor | undefined;
}
