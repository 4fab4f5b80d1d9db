import type { FrameLimits } from '../codec/index.js';
import type { PeerChannelError } from '../errors/index.js';
import type { DeliveredMessage } from './delivered-message.js';
import type { MeshStats } from './mesh-stats.js';
import type { Neighbor } from './neighbor.js';
import type { PropagationDecision, PropagationFilter } from './propagation.js';
import type { SeenCache } from './seen-cache.js';

/**
 * The narrow bag of mesh state and services that the flooder and router work with.
 * @internal
 */
export interface MeshCore {
  readonly localPeerId: string;
  readonly limits: FrameLimits;
  readonly seen: SeenCache;
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
  /** Hands a message to the channel layer. */
  deliver(message: DeliveredMessage): void;
  /** Reports a propagation decision; the thunk runs only if someone observes decisions. */
  decide(make: () => PropagationDecision): void;
  /** A neighbour broke the protocol: count, report, and close its link. */
  violation(from: Neighbor, error: PeerChannelError): void;
  /** Counts and reports a dropped message without closing anything. */
  drop(code: string, message: string, from?: Neighbor): void;
  /** Reports an error on `errors$`. */
  report(error: PeerChannelError): void;
  /** Remembers that `origin` was last heard through neighbour `via`. */
  learnRoute(origin: string, via: Neighbor): void;
  /** The neighbour to send toward `target`, if a route is known. */
  routeTo(target: string): Neighbor | undefined;
}
