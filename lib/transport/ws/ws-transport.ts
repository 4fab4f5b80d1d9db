import type { TLSSocket } from 'node:tls';
import { Subject, type Observable } from 'rxjs';
import type { WebSocket } from 'ws';
import { ErrorCode, PeerChannelError } from '../../errors/index.js';
import { certificateFor } from '../../identity/certificate.js';
import type { PeerIdentity } from '../../identity/peer-identity.js';
import type { DialOptions, Link, Transport, TransportComponents, TransportFactory } from '../transport.js';
import { parseWssAddress } from './address.js';
import { dialWebSocket, type PendingDial } from './ws-dialer.js';
import { WsLink } from './ws-link.js';
import { WsListener, emptyListenerStats, type WsListenerStats } from './ws-listener.js';
import { resolveWsOptions, type ResolvedWsOptions, type WebSocketTransportOptions } from './ws-options.js';

/**
 * Makes transports that carry links as WebSockets over mutually authenticated TLS 1.3.
 *
 * @remarks
 * Each side presents the self-signed certificate of its identity ({@link certificateFor}); the
 * peer id of a link is the SHA-256 of the other certificate's public key, so no CA is involved.
 * A dial with `expectedPeerId` is refused with `PC_ERR_PEER_ID_MISMATCH` before the upgrade
 * request is sent; the listener refuses clients without a certificate before answering 101.
 * Addresses look like `wss://127.0.0.1:PORT` or `wss://[::1]:PORT`.
 *
 * Frames sent on a link during one turn of the event loop travel as one WebSocket message (a batch
 * container, see `docs/transport.md`), because the cost is per message, not per byte. Every size
 * and count a remote controls is bounded ({@link WebSocketTransportOptions}); a violation closes
 * that link with a coded reason, never the transport or the process.
 *
 * @example
 * ```ts
 * const node = await PeerNode.open('net.p2p://lobby', {
 *   transport: webSocketTransport({ host: '::1', maxFrameBytes: 32_768 }),
 * });
 * ```
 *
 * @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT` for out-of-range options (at call time).
 */
export function webSocketTransport(options: WebSocketTransportOptions = {}): TransportFactory {
  const resolved = resolveWsOptions(options);
  return (components: TransportComponents) => new WebSocketTransport(components.identity, resolved);
}

/** @internal The TLS WebSocket {@link Transport}. */
export class WebSocketTransport implements Transport {
  readonly name = 'ws';
  private readonly inbound = new Subject<Link>();
  /** Hot: emits each accepted, authenticated inbound link. Completes on close. */
  readonly inbound$: Observable<Link> = this.inbound.asObservable();
  private readonly links = new Set<WsLink>();
  private readonly dials = new Set<PendingDial>();
  private listening: Promise<readonly string[]> | undefined;
  private listener: WsListener | undefined;
  private announced: readonly string[] = [];
  private keepalive: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly identity: PeerIdentity,
    readonly options: ResolvedWsOptions,
  ) {}

  get addresses(): readonly string[] {
    return this.announced;
  }

  /** Counters of connections the listener turned away; all zero before {@link listen}. */
  get stats(): Readonly<WsListenerStats> {
    return this.listener?.stats ?? emptyListenerStats();
  }

  /** Links currently open on this transport. */
  get openLinks(): number {
    return this.links.size;
  }

  listen(): Promise<readonly string[]> {
    if (this.closing !== undefined) return Promise.reject(new PeerChannelError(ErrorCode.CLOSED, 'transport is closed'));
    this.listening ??= this.startListening().catch((error: unknown) => {
      this.listening = undefined;
      throw error;
    });
    return this.listening;
  }

  private async startListening(): Promise<readonly string[]> {
    if (!this.options.listen) return this.announced;
    const certificate = await certificateFor(this.identity);
    if (this.closing !== undefined) throw new PeerChannelError(ErrorCode.CLOSED, 'transport is closed');
    const listener = new WsListener(this.options, certificate, (ws, socket, peerId, remoteAddress) => this.accepted(ws, socket, peerId, remoteAddress));
    this.listener = listener;
    try {
      const bound = await listener.start();
      this.announced = Object.freeze([...(this.options.advertise ?? bound)]);
    } catch (error) {
      this.listener = undefined;
      throw error;
    }
    return this.announced;
  }

  async dial(address: string, options: DialOptions = {}): Promise<Link> {
    if (this.closing !== undefined) throw new PeerChannelError(ErrorCode.CLOSED, 'transport is closed');
    if (options.signal?.aborted) throw new PeerChannelError(ErrorCode.ABORTED, 'dial aborted');
    const target = parseWssAddress(address);
    if (target === undefined) throw new PeerChannelError(ErrorCode.DIAL_FAILED, `not a wss://host:port address: ${address.slice(0, 200)}`);
    const certificate = await certificateFor(this.identity);
    if (this.closing !== undefined) throw new PeerChannelError(ErrorCode.CLOSED, 'transport is closed');
    if (options.signal?.aborted) throw new PeerChannelError(ErrorCode.ABORTED, 'dial aborted');
    const pending = dialWebSocket(address, target, certificate, this.options, options);
    this.dials.add(pending);
    try {
      const { ws, socket, remotePeerId } = await pending.result;
      const link = this.adopt(ws, socket, 'outbound', remotePeerId, address);
      return link;
    } finally {
      this.dials.delete(pending);
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    for (const dial of [...this.dials]) dial.cancel(new PeerChannelError(ErrorCode.CLOSED, 'transport closed'));
    const links = [...this.links];
    for (const link of links) link.close('PC_OK', 'transport closed');
    this.stopKeepalive();
    const stopped = this.listener?.stop();
    // Give each close handshake its bounded time, then cut whatever is left.
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(links.map((link) => link.socketGone)),
      new Promise<void>((resolve) => (grace = setTimeout(resolve, this.options.closeTimeoutMs))),
    ]);
    clearTimeout(grace);
    for (const link of links) link.terminate();
    this.listener?.destroyAll();
    await stopped;
    this.inbound.complete();
  }

  private accepted(ws: WebSocket, socket: TLSSocket, peerId: string, remoteAddress: string): void {
    if (this.closing !== undefined) {
      ws.terminate();
      return;
    }
    this.inbound.next(this.adopt(ws, socket, 'inbound', peerId, remoteAddress));
  }

  private adopt(ws: WebSocket, socket: TLSSocket, direction: 'inbound' | 'outbound', peerId: string, remoteAddress: string): WsLink {
    const link = new WsLink(ws, socket, direction, peerId, remoteAddress, this.options, (gone) => this.forget(gone));
    this.links.add(link);
    if (this.closing !== undefined) link.close('PC_OK', 'transport closed');
    else this.startKeepalive();
    return link;
  }

  private forget(link: WsLink): void {
    this.links.delete(link);
    if (this.links.size === 0) this.stopKeepalive();
  }

  private startKeepalive(): void {
    if (this.keepalive !== undefined) return;
    this.keepalive = setInterval(() => {
      for (const link of [...this.links]) link.keepaliveTick();
    }, this.options.keepaliveMs);
    // Open sockets keep the process alive on their own; the ping timer need not.
    this.keepalive.unref();
  }

  private stopKeepalive(): void {
    clearInterval(this.keepalive);
    this.keepalive = undefined;
  }
}
