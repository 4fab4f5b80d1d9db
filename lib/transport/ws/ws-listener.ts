import { createServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type ServerOptions, type WebSocket } from 'ws';
import { ErrorCode, PeerChannelError } from '../../errors/index.js';
import type { PeerCertificate } from '../../identity/certificate.js';
import { announcedAddresses, formatWssAddress } from './address.js';
import { remotePeerIdOf, TLS_VERSION } from './tls-peer.js';
import type { ResolvedWsOptions } from './ws-options.js';

/** Counters of connections a listener turned away (each one a deliberate drop). */
export interface WsListenerStats {
  /** Connections destroyed because TLS and the upgrade did not finish within `handshakeTimeoutMs`. */
  handshakeTimeouts: number;
  /** TLS handshakes that failed (wrong version, garbage, reset). */
  tlsFailures: number;
  /** Malformed HTTP on an established TLS connection. */
  httpErrors: number;
  /** Plain HTTP requests answered with 426. */
  notUpgrades: number;
  /** Upgrades refused because the client presented no certificate. */
  refusedNoCertificate: number;
}

/** Hands an accepted, authenticated WebSocket to the transport. */
export type AcceptLink = (ws: WebSocket, socket: TLSSocket, remotePeerId: string, remoteAddress: string) => void;

/** Header that carries the PeerChannel code of a refused upgrade. */
export const REFUSAL_HEADER = 'X-PeerChannel-Error';

/**
 * @internal The listening half of the ws transport: HTTPS server, per-connection handshake deadline,
 * client-certificate check before the 101 answer.
 */
export class WsListener {
  readonly stats: WsListenerStats = { handshakeTimeouts: 0, tlsFailures: 0, httpErrors: 0, notUpgrades: 0, refusedNoCertificate: 0 };
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  /** Every raw TCP connection the server holds, so close() can end them all. */
  private readonly sockets = new Set<Socket>();
  /** Handshake deadlines by `remoteAddress|remotePort` (the raw and the TLS socket share it). */
  private readonly deadlines = new Map<string, { readonly timer: NodeJS.Timeout; readonly raw: Socket }>();
  private readonly peerIds = new WeakMap<IncomingMessage, string>();
  private stopped = false;

  constructor(
    private readonly options: ResolvedWsOptions,
    certificate: PeerCertificate,
    private readonly accept: AcceptLink,
  ) {
    this.server = createServer({
      cert: certificate.certPem,
      key: certificate.keyPem,
      ...TLS_VERSION,
      requestCert: true,
      // Self-signed certificates never pass a chain check; identity is checked in verifyClient.
      rejectUnauthorized: false,
      // The per-connection deadline in track() bounds TLS and upgrade together; this is a backstop.
      handshakeTimeout: options.handshakeTimeoutMs * 2,
    });
    this.server.maxConnections = options.maxConnections;
    const wsOptions: ServerOptions & { closeTimeout: number } = {
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: options.maxBatchBytes,
      // In ws 8.23 but not yet in @types/ws.
      closeTimeout: options.closeTimeoutMs,
      verifyClient: (info, done) => {
        const peerId = this.stopped ? undefined : remotePeerIdOf(info.req.socket as TLSSocket);
        if (peerId === undefined) {
          if (!this.stopped) this.stats.refusedNoCertificate += 1;
          const code = this.stopped ? ErrorCode.CLOSED : ErrorCode.AUTH_FAILED;
          done(false, this.stopped ? 503 : 401, this.stopped ? 'transport closed' : 'client certificate required', { [REFUSAL_HEADER]: code });
          return;
        }
        this.peerIds.set(info.req, peerId);
        done(true);
      },
    };
    this.wss = new WebSocketServer(wsOptions);
    this.server.on('connection', (raw: Socket) => this.track(raw));
    this.server.on('tlsClientError', (_error: Error, socket: TLSSocket) => {
      this.stats.tlsFailures += 1;
      socket.destroy();
    });
    this.server.on('clientError', (_error: Error, socket: Duplex) => {
      this.stats.httpErrors += 1;
      socket.destroy();
    });
    this.server.on('request', (_req, res) => {
      this.stats.notUpgrades += 1;
      res.writeHead(426, { connection: 'close', upgrade: 'websocket' }).end();
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket as TLSSocket, head));
  }

  /** Binds and resolves to the addresses to announce. */
  start(): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        reject(new PeerChannelError(ErrorCode.LISTEN_FAILED, `cannot listen on ${formatWssAddress(this.options.host, this.options.port)}: ${error.message}`, { cause: error }));
      };
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.removeListener('error', onError);
        // Later server errors (e.g. EMFILE on accept) must not crash the process; the socket is dropped.
        this.server.on('error', () => undefined);
        const { port } = this.server.address() as AddressInfo;
        resolve(announcedAddresses(this.options.host, port));
      });
    });
  }

  /** Stops accepting and drops every connection still handshaking. */
  stop(): Promise<void> {
    this.stopped = true;
    for (const key of [...this.deadlines.keys()]) this.expire(key, false);
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
  }

  /** Destroys every connection left (links whose close handshake never finished). */
  destroyAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  private track(raw: Socket): void {
    raw.on('error', () => undefined); // TLS and HTTP layers report it; the socket is being torn down
    if (this.stopped) {
      raw.destroy();
      return;
    }
    const key = `${raw.remoteAddress}|${raw.remotePort}`;
    this.sockets.add(raw);
    const deadline = { timer: setTimeout(() => this.expire(key, true), this.options.handshakeTimeoutMs), raw };
    this.deadlines.set(key, deadline);
    raw.once('close', () => {
      this.sockets.delete(raw);
      if (this.deadlines.get(key) === deadline) {
        clearTimeout(deadline.timer);
        this.deadlines.delete(key);
      }
    });
  }

  private expire(key: string, counted: boolean): void {
    const deadline = this.deadlines.get(key);
    if (deadline === undefined) return;
    clearTimeout(deadline.timer);
    this.deadlines.delete(key);
    if (counted) this.stats.handshakeTimeouts += 1;
    deadline.raw.destroy();
  }

  private upgrade(req: IncomingMessage, socket: TLSSocket, head: Buffer): void {
    socket.on('error', () => undefined); // ws attaches its own handler once upgraded; until then, drop
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const key = `${socket.remoteAddress}|${socket.remotePort}`;
      const deadline = this.deadlines.get(key);
      if (deadline !== undefined) {
        clearTimeout(deadline.timer);
        this.deadlines.delete(key);
      }
      const peerId = this.peerIds.get(req) as string;
      this.accept(ws, socket, peerId, formatWssAddress(socket.remoteAddress ?? 'unknown', socket.remotePort ?? 0));
    });
  }
}
