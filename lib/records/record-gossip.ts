import type { Subscription } from 'rxjs';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import type { Neighbor } from '../mesh/neighbor.js';
import type { RecordStore, StoreChange } from './record-store.js';

/**
 * Extension frame kinds of live record changes (44–47; reconciliation uses 40–43).
 *
 * @remarks `[kind, encodedRecord]` on the wire, the payload being one signed record encoding.
 */
export const RecordFrameKind = {
  /** A record version that won at the sender: flooded on to every other neighbour by whoever stores it. */
  Change: 44,
  /** Anti-entropy: the answer to a stale {@link RecordFrameKind.Change}, carrying the newer copy. */
  Newer: 45,
} as const;

/**
 * What the system records space adds to every record frame kind: its reconciliation runs over
 * 48–51 and its live changes over 52–53, apart from the user store's 40–45.
 */
export const SYSTEM_SPACE_KIND_OFFSET = 8;

/** The part of the mesh live record changes need. */
export interface GossipMesh {
  /** The current neighbours by peer id. */
  readonly neighbors: ReadonlyMap<string, Neighbor>;
  /** Routes extension frames of `kind` (16..127) from neighbours to `handler`. */
  registerExtension(kind: number, handler: (from: Neighbor, payload: unknown) => void): void;
  /** Sends an extension frame to one neighbour; false when its link could not take it. */
  sendExtension(to: Neighbor, kind: number, payload: unknown): boolean;
  /** Counts, reports, and closes the link with the error's code. */
  violation(from: Neighbor, error: PeerChannelError): void;
}

/** Refusals that only a forger or a broken peer sends (a verifying relay never passes them on): these close the link. */
const LINK_FAULTS: ReadonlySet<string> = new Set([ErrorCode.RECORD_SHAPE, ErrorCode.RECORD_SIGNATURE, ErrorCode.RECORD_TOO_LARGE]);

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Live record changes over the mesh: each version a store takes (from this node or from a peer)
 * is flooded to every neighbour but the one it came from.
 *
 * @remarks
 * Dedup is the store itself: a copy already held (same hash) or losing to the one held is not
 * passed on, so each version crosses each link at most about once and copies may arrive in any
 * order. A stale copy is answered with the newer one (anti-entropy). Frames are bounded in bytes
 * and, per link, by a token bucket; a malformed, forged or oversized record, or a flood past the
 * rate, closes that link with its code. Authority, expiry, quota and type refusals depend on the
 * receiver's view (its clock, admins, declared types): those are dropped and counted, the link stays.
 */
export class RecordGossip {
  private readonly buckets = new WeakMap<Neighbor, Bucket>();
  private readonly sub: Subscription;

  private readonly change: number;
  private readonly newer: number;

  /**
   * @param kindOffset added to the frame kinds (44, 45), so a second store (the system records
   * space, offset {@link SYSTEM_SPACE_KIND_OFFSET}) floods over kinds of its own.
   */
  constructor(
    private readonly store: RecordStore,
    private readonly mesh: GossipMesh,
    private readonly now: () => number = Date.now,
    kindOffset = 0,
  ) {
    this.change = RecordFrameKind.Change + kindOffset;
    this.newer = RecordFrameKind.Newer + kindOffset;
    mesh.registerExtension(this.change, (from, payload) => this.onFrame(from, payload, false));
    mesh.registerExtension(this.newer, (from, payload) => this.onFrame(from, payload, true));
    this.sub = store.changes$.subscribe((change) => this.forward(change));
  }

  private forward(change: StoreChange): void {
    if (change.kind === 'expired') return;
    for (const n of this.mesh.neighbors.values()) {
      if (n.peerId !== change.source) this.mesh.sendExtension(n, this.change, change.record.encoded);
    }
  }

  private onFrame(from: Neighbor, payload: unknown, isAnswer: boolean): void {
    if (!(payload instanceof Uint8Array)) {
      this.mesh.violation(from, new PeerChannelError(ErrorCode.RECORD_SHAPE, 'a record frame carries one record encoding'));
      return;
    }
    if (!this.take(from)) {
      this.mesh.violation(from, new PeerChannelError(ErrorCode.RECORD_RATE, `more than ${this.store.limits.linkRecordsPerSecond} record changes a second`));
      return;
    }
    const result = this.store.receiveNow(payload, from.peerId);
    if (result.outcome === 'rejected' && result.error !== undefined && LINK_FAULTS.has(result.error.code)) {
      this.mesh.violation(from, result.error);
      return;
    }
    // An answer is never answered: two peers disagreeing on the winner cannot ping-pong.
    if (result.outcome === 'stale' && result.newer !== undefined && !isAnswer) {
      this.mesh.sendExtension(from, this.newer, result.newer.encoded);
    }
  }

  private take(from: Neighbor): boolean {
    const { linkRecordsPerSecond: rate, linkRecordBurst: burst } = this.store.limits;
    const now = this.now();
    const b = this.buckets.get(from) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) * rate) / 1000);
    b.at = now;
    this.buckets.set(from, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Stops forwarding. Idempotent. */
  close(): void {
    this.sub.unsubscribe();
  }
}
