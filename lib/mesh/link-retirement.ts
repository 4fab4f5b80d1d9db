import { FrameKind, encodeFrame } from '../codec/index.js';
import { ErrorCode } from '../errors/index.js';
import type { Neighbor } from './neighbor.js';

/**
 * Retires the link that lost the duplicate-link rule without losing a frame on it.
 *
 * @remarks
 * When two peers dial each other at once, each side keeps the link dialled by the lower peer id,
 * but the two sides decide at different moments: a side that has not decided yet keeps sending
 * on the losing link. Closing it at once (as the mesh did) lost whatever the other side had
 * sent on it in the meantime, and floods are never retransmitted: the first message in a fresh
 * mesh went missing now and then.
 *
 * Instead, a side that retires a link sends a `Disconnect` with `PC_ERR_DUPLICATE_LINK` as the
 * last frame it ever sends on it (the neighbour object stops sending: {@link Neighbor.retired}),
 * and keeps *receiving* on it. The link closes once both notices have crossed — each side's
 * notice follows everything it sent there, so nothing is in flight any more — or after
 * `timeoutMs` when the other side never retires it (it lost its own winning link, or it is
 * hostile). A notice that arrives before this side has the winning link only marks the link:
 * this side keeps using it until its own winner registers, then closes at once.
 */
export class LinkRetirement {
  private readonly timers = new Map<Neighbor, NodeJS.Timeout>();

  constructor(
    private readonly timeoutMs: number,
    private readonly onFrame: (from: Neighbor, data: Uint8Array) => void,
  ) {}

  /** Links retired and not closed yet. */
  get size(): number {
    return this.timers.size;
  }

  /** Whether `link` is being retired (its close is this module's business). */
  holds(link: Neighbor['link']): boolean {
    for (const n of this.timers.keys()) if (n.link === link) return true;
    return false;
  }

  /** Stops sending on `loser`, tells the other side, and closes once both sides are done. */
  retire(loser: Neighbor): void {
    if (loser.retired || !loser.link.isOpen) return;
    loser.send(encodeFrame({ kind: FrameKind.Disconnect, code: ErrorCode.DUPLICATE_LINK, message: 'replaced by a preferred link', referrals: [] }));
    loser.retired = true;
    // A link that lost as the new one never had a receiver: frames the other side sent on it
    // after registering it are handled like any other neighbour's.
    loser.link.setReceiver((data) => this.onFrame(loser, data));
    if (loser.peerRetired) {
      this.closeNow(loser);
      return;
    }
    const timer = setTimeout(() => this.closeNow(loser), this.timeoutMs);
    this.timers.set(loser, timer);
    void loser.link.closed.then(() => this.forget(loser));
  }

  /** The other side sent its retirement notice on `from`'s link. */
  noticed(from: Neighbor): void {
    from.peerRetired = true;
    if (from.retired) this.closeNow(from);
  }

  /** Closes the links to `peerId` still being retired, with `code`; returns how many. */
  closePeer(peerId: string, code: ErrorCode, reason: string): Neighbor['link'][] {
    const links: Neighbor['link'][] = [];
    for (const n of [...this.timers.keys()]) {
      if (n.peerId !== peerId) continue;
      this.forget(n);
      n.link.close(code, reason);
      links.push(n.link);
    }
    return links;
  }

  /** Closes every link still being retired. Idempotent. */
  close(): void {
    for (const n of [...this.timers.keys()]) this.closeNow(n);
  }

  private closeNow(n: Neighbor): void {
    this.forget(n);
    n.link.close(ErrorCode.DUPLICATE_LINK, 'replaced by a preferred link');
  }

  private forget(n: Neighbor): void {
    const timer = this.timers.get(n);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(n);
  }
}
