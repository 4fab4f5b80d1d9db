import type { Subscriber } from 'rxjs';
import type { ReplyBody } from '../codec/index.js';
import { ErrorCode, PeerChannelError, fromWireFault } from '../errors/index.js';
import { idKey } from '../mesh/seen-cache.js';
import type { Reply } from './peer-call.js';

type Pending =
  | { kind: 'single'; from: string | undefined; resolve: (v: unknown) => void; reject: (e: PeerChannelError) => void; timer: NodeJS.Timeout }
  | { kind: 'gather'; subscriber: Subscriber<Reply<unknown>>; remaining: number; timer: NodeJS.Timeout; seen: Set<string> };

/**
 * Correlates replies with the calls that asked for them.
 *
 * @remarks
 * Bounded: at most `maxPending` calls wait at once (`PC_ERR_TOO_MANY_PENDING`), and a gather
 * takes at most `maxRepliesPerGather` replies, one per peer.
 */
export class ReplyTracker {
  private readonly pending = new Map<string, Pending>();

  constructor(
    readonly maxPending: number,
    readonly maxRepliesPerGather: number,
  ) {}

  private reserve(): void {
    if (this.pending.size >= this.maxPending) {
      throw new PeerChannelError(ErrorCode.TOO_MANY_PENDING, `${this.maxPending} calls are already waiting for replies`);
    }
  }

  /** Waits for the first reply to `id` (from `from` if given). */
  single<T>(id: Uint8Array, from: string | undefined, timeoutMs: number): Promise<T> {
    this.reserve();
    const key = idKey(id);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        reject(new PeerChannelError(ErrorCode.TIMEOUT, `no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(key, { kind: 'single', from, resolve: resolve as (v: unknown) => void, reject, timer });
    });
  }

  /** Streams replies to `id` into `subscriber` until `count` or the timeout. Returns a canceller. */
  gather(id: Uint8Array, subscriber: Subscriber<Reply<unknown>>, count: number, timeoutMs: number): () => void {
    this.reserve();
    const key = idKey(id);
    const timer = setTimeout(() => {
      this.pending.delete(key);
      subscriber.complete();
    }, timeoutMs);
    this.pending.set(key, { kind: 'gather', subscriber, remaining: Math.min(count, this.maxRepliesPerGather), timer, seen: new Set() });
    return () => this.cancel(id);
  }

  /** Stops waiting for `id` without settling anything. */
  cancel(id: Uint8Array): void {
    const key = idKey(id);
    const p = this.pending.get(key);
    if (p === undefined) return;
    clearTimeout(p.timer);
    this.pending.delete(key);
  }

  /** Fails a single waiter (e.g. the send itself failed). */
  fail(id: Uint8Array, error: PeerChannelError): void {
    const key = idKey(id);
    const p = this.pending.get(key);
    if (p === undefined) return;
    clearTimeout(p.timer);
    this.pending.delete(key);
    if (p.kind === 'single') p.reject(error);
    else p.subscriber.error(error);
  }

  /** Handles an inbound reply; returns false if nothing was waiting for it. */
  accept(reply: ReplyBody, hops: number): boolean {
    const key = idKey(reply.inReplyTo);
    const p = this.pending.get(key);
    if (p === undefined) return false;
    const error = reply.ok ? undefined : fromWireFault(asFault(reply.value));
    if (p.kind === 'single') {
      if (p.from !== undefined && p.from !== reply.origin) return false;
      clearTimeout(p.timer);
      this.pending.delete(key);
      if (error) p.reject(error);
      else p.resolve(reply.value);
      return true;
    }
    if (p.seen.has(reply.origin)) return false;
    p.seen.add(reply.origin);
    p.subscriber.next(error ? { ok: false, from: reply.origin, hops, error } : { ok: true, from: reply.origin, hops, value: reply.value });
    p.remaining -= 1;
    if (p.remaining <= 0) {
      clearTimeout(p.timer);
      this.pending.delete(key);
      p.subscriber.complete();
    }
    return true;
  }

  /** Rejects and completes everything still waiting. */
  closeAll(): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      if (p.kind === 'single') p.reject(new PeerChannelError(ErrorCode.CLOSED, 'node closed before the reply arrived'));
      else p.subscriber.complete();
    }
    this.pending.clear();
  }
}

function asFault(value: unknown): { code: unknown; message: unknown } {
  if (typeof value === 'object' && value !== null) return value as { code: unknown; message: unknown };
  return { code: undefined, message: undefined };
}
