import type { Observable } from 'rxjs';
import { map } from 'rxjs';
import type { GatherOptions, Reply } from '../channel/peer-call.js';
import { type ContractDescriptor, checkArguments } from '../contracts/contract-descriptor.js';
import { ErrorCode, PeerChannelError, fromWireFault } from '../errors/index.js';
import type { PageCallStyle } from '../gateway/page-protocol.js';
import type { GatewayConnection } from './gateway-connection.js';
import { type PeerId, asPeerId } from '../identity/peer-id.js';

/** The keys of `C` that are methods (its operations). */
export type PageOperationKeys<C> = { [K in keyof C]: // eslint-disable-next-line @typescript-eslint/no-explicit-any
  C[K] extends (...args: any[]) => any ? K : never }[keyof C];

/** Call styles of a page proxy, as on a node's proxy; each returns a new proxy. */
export interface PageCallStyles<C> {
  /**
   * Sends calls to one peer only (directed).
   * @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT` unless `peerId` is a peer id.
   */
  to(peerId: PeerId): PageProxy<C>;
  /** Limits floods to `hops` hops (0 = the page's node only). */
  withHops(hops: number): PageProxy<C>;
  /** Rejects reply operations with `PC_ERR_TIMEOUT` after `ms`. */
  withTimeout(ms: number): PageProxy<C>;
  /** Gathers replies to reply operations from the mesh as an Observable. */
  gather(options?: GatherOptions): PageGatherProxy<C>;
  /** `gather()` with the node's default timeout. */
  readonly all: PageGatherProxy<C>;
}

/**
 * A typed proxy for contract `C` in a page: each operation returns a Promise of its result
 * (one-way operations resolve once the page's node sent the message).
 * @remarks The call leaves from the page's node, so `from` at receivers is that node's peer id.
 * Proxies are not thenable.
 */
export type PageProxy<C> = {
  readonly [K in PageOperationKeys<C>]: C[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
} & PageCallStyles<C>;

/** A page proxy whose reply operations return a cold Observable of {@link Reply}s (one flood per subscription). */
export type PageGatherProxy<C> = {
  readonly [K in PageOperationKeys<C>]: C[K] extends (...args: infer A) => infer R ? (...args: A) => Observable<Reply<Awaited<R>>> : never;
};

type WireReply = { ok: true; from: string; hops: number; value: unknown } | { ok: false; from: string; hops: number; error: { code: string; message: string } };

function trim(args: readonly unknown[]): unknown[] {
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n--;
  return args.slice(0, n);
}

/** Builds a page proxy. @internal */
export function createPageProxy<C>(connection: GatewayConnection, contract: ContractDescriptor, style: PageCallStyle): PageProxy<C> {
  const proxy: Record<string, unknown> = Object.create(null);
  for (const op of contract.operations.values()) {
    proxy[op.method] = (...raw: unknown[]) => {
      const args = trim(raw);
      const mismatch = checkArguments(op, args);
      if (mismatch !== undefined) throw new PeerChannelError(ErrorCode.BAD_ARGUMENTS, `${contract.name}: ${mismatch}`);
      if (style.gather !== undefined) {
        if (op.kind !== 'reply') throw new PeerChannelError(ErrorCode.NOT_A_REPLY_OPERATION, `'${contract.name}.${op.name}' is one-way: there are no replies to gather`);
        return connection.stream({ t: 'call', c: contract.name, o: op.name, a: args, s: style }).pipe(
          map((v) => {
            const r = v as WireReply;
            return r.ok ? r : { ok: false, from: r.from, hops: r.hops, error: fromWireFault(r.error) };
          }),
        );
      }
      return connection.request({ t: 'call', c: contract.name, o: op.name, a: args, s: style });
    };
  }
  const derive = (next: PageCallStyle) => createPageProxy<C>(connection, contract, next);
  proxy.to = (peerId: PeerId) => derive({ ...style, to: asPeerId(peerId) });
  proxy.withHops = (hops: number) => {
    if (!Number.isInteger(hops) || hops < 0 || hops > 255) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'withHops() takes an integer in 0..255');
    return derive({ ...style, hops });
  };
  proxy.withTimeout = (ms: number) => {
    if (!(ms > 0) || !Number.isInteger(ms)) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'withTimeout() takes a positive whole number of milliseconds');
    return derive({ ...style, timeoutMs: ms });
  };
  proxy.gather = (options: GatherOptions = {}) => {
    if (options.count !== undefined && !(Number.isInteger(options.count) && options.count > 0)) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'gather count must be a positive integer');
    if (options.timeoutMs !== undefined && !(Number.isInteger(options.timeoutMs) && options.timeoutMs > 0)) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'gather timeoutMs must be a positive integer');
    return derive({ ...style, gather: { count: options.count, timeoutMs: options.timeoutMs } });
  };
  Object.defineProperty(proxy, 'all', { get: () => derive({ ...style, gather: {} }), enumerable: false });
  proxy.then = undefined;
  return Object.freeze(proxy) as unknown as PageProxy<C>;
}
