import type { Observable } from 'rxjs';
import type { PeerCall } from '../channel/peer-call.js';
import { type ContractClass, describeContract } from '../contracts/contract-descriptor.js';
import { readRecordType } from '../contracts/metadata.js';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import type { PeerId } from '../identity/peer-id.js';
import type { PageStatus } from '../gateway/page-protocol.js';
import { GatewayConnection, type GatewayClosed } from './gateway-connection.js';
import { type PageProxy, createPageProxy } from './page-proxy.js';
import { PageRecordCollection } from './page-records.js';

/** Options of {@link GatewayClient.connect}. */
export interface GatewayConnectOptions {
  /**
   * The node's page origin.
   * @defaultValue `location.origin`
   */
  readonly origin?: string;
  /**
   * The access token.
   * @defaultValue the `token` parameter of `location.hash` (the URL the node printed)
   */
  readonly token?: string;
  /**
   * The WebSocket class.
   * @defaultValue `globalThis.WebSocket`
   */
  readonly WebSocket?: typeof WebSocket;
}

/** Arguments of an operation of `C`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PageOperationArgs<C, K extends keyof C> = C[K] extends (...args: infer A) => any ? A : readonly unknown[];

/** A record class declared with `@PeerRecordType`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PageRecordClass<T = unknown> = abstract new (...args: any[]) => T;

/**
 * A browser page's handle on the node that served it: typed proxies over the same decorated
 * contract classes as Node code, `calls$`, records and status, as Promises and RxJS Observables.
 *
 * @example
 * ```ts
 * import 'reflect-metadata';
 * import { GatewayClient } from 'peerchannel/browser';
 * import { Chat } from './chat-contract.js';
 *
 * const client = await GatewayClient.connect();
 * await client.proxy(Chat).say('alice', 'hello from a page');
 * client.calls$(Chat, 'say').subscribe((call) => show(call.args));
 * ```
 */
export class GatewayClient {
  private readonly collections = new Map<string, PageRecordCollection<unknown>>();

  private constructor(private readonly connection: GatewayConnection) {}

  /**
   * Opens the gateway socket of the node that served this page.
   * @throws PeerChannelError `PC_ERR_GATEWAY_CLOSED` (rejects) when the node refuses it.
   */
  static async connect(options: GatewayConnectOptions = {}): Promise<GatewayClient> {
    const loc = (globalThis as { location?: { readonly origin: string; readonly hash: string } }).location;
    const origin = options.origin ?? loc?.origin;
    const token = options.token ?? new URLSearchParams(loc?.hash.slice(1) ?? '').get('token') ?? '';
    const WebSocketClass = options.WebSocket ?? globalThis.WebSocket;
    if (origin === undefined || WebSocketClass === undefined) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'no origin or WebSocket: pass them in the options');
    return new GatewayClient(await GatewayConnection.open(origin, token, WebSocketClass));
  }

  /** The page's node's peer id. */
  get peerId(): PeerId {
    return this.connection.hello.peerId;
  }

  /** The mesh name of the page's node. */
  get mesh(): string {
    return this.connection.hello.mesh;
  }

  /** Hot, replays: the node's status and neighbour count, then each change; completes when the socket ends. */
  get status$(): Observable<PageStatus> {
    return this.connection.status$;
  }

  /** How the socket ended (`undefined` while open). */
  get closed(): GatewayClosed | undefined {
    return this.connection.closed;
  }

  /** Calls `listener` once when the socket ends. */
  onClosed(listener: (closed: GatewayClosed) => void): void {
    this.connection.onClosed(listener);
  }

  private exposed(list: readonly string[], name: string, what: string): void {
    if (!list.includes(name)) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `${what} '${name}' is not exposed by this node's gateway`);
  }

  /**
   * A typed proxy for `contract`, as `node.proxy(contract)`.
   * @throws PeerChannelError `PC_ERR_NOT_A_CONTRACT`/`PC_ERR_CONTRACT_*` for a bad contract,
   * `PC_ERR_INVALID_ARGUMENT` for one the gateway does not expose.
   */
  proxy<C>(contract: ContractClass<C>): PageProxy<C> {
    const d = describeContract(contract);
    this.exposed(this.connection.hello.contracts, d.name, 'contract');
    return createPageProxy<C>(this.connection, d, {});
  }

  /**
   * Calls the page's node receives, of one operation or all of a contract.
   * @remarks Cold: each subscription asks the node, and gets calls from then on (the node's
   * `calls$` is hot). Errors with `PC_ERR_GATEWAY_CLOSED` when the socket ends.
   */
  calls$<C, K extends keyof C & string>(contract: ContractClass<C>, operation?: K): Observable<PeerCall<PageOperationArgs<C, K>>> {
    const d = describeContract(contract);
    this.exposed(this.connection.hello.contracts, d.name, 'contract');
    let wire: string | undefined;
    if (operation !== undefined) {
      const op = d.byMethod.get(operation);
      if (op === undefined) throw new PeerChannelError(ErrorCode.UNKNOWN_OPERATION, `${d.name} has no operation '${operation}'`);
      wire = op.name;
    }
    return this.connection.stream({ t: 'calls', c: d.name, o: wire }) as Observable<PeerCall<PageOperationArgs<C, K>>>;
  }

  /**
   * The records of one declared type, as the page's node holds them (the same collection per type).
   * @throws PeerChannelError `PC_ERR_RECORDS_DISABLED` for a class without `@PeerRecordType`,
   * `PC_ERR_INVALID_ARGUMENT` for a type the gateway does not expose.
   */
  records<T>(type: PageRecordClass<T>): PageRecordCollection<T> {
    const meta = readRecordType(type);
    if (meta === undefined) throw new PeerChannelError(ErrorCode.RECORDS_DISABLED, `${type.name} is not declared with @PeerRecordType`);
    this.exposed(this.connection.hello.records, meta.type, 'record type');
    let c = this.collections.get(meta.type);
    if (c === undefined) {
      c = new PageRecordCollection<unknown>(this.connection, meta.type);
      this.collections.set(meta.type, c);
    }
    return c as PageRecordCollection<T>;
  }

  /** Closes the socket and ends every stream. Idempotent. */
  close(): void {
    for (const c of this.collections.values()) c.close();
    this.collections.clear();
    this.connection.close();
  }
}
