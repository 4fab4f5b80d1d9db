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
import { PendingConnections, type TurnAwayCause } from './pending-connections.js';
import type { ResolvedWsOptions } from './ws-options.js';

/**
 * Counters of connections a listener turned away (each one a deliberate drop).
 *
 * @remarks
 * Each connection is counted at most once, under its first cause: a connection this side cut for
 * a timeout is not counted again for the TLS or HTTP errors its teardown raises.
 */
export interface WsListenerStats {
  /** Connections destroyed because TLS did not finish within `tlsHandshakeTimeoutMs`. */
  tlsTimeouts: number;
  /** Connections destroyed because TLS finished but the upgrade did not, within `handshakeTimeoutMs`. */
  handshakeTimeouts: number;
  /**
   * Pending connections cut to make room for a newer one, because their address held
   * `maxPendingPerAddress` or the listener held `maxPendingConnections` pending connections.
   */
  pendingEvicted: number;
  /** TLS handshakes that failed (wrong version, garbage, reset). */
  tlsFailures: number;
  /** Malformed HTTP on an established TLS connection. */
  httpErrors: number;
  /** Plain HTTP requests answered with 426. */
  notUpgrades: number;
  /** Upgrades refused because the client presented no certificate. */
  refusedNoCertificate: number;
}

/** @internal All-zero {@link WsListenerStats}. */
export function emptyListenerStats(): WsListenerStats {
  return { tlsTimeouts: 0, handshakeTimeouts: 0, pendingEvicted: 0, tlsFailures: 0, httpErrors: 0, notUpgrades: 0, refusedNoCertificate: 0 };
}

const statOf: Record<TurnAwayCause, keyof WsListenerStats> = {
  tlsTimeout: 'tlsTimeouts',
  handshakeTimeout: 'handshakeTimeouts',
  evicted: 'pendingEvicted',
  tlsFailure: 'tlsFailures',
  httpError: 'httpErrors',
  notUpgrade: 'notUpgrades',
  noCertificate: 'refusedNoCertificate',
};

/** Hands an accepted, authenticated WebSocket to the transport. */
export type AcceptLink = (ws: WebSocket, socket: TLSSocket, remotePeerId: string, remoteAddress: string) => void;

/** Header that carries the PeerChannel code of a refused upgrade. */
export const REFUSAL_HEADER = 'X-PeerChannel-Error';

/**
 * @internal The listening half of the ws transport: HTTPS server, bounded pre-handshake connections
 * ({@link PendingConnections}), client-certificate check before the 101 answer.
 */
export class WsListener {
  readonly stats: WsListenerStats = emptyListenerStats();
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  /** Every raw TCP connection the server holds, so close() can end them all. */
  private readonly sockets = new Set<Socket>();
  private readonly pending: PendingConnections;
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
      // PendingConnections bounds the TLS phase and TLS plus upgrade; this is a backstop.
      handshakeTimeout: options.handshakeTimeoutMs * 2,
    });
    this.server.maxConnections = options.maxConnections;
    this.pending = new PendingConnections(options, (cause) => (this.stats[statOf[cause]] += 1));
    const wsOptions: ServerOptions & { closeTimeout: number } = {
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: options.maxBatchBytes,
      // WsLink answers pings itself, within a bound that ends a flood with PC_ERR_PING_FLOOD.
      autoPong: false,
      // In ws 8.23 but not yet in @types/ws.
      closeTimeout: options.closeTimeoutMs,
      verifyClient: (info, done) => {
        const peerId = this.stopped ? undefined : remotePeerIdOf(info.req.socket as TLSSocket);
        if (peerId === undefined) {
          if (!this.stopped) this.pending.failed(info.req.socket, 'noCertificate');
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
    this.server.on('secureConnection', (socket: TLSSocket) => this.pending.secured(socket));
    this.server.on('tlsClientError', (_error: Error, socket: TLSSocket) => {
      this.pending.failed(socket, 'tlsFailure');
      socket.destroy();
    });
    this.server.on('clientError', (_error: Error, socket: Duplex) => {
      this.pending.failed(socket as Socket, 'httpError');
      socket.destroy();
    });
    this.server.on('request', (req: IncomingMessage, res) => {
      this.pending.failed(req.socket, 'notUpgrade');
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
    this.pending.destroyAll();
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
    this.sockets.add(raw);
    raw.once('close', () => this.sockets.delete(raw));
    this.pending.add(raw);
  }

  private upgrade(req: IncomingMessage, socket: TLSSocket, head: Buffer): void {
    socket.on('error', () => undefined); // ws attaches its own handler once upgraded; until then, drop
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.pending.linked(socket);
      const peerId = this.peerIds.get(req) as string;
      this.accept(ws, socket, peerId, formatWssAddress(socket.remoteAddress ?? 'unknown', socket.remotePort ?? 0));
    });
  }
}
