import { type FrameLimits, decodeBody, decodeFrame, encodeExtensionFrame } from '../../codec/index.js';
import { ErrorCode } from '../../errors/index.js';
import type { Neighbor } from '../neighbor.js';
import { CHUNK_OVERHEAD_BYTES, ChunkFrameKind } from './chunk-frames.js';
import type { ChunkTuning } from './chunk-options.js';

interface Stream {
  readonly id: number;
  readonly frame: Uint8Array;
  offset: number;
  started: boolean;
}

interface Meta {
  readonly id: Uint8Array;
  readonly origin: string;
}

/** What the sender needs from the mesh. @internal */
export interface ChunkSenderHost {
  readonly limits: FrameLimits;
  /** The frame limits with the byte bound raised to the large-message bound. */
  readonly largeLimits: FrameLimits;
  count(code: string): void;
  drop(code: string, message: string): void;
}

/**
 * Sends frames larger than one link frame as a stream of chunks, one stream at a time per link,
 * never more than `chunkLinkWatermark` chunk frames in the link's own send queue.
 *
 * @remarks
 * A large frame is held once however many links it goes to; the bytes of all held frames are
 * bounded by `maxChunkQueueBytes` (past it the frame is not queued: `PC_ERR_CHUNK_QUEUE_FULL`,
 * counted and reported). {@link ChunkSender.whenSendable} is what a sender awaits: it settles
 * once the held bytes are at or under `chunkQueueHighBytes`. Small frames never wait here: they
 * go straight to the link and so overtake a large message's remaining chunks.
 */
export class ChunkSender {
  private readonly queues = new Map<Neighbor, Stream[]>();
  private readonly refs = new Map<Uint8Array, number>();
  private readonly metas = new WeakMap<Uint8Array, Meta>();
  private waiters: (() => void)[] = [];
  private held = 0;
  private nextStream = 1;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private closed = false;
  /** Largest piece of a large frame one chunk carries. */
  readonly chunkBytes: number;

  constructor(
    private readonly host: ChunkSenderHost,
    private readonly tuning: ChunkTuning,
  ) {
    this.chunkBytes = host.limits.maxFrameBytes - CHUNK_OVERHEAD_BYTES;
  }

  /** Bytes of large frames held to send. */
  get queuedBytes(): number {
    return this.held;
  }

  /** Frames up to this size go to the link as they are. */
  get frameBytes(): number {
    return this.host.limits.maxFrameBytes;
  }

  /** Settles when the held large frames are at or under `chunkQueueHighBytes` (at once if they are). */
  whenSendable(): Promise<void> {
    if (this.held <= this.tuning.chunkQueueHighBytes || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Queues a large frame for one neighbour; false if it cannot be taken. */
  send(to: Neighbor, frame: Uint8Array): boolean {
    if (this.closed || !to.link.isOpen || to.retired) return false;
    if (frame.length > this.tuning.maxMessageBytes + this.host.limits.maxFrameBytes) {
      this.host.count(ErrorCode.MESSAGE_TOO_LARGE);
      return false;
    }
    let meta = this.metas.get(frame);
    if (meta === undefined) {
      meta = this.describe(frame);
      if (meta === undefined) return false;
      this.metas.set(frame, meta);
    }
    const refs = this.refs.get(frame) ?? 0;
    if (refs === 0) {
      if (this.held + frame.length > this.tuning.maxChunkQueueBytes) {
        this.host.drop(ErrorCode.CHUNK_QUEUE_FULL, `a large message of ${frame.length} bytes not queued: ${this.held} bytes already held`);
        return false;
      }
      this.held += frame.length;
    }
    this.refs.set(frame, refs + 1);
    let q = this.queues.get(to);
    if (q === undefined) {
      q = [];
      this.queues.set(to, q);
      void to.link.closed.then(() => this.dropAll(to));
    }
    q.push({ id: this.nextStream, frame, offset: 0, started: false });
    this.nextStream = this.nextStream >= 0xffff_ffff ? 1 : this.nextStream + 1;
    this.schedule(true);
    return true;
  }

  /** The receiver has (or will not take) the message of `stream`: stop sending it. */
  cancel(from: Neighbor, stream: number): void {
    const q = this.queues.get(from);
    if (q === undefined) return;
    const i = q.findIndex((s) => s.id === stream);
    if (i < 0) return;
    const [s] = q.splice(i, 1);
    this.release((s as Stream).frame);
  }

  /** Drops every queued stream and stops. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.queues.clear();
    this.refs.clear();
    this.held = 0;
    this.wake();
  }

  private describe(frame: Uint8Array): Meta | undefined {
    try {
      const f = decodeFrame(frame, this.host.largeLimits) as { body?: Uint8Array };
      if (!(f.body instanceof Uint8Array)) return undefined;
      const body = decodeBody(f.body, this.host.largeLimits);
      return { id: body.id, origin: body.origin };
    } catch {
      // Only frames this node encoded or accepted get here; one that does not decode is a bug, counted.
      this.host.count(ErrorCode.INTERNAL);
      return undefined;
    }
  }

  private schedule(soon: boolean): void {
    if (this.closed || this.queues.size === 0) return;
    if (soon) {
      if (this.immediate === undefined) this.immediate = setImmediate(this.pump);
    } else if (this.timer === undefined && this.immediate === undefined) {
      // The link queues are at their watermark: look again when they have had time to drain.
      this.timer = setTimeout(this.pump, 2);
    }
  }

  private readonly pump = (): void => {
    this.immediate = undefined;
    this.timer = undefined;
    let progressed = false;
    for (const [to, q] of this.queues) {
      while (q.length > 0 && to.link.isOpen && to.link.pendingSends < this.tuning.chunkLinkWatermark) {
        const s = q[0] as Stream;
        if (!s.started) {
          const meta = this.metas.get(s.frame) as Meta;
          if (!to.send(encodeExtensionFrame(ChunkFrameKind.Start, [s.id, s.frame.length, meta.id, meta.origin]))) break;
          s.started = true;
        }
        const piece = s.frame.subarray(s.offset, s.offset + this.chunkBytes);
        if (!to.send(encodeExtensionFrame(ChunkFrameKind.Data, [s.id, s.offset, piece]))) break;
        s.offset += piece.length;
        progressed = true;
        if (s.offset >= s.frame.length) {
          q.shift();
          this.release(s.frame);
        }
      }
      if (q.length === 0) this.queues.delete(to);
      else if (!to.link.isOpen || to.retired) this.dropAll(to);
    }
    this.schedule(progressed);
  };

  private dropAll(to: Neighbor): void {
    const q = this.queues.get(to);
    if (q === undefined) return;
    this.queues.delete(to);
    for (const s of q) this.release(s.frame);
  }

  private release(frame: Uint8Array): void {
    const refs = (this.refs.get(frame) ?? 1) - 1;
    if (refs > 0) {
      this.refs.set(frame, refs);
      return;
    }
    this.refs.delete(frame);
    this.held -= frame.length;
    if (this.held <= this.tuning.chunkQueueHighBytes) this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
