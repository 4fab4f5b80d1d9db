import type { Link } from '../transport/transport.js';

/**
 * A peer this node has a live, handshaken link with.
 *
 * @remarks
 * Counts what the link brought, so maintenance can prune the least useful link first
 * (usefulness = share of new, not duplicate, messages).
 */
export class Neighbor {
  /** Messages (floods and directed) that arrived on this link. */
  received = 0;
  /** Of those, how many were new to this node. */
  fresh = 0;
  /** Frames this node failed to queue on the link. */
  sendFailures = 0;
  readonly since = Date.now();

  constructor(
    readonly peerId: string,
    readonly link: Link,
    readonly addresses: readonly string[],
  ) {}

  get direction(): 'inbound' | 'outbound' {
    return this.link.direction;
  }

  /** Share of messages from this link that were new, in [0, 1]; 1 before any arrived. */
  get usefulness(): number {
    return this.received === 0 ? 1 : this.fresh / this.received;
  }

  /** Queues a frame; returns false (and counts) if the link refused it. */
  send(frame: Uint8Array): boolean {
    if (!this.link.isOpen) return false;
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
  readonly peerId: string;
  readonly addresses: readonly string[];
  readonly direction: 'inbound' | 'outbound';
  /** Share of messages from this neighbour that were new, in [0, 1]. */
  readonly usefulness: number;
}

/** Snapshot of a neighbour for public streams. */
export function neighborInfo(n: Neighbor): NeighborInfo {
  return { peerId: n.peerId, addresses: n.addresses, direction: n.direction, usefulness: n.usefulness };
}
