import { type PeerId, isPeerId } from '../identity/peer-id.js';
import { BehaviorSubject, type Observable, type Subscription } from 'rxjs';
import { type FrameLimits, MAX_SIGNATURE_BYTES, pack } from '../codec/index.js';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import type { Neighbor, NeighborInfo } from './neighbor.js';

/** Extension frame kind of a member announcement. */
export const MEMBER_ANNOUNCE_KIND = 28;

/** Bounds and timing of the mesh-wide member list. */
export interface MemberTuning {
  /** How often a node announces itself; 0 = no member list (nothing sent, only itself listed). @defaultValue 0 (off) */
  readonly memberAnnounceMs: number;
  /** A member not heard for this long is dropped from the list (its crash is noticed within this). @defaultValue 30_000 */
  readonly memberTtlMs: number;
  /** Hops an announcement travels: members farther away are not listed. @defaultValue 8 */
  readonly memberHops: number;
  /** Most members listed (others' announcements past it are dropped, `PC_ERR_MEMBERS_LIMIT`). @defaultValue 1_024 */
  readonly maxMembers: number;
}

/** A peer in the mesh, as the member list knows it. */
export interface MemberInfo {
  /** The member's peer id (lowercase hex). */
  readonly peerId: PeerId;
  /** Hops its last announcement travelled to reach this node; 0 for this node itself. */
  readonly hops: number;
  /** When this node last heard the member announce itself (ms since the epoch; now for itself). */
  readonly lastHeard: number;
}

/** What the directory needs from the mesh. @internal */
export interface MemberHost {
  readonly localPeerId: PeerId;
  readonly limits: FrameLimits;
  readonly neighbors: ReadonlyMap<string, Neighbor>;
  readonly neighbors$: Observable<readonly NeighborInfo[]>;
  sendExtension(to: Neighbor, kind: number, payload: unknown): boolean;
  sign(bytes: Uint8Array): Uint8Array | null;
  verify(origin: string, bytes: Uint8Array, sig: Uint8Array | null): boolean;
  /** A malformed frame: closes the link. */
  violation(from: Neighbor, error: PeerChannelError): void;
  /** Counts and reports a dropped announcement. */
  drop(code: string, message: string): void;
  /** Counts a dropped announcement without reporting it (routine, e.g. a rate bound). */
  count(code: string): void;
}

interface Entry {
  readonly seq: number;
  /** Hops left for relaying, as this node would send it on. */
  readonly hopsLeft: number;
  readonly hops: number;
  readonly heardAt: number;
  readonly leaving: boolean;
  readonly sig: Uint8Array | null;
}

interface Announcement {
  readonly peerId: PeerId;
  readonly seq: number;
  readonly hops: number;
  readonly travelled: number;
  readonly leaving: boolean;
  readonly sig: Uint8Array | null;
}

/** The bytes a member signs: a tag, its id, the sequence and the leaving flag (never the hop fields). */
function signed(peerId: string, seq: number, leaving: boolean): Uint8Array {
  return pack(['member', peerId, seq, leaving]);
}

function shape(message: string): PeerChannelError {
  return new PeerChannelError(ErrorCode.FRAME_SHAPE, message);
}

function decode(payload: unknown, limits: FrameLimits, maxHops: number): Announcement {
  if (!Array.isArray(payload) || payload.length !== 6) throw shape('member announcement must be a tuple of 6');
  const [peerId, seq, hops, travelled, leaving, sig] = payload as unknown[];
  if (!isPeerId(peerId)) throw shape('member id must be a peer id (64 lowercase hex digits)');
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) throw shape('member sequence must be a safe integer >= 0');
  if (typeof hops !== 'number' || !Number.isInteger(hops) || hops < 1 || hops > maxHops) throw shape(`member hops must be in 1..${maxHops}`);
  if (typeof travelled !== 'number' || !Number.isInteger(travelled) || travelled < 1 || travelled > 255) throw shape('member travelled must be in 1..255');
  if (typeof leaving !== 'boolean') throw shape('member leaving flag must be a boolean');
  if (sig !== null && !(sig instanceof Uint8Array && sig.length <= MAX_SIGNATURE_BYTES)) throw shape(`member signature must be null or at most ${MAX_SIGNATURE_BYTES} bytes`);
  return { peerId, seq, hops, travelled, leaving, sig };
}

/**
 * The mesh-wide member list: who is in the mesh, not only this node's neighbours.
 *
 * @remarks
 * Every `memberAnnounceMs` (jittered) each node floods a small announcement of itself (extension
 * frame 28: id, a sequence that only grows — the clock in ms — hop fields, a leaving flag, and its
 * signature in message-signing modes) with a hop limit of `memberHops`. Receivers keep the newest
 * sequence per member and relay only what is new; a new neighbour is sent the whole list at once,
 * so a joiner sees the mesh within one round trip rather than one interval. A node that closes
 * announces that it leaves, so it disappears from every list as fast as a flood travels; one that
 * crashes disappears `memberTtlMs` after its last announcement, at the next sweep (so at most
 * `memberTtlMs + memberAnnounceMs` later). Bounds: `maxMembers` entries; a member announcing
 * again sooner than half the interval is dropped (`PC_ERR_MEMBERS_LIMIT`, counted); announcements
 * with a bad shape close the link (`PC_ERR_FRAME_SHAPE`); a bad signature is dropped
 * (`PC_ERR_BAD_SIGNATURE`).
 */
export class MemberDirectory {
  private readonly entries = new Map<PeerId, Entry>();
  private readonly list = new BehaviorSubject<readonly MemberInfo[]>([]);
  private timer: NodeJS.Timeout | undefined;
  private sub: Subscription | undefined;
  private known = new Set<string>();
  private seq = 0;
  private closed = false;

  /** Hot: replays the member list (this node first), then emits whenever a member joins or leaves. */
  readonly members$: Observable<readonly MemberInfo[]> = this.list.asObservable();

  constructor(
    private readonly host: MemberHost,
    private readonly tuning: MemberTuning,
    private readonly random: () => number = Math.random,
  ) {
    this.publish();
  }

  /** The member list now, this node first (entries older than `memberTtlMs` already left out). */
  get members(): readonly MemberInfo[] {
    const now = Date.now();
    const out: MemberInfo[] = [{ peerId: this.host.localPeerId, hops: 0, lastHeard: now }];
    for (const [peerId, e] of this.entries) {
      if (!e.leaving && now - e.heardAt <= this.tuning.memberTtlMs) out.push({ peerId, hops: e.hops, lastHeard: e.heardAt });
    }
    return out;
  }

  start(): void {
    if (this.tuning.memberAnnounceMs === 0 || this.closed) return;
    this.sub = this.host.neighbors$.subscribe((ns) => this.neighborsChanged(ns));
    this.schedule();
  }

  /** Handles an announcement from a neighbour. */
  onAnnounce(from: Neighbor, payload: unknown): void {
    if (this.closed || this.tuning.memberAnnounceMs === 0) return;
    let a: Announcement;
    try {
      a = decode(payload, this.host.limits, Math.max(1, this.tuning.memberHops));
    } catch (error) {
      this.host.violation(from, error as PeerChannelError);
      return;
    }
    if (a.peerId === this.host.localPeerId) return;
    const now = Date.now();
    const old = this.entries.get(a.peerId);
    if (old !== undefined && old.seq >= a.seq) return;
    if (old === undefined && !a.leaving && this.entries.size >= this.tuning.maxMembers) {
      this.host.count(ErrorCode.MEMBERS_LIMIT);
      return;
    }
    // A far-future sequence would pin the entry against every later announcement.
    if (a.seq > now + this.tuning.memberTtlMs * 10) {
      this.host.count(ErrorCode.MEMBERS_LIMIT);
      return;
    }
    if (old !== undefined && !a.leaving && !old.leaving && now - old.heardAt < this.tuning.memberAnnounceMs / 2) {
      this.host.count(ErrorCode.MEMBERS_LIMIT);
      return;
    }
    if (!this.host.verify(a.peerId, signed(a.peerId, a.seq, a.leaving), a.sig)) {
      this.host.drop(ErrorCode.BAD_SIGNATURE, `member announcement of ${a.peerId.slice(0, 12)} failed verification`);
      return;
    }
    this.entries.set(a.peerId, { seq: a.seq, hopsLeft: a.hops - 1, hops: a.travelled, heardAt: now, leaving: a.leaving, sig: a.sig });
    if (a.hops > 1) {
      const out = [a.peerId, a.seq, a.hops - 1, a.travelled + 1, a.leaving, a.sig];
      for (const n of this.host.neighbors.values()) if (n.peerId !== from.peerId) this.host.sendExtension(n, MEMBER_ANNOUNCE_KIND, out);
    }
    this.publish();
  }

  /** Announces that this node leaves, and stops. Idempotent. */
  close(): void {
    if (this.closed) return;
    if (this.tuning.memberAnnounceMs > 0 && this.host.neighbors.size > 0) this.announce(true);
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.sub?.unsubscribe();
    this.entries.clear();
    this.list.complete();
  }

  private schedule(): void {
    if (this.closed) return;
    const delay = this.tuning.memberAnnounceMs * (0.75 + this.random() * 0.5);
    this.timer = setTimeout(() => {
      this.sweep();
      this.announce(false);
      this.schedule();
    }, delay);
  }

  private announce(leaving: boolean): void {
    this.seq = Math.max(this.seq + 1, Date.now());
    const id = this.host.localPeerId;
    const payload = [id, this.seq, Math.max(1, this.tuning.memberHops), 1, leaving, this.host.sign(signed(id, this.seq, leaving))];
    for (const n of this.host.neighbors.values()) this.host.sendExtension(n, MEMBER_ANNOUNCE_KIND, payload);
  }

  /** A new neighbour gets this node's announcement and every entry it would relay. */
  private neighborsChanged(ns: readonly NeighborInfo[]): void {
    const now = new Set(ns.map((n) => n.peerId));
    for (const peerId of now) {
      if (this.known.has(peerId)) continue;
      const n = this.host.neighbors.get(peerId);
      if (n === undefined) continue;
      if (this.seq === 0) this.seq = Date.now();
      const id = this.host.localPeerId;
      this.host.sendExtension(n, MEMBER_ANNOUNCE_KIND, [id, this.seq, Math.max(1, this.tuning.memberHops), 1, false, this.host.sign(signed(id, this.seq, false))]);
      for (const [member, e] of this.entries) {
        if (member === peerId || e.hopsLeft < 1 || e.leaving) continue;
        this.host.sendExtension(n, MEMBER_ANNOUNCE_KIND, [member, e.seq, e.hopsLeft, e.hops + 1, false, e.sig]);
      }
    }
    this.known = now;
  }

  private sweep(): void {
    const now = Date.now();
    let changed = false;
    for (const [peerId, e] of this.entries) {
      if (now - e.heardAt > this.tuning.memberTtlMs) {
        this.entries.delete(peerId);
        changed = true;
      }
    }
    if (changed) this.publish();
  }

  private publish(): void {
    if (this.closed) return;
    const next = this.members;
    const prev = this.list.value;
    if (prev.length === next.length && prev.every((m, i) => m.peerId === next[i]?.peerId)) return;
    this.list.next(next);
  }
}
