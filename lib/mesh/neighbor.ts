import type { PeerId } from '../identity/peer-id.js';
import type { Link } from '../transport/transport.js';
import type { UtilityReport } from './mesh-frames.js';
import { NeighborBudget } from './neighbor-budget.js';

const unlimited = new NeighborBudget({ maxFramesPerSecond: 0, maxFrameBurst: 0, maxMessagesPerSecond: 0, maxMessageBurst: 0 });

/**
 * A peer this node has a live, handshaken link with.
 *
 * @remarks
 * Counts what the link brought, so maintenance can prune the least useful link first
 * (usefulness = share of new, not duplicate, messages). The two sides exchange their counts
 * in utility reports, so both rank the link by the same figure ({@link Neighbor.linkUsefulness}).
 */
export class Neighbor {
  /** Messages (floods, directed, and ids offered lazily) that arrived on this link. */
  received = 0;
  /** Of those, how many were new to this node. */
  fresh = 0;
  /** Frames this node failed to queue on the link. */
  sendFailures = 0;
  /** The other side's last utility report, if any. */
  remote: UtilityReport | undefined;
  /** Frames that arrived on this link (any kind; for the idle cut). */
  framesIn = 0;
  /** `framesIn` when maintenance last looked, and when it last saw it change. @internal */
  seenFramesIn = 0;
  /** @internal */
  lastHeard = Date.now();
  /** Since when the send queue has been over the slow bound, if it is. */
  slowSince: number | undefined;
  readonly since = Date.now();
  /** This side retired the link (it lost the duplicate-link rule): nothing more is sent on it. @internal */
  retired = false;
  /** The other side said it retired the link. @internal */
  peerRetired = false;
  /** Takes frames larger than one link frame (set by the mesh). @internal */
  chunker: { readonly frameBytes: number; send(to: Neighbor, frame: Uint8Array): boolean } | undefined;

  constructor(
    readonly peerId: PeerId,
    readonly link: Link,
    readonly addresses: readonly string[],
    /** What this neighbour may make this node handle (per-neighbour rate bounds). */
    readonly budget: NeighborBudget = unlimited,
  ) {}

  get direction(): 'inbound' | 'outbound' {
    return this.link.direction;
  }

  /** Share of messages from this link that were new, in [0, 1]; 1 before any arrived. */
  get usefulness(): number {
    return this.received === 0 ? 1 : this.fresh / this.received;
  }

  /**
   * Share of new messages over both directions of the link, from this side's counts and the
   * other side's last report; 1 before anything was counted. Both sides compute the same value
   * once their reports have crossed.
   */
  get linkUsefulness(): number {
    const received = this.received + (this.remote?.received ?? 0);
    const fresh = this.fresh + (this.remote?.fresh ?? 0);
    return received === 0 ? 1 : fresh / received;
  }

  /** Queues a frame; returns false (and counts) if the link refused it. */
  send(frame: Uint8Array): boolean {
    if (!this.link.isOpen || this.retired) return false;
    if (this.chunker !== undefined && frame.length > this.chunker.frameBytes) return this.chunker.send(this, frame);
    try {
      this.link.send(frame);
      return true;
    } catch {
      // The link closes itself on queue overflow; its close handler removes this neighbour.
      this.sendFailures += 1;
      return false;
    }
  }
}

/** What `neighbors$` reports for each neighbour. */
export interface NeighborInfo {
  /** The neighbour's peer id (authenticated by the link in `transport` and `both` modes). */
  readonly peerId: PeerId;
  /** Addresses the neighbour announced in its hello (empty for a dial-out-only peer). */
  readonly addresses: readonly string[];
  /** `outbound` when this node dialled the link, `inbound` when the neighbour did. */
  readonly direction: 'inbound' | 'outbound';
  /** Share of messages from this neighbour that were new, in [0, 1]. */
  readonly usefulness: number;
  /** Share of new messages over both directions of the link, as both sides agree on it, in [0, 1]. */
  readonly linkUsefulness: number;
}

/** Snapshot of a neighbour for public streams. */
export function neighborInfo(n: Neighbor): NeighborInfo {
  return { peerId: n.peerId, addresses: n.addresses, direction: n.direction, usefulness: n.usefulness, linkUsefulness: n.linkUsefulness };
}
