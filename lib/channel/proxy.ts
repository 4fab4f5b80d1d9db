import type { Observable } from 'rxjs';
import type { ContractDescriptor } from '../contracts/index.js';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import { type PeerId, asPeerId } from '../identity/peer-id.js';
import type { CallStyle } from './call-style.js';
import type { Channel } from './channel.js';
import type { GatherOptions, Reply, SentCall } from './peer-call.js';

/** The keys of `C` that are methods (its operations). */
export type OperationKeys<C> = { [K in keyof C]: // eslint-disable-next-line @typescript-eslint/no-explicit-any
  C[K] extends (...args: any[]) => any ? K : never }[keyof C];

/**
 * The keys of `C` that are reply operations: those declared to return a Promise
 * (`@PeerOperation({ reply: true }) whois(): Promise<string>`). One-way operations return `void`.
 */
export type ReplyOperationKeys<C> = { [K in keyof C]: // eslint-disable-next-line @typescript-eslint/no-explicit-any
  C[K] extends (...args: any[]) => PromiseLike<unknown> ? K : never }[keyof C];

/** Call styles every proxy offers; each returns a new proxy and leaves this one unchanged. */
export interface CallStyles<C> {
  /**
   * Sends calls to one peer only (directed).
   * @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT` unless `peerId` is a peer id (64 lowercase
   * hex digits, see `isPeerId`): a peer's name is not its id.
   */
  to(peerId: PeerId): PeerProxy<C>;
  /** Limits floods to `hops` hops (0 = deliver locally only). */
  withHops(hops: number): PeerProxy<C>;
  /** Rejects reply operations with `PC_ERR_TIMEOUT` after `ms`. */
  withTimeout(ms: number): PeerProxy<C>;
  /**
   * Flooded reply calls leave this node's own answer out. A flood reaches its sender too, so by
   * default a plain flooded reply call on a node that hosts the contract may resolve with the
   * node's own answer (it usually comes first), and a gather includes it; after `withoutSelf()`
   * this node's implementation is not asked (its `calls$` still sees the echo). Directed calls
   * are unaffected. Same as `gather({ includeSelf: false })` for gathers.
   */
  withoutSelf(): PeerProxy<C>;
  /**
   * Gathers replies to reply operations from the mesh as an Observable. Offers only reply
   * operations; a one-way operation reached anyway (e.g. through a cast) throws
   * `PC_ERR_NOT_A_REPLY_OPERATION`.
   */
  gather(options?: GatherOptions): GatherProxy<C>;
  /** `gather()` with the default timeout. */
  readonly all: GatherProxy<C>;
  /**
   * Marks the next calls for tracing: every node that handles one reports back what it did, and
   * `node.trace(id)` assembles the tree. One-way operations only; each resolves with the hex id.
   */
  traced(): TracedProxy<C>;
  /**
   * Each call returns at once a {@link SentCall}: the message id (to match with `decisions$`,
   * `errors$` `messageId` and `node.trace()`) and the Promise the plain call would return.
   *
   * @example
   * ```ts
   * const { id, result } = chat.to(bobId).withId().whois();
   * node.decisions$.pipe(filter((d) => d.id === id)).subscribe(console.log);
   * console.log(await result);
   * ```
   */
  withId(): IdProxy<C>;
}

/**
 * A proxy whose one-way operations send a traced message and resolve with its hex id (for
 * `node.trace(id)`); reply operations throw `PC_ERR_INVALID_ARGUMENT`.
 */
export type TracedProxy<C> = {
  readonly [K in OperationKeys<C>]: C[K] extends (...args: infer A) => unknown ? (...args: A) => Promise<string> : never;
};

/**
 * A typed proxy for contract `C`: each operation returns a Promise of its result. One-way
 * operations resolve once the message is sent; a directed one then waits until it leaves on a
 * route (route discovery may have to find one) and rejects `PC_ERR_NO_ROUTE` if none is found.
 *
 * @remarks
 * A flooded reply operation resolves with the first reply — which is this node's own answer
 * when it hosts the contract, unless `withoutSelf()`. Proxies are not thenable.
 */
export type PeerProxy<C> = {
  readonly [K in OperationKeys<C>]: C[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
} & CallStyles<C>;

/**
 * A proxy whose reply operations return a cold Observable of {@link Reply}s: each subscription
 * floods the request once and completes at the timeout or after `count` replies. It has only the
 * reply operations of `C`.
 */
export type GatherProxy<C> = {
  readonly [K in ReplyOperationKeys<C>]: C[K] extends (...args: infer A) => infer R ? (...args: A) => Observable<Reply<Awaited<R>>> : never;
};

/** A proxy whose operations return a {@link SentCall} (message id and outcome) at once; see `withId()`. */
export type IdProxy<C> = {
  readonly [K in OperationKeys<C>]: C[K] extends (...args: infer A) => infer R ? (...args: A) => SentCall<Awaited<R>> : never;
};

/** Builds a proxy for a bound contract. @internal */
export function createProxy<C>(channel: Channel, contract: ContractDescriptor, style: CallStyle, assertOpen: () => void): PeerProxy<C> {
  const proxy: Record<string, unknown> = Object.create(null);
  for (const op of contract.operations.values()) {
    proxy[op.method] = (...args: unknown[]) => {
      assertOpen();
      return channel.invoke(contract, op, args, style);
    };
  }
  const derive = (next: CallStyle) => createProxy<C>(channel, contract, next, assertOpen);
  proxy.to = (peerId: PeerId) => derive({ ...style, target: asPeerId(peerId) });
  proxy.withHops = (hops: number) => {
    if (!Number.isInteger(hops) || hops < 0 || hops > 255) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'withHops() takes an integer in 0..255');
    return derive({ ...style, hops });
  };
  proxy.withTimeout = (ms: number) => {
    if (!(ms > 0) || !Number.isFinite(ms)) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'withTimeout() takes a positive number of milliseconds');
    return derive({ ...style, timeoutMs: ms });
  };
  proxy.withoutSelf = () => derive({ ...style, excludeSelf: true });
  proxy.gather = (options: GatherOptions = {}) => {
    if (options.count !== undefined && !(Number.isInteger(options.count) && options.count > 0)) {
      throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'gather count must be a positive integer');
    }
    if (options.timeoutMs !== undefined && !(options.timeoutMs > 0 && Number.isFinite(options.timeoutMs))) {
      throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'gather timeoutMs must be a positive number');
    }
    if (options.includeSelf !== undefined && typeof options.includeSelf !== 'boolean') {
      throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'gather includeSelf must be a boolean');
    }
    return derive({ ...style, gather: options });
  };
  proxy.traced = () => derive({ ...style, trace: true });
  proxy.withId = () => derive({ ...style, withId: true });
  Object.defineProperty(proxy, 'all', { get: () => derive({ ...style, gather: {} }), enumerable: false });
  // Not thenable: `await node.proxy(C)` must not try to call a `then` operation.
  proxy.then = undefined;
  return Object.freeze(proxy) as unknown as PeerProxy<C>;
}
