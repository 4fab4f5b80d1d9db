import { randomFillSync } from 'node:crypto';
import { Observable } from 'rxjs';
import { type CallBody, MESSAGE_ID_BYTES, type ReplyBody } from '../codec/index.js';
import { type ContractDescriptor, type OperationDescriptor, checkArguments } from '../contracts/index.js';
import { ErrorCode, PeerChannelError, toPeerChannelError } from '../errors/index.js';
import type { DeliveredMessage } from '../mesh/delivered-message.js';
import type { Mesh } from '../mesh/mesh.js';
import type { CallStyle } from './call-style.js';
import { Dispatcher } from './dispatcher.js';
import type { Reply, SentCall } from './peer-call.js';
import { idHex, idKey } from '../mesh/seen-cache.js';
import { ReplyTracker } from './reply-tracker.js';

/** Channel settings a node passes down. @internal */
export interface ChannelOptions {
  readonly replyTimeoutMs: number;
  readonly maxPendingReplies: number;
  readonly maxRepliesPerGather: number;
  readonly maxHops: number;
}

const POOL_IDS = 256;

/** Codes that mean "this payload can never be sent" (misuse), as opposed to a network failure. */
const UNSENDABLE: ReadonlySet<string> = new Set([ErrorCode.FRAME_TOO_LARGE, ErrorCode.FRAME_TOO_COMPLEX, ErrorCode.INVALID_ARGUMENT]);

/**
 * Binds contracts to a mesh: sends calls in the chosen style, correlates replies, and
 * dispatches inbound calls.
 * @internal
 */
export class Channel {
  readonly dispatcher: Dispatcher;
  private readonly tracker: ReplyTracker;
  private idPool = Buffer.alloc(0);
  /** Set by the observe layer: registers a traced message before it is sent (may throw `PC_ERR_TRACE_LIMIT`). */
  beginTrace: ((body: CallBody) => void) | undefined;
  private idOffset = 0;
  /** This node's directed one-way calls that wait for route discovery, by message id. */
  private readonly routing = new Map<string, { resolve: () => void; reject: (error: PeerChannelError) => void }>();
  /** The directed call being handed to the mesh right now, and what refused it meanwhile. */
  private sending: { id: Uint8Array | undefined; refused: PeerChannelError | undefined } = { id: undefined, refused: undefined };

  constructor(
    private readonly mesh: Mesh,
    private readonly options: ChannelOptions,
  ) {
    this.tracker = new ReplyTracker(options.maxPendingReplies, options.maxRepliesPerGather);
    this.dispatcher = new Dispatcher({
      localPeerId: mesh.localPeerId,
      drop: (code, message) => mesh.drop(code, message),
      reply: (call, ok, value) => this.reply(call, ok, value),
      answersOwn: (call) => !this.tracker.excludesSelf(call.id),
    });
    mesh.onDeliver = (message) => this.onDeliver(message);
    mesh.onUndeliverable = (id, error) => {
      this.tracker.fail(id, error);
      this.settleRouted(id, error);
    };
    mesh.onDispatched = (id) => this.settleRouted(id, undefined);
  }

  /** A fresh random 16-byte message id (drawn from a pooled CSPRNG buffer). */
  newId(): Uint8Array {
    if (this.idOffset >= this.idPool.length) {
      this.idPool = randomFillSync(Buffer.allocUnsafe(POOL_IDS * MESSAGE_ID_BYTES));
      this.idOffset = 0;
    }
    const id = this.idPool.subarray(this.idOffset, this.idOffset + MESSAGE_ID_BYTES);
    this.idOffset += MESSAGE_ID_BYTES;
    return id;
  }

  private onDeliver(message: DeliveredMessage): ErrorCode | undefined {
    if (message.body.type === 'reply') {
      const verdict = this.tracker.accept(message.body, message.hops);
      if (verdict === 'late') {
        // Every host answers a flooded request; all but the first (or those after a gather ended) are normal.
        this.mesh.stats.lateReplies += 1;
        return undefined;
      }
      if (verdict === 'unexpected') {
        this.mesh.drop(ErrorCode.FRAME_UNEXPECTED, `reply from ${message.body.origin.slice(0, 12)} to no call this node made`);
        return ErrorCode.FRAME_UNEXPECTED;
      }
      return undefined;
    }
    return this.dispatcher.dispatch(message as DeliveredMessage & { body: CallBody });
  }

  private reply(call: CallBody, ok: boolean, value: unknown): void {
    const body: ReplyBody = { type: 'reply', id: this.newId(), origin: this.mesh.localPeerId, target: call.origin, inReplyTo: call.id, ok, value };
    try {
      this.mesh.direct(body);
    } catch (error) {
      const e = toPeerChannelError(error, ErrorCode.NO_ROUTE);
      if (ok && UNSENDABLE.has(e.code)) {
        this.reply(call, false, e.toWire());
        return;
      }
      this.mesh.drop(e.code, `reply to ${call.origin.slice(0, 12)} not sent: ${e.message}`);
    }
  }

  /**
   * Sends one call. Misuse (bad arguments or hops) throws synchronously; network failures
   * reject the Promise or error the Observable. With `style.withId` it returns `{ id, result }`.
   */
  invoke(contract: ContractDescriptor, op: OperationDescriptor, rawArgs: readonly unknown[], style: CallStyle): Promise<unknown> | Observable<Reply<unknown>> | SentCall<unknown> {
    const args = trimTrailingUndefined(rawArgs);
    const mismatch = checkArguments(op, args);
    if (mismatch !== undefined) throw new PeerChannelError(ErrorCode.BAD_ARGUMENTS, `${contract.name}: ${mismatch}`);
    const hops = this.hopsFor(op, args, style);
    const timeoutMs = style.timeoutMs ?? this.options.replyTimeoutMs;
    const wantsReply = op.kind === 'reply';
    if (style.gather !== undefined && !wantsReply) {
      throw new PeerChannelError(ErrorCode.NOT_A_REPLY_OPERATION, `'${contract.name}.${op.name}' is one-way: there are no replies to gather`);
    }
    if (style.trace === true) return this.invokeTraced(contract, op, args, style, hops);
    // Only a flood reaches its sender: a directed call to another peer never asks this node.
    const excludeSelf = style.target === undefined && (style.excludeSelf === true || style.gather?.includeSelf === false);
    const make = (): CallBody => ({
      type: 'call', id: this.newId(), origin: this.mesh.localPeerId, target: style.target ?? null,
      contract: contract.name, operation: op.name, args, wantsReply,
    });
    if (style.gather !== undefined) {
      const gather = style.gather;
      const count = gather.count ?? Infinity;
      const gatherTimeout = gather.timeoutMs ?? timeoutMs;
      return new Observable<Reply<unknown>>((subscriber) => {
        const body = make();
        const cancel = this.tracker.gather(body.id, subscriber, count, gatherTimeout, excludeSelf);
        try {
          this.send(body, hops);
        } catch (error) {
          this.tracker.fail(body.id, withMessageId(toPeerChannelError(error), body.id));
        }
        return cancel;
      });
    }
    const body = make();
    let result: Promise<unknown>;
    if (!wantsReply) {
      result = body.target === null ? this.sendFlood(body, hops) : this.sendDirected(body as CallBody & { target: string });
    } else {
      result = this.tracker.single(body.id, style.target, timeoutMs, excludeSelf);
      const failure = this.trySend(body, hops, () => this.tracker.cancel(body.id));
      if (failure !== undefined) this.tracker.fail(body.id, failure);
    }
    if (style.withId !== true) return result;
    // The caller holds the result separately: a rejection it never awaits must not be unhandled.
    result.catch(() => undefined);
    return Object.freeze({ id: idHex(body.id), result });
  }

  private invokeTraced(contract: ContractDescriptor, op: OperationDescriptor, args: readonly unknown[], style: CallStyle, hops: number | undefined): Promise<string> {
    if (op.kind === 'reply' || style.gather !== undefined) {
      throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `traced() takes one-way operations; '${contract.name}.${op.name}' waits for replies`);
    }
    if (this.beginTrace === undefined) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'message tracing is off on this node');
    const body: CallBody = {
      type: 'call', id: this.newId(), origin: this.mesh.localPeerId, target: style.target ?? null,
      contract: contract.name, operation: op.name, args, wantsReply: false, trace: true,
    };
    this.beginTrace(body);
    const failure = this.trySend(body, hops);
    return failure === undefined ? Promise.resolve(Buffer.from(body.id).toString('hex')) : Promise.reject(failure);
  }

  /** A one-way flood resolves once sent; while large messages pile up to send, once they drain (backpressure). */
  private sendFlood(body: CallBody, hops: number | undefined): Promise<void> {
    const failure = this.trySend(body, hops);
    return failure === undefined ? this.mesh.whenSendable() : Promise.reject(failure);
  }

  /**
   * A directed one-way call resolves once it leaves toward its target: at once over a known
   * route, else when route discovery finds one; it rejects `PC_ERR_NO_ROUTE` (with the message
   * id) when discovery gives up, and `PC_ERR_LIMIT_EXCEEDED` when too many messages wait.
   */
  private sendDirected(body: CallBody & { target: string }): Promise<void> {
    // A search refused at once (too many waiting) reports during `direct`: catch it here.
    this.sending = { id: body.id, refused: undefined };
    let left: boolean;
    try {
      left = this.mesh.direct(body);
    } catch (error) {
      const e = toPeerChannelError(error);
      if (UNSENDABLE.has(e.code)) throw e;
      return Promise.reject(withMessageId(e, body.id));
    } finally {
      this.sending.id = undefined;
    }
    if (left) return this.mesh.whenSendable();
    if (this.sending.refused !== undefined) return Promise.reject(this.sending.refused);
    const key = idKey(body.id);
    return new Promise<void>((resolve, reject) => this.routing.set(key, { resolve, reject })).then(() => this.mesh.whenSendable());
  }

  private settleRouted(id: Uint8Array, error: PeerChannelError | undefined): void {
    const sending = this.sending.id;
    if (sending !== undefined && error !== undefined && Buffer.compare(sending, id) === 0) {
      this.sending.refused = error;
      return;
    }
    if (this.routing.size === 0) return;
    const key = idKey(id);
    const waiter = this.routing.get(key);
    if (waiter === undefined) return;
    this.routing.delete(key);
    if (error === undefined) waiter.resolve();
    else waiter.reject(error);
  }

  /**
   * Sends, returning a network failure instead of throwing it; an unsendable message (too
   * large, too complex, or of a type receivers refuse) is misuse and still throws (after `undo`).
   */
  private trySend(body: CallBody, hops: number | undefined, undo?: () => void): PeerChannelError | undefined {
    try {
      this.send(body, hops);
      return undefined;
    } catch (error) {
      const e = toPeerChannelError(error);
      if (UNSENDABLE.has(e.code)) {
        undo?.();
        throw e;
      }
      return withMessageId(e, body.id);
    }
  }

  private send(body: CallBody, hops: number | undefined): void {
    if (body.target !== null) this.mesh.direct(body as CallBody & { target: string });
    else this.mesh.flood(body, hops);
  }

  private hopsFor(op: OperationDescriptor, args: readonly unknown[], style: CallStyle): number | undefined {
    const fromArg = op.hopParameter === undefined ? undefined : args[op.hopParameter];
    const hops = fromArg ?? style.hops ?? op.defaultHops;
    if (hops !== undefined && !(typeof hops === 'number' && Number.isInteger(hops) && hops >= 0 && hops <= this.options.maxHops)) {
      throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `hop count must be an integer in 0..${this.options.maxHops}, got ${String(hops)}`);
    }
    return hops as number | undefined;
  }

  close(): void {
    this.tracker.closeAll();
    for (const waiter of this.routing.values()) waiter.reject(new PeerChannelError(ErrorCode.CLOSED, 'node closed while the message waited for a route'));
    this.routing.clear();
    this.dispatcher.close();
  }
}

/** The error, carrying the hex id of the message it is about (a copy if it had none). */
function withMessageId(error: PeerChannelError, id: Uint8Array): PeerChannelError {
  if (error.messageId !== undefined) return error;
  return new PeerChannelError(error.code, error.message, { cause: error.cause, messageId: idHex(id) });
}

function trimTrailingUndefined(args: readonly unknown[]): readonly unknown[] {
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n -= 1;
  return n === args.length ? args : args.slice(0, n);
}
