import { type Observable, type Subscription, map } from 'rxjs';
import type { WebSocket } from 'ws';
import { pack } from '../codec/packr.js';
import type { ContractDescriptor, OperationDescriptor } from '../contracts/index.js';
import { ErrorCode, PeerChannelError, toPeerChannelError } from '../errors/index.js';
import { debugLog } from '../internal/debug-log.js';
import { TokenBucket } from '../observe/token-bucket.js';
import type { PeerNode } from '../node/peer-node.js';
import type { PeerRecord, RecordChange, RecordCollection } from '../records/index.js';
import type { Reply } from '../channel/peer-call.js';
import type { GatewayLimits } from './gateway-limits.js';
import { type NodeMessage, type PageRecord, type PageRequest, type PageStatus, GatewayCloseCode } from './page-protocol.js';
import { decodePageRequest } from './page-request-check.js';

const log = debugLog('gateway');

/** Changes held back while a record snapshot is streamed; more closes the page as too slow. */
const MAX_HELD_CHANGES = 10_000;

/** What a session may reach: the node and what the gateway exposes. @internal */
export interface SessionScope {
  readonly node: PeerNode;
  readonly meshName: string;
  readonly contracts: ReadonlyMap<string, ContractDescriptor>;
  readonly records: ReadonlyMap<string, RecordCollection<unknown>>;
  readonly limits: GatewayLimits;
}

type CloseCode = (typeof GatewayCloseCode)[keyof typeof GatewayCloseCode];

function pageRecord(r: PeerRecord<unknown>): PageRecord {
  return { id: r.id, type: r.type, version: r.version, creator: r.creator, lastModifier: r.lastModifier, created: r.created, modified: r.modified, expires: r.expires, value: r.value };
}

function pageChange(c: RecordChange<unknown>) {
  return { kind: c.kind, record: pageRecord(c.record), local: c.local };
}

function pageReply(r: Reply<unknown>) {
  return r.ok ? { ok: true, from: r.from, hops: r.hops, value: r.value } : { ok: false, from: r.from, hops: r.hops, error: r.error.toWire() };
}

/**
 * One page's socket: decodes and checks each request, runs it against the node, streams the
 * answers back, and ends everything the page opened when the socket closes.
 *
 * @remarks Bounds: message bytes (ws `maxPayload`), decode depth and counts, messages a second,
 * open requests, bytes queued toward the page. Passing one closes this socket with its code.
 * @internal
 */
export class PageSession {
  private readonly open = new Map<number, Subscription | 'pending'>();
  private readonly bucket: TokenBucket;
  private readonly statusSub: Subscription;
  private closed = false;
  private neighbors = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly scope: SessionScope,
    private readonly onEnd: () => void = () => undefined,
  ) {
    this.bucket = new TokenBucket(scope.limits.messagesPerSecond, scope.limits.messageBurst);
    const { node } = scope;
    let hello = false;
    const update = () => hello && this.send({ t: 'status', status: this.status() });
    this.statusSub = node.neighbors$.subscribe((list) => {
      this.neighbors = list.length;
      update();
    });
    this.statusSub.add(node.status$.subscribe(update));
    this.send({
      t: 'hello', peerId: node.peerId, mesh: scope.meshName,
      contracts: [...scope.contracts.keys()], records: [...scope.records.keys()], status: this.status(),
    });
    hello = true;
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on('close', () => this.end());
    ws.on('error', () => ws.terminate());
  }

  private status(): PageStatus {
    return { status: this.scope.node.status, neighbors: this.neighbors };
  }

  /** Closes the socket with a coded reason (`<PC_ERR_…>: detail`). */
  closeWith(code: CloseCode, error: PeerChannelError): void {
    if (this.closed) return;
    log('closing a page socket (%d): %s: %s', code, error.code, error.message);
    const reason = `${error.code}: ${error.message}`;
    this.ws.close(code, Buffer.from(reason).subarray(0, 123).toString());
    this.end();
  }

  /** Ends every subscription this page opened. Idempotent. */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.onEnd();
    this.statusSub.unsubscribe();
    for (const s of this.open.values()) if (s !== 'pending') s.unsubscribe();
    this.open.clear();
  }

  private send(message: NodeMessage): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    let bytes: Uint8Array;
    try {
      bytes = pack(message);
    } catch (error) {
      log('an answer could not be encoded: %s', toPeerChannelError(error).message);
      if ('id' in message) this.send({ t: 'fail', id: message.id, code: ErrorCode.INTERNAL, message: 'the answer could not be encoded' });
      return;
    }
    if (this.ws.bufferedAmount + bytes.length > this.scope.limits.maxQueuedBytes) {
      this.closeWith(GatewayCloseCode.SLOW_PAGE, new PeerChannelError(ErrorCode.GATEWAY_SLOW_PAGE, `more than ${this.scope.limits.maxQueuedBytes} bytes queued toward the page`));
      return;
    }
    this.ws.send(bytes);
  }

  /** Resolves once what is queued toward the page is under half the bound. */
  private drained(): Promise<void> {
    const low = this.scope.limits.maxQueuedBytes / 2;
    if (this.ws.bufferedAmount <= low || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      // An empty ping's callback runs once everything queued before it is written.
      this.ws.ping(undefined, undefined, () => resolve());
    }).then(() => this.drained());
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    if (!this.bucket.take()) {
      this.closeWith(GatewayCloseCode.RATE, new PeerChannelError(ErrorCode.GATEWAY_RATE, `more than ${this.scope.limits.messagesPerSecond} messages a second`));
      return;
    }
    let request: PageRequest;
    try {
      if (!isBinary) throw new PeerChannelError(ErrorCode.GATEWAY_BAD_MESSAGE, 'text message (requests are binary msgpack)');
      request = decodePageRequest(data, this.scope.limits);
      this.dispatch(request);
    } catch (error) {
      const e = toPeerChannelError(error, ErrorCode.GATEWAY_BAD_MESSAGE);
      if (e.code === ErrorCode.GATEWAY_TOO_MANY_REQUESTS) this.closeWith(GatewayCloseCode.TOO_MANY_REQUESTS, e);
      else this.closeWith(GatewayCloseCode.BAD_MESSAGE, e);
    }
  }

  private begin(id: number): void {
    if (this.open.has(id)) throw new PeerChannelError(ErrorCode.GATEWAY_BAD_MESSAGE, `request id ${id} is already open`);
    if (this.open.size >= this.scope.limits.maxOpenRequests) {
      throw new PeerChannelError(ErrorCode.GATEWAY_TOO_MANY_REQUESTS, `more than ${this.scope.limits.maxOpenRequests} open requests`);
    }
    this.open.set(id, 'pending');
  }

  private finish(id: number, message: NodeMessage): void {
    if (!this.open.has(id)) return;
    this.open.delete(id);
    this.send(message);
  }

  private fail(id: number, error: unknown): void {
    const e = toPeerChannelError(error);
    this.finish(id, { t: 'fail', id, code: e.code, message: e.message });
  }

  private settle(id: number, work: () => Promise<unknown>): void {
    let p: Promise<unknown>;
    try {
      p = work();
    } catch (error) {
      this.fail(id, error);
      return;
    }
    p.then((v) => this.finish(id, { t: 'ok', id, v }), (error: unknown) => this.fail(id, error));
  }

  private stream(id: number, source: Observable<unknown>): void {
    const sub = source.subscribe({
      next: (v) => this.send({ t: 'next', id, v }),
      error: (error: unknown) => this.fail(id, error),
      complete: () => this.finish(id, { t: 'done', id }),
    });
    if (this.open.get(id) === 'pending') this.open.set(id, sub);
    else sub.unsubscribe();
  }

  private contract(name: string): ContractDescriptor {
    const c = this.scope.contracts.get(name);
    if (c === undefined) throw new PeerChannelError(ErrorCode.GATEWAY_BAD_MESSAGE, `contract '${name.slice(0, 64)}' is not exposed to pages`);
    return c;
  }

  private operation(c: ContractDescriptor, name: string): OperationDescriptor {
    const op = c.operations.get(name);
    if (op === undefined) throw new PeerChannelError(ErrorCode.GATEWAY_BAD_MESSAGE, `${c.name} has no operation '${name.slice(0, 64)}'`);
    return op;
  }

  private collection(type: string): RecordCollection<unknown> {
    const r = this.scope.records.get(type);
    if (r === undefined) throw new PeerChannelError(ErrorCode.GATEWAY_BAD_MESSAGE, `record type '${type.slice(0, 64)}' is not exposed to pages`);
    return r;
  }

  private dispatch(m: PageRequest): void {
    const { node } = this.scope;
    switch (m.t) {
      case 'end': {
        const s = this.open.get(m.id);
        this.open.delete(m.id);
        if (s !== undefined && s !== 'pending') s.unsubscribe();
        return;
      }
      case 'call': {
        const c = this.contract(m.c);
        const op = this.operation(c, m.o);
        this.begin(m.id);
        let proxy = node.proxy(c.type as never) as unknown as Record<string, unknown> & { to(p: string): unknown; withHops(h: number): unknown; withTimeout(ms: number): unknown; gather(o: object): unknown };
        try {
          if (m.s.to !== undefined) proxy = proxy.to(m.s.to) as typeof proxy;
          if (m.s.hops !== undefined) proxy = proxy.withHops(m.s.hops) as typeof proxy;
          if (m.s.timeoutMs !== undefined) proxy = proxy.withTimeout(m.s.timeoutMs) as typeof proxy;
          if (m.s.gather !== undefined) {
            const g = proxy.gather(m.s.gather) as Record<string, (...a: unknown[]) => Observable<Reply<unknown>>>;
            const replies = (g[op.method] as (...a: unknown[]) => Observable<Reply<unknown>>)(...m.a);
            this.stream(m.id, replies.pipe(map(pageReply)));
            return;
          }
        } catch (error) {
          this.fail(m.id, error);
          return;
        }
        this.settle(m.id, () => (proxy[op.method] as (...a: unknown[]) => Promise<unknown>)(...m.a));
        return;
      }
      case 'calls': {
        const c = this.contract(m.c);
        const op = m.o === undefined ? undefined : this.operation(c, m.o);
        this.begin(m.id);
        this.stream(m.id, node.calls$(c.type as never, op?.method as never) as Observable<unknown>);
        return;
      }
      case 'records': {
        const collection = this.collection(m.r);
        this.begin(m.id);
        this.streamRecords(m.id, collection);
        return;
      }
      case 'add': {
        const collection = this.collection(m.r);
        this.begin(m.id);
        this.settle(m.id, () => collection.add(m.v, { ttlMs: m.ttlMs }).then(pageRecord));
        return;
      }
      case 'update': {
        const collection = this.collection(m.r);
        this.begin(m.id);
        this.settle(m.id, () => collection.update(m.k, m.v, { ttlMs: m.ttlMs }).then(pageRecord));
        return;
      }
      case 'delete': {
        const collection = this.collection(m.r);
        this.begin(m.id);
        this.settle(m.id, () => collection.delete(m.k).then(() => undefined));
        return;
      }
    }
  }

  /** A snapshot in batches (paced by what the page reads), then every change; changes that happen meanwhile wait their turn. */
  private streamRecords(id: number, collection: RecordCollection<unknown>): void {
    let held: RecordChange<unknown>[] | undefined = [];
    const sub = collection.changes$.subscribe((c) => {
      if (held === undefined) {
        this.send({ t: 'next', id, v: pageChange(c) });
        return;
      }
      held.push(c);
      if (held.length > MAX_HELD_CHANGES) {
        this.closeWith(GatewayCloseCode.SLOW_PAGE, new PeerChannelError(ErrorCode.GATEWAY_SLOW_PAGE, `more than ${MAX_HELD_CHANGES} record changes while the snapshot was sent`));
      }
    });
    this.open.set(id, sub);
    const all = collection.query();
    const batch = this.scope.limits.snapshotBatch;
    void (async () => {
      for (let i = 0; i === 0 || i < all.length; i += batch) {
        if (this.open.get(id) !== sub) return;
        const records = all.slice(i, i + batch).map(pageRecord);
        this.send({ t: 'next', id, v: { kind: 'snapshot', records, last: i + batch >= all.length } });
        await this.drained();
      }
      if (this.open.get(id) !== sub) return;
      const waiting = held ?? [];
      held = undefined;
      for (const c of waiting) this.send({ t: 'next', id, v: pageChange(c) });
    })();
  }
}
