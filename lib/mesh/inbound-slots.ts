import { ErrorCode } from '../errors/index.js';
import type { Link } from '../transport/transport.js';

/**
 * @internal Accepted links still in admission or the hello, at most `max` at once (0 = unlimited).
 *
 * @remarks
 * Such links are cheap to open (any self-signed certificate finishes TLS and the upgrade) and would
 * hold a transport connection slot for the whole handshake timeout; past the bound the oldest is
 * closed with `PC_ERR_BUSY`, so they cannot keep honest peers out. O(1) per link.
 */
export class InboundSlots {
  /** Oldest first (a Set keeps insertion order). */
  private readonly awaiting = new Set<Link>();
  private readonly evicted = new WeakSet<Link>();

  constructor(private readonly max: number) {}

  /** Takes a slot for `link`; returns the link closed to make room, if any. */
  add(link: Link): Link | undefined {
    let oldest: Link | undefined;
    if (this.max > 0 && this.awaiting.size >= this.max) {
      oldest = this.awaiting.values().next().value as Link;
      this.awaiting.delete(oldest);
      this.evicted.add(oldest);
      oldest.close(ErrorCode.BUSY, `more than ${this.max} links awaiting the handshake`);
    }
    this.awaiting.add(link);
    return oldest;
  }

  /** The link's handshake ended, one way or another. */
  delete(link: Link): void {
    this.awaiting.delete(link);
  }

  /** True for a link closed to make room (already counted as `PC_ERR_BUSY`). */
  wasEvicted(link: Link): boolean {
    return this.evicted.has(link);
  }
}
