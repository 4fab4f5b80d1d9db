import { Packr } from 'msgpackr';
import { BehaviorSubject, Observable } from 'rxjs';
import { ErrorCode, PeerChannelError, fromWireFault } from '../errors/index.js';
import type { PeerId } from '../identity/peer-id.js';
import { GATEWAY_PROTOCOL, GATEWAY_SOCKET_PATH, type NodeMessage, type PageRequest, type PageStatus } from '../gateway/page-protocol.js';

// The same msgpack options as the node's codec, so both sides agree on every type.
const packr = new Packr({ useRecords: false, structuredClone: false, moreTypes: true, int64AsType: 'bigint', useBigIntExtension: true, mapsAsObjects: true });

/** A request without its id (the connection numbers it). */
export type RequestBody = PageRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

type Waiter =
  | { readonly kind: 'once'; readonly resolve: (v: unknown) => void; readonly reject: (e: PeerChannelError) => void }
  | { readonly kind: 'stream'; readonly next: (v: unknown) => void; readonly error: (e: PeerChannelError) => void; readonly complete: () => void };

/** How the socket ended. */
export interface GatewayClosed {
  /** The WebSocket close code (`GatewayCloseCode`, 1000, 1006…). */
  readonly code: number;
  /** The close reason: a `PC_ERR_…` code and a message when the node closed it. */
  readonly reason: string;
}

/** What the node says about itself when the socket opens. */
export interface GatewayHello {
  readonly peerId: PeerId;
  readonly mesh: string;
  readonly contracts: readonly string[];
  readonly records: readonly string[];
  readonly status: PageStatus;
}

/**
 * The page's end of the gateway socket: numbers requests, routes answers, fails everything
 * pending with `PC_ERR_GATEWAY_CLOSED` when the socket ends.
 * @internal
 */
export class GatewayConnection {
  private readonly waiters = new Map<number, Waiter>();
  private nextId = 1;
  private readonly statusSubject: BehaviorSubject<PageStatus>;
  private ended: GatewayClosed | undefined;
  private readonly closedListeners: ((c: GatewayClosed) => void)[] = [];

  private constructor(
    private readonly ws: WebSocket,
    readonly hello: GatewayHello,
  ) {
    this.statusSubject = new BehaviorSubject(hello.status);
    ws.addEventListener('message', (e) => this.onMessage(e.data as ArrayBuffer));
    ws.addEventListener('close', (e) => this.onClose({ code: e.code, reason: e.reason }));
  }

  /** Opens the socket to `origin` with `token` and waits for the node's hello. */
  static open(origin: string, token: string, WebSocketClass: typeof WebSocket): Promise<GatewayConnection> {
    return new Promise((resolve, reject) => {
      const url = `${origin.replace(/^http/, 'ws')}${GATEWAY_SOCKET_PATH}`;
      const ws = new WebSocketClass(url, [GATEWAY_PROTOCOL, `token.${token}`]);
      ws.binaryType = 'arraybuffer';
      const fail = () => reject(new PeerChannelError(ErrorCode.GATEWAY_CLOSED, 'the node refused the page socket (wrong token, Origin or Host, or too many pages)'));
      ws.addEventListener('error', fail, { once: true });
      ws.addEventListener('close', fail, { once: true });
      ws.addEventListener('message', (e) => {
        ws.removeEventListener('error', fail);
        ws.removeEventListener('close', fail);
        const m = packr.unpack(new Uint8Array(e.data as ArrayBuffer)) as NodeMessage;
        if (m.t !== 'hello') {
          ws.close();
          reject(new PeerChannelError(ErrorCode.GATEWAY_CLOSED, 'the node did not say hello'));
          return;
        }
        resolve(new GatewayConnection(ws, { peerId: m.peerId, mesh: m.mesh, contracts: m.contracts, records: m.records, status: m.status }));
      }, { once: true });
    });
  }

  /** Hot, replays: the node's status, then each change; completes when the socket ends. */
  get status$(): Observable<PageStatus> {
    return this.statusSubject.asObservable();
  }

  /** How the socket ended, once it has. */
  get closed(): GatewayClosed | undefined {
    return this.ended;
  }

  /** Calls `listener` once when the socket ends (at once if it has). */
  onClosed(listener: (c: GatewayClosed) => void): void {
    if (this.ended !== undefined) listener(this.ended);
    else this.closedListeners.push(listener);
  }

  private write(request: PageRequest): void {
    if (this.ended !== undefined) throw new PeerChannelError(ErrorCode.GATEWAY_CLOSED, 'the gateway socket is closed');
    this.ws.send(packr.pack(request));
  }

  /** Sends a one-shot request; resolves with its `ok` value. */
  request(body: RequestBody): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      try {
        this.write({ ...body, id } as PageRequest);
      } catch (error) {
        reject(error);
        return;
      }
      this.waiters.set(id, { kind: 'once', resolve, reject });
    });
  }

  /** A cold stream: each subscription sends the request; unsubscribing sends `end`. */
  stream(body: RequestBody): Observable<unknown> {
    return new Observable<unknown>((subscriber) => {
      const id = this.nextId++;
      try {
        this.write({ ...body, id } as PageRequest);
      } catch (error) {
        subscriber.error(error);
        return undefined;
      }
      this.waiters.set(id, { kind: 'stream', next: (v) => subscriber.next(v), error: (e) => subscriber.error(e), complete: () => subscriber.complete() });
      return () => {
        if (this.waiters.delete(id) && this.ended === undefined) this.write({ t: 'end', id });
      };
    });
  }

  private onMessage(data: ArrayBuffer): void {
    const m = packr.unpack(new Uint8Array(data)) as NodeMessage;
    if (m.t === 'status') {
      this.statusSubject.next(m.status);
      return;
    }
    if (m.t === 'hello') return;
    const w = this.waiters.get(m.id);
    if (w === undefined) return;
    switch (m.t) {
      case 'ok':
        this.waiters.delete(m.id);
        if (w.kind === 'once') w.resolve(m.v);
        else w.complete();
        return;
      case 'next':
        if (w.kind === 'stream') w.next(m.v);
        return;
      case 'done':
        this.waiters.delete(m.id);
        if (w.kind === 'stream') w.complete();
        else w.resolve(undefined);
        return;
      case 'fail': {
        this.waiters.delete(m.id);
        const e = fromWireFault(m);
        if (w.kind === 'once') w.reject(e);
        else w.error(e);
      }
    }
  }

  private onClose(c: GatewayClosed): void {
    if (this.ended !== undefined) return;
    this.ended = c;
    const e = new PeerChannelError(ErrorCode.GATEWAY_CLOSED, `the gateway socket closed (${c.code}${c.reason ? `: ${c.reason}` : ''})`);
    const waiting = [...this.waiters.values()];
    this.waiters.clear();
    for (const w of waiting) {
      if (w.kind === 'once') w.reject(e);
      else w.error(e);
    }
    this.statusSubject.complete();
    for (const l of this.closedListeners.splice(0)) l(c);
  }

  /** Closes the socket (code 1000). Idempotent. */
  close(): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(1000, 'page closed');
  }
}
