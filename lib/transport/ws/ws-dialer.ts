import type { ClientRequest, ClientRequestArgs } from 'node:http';
import { isIP } from 'node:net';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { WebSocket, type ClientOptions } from 'ws';
import { ErrorCode, PeerChannelError } from '../../errors/index.js';
import type { PeerCertificate } from '../../identity/certificate.js';
import type { DialOptions } from '../transport.js';
import type { WssTarget } from './address.js';
import { remotePeerIdOf, TLS_VERSION } from './tls-peer.js';
import type { ResolvedWsOptions } from './ws-options.js';

/** An open client WebSocket with the TLS socket under it and the peer id it proved. */
export interface DialedSocket {
  readonly ws: WebSocket;
  readonly socket: TLSSocket;
  readonly remotePeerId: string;
}

/** A dial in progress, so the transport can cancel it on close. */
export interface PendingDial {
  readonly result: Promise<DialedSocket>;
  cancel(error: PeerChannelError): void;
}

/**
 * @internal Opens a TLS WebSocket to `target`, presenting `certificate`.
 *
 * @remarks
 * The peer id pin is checked on `secureConnect`, and the HTTP upgrade request is only finished
 * (its headers only written) after the check passed: an impostor never sees the request. The
 * whole of TLS plus upgrade is bounded by `handshakeTimeoutMs` (ws's own timeout is an idle
 * timeout, which a server trickling bytes could stretch forever).
 */
export function dialWebSocket(
  address: string,
  target: WssTarget,
  certificate: PeerCertificate,
  options: ResolvedWsOptions,
  dial: DialOptions,
): PendingDial {
  let settle!: { resolve: (value: DialedSocket) => void; reject: (error: PeerChannelError) => void };
  const result = new Promise<DialedSocket>((resolve, reject) => (settle = { resolve, reject }));
  let settled = false;
  let socket: TLSSocket | undefined;
  let request: ClientRequest | undefined;
  let remotePeerId: string | undefined;

  const cleanup = (): void => {
    clearTimeout(timer);
    dial.signal?.removeEventListener('abort', onAbort);
  };
  const fail = (error: PeerChannelError): void => {
    if (settled) return;
    settled = true;
    cleanup();
    settle.reject(error);
    ws.terminate();
  };
  const onAbort = (): void => fail(new PeerChannelError(ErrorCode.ABORTED, `dial to ${address} aborted`));
  const timer = setTimeout(
    () => fail(new PeerChannelError(ErrorCode.DIAL_FAILED, `no TLS and WebSocket handshake with ${address} within ${options.handshakeTimeoutMs} ms`)),
    options.handshakeTimeoutMs,
  );

  const createConnection = (connectOptions: ConnectionOptions): TLSSocket => {
    const tlsSocket = connect({
      ...connectOptions,
      host: target.host,
      port: target.port,
      servername: isIP(target.host) === 0 ? target.host : '',
      cert: certificate.certPem,
      key: certificate.keyPem,
      ...TLS_VERSION,
      // Self-signed: the chain check cannot pass; the pin below is the check.
      rejectUnauthorized: false,
    });
    tlsSocket.once('secureConnect', () => {
      const proven = remotePeerIdOf(tlsSocket);
      if (proven === undefined) {
        fail(new PeerChannelError(ErrorCode.HANDSHAKE_FAILED, `${address} presented no certificate`));
      } else if (dial.expectedPeerId !== undefined && proven !== dial.expectedPeerId) {
        fail(new PeerChannelError(ErrorCode.PEER_ID_MISMATCH, `${address} is peer ${proven.slice(0, 12)}…, not the expected ${dial.expectedPeerId.slice(0, 12)}…`));
      } else if (!settled) {
        remotePeerId = proven;
        request?.end();
      }
    });
    socket = tlsSocket;
    return tlsSocket;
  };

  const wsOptions: ClientOptions & ClientRequestArgs & { closeTimeout: number } = {
    perMessageDeflate: false,
    maxPayload: options.maxBatchBytes,
    // WsLink answers pings itself, within a bound that ends a flood with PC_ERR_PING_FLOOD.
    autoPong: false,
    // In ws 8.23 but not yet in @types/ws.
    closeTimeout: options.closeTimeoutMs,
    followRedirects: false,
    // Masking (RFC 6455 10.3) guards cleartext against confused proxies; inside end-to-end TLS it
    // only costs a pass over every byte, and an all-zero mask makes ws skip it.
    generateMask: (mask: Buffer) => void mask.fill(0),
    createConnection: createConnection as unknown as (ClientOptions & ClientRequestArgs)['createConnection'],
    finishRequest: (req: ClientRequest) => {
      request = req;
      if (remotePeerId !== undefined) req.end();
    },
  };
  const ws = new WebSocket(address, wsOptions);
  ws.on('error', (error: Error) => {
    fail(new PeerChannelError(ErrorCode.DIAL_FAILED, `cannot connect to ${address}: ${error.message}`, { cause: error }));
  });
  ws.once('open', () => {
    if (settled) return;
    settled = true;
    cleanup();
    settle.resolve({ ws, socket: socket as TLSSocket, remotePeerId: remotePeerId as string });
  });
  dial.signal?.addEventListener('abort', onAbort, { once: true });

  return { result, cancel: fail };
}
