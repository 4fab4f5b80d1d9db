import type { PeerId } from '../identity/peer-id.js';
import type { GatherOptions } from './peer-call.js';

/** How a proxy call travels, chosen at the call site. @internal */
export interface CallStyle {
  /** Directed to this peer; flooded when undefined. */
  readonly target?: PeerId;
  /** Hop limit for a flood. */
  readonly hops?: number;
  /** Reply timeout. */
  readonly timeoutMs?: number;
  /** Gather replies from the mesh instead of awaiting one. */
  readonly gather?: GatherOptions;
  /** Mark the message for tracing; the call resolves with its hex id. */
  readonly trace?: boolean;
  /** This node does not answer its own flooded request (see `withoutSelf()`). */
  readonly excludeSelf?: boolean;
  /** Each call returns `{ id, result }` at once instead of a Promise (see `withId()`). */
  readonly withId?: boolean;
}
