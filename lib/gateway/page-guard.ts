import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** Why {@link PageGuard.checkUpgrade} refused a WebSocket, or `undefined` when it may pass. */
export type PageRefusal = 'wrong Host' | 'wrong Origin' | 'wrong path' | 'wrong token' | 'wrong protocol';

/** Prefix of the WebSocket subprotocol that carries the page's token. */
export const TOKEN_PROTOCOL_PREFIX = 'token.';

/**
 * The guard of a page server on 127.0.0.1 (the inspector, the browser gateway): a random
 * token that travels only in the URL fragment and in the WebSocket subprotocol, and `Host` and
 * `Origin` checks.
 *
 * @remarks
 * - **Host** must name this server (`127.0.0.1:<port>` or `localhost:<port>`) on every request:
 *   a page of another site whose name a DNS rebinding points at 127.0.0.1 sends its own name,
 *   so it gets nothing, not even the page.
 * - **Origin** of the WebSocket must be this server's: no other local page (another port,
 *   `file:`) may open the socket, since browsers do not apply the same-origin rule to sockets.
 * - **Token**: a fragment is never sent in a request line, so it does not reach logs or proxies.
 *   The page offers `token.<hex>` as a second subprotocol; it is compared in constant time.
 *   The server answers with the application protocol only, so the token is never echoed.
 */
export class PageGuard {
  /** 48 lowercase hex digits, fresh per guard. */
  readonly token: string;
  private port = 0;

  constructor(
    /** The application's WebSocket subprotocol, e.g. `peerchannel.gateway`. */
    readonly protocol: string,
    /** The WebSocket's path. */
    readonly socketPath = '/ws',
  ) {
    this.token = randomBytes(24).toString('hex');
  }

  /** Sets the port the server listens on (known only once it listens). */
  listening(port: number): void {
    this.port = port;
  }

  /** The page's URL, the token in its fragment. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/#token=${this.token}`;
  }

  /** True when `Host` names this server. */
  hostOk(req: IncomingMessage): boolean {
    const host = req.headers.host;
    return this.port !== 0 && (host === `127.0.0.1:${this.port}` || host === `localhost:${this.port}`);
  }

  /** True when `Origin` is this server's. */
  originOk(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    return this.port !== 0 && (origin === `http://127.0.0.1:${this.port}` || origin === `http://localhost:${this.port}`);
  }

  /** The token a WebSocket upgrade presents, or `''`. */
  presentedToken(req: IncomingMessage): string {
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
    return offered.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX))?.slice(TOKEN_PROTOCOL_PREFIX.length) ?? '';
  }

  /** Checks a WebSocket upgrade: Host, Origin, path, protocol, token (in that order). */
  checkUpgrade(req: IncomingMessage): PageRefusal | undefined {
    if (!this.hostOk(req)) return 'wrong Host';
    if (!this.originOk(req)) return 'wrong Origin';
    if ((req.url ?? '').split('?')[0] !== this.socketPath) return 'wrong path';
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
    if (!offered.includes(this.protocol)) return 'wrong protocol';
    const presented = Buffer.from(this.presentedToken(req));
    const expected = Buffer.from(this.token);
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return 'wrong token';
    return undefined;
  }

  /** The subprotocol to answer with (ws `handleProtocols`): the application's, never the token. */
  selectProtocol(protocols: ReadonlySet<string>): string | false {
    return protocols.has(this.protocol) ? this.protocol : false;
  }

  /** Answers a refused upgrade with 403 and `code` as the body, then closes the socket. */
  static refuse(socket: Duplex, code: string): void {
    socket.end(`HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(code)}\r\n\r\n${code}`);
  }
}
