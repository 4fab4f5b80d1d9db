import type { FrameLimits } from '../../codec/index.js';
import { ErrorCode, PeerChannelError } from '../../errors/index.js';
import type { Neighbor } from '../neighbor.js';
import { idKey } from '../seen-cache.js';
import { decodeChunkData, decodeChunkStart } from './chunk-frames.js';
import type { ChunkTuning } from './chunk-options.js';

/** What reassembly needs from the mesh. @internal */
export interface ReassemblyHost {
  readonly limits: FrameLimits;
  /** True when this node has seen the message id (as the seen cache keys it). */
  seen(key: string): boolean;
  /** Closes the link for a protocol violation. */
  violation(from: Neighbor, error: PeerChannelError): void;
  count(code: string): void;
  /** Tells the sender to stop sending `stream`. */
  cancel(to: Neighbor, stream: number): void;
  /** A whole large frame arrived. */
  complete(from: Neighbor, frame: Uint8Array): void;
}

interface Partial {
  readonly from: Neighbor;
  readonly stream: number;
  readonly total: number;
  readonly key: string;
  readonly origin: string;
  readonly parts: Uint8Array[];
  received: number;
  readonly timer: NodeJS.Timeout;
}

interface PerNeighbor {
  readonly partials: Map<number, Partial>;
  /** Streams this node cancelled lately: their chunks still in flight are ignored. */
  readonly cancelled: Set<number>;
  bytes: number;
}

/** Most cancelled stream ids remembered per neighbour. */
const MAX_CANCELLED = 64;

/**
 * Reassembles large frames from chunks, one stream per partial message, bounded per neighbour,
 * per origin and overall.
 *
 * @remarks
 * A first chunk claims the total size, the message id and the origin. A message this node has
 * seen, or is reassembling from another neighbour, is cancelled at once (so a flood's copies cost
 * one chunk each, not the whole message). Violations that an honest sender never commits close
 * the link: a claimed total over `maxMessageBytes` (`PC_ERR_MESSAGE_TOO_LARGE`); a chunk out of
 * order, overlapping, past its total or of an unknown stream (`PC_ERR_CHUNK_INVALID`); more than
 * `maxPartialsPerNeighbor` partials or `maxReassemblyBytesPerNeighbor` claimed bytes from one
 * neighbour (`PC_ERR_REASSEMBLY_LIMIT`); a partial still incomplete after `chunkTimeoutMs`
 * (`PC_ERR_REASSEMBLY_TIMEOUT`). Bounds that honest relays can reach together — more than
 * `maxPartialsPerOrigin` partials of one origin, or `maxReassemblyBytes` overall — cancel the
 * new message instead (counted as `PC_ERR_REASSEMBLY_LIMIT`).
 */
export class Reassembler {
  private readonly byNeighbor = new Map<Neighbor, PerNeighbor>();
  private readonly byOrigin = new Map<string, number>();
  private readonly inProgress = new Set<string>();
  private bytes = 0;

  constructor(
    private readonly host: ReassemblyHost,
    private readonly tuning: ChunkTuning,
  ) {}

  /** Partial messages in reassembly now. */
  get partials(): number {
    let n = 0;
    for (const s of this.byNeighbor.values()) n += s.partials.size;
    return n;
  }

  /** Claimed bytes of the partial messages in reassembly now. */
  get bytesInFlight(): number {
    return this.bytes;
  }

  onStart(from: Neighbor, payload: unknown): void {
    let start;
    try {
      start = decodeChunkStart(payload, this.host.limits);
    } catch (error) {
      this.host.violation(from, error as PeerChannelError);
      return;
    }
    if (start.total > this.tuning.maxMessageBytes + this.host.limits.maxFrameBytes) {
      this.host.violation(from, new PeerChannelError(ErrorCode.MESSAGE_TOO_LARGE, `a large message of ${start.total} bytes exceeds maxMessageBytes ${this.tuning.maxMessageBytes}`));
      return;
    }
    const state = this.state(from);
    if (state.partials.has(start.stream)) {
      this.host.violation(from, new PeerChannelError(ErrorCode.CHUNK_INVALID, `chunk stream ${start.stream} started twice`));
      return;
    }
    const key = idKey(start.id);
    if (this.host.seen(key) || this.inProgress.has(key)) {
      this.cancel(state, from, start.stream);
      return;
    }
    if (state.partials.size >= this.tuning.maxPartialsPerNeighbor || state.bytes + start.total > this.tuning.maxReassemblyBytesPerNeighbor) {
      this.host.violation(from, new PeerChannelError(ErrorCode.REASSEMBLY_LIMIT, `more than ${this.tuning.maxPartialsPerNeighbor} partial messages or ${this.tuning.maxReassemblyBytesPerNeighbor} bytes in reassembly from one neighbour`));
      return;
    }
    if ((this.byOrigin.get(start.origin) ?? 0) >= this.tuning.maxPartialsPerOrigin || this.bytes + start.total > this.tuning.maxReassemblyBytes) {
      this.host.count(ErrorCode.REASSEMBLY_LIMIT);
      this.cancel(state, from, start.stream);
      return;
    }
    const timer = setTimeout(() => {
      this.forgetPartial(state, partial);
      this.host.violation(from, new PeerChannelError(ErrorCode.REASSEMBLY_TIMEOUT, `a large message (stream ${start.stream}) incomplete after ${this.tuning.chunkTimeoutMs} ms`));
    }, this.tuning.chunkTimeoutMs);
    const partial: Partial = { from, stream: start.stream, total: start.total, key, origin: start.origin, parts: [], received: 0, timer };
    state.partials.set(start.stream, partial);
    state.bytes += start.total;
    this.bytes += start.total;
    this.inProgress.add(key);
    this.byOrigin.set(start.origin, (this.byOrigin.get(start.origin) ?? 0) + 1);
  }

  onData(from: Neighbor, payload: unknown): void {
    let data;
    try {
      data = decodeChunkData(payload);
    } catch (error) {
      this.host.violation(from, error as PeerChannelError);
      return;
    }
    const state = this.state(from);
    const partial = state.partials.get(data.stream);
    if (partial === undefined) {
      if (state.cancelled.has(data.stream)) return;
      this.host.violation(from, new PeerChannelError(ErrorCode.CHUNK_INVALID, `chunk of stream ${data.stream}, which was never started`));
      return;
    }
    if (data.offset !== partial.received) {
      this.forgetPartial(state, partial);
      this.host.violation(from, new PeerChannelError(ErrorCode.CHUNK_INVALID, `chunk at offset ${data.offset}, expected ${partial.received} (out of order or overlapping)`));
      return;
    }
    if (partial.received + data.bytes.length > partial.total) {
      this.forgetPartial(state, partial);
      this.host.violation(from, new PeerChannelError(ErrorCode.CHUNK_INVALID, `chunk past the claimed total of ${partial.total} bytes`));
      return;
    }
    partial.parts.push(data.bytes);
    partial.received += data.bytes.length;
    if (partial.received < partial.total) return;
    this.forgetPartial(state, partial);
    this.host.complete(from, Buffer.concat(partial.parts, partial.total));
  }

  /** Drops everything of one neighbour (its link closed). */
  forget(from: Neighbor): void {
    const state = this.byNeighbor.get(from);
    if (state === undefined) return;
    for (const p of [...state.partials.values()]) this.forgetPartial(state, p);
    this.byNeighbor.delete(from);
  }

  /** Drops every partial message. Idempotent. */
  close(): void {
    for (const n of [...this.byNeighbor.keys()]) this.forget(n);
  }

  private state(from: Neighbor): PerNeighbor {
    let s = this.byNeighbor.get(from);
    if (s === undefined) {
      s = { partials: new Map(), cancelled: new Set(), bytes: 0 };
      this.byNeighbor.set(from, s);
      void from.link.closed.then(() => this.forget(from));
    }
    return s;
  }

  private cancel(state: PerNeighbor, from: Neighbor, stream: number): void {
    state.cancelled.add(stream);
    if (state.cancelled.size > MAX_CANCELLED) state.cancelled.delete(state.cancelled.values().next().value as number);
    this.host.cancel(from, stream);
  }

  private forgetPartial(state: PerNeighbor, p: Partial): void {
    if (state.partials.get(p.stream) !== p) return;
    clearTimeout(p.timer);
    state.partials.delete(p.stream);
    state.bytes -= p.total;
    this.bytes -= p.total;
    this.inProgress.delete(p.key);
    const n = (this.byOrigin.get(p.origin) ?? 1) - 1;
    if (n > 0) this.byOrigin.set(p.origin, n);
    else this.byOrigin.delete(p.origin);
  }
}
