import type { Subscriber } from 'rxjs';
import type { ReplyBody } from '../codec/index.js';
import { ErrorCode, PeerChannelError, fromWireFault } from '../errors/index.js';
import { SeenCache, idHex, idKey } from '../mesh/seen-cache.js';
import type { Reply } from './peer-call.js';

type Pending =
  | { kind: 'single'; from: string | undefined; excludeSelf: boolean; resolve: (v: unknown) => void; reject: (e: PeerChannelError) => void; timer: NodeJS.Timeout }
  | { kind: 'gather'; excludeSelf: boolean; subscriber: Subscriber<Reply<unknown>>; remaining: number; timer: NodeJS.Timeout; seen: Set<string> };

/** What {@link ReplyTracker.accept} made of a reply. @internal */
export type ReplyVerdict =
  /** It answered a waiting call. */
  | 'taken'
  /** It answered a call that already settled (first reply taken, gather complete, timed out, cancelled): normal, counted apart. */
  | 'late'
  /** It answers nothing this node asked (or came from a peer the call was not addressed to). */
  | 'unexpected';

/** How long, and for how many calls, a settled call's id is remembered so its late replies are known as such. */
export const SETTLED_CALL_TTL_MS = 300_000;
/** Most settled call ids remembered at once (16 bytes each). */
export const MAX_SETTLED_CALLS = 16_384;

/**
 * Correlates replies with the calls that asked for them.
 *
 * @remarks
 * Bounded: at most `maxPending` calls wait at once (`PC_ERR_TOO_MANY_PENDING`), and a gather
 * takes at most `maxRepliesPerGather` replies, one per peer. The ids of settled calls are kept
 * for {@link SETTLED_CALL_TTL_MS} (at most {@link MAX_SETTLED_CALLS}), so a reply that comes
 * after its call settled is told apart ('late': normal in a mesh, where every host answers a
 * flooded request) from a reply to nothing ('unexpected').
 */
export class ReplyTracker {
  private readonly pending = new Map<string, Pending>();
  private readonly settled = new SeenCache(SETTLED_CALL_TTL_MS, MAX_SETTLED_CALLS);

  constructor(
    readonly maxPending: number,
    readonly maxRepliesPerGather: number,
  ) {}

  private reserve(): void {
    if (this.pending.size >= this.maxPending) {
      throw new PeerChannelError(ErrorCode.TOO_MANY_PENDING, `${this.maxPending} calls are already waiting for replies`);
    }
  }

  private end(key: string): void {
    this.pending.delete(key);
    this.settled.add(key);
  }

  /** Waits for the first reply to `id` (from `from` if given); `excludeSelf` makes this node not answer its own call. */
  single<T>(id: Uint8Array, from: string | undefined, timeoutMs: number, excludeSelf = false): Promise<T> {
    this.reserve();
    const key = idKey(id);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.end(key);
        reject(new PeerChannelError(ErrorCode.TIMEOUT, `no reply to ${idHex(id)} within ${timeoutMs} ms`, { messageId: idHex(id) }));
      }, timeoutMs);
      this.pending.set(key, { kind: 'single', from, excludeSelf, resolve: resolve as (v: unknown) => void, reject, timer });
    });
  }

  /** Streams replies to `id` into `subscriber` until `count` or the timeout. Returns a canceller. */
  gather(id: Uint8Array, subscriber: Subscriber<Reply<unknown>>, count: number, timeoutMs: number, excludeSelf = false): () => void {
    this.reserve();
    const key = idKey(id);
    const timer = setTimeout(() => {
      this.end(key);
      subscriber.complete();
    }, timeoutMs);
    this.pending.set(key, { kind: 'gather', excludeSelf, subscriber, remaining: Math.min(count, this.maxRepliesPerGather), timer, seen: new Set() });
    return () => this.cancel(id);
  }

  /** True while `id` waits for replies and its caller asked not to answer it itself. */
  excludesSelf(id: Uint8Array): boolean {
    return this.pending.get(idKey(id))?.excludeSelf === true;
  }

  /** Stops waiting for `id` without settling anything. */
  cancel(id: Uint8Array): void {
    const key = idKey(id);
    const p = this.pending.get(key);
    if (p === undefined) return;
    clearTimeout(p.timer);
    this.end(key);
  }

  /** Fails a waiter (e.g. the send itself failed, or no route was found). */
  fail(id: Uint8Array, error: PeerChannelError): void {
    const key = idKey(id);
    const p = this.pending.get(key);
    if (p === undefined) return;
    clearTimeout(p.timer);
    this.end(key);
    if (p.kind === 'single') p.reject(error);
    else p.subscriber.error(error);
  }

  /** Handles an inbound reply. */
  accept(reply: ReplyBody, hops: number): ReplyVerdict {
    const key = idKey(reply.inReplyTo);
    const p = this.pending.get(key);
    if (p === undefined) return this.settled.has(key) ? 'late' : 'unexpected';
    const error = reply.ok ? undefined : fromWireFault(asFault(reply.value));
    const request = idHex(reply.inReplyTo);
    if (p.kind === 'single') {
      if (p.from !== undefined && p.from !== reply.origin) return 'unexpected';
      clearTimeout(p.timer);
      this.end(key);
      if (error) p.reject(error);
      else p.resolve(reply.value);
      return 'taken';
    }
    if (p.seen.has(reply.origin)) return 'late';
    p.seen.add(reply.origin);
    p.subscriber.next(error ? { ok: false, from: reply.origin, hops, request, error } : { ok: true, from: reply.origin, hops, request, value: reply.value });
    p.remaining -= 1;
    if (p.remaining <= 0) {
      clearTimeout(p.timer);
      this.end(key);
      p.subscriber.complete();
    }
    return 'taken';
  }

  /** Rejects and completes everything still waiting. */
  closeAll(): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      if (p.kind === 'single') p.reject(new PeerChannelError(ErrorCode.CLOSED, 'node closed before the reply arrived'));
      else p.subscriber.complete();
    }
    this.pending.clear();
    this.settled.clear();
  }
}

function asFault(value: unknown): { code: unknown; message: unknown } {
  if (typeof value === 'object' && value !== null) return value as { code: unknown; message: unknown };
  return { code: undefined, message: undefined };
}
