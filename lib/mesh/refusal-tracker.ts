import { ErrorCode, type PeerChannelError } from '../errors/index.js';
import type { MeshTuning } from './options.js';

/** Codes with which a peer refuses to admit this node to the mesh (as opposed to being unreachable or busy); `PC_ERR_DISCONNECTED` is a hold-off after `disconnect`. */
export const ADMISSION_CODES: ReadonlySet<string> = new Set([ErrorCode.AUTH_FAILED, ErrorCode.UNTRUSTED_PEER, ErrorCode.SECURITY_MODE_MISMATCH, ErrorCode.DISCONNECTED]);

/** Most peers whose refusals are remembered at once (the oldest is forgotten first). */
export const MAX_REFUSING_PEERS = 1_024;

/**
 * The mesh refused this node: every member it could reach refused its admission.
 *
 * @remarks
 * Read it from `node.refusal` and `node.refused$`; `node.whenOnline()` rejects with its `code`.
 */
export interface MeshRefusal {
  /** The admission code, e.g. `PC_ERR_AUTH_FAILED` (a wrong password) or `PC_ERR_UNTRUSTED_PEER`. */
  readonly code: ErrorCode;
  /** The last refusal's message. */
  readonly message: string;
  /** Peer ids of the members that refused this node, most recent last. */
  readonly refusedBy: readonly string[];
}

interface Entry {
  /** Refused dials by this node to that peer. */
  refused: number;
  /** Not dialled again before this time (ms since the epoch). */
  retryAt: number;
  /** The peer's own dial to us failed admission before any dial of ours did: a newcomer, not the mesh. */
  stranger: boolean;
  last: PeerChannelError | undefined;
}

/**
 * Remembers which peers refused this node's admission, and paces re-dials to them.
 *
 * @remarks
 * A refused dial is retried after `refusedRetryDelayMs`, doubling each time up to
 * `refusedRetryMaxDelayMs`; after `refusedRetryAttempts` refusals the peer is no longer dialled
 * (it may still dial this node, and an admission either way forgets its refusals). So a node with
 * a wrong password no longer re-dials forever.
 *
 * Which side is wrong: both sides of a failed admission see the same code, so a refusal counts as
 * "by the mesh" only when it came from a peer that had not itself first dialled this node and
 * been refused — a peer that arrived after this node (after this node's first round of dials)
 * and failed its check is a newcomer with another password, not the mesh. A node that joins
 * dials the members it finds at once, so it is the one refused. @internal
 */
export class RefusalTracker {
  private readonly entries = new Map<string, Entry>();
  private settled = false;

  constructor(
    private readonly tuning: MeshTuning,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether this node may dial `peerId` now (not backing off, attempts left). */
  mayDial(peerId: string): boolean {
    const e = this.entries.get(peerId);
    if (e === undefined) return true;
    return e.refused < this.tuning.refusedRetryAttempts && this.now() >= e.retryAt;
  }

  /** This node's dial to `peerId` was refused with an admission code. Returns true if it counts as a refusal by the mesh. */
  outbound(peerId: string, error: PeerChannelError): boolean {
    const e = this.entry(peerId);
    e.refused += 1;
    e.last = error;
    const delay = Math.min(this.tuning.refusedRetryMaxDelayMs, this.tuning.refusedRetryDelayMs * 2 ** (e.refused - 1));
    e.retryAt = this.now() + delay;
    return !e.stranger;
  }

  /**
   * This node has made its first round of dials. Until then it is the newcomer itself: a peer
   * that dials it meanwhile and fails its check (having just heard of it) proves nothing.
   */
  settle(): void {
    this.settled = true;
  }

  /** `peerId` dialled this node and failed its admission. */
  inbound(peerId: string): void {
    if (!this.settled) return;
    const e = this.entry(peerId);
    if (e.refused === 0) e.stranger = true;
  }

  /** `peerId` and this node admitted each other: its refusals are forgotten. */
  admitted(peerId: string): void {
    this.entries.delete(peerId);
  }

  /** Refused dials to `peerId` so far. */
  refusals(peerId: string): number {
    return this.entries.get(peerId)?.refused ?? 0;
  }

  clear(): void {
    this.entries.clear();
  }

  private entry(peerId: string): Entry {
    let e = this.entries.get(peerId);
    if (e === undefined) {
      if (this.entries.size >= MAX_REFUSING_PEERS) {
        const oldest = this.entries.keys().next();
        if (oldest.done !== true) this.entries.delete(oldest.value);
      }
      e = { refused: 0, retryAt: 0, stranger: false, last: undefined };
      this.entries.set(peerId, e);
    }
    return e;
  }
}
