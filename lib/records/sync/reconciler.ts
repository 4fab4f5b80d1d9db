import { ErrorCode, PeerChannelError } from '../../errors/index.js';
import { type Bound, END_BOUND } from './bound.js';
import { RangeMode, type SyncRange, rangeCost } from './sync-range.js';
import { VERSION_HASH_BYTES } from './sync-source.js';
import type { SyncTree } from './sync-tree.js';

const H = VERSION_HASH_BYTES;

/** Tuning of range-based reconciliation; both sides may use different values. */
export interface ReconcileOptions {
  /**
   * Most encoded bytes of ranges in one message (the rest of the work moves to the next round,
   * as Negentropy's `frameSizeLimit`).
   * @defaultValue 60_000 (a 64 KiB frame with room for its envelope)
   */
  readonly frameBudget?: number;
  /**
   * Buckets a differing range is split into.
   * @defaultValue 16
   */
  readonly buckets?: number;
  /**
   * A differing range where this side holds at most this many items is answered with their ids.
   * @defaultValue 32
   */
  readonly idListThreshold?: number;
  /**
   * Most differences (have + need) one session collects; the initiator stops there and the
   * next session carries on.
   * @defaultValue 100_000
   */
  readonly maxDifferences?: number;
}

/** Smallest frame budget accepted: one range's worth of buckets must always fit. */
export const MIN_FRAME_BUDGET = 4_096;

interface Tuning {
  readonly frameBudget: number;
  readonly buckets: number;
  readonly idListThreshold: number;
  readonly maxDifferences: number;
}

function tuning(o: ReconcileOptions): Tuning {
  const t = {
    frameBudget: o.frameBudget ?? 60_000,
    buckets: o.buckets ?? 16,
    idListThreshold: o.idListThreshold ?? 32,
    maxDifferences: o.maxDifferences ?? 100_000,
  };
  const bad = (what: string) => new PeerChannelError(ErrorCode.INVALID_ARGUMENT, what);
  if (!Number.isInteger(t.frameBudget) || t.frameBudget < MIN_FRAME_BUDGET || t.frameBudget > 1 << 20) throw bad(`frameBudget must be an integer in ${MIN_FRAME_BUDGET}..${1 << 20}`);
  if (!Number.isInteger(t.buckets) || t.buckets < 2 || t.buckets > 64) throw bad('buckets must be an integer in 2..64');
  if (!Number.isInteger(t.idListThreshold) || t.idListThreshold < 1 || t.idListThreshold * H > t.frameBudget / 4) throw bad('idListThreshold must be a positive integer whose ids fit in a quarter of the frame budget');
  if (!Number.isInteger(t.maxDifferences) || t.maxDifferences < 1) throw bad('maxDifferences must be a positive integer');
  return t;
}

/** Room kept free in every message for the closing range of a truncated one. */
const RESERVE = 160;
/** Worst-case bytes of one fingerprint range. */
const ECHO_COST = 80;
/** Most ranges left over that are answered one by one; the rest share one fingerprint. */
const MAX_ECHO = 256;

/** Collects one message's ranges within the frame budget, merging neighbouring skips. */
class Output {
  readonly ranges: SyncRange[] = [];
  private used = 0;
  constructor(private readonly budget: number) {}
  get room(): number {
    return this.budget - this.used;
  }
  push(r: SyncRange): void {
    const last = this.ranges[this.ranges.length - 1];
    if (r.mode === RangeMode.Skip && last?.mode === RangeMode.Skip) {
      this.used -= rangeCost(last);
      this.ranges.pop();
    }
    this.ranges.push(r);
    this.used += rangeCost(r);
  }
  get idle(): boolean {
    return this.ranges.every((r) => r.mode === RangeMode.Skip);
  }
}

function hex(bytes: Uint8Array, offset = 0): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + offset, H).toString('hex');
}

/**
 * One side of a range-based set reconciliation (Negentropy's algorithm, our encoding).
 *
 * @remarks
 * The initiator opens with {@link Reconciler.initial} and feeds each answer to
 * {@link Reconciler.receive} until it returns `undefined`; it then knows {@link Reconciler.have}
 * (hashes it holds that the other side does not) and {@link Reconciler.need} (the reverse).
 * The responder answers every message with {@link Reconciler.receive} and learns nothing
 * itself. Ranges whose fingerprints match are skipped, differing ones are split into buckets,
 * and small ones are settled by listing ids, so bytes and rounds grow with the differences, not
 * the store. Every message stays within the frame budget: whatever does not fit is sent as one
 * fingerprint over the rest, to be taken up next round. Work per message is bounded by the
 * message's size (each range costs O(log n), each id O(1)).
 */
export class Reconciler {
  private readonly t: Tuning;
  private readonly haveSet = new Map<string, Uint8Array>();
  private readonly needSet = new Map<string, Uint8Array>();

  constructor(
    private readonly tree: SyncTree,
    readonly role: 'initiator' | 'responder',
    options: ReconcileOptions = {},
  ) {
    this.t = tuning(options);
  }

  /** Hashes this side holds and the other does not (initiator only). */
  get have(): Uint8Array[] {
    return [...this.haveSet.values()];
  }

  /** Hashes the other side holds and this one does not (initiator only). */
  get need(): Uint8Array[] {
    return [...this.needSet.values()];
  }

  /** True once {@link ReconcileOptions.maxDifferences} differences were collected. */
  get full(): boolean {
    return this.haveSet.size + this.needSet.size >= this.t.maxDifferences;
  }

  /** The initiator's opening message. */
  initial(): SyncRange[] {
    if (this.role !== 'initiator') throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'only the initiator opens');
    const out = new Output(this.t.frameBudget);
    const size = this.tree.size;
    if (size <= this.t.idListThreshold) this.sendIds(out, 0, size, END_BOUND, 0);
    else this.split(out, 0, size, END_BOUND);
    return this.sent(out);
  }

  /**
   * Handles one message from the other side.
   * @returns the answer; for the initiator, `undefined` when reconciliation is complete (or
   * {@link Reconciler.full}).
   * @throws PeerChannelError `PC_ERR_SYNC_FRAME` for a message that contradicts the last one sent.
   */
  receive(ranges: readonly SyncRange[]): SyncRange[] | undefined {
    const out = new Output(this.t.frameBudget);
    const lists = this.lists;
    this.lists = [];
    let replies = 0;
    let lowerIdx = 0;
    let k = 0;
    for (; k < ranges.length; k++) {
      const r = ranges[k] as SyncRange;
      // Keep room to answer every range left with a fingerprint of ours (the other side goes on
      // from there next round), so a full message loses none of the structure found so far.
      const keep = RESERVE + Math.min(ranges.length - k - 1, MAX_ECHO) * ECHO_COST;
      if (out.room < keep + this.t.buckets * ECHO_COST) break;
      const upperIdx = Math.max(lowerIdx, this.tree.rank(r.upper));
      if (r.mode === RangeMode.IdsReply) {
        if (this.role !== 'initiator' || replies >= lists.length) throw new PeerChannelError(ErrorCode.SYNC_FRAME, 'an id-list reply that answers no id list');
        this.applyReply(r, lists[replies++] as Uint8Array);
        out.push({ mode: RangeMode.Skip, upper: r.upper });
      } else this.handle(out, r, lowerIdx, upperIdx, keep);
      lowerIdx = upperIdx;
    }
    if (k < ranges.length) this.echo(out, ranges, k, lowerIdx);
    if (this.role === 'initiator' && (out.idle || this.full)) return undefined;
    if (out.ranges.length === 0) out.push({ mode: RangeMode.Skip, upper: END_BOUND });
    return this.sent(out);
  }

  /** Id lists of the last message sent, in order, to read the replies' bitmaps against. */
  private lists: Uint8Array[] = [];

  private sent(out: Output): SyncRange[] {
    if (this.role === 'initiator') this.lists = out.ranges.flatMap((r) => (r.mode === RangeMode.Ids ? [r.ids] : []));
    return out.ranges;
  }

  private handle(out: Output, r: SyncRange, lo: number, hi: number, keep: number): void {
    switch (r.mode) {
      case RangeMode.Skip:
        out.push(r);
        return;
      case RangeMode.Fingerprint: {
        const ours = hi - lo;
        if (ours === r.count && equalBytes(this.tree.fingerprint(lo, hi), r.fingerprint)) {
          out.push({ mode: RangeMode.Skip, upper: r.upper });
          return;
        }
        if (this.role === 'initiator' && r.count === 0) {
          this.tree.forEachHash(lo, hi, (b, o) => this.add(this.haveSet, b, o));
          out.push({ mode: RangeMode.Skip, upper: r.upper });
          return;
        }
        if (ours <= this.t.idListThreshold || r.count === 0) this.sendIds(out, lo, hi, r.upper, keep);
        else this.split(out, lo, hi, r.upper);
        return;
      }
      case RangeMode.Ids:
        if (this.role === 'responder') this.replyIds(out, r.ids, lo, hi, r.upper, keep);
        else {
          this.settle(r.ids, lo, hi);
          out.push({ mode: RangeMode.Skip, upper: r.upper });
        }
        return;
      case RangeMode.IdsReply:
        throw new PeerChannelError(ErrorCode.SYNC_FRAME, 'an id-list reply out of place');
    }
  }

  /** Compares their complete list for a range with ours: the initiator's have and need. */
  private settle(ids: Uint8Array, lo: number, hi: number): void {
    const theirs = new Set<string>();
    for (let o = 0; o < ids.length; o += H) theirs.add(hex(ids, o));
    this.tree.forEachHash(lo, hi, (b, o) => {
      const k = hex(b, o);
      if (!theirs.delete(k)) this.add(this.haveSet, b, o);
    });
    for (const k of theirs) {
      if (this.full) return;
      if (!this.needSet.has(k)) this.needSet.set(k, Uint8Array.from(Buffer.from(k, 'hex')));
    }
  }

  /** The initiator reads a reply to one of its id lists. */
  private applyReply(r: Extract<SyncRange, { mode: 3 }>, list: Uint8Array): void {
    const n = list.length / H;
    if (r.lacking.length !== Math.ceil(n / 8)) throw new PeerChannelError(ErrorCode.SYNC_FRAME, 'an id-list reply whose bitmap does not match the list');
    for (let i = 0; i < n; i++) if (((r.lacking[i >>> 3] as number) >>> (i & 7)) & 1) this.add(this.haveSet, list, i * H);
    for (let o = 0; o < r.ids.length; o += H) this.add(this.needSet, r.ids, o);
  }

  /** The responder answers an id list: what the list lacks of ours, and what we lack of it. */
  private replyIds(out: Output, ids: Uint8Array, lo: number, hi: number, upper: Bound, keep: number): void {
    const n = ids.length / H;
    const lacking = new Uint8Array(Math.ceil(n / 8));
    const theirs = new Set<string>();
    for (let i = 0; i < n; i++) {
      if (!this.tree.has(ids.subarray(i * H, i * H + H))) lacking[i >>> 3] = (lacking[i >>> 3] as number) | (1 << (i & 7));
      theirs.add(hex(ids, i * H));
    }
    const fit = Math.max(1, Math.floor((out.room - keep - lacking.length - 64) / H));
    const extra: Uint8Array[] = [];
    let cut = hi;
    let at = lo;
    this.tree.forEachHash(lo, hi, (b, o) => {
      if (!theirs.has(hex(b, o))) {
        if (extra.length === fit) {
          cut = at;
          return false;
        }
        extra.push(b.subarray(o, o + H));
      }
      at++;
      return true;
    });
    const list = new Uint8Array(extra.length * H);
    extra.forEach((e, i) => list.set(e, i * H));
    if (cut === hi) {
      out.push({ mode: RangeMode.IdsReply, upper, ids: list, lacking });
      return;
    }
    out.push({ mode: RangeMode.IdsReply, upper: this.tree.boundAt(cut), ids: list, lacking });
    out.push({ mode: RangeMode.Fingerprint, upper, count: hi - cut, fingerprint: this.tree.fingerprint(cut, hi) });
  }

  private add(set: Map<string, Uint8Array>, bytes: Uint8Array, offset: number): void {
    if (this.full) return;
    const k = hex(bytes, offset);
    if (!set.has(k)) set.set(k, bytes.slice(offset, offset + H));
  }

  /** Lists our ids in `[lo, hi)`; what does not fit is left as a fingerprint of the rest. */
  private sendIds(out: Output, lo: number, hi: number, upper: Bound, keep: number): void {
    const fit = Math.max(1, Math.floor((out.room - keep - 64) / H));
    const cut = Math.min(hi, lo + fit);
    const ids = new Uint8Array((cut - lo) * H);
    let at = 0;
    this.tree.forEachHash(lo, cut, (b, o) => {
      ids.set(b.subarray(o, o + H), at);
      at += H;
    });
    if (cut === hi) {
      out.push({ mode: RangeMode.Ids, upper, ids });
      return;
    }
    out.push({ mode: RangeMode.Ids, upper: this.tree.boundAt(cut), ids });
    out.push({ mode: RangeMode.Fingerprint, upper, count: hi - cut, fingerprint: this.tree.fingerprint(cut, hi) });
  }

  /** Answers ranges `from..` unhandled, each with our fingerprint, the tail beyond {@link MAX_ECHO} as one. */
  private echo(out: Output, ranges: readonly SyncRange[], from: number, lowerIdx: number): void {
    let lo = lowerIdx;
    for (let k = from; k < ranges.length; k++) {
      const r = ranges[k] as SyncRange;
      if (k - from >= MAX_ECHO || out.room < RESERVE + ECHO_COST) {
        this.closeWith(out, lo);
        return;
      }
      const hi = Math.max(lo, this.tree.rank(r.upper));
      if (r.mode === RangeMode.Skip) out.push(r);
      else out.push({ mode: RangeMode.Fingerprint, upper: r.upper, count: hi - lo, fingerprint: this.tree.fingerprint(lo, hi) });
      lo = hi;
    }
  }

  /** Ends a message cut short: one fingerprint over everything from `from` on. */
  private closeWith(out: Output, from: number): void {
    const size = this.tree.size;
    out.push({ mode: RangeMode.Fingerprint, upper: END_BOUND, count: size - from, fingerprint: this.tree.fingerprint(from, size) });
  }

  /** Splits `[lo, hi)` into equal buckets and sends each one's fingerprint. */
  private split(out: Output, lo: number, hi: number, upper: Bound): void {
    const n = hi - lo;
    const buckets = Math.min(this.t.buckets, n);
    let start = lo;
    for (let k = 1; k <= buckets; k++) {
      const end = k === buckets ? hi : lo + Math.floor((k * n) / buckets);
      out.push({ mode: RangeMode.Fingerprint, upper: k === buckets ? upper : this.tree.boundAt(end), count: end - start, fingerprint: this.tree.fingerprint(start, end) });
      start = end;
    }
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
