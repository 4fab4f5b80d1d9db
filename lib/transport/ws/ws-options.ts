import { defaultFrameLimits } from '../../codec/limits.js';
import { ErrorCode, PeerChannelError } from '../../errors/index.js';
import { parseWssAddress } from './address.js';
import { containerSizeFor, MAX_VARINT_FRAME } from './batch-container.js';

/**
 * Options for {@link webSocketTransport}. Every bound on what a remote peer controls has a default.
 */
export interface WebSocketTransportOptions {
  /**
   * Address to listen on: an IPv4 or IPv6 literal (`'::1'`, `'0.0.0.0'`, `'::'`) or a host name.
   * @defaultValue '127.0.0.1'
   */
  readonly host?: string;
  /**
   * TCP port to listen on; 0 picks a free one.
   * @defaultValue 0
   */
  readonly port?: number;
  /**
   * `false` makes a dial-out-only transport, for a peer behind NAT or a firewall that nobody can
   * dial: {@link Transport.listen} binds nothing and resolves to `[]`, so its `addresses` stay
   * empty and nothing (hello, referrals, resolver registrations) hands out an address for it. It
   * still dials, and takes full part in a mesh through the links it dialled.
   * @defaultValue true
   */
  readonly listen?: boolean;
  /**
   * Addresses to announce instead of the ones derived from the bound socket: the public address
   * of a port forward, or a subset of a wildcard bind's interfaces. Each must be a
   * `wss://host:port` address. Ignored when `listen` is `false`.
   * @defaultValue for a specific `host`, that host and the bound port; for a wildcard (`'0.0.0.0'`,
   * `'::'`), every non-loopback interface address of the matching families (loopback only when
   * the machine has nothing else)
   */
  readonly advertise?: readonly string[];
  /**
   * Largest frame, in bytes, that a link sends or accepts. A larger inbound frame closes the link
   * with `PC_ERR_FRAME_TOO_LARGE`; a larger outbound one throws that code from `send`.
   * @defaultValue 65_536 (WCF's MaxReceivedMessageSize)
   */
  readonly maxFrameBytes?: number;
  /**
   * Largest WebSocket message (one batch container), in bytes; ws `maxPayload`. Must hold one
   * frame of `maxFrameBytes` plus 5 bytes of container overhead.
   * @defaultValue 262_144
   */
  readonly maxBatchBytes?: number;
  /**
   * Time for a connection to finish TLS and the WebSocket upgrade, in ms. On the listening side
   * the socket is destroyed when it runs out (counted in `stats.handshakeTimeouts`); a dial fails
   * with `PC_ERR_DIAL_FAILED`.
   * @defaultValue 10_000
   */
  readonly handshakeTimeoutMs?: number;
  /**
   * Listening side: time from TCP accept to a finished TLS handshake, in ms; a connection that
   * has not finished TLS by then is destroyed (counted in `stats.tlsTimeouts`). A TLS 1.3
   * handshake is one round trip, so this can be much shorter than `handshakeTimeoutMs`, which
   * stays the bound of TLS plus upgrade. At most `handshakeTimeoutMs`.
   * @defaultValue 3_000, or `handshakeTimeoutMs` if that is lower
   */
  readonly tlsHandshakeTimeoutMs?: number;
  /**
   * Listening side: most connections that have not finished TLS and the upgrade, held at once.
   * A new connection past it cuts the oldest pending one (`stats.pendingEvicted`), so idle
   * connections cannot hold the listener; slots up to `maxConnections` stay for links.
   * At most `maxConnections`.
   * @defaultValue 256, or `maxConnections` if that is lower
   */
  readonly maxPendingConnections?: number;
  /**
   * Listening side: most pending (pre-upgrade) connections from one remote IP address. A new
   * connection from an address at the bound cuts that address's oldest pending connection
   * (`stats.pendingEvicted`), so one address cannot take the pending slots of the others.
   * At most `maxPendingConnections`.
   * @defaultValue 32, or `maxPendingConnections` if that is lower
   */
  readonly maxPendingPerAddress?: number;
  /**
   * Most frames queued on one link and not yet handed to the socket. `send` past it throws
   * `PC_ERR_LINK_QUEUE_FULL` and closes the link with that code.
   * @defaultValue 4096
   */
  readonly maxPendingSends?: number;
  /**
   * Most bytes of frames queued on one link and not yet handed to the socket (the byte twin of
   * `maxPendingSends`, which alone would let 4,096 large frames pile up). `send` past it throws
   * `PC_ERR_LINK_QUEUE_BYTES` and closes the link with that code. At least `maxFrameBytes`.
   * @defaultValue 16_777_216 (16 MiB), or `maxFrameBytes` if that is higher
   */
  readonly maxPendingSendBytes?: number;
  /**
   * Most inbound frames held while a link has no receiver; past it the link closes with
   * `PC_ERR_LINK_QUEUE_FULL`.
   * @defaultValue 1024
   */
  readonly maxBufferedFrames?: number;
  /**
   * Bytes the socket may hold unsent before a link stops writing and keeps frames in its own queue
   * (where they count against `maxPendingSends`), so a peer that reads slowly fills the queue.
   * @defaultValue 1_048_576
   */
  readonly sendHighWaterBytes?: number;
  /**
   * Interval of keepalive pings, in ms. A link that received nothing (no pong, no message) during a
   * whole interval is ended with `PC_ERR_UNREACHABLE`, so a dead peer is noticed within two
   * intervals.
   * @defaultValue 15_000
   */
  readonly keepaliveMs?: number;
  /**
   * Pings the other side may send in a burst; each is answered with a pong. Past the burst and
   * the refill rate (`maxPingsPerSecond`), the link closes with `PC_ERR_PING_FLOOD` (ws's own
   * auto-pong limit, which ends the link with an uncoded "connection lost", is off).
   * @defaultValue 10
   */
  readonly maxPingBurst?: number;
  /**
   * Pings per second the other side may send on average (this side pings once per `keepaliveMs`).
   * @defaultValue 1
   */
  readonly maxPingsPerSecond?: number;
  /**
   * Time to wait for the other side to answer a close before the socket is destroyed, in ms.
   * @defaultValue 5_000
   */
  readonly closeTimeoutMs?: number;
  /**
   * Most TCP connections the listener holds at once (handshaking or linked); more are refused.
   * @defaultValue 1024
   */
  readonly maxConnections?: number;
}

/** @internal Options with every default applied. */
export type ResolvedWsOptions = { readonly [K in Exclude<keyof WebSocketTransportOptions, 'advertise'>]-?: NonNullable<WebSocketTransportOptions[K]> } & {
  readonly advertise: readonly string[] | undefined;
};

/** @internal The defaults of {@link WebSocketTransportOptions}. */
export const wsDefaults: ResolvedWsOptions = Object.freeze({
  host: '127.0.0.1',
  port: 0,
  listen: true,
  advertise: undefined,
  maxFrameBytes: defaultFrameLimits.maxFrameBytes,
  maxBatchBytes: 262_144,
  handshakeTimeoutMs: 10_000,
  tlsHandshakeTimeoutMs: 3_000,
  maxPendingConnections: 256,
  maxPendingPerAddress: 32,
  maxPendingSends: 4096,
  maxPendingSendBytes: 16 * 1024 * 1024,
  maxBufferedFrames: 1024,
  sendHighWaterBytes: 1_048_576,
  keepaliveMs: 15_000,
  maxPingBurst: 10,
  maxPingsPerSecond: 1,
  closeTimeoutMs: 5_000,
  maxConnections: 1024,
});

/**
 * @internal Applies defaults and checks ranges.
 * @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT` for an out-of-range option.
 */
export function resolveWsOptions(options: WebSocketTransportOptions): ResolvedWsOptions {
  const given = stripUndefined(options);
  const o: { -readonly [K in keyof ResolvedWsOptions]: ResolvedWsOptions[K] } = { ...wsDefaults, ...given };
  // Defaults that must not exceed a bound the caller lowered follow it down.
  o.tlsHandshakeTimeoutMs = given.tlsHandshakeTimeoutMs ?? Math.min(wsDefaults.tlsHandshakeTimeoutMs, o.handshakeTimeoutMs);
  o.maxPendingConnections = given.maxPendingConnections ?? Math.min(wsDefaults.maxPendingConnections, o.maxConnections);
  o.maxPendingPerAddress = given.maxPendingPerAddress ?? Math.min(wsDefaults.maxPendingPerAddress, o.maxPendingConnections);
  o.maxPendingSendBytes = given.maxPendingSendBytes ?? Math.max(wsDefaults.maxPendingSendBytes, o.maxFrameBytes);
  const positive = [
    'maxFrameBytes', 'maxBatchBytes', 'handshakeTimeoutMs', 'tlsHandshakeTimeoutMs', 'maxPendingConnections', 'maxPendingPerAddress', 'maxPendingSends',
    'maxPendingSendBytes', 'maxBufferedFrames', 'sendHighWaterBytes', 'keepaliveMs', 'maxPingBurst', 'closeTimeoutMs', 'maxConnections',
  ] as const;
  for (const key of positive) {
    if (!Number.isSafeInteger(o[key]) || o[key] <= 0) invalid(`${key} must be a positive integer, got ${String(o[key])}`);
  }
  if (!(o.maxPingsPerSecond > 0) || !Number.isFinite(o.maxPingsPerSecond)) invalid(`maxPingsPerSecond must be a positive number, got ${String(o.maxPingsPerSecond)}`);
  if (o.tlsHandshakeTimeoutMs > o.handshakeTimeoutMs) invalid('tlsHandshakeTimeoutMs must be at most handshakeTimeoutMs');
  if (o.maxPendingConnections > o.maxConnections) invalid('maxPendingConnections must be at most maxConnections');
  if (o.maxPendingPerAddress > o.maxPendingConnections) invalid('maxPendingPerAddress must be at most maxPendingConnections');
  if (o.maxPendingSendBytes < o.maxFrameBytes) invalid('maxPendingSendBytes must be at least maxFrameBytes');
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65_535) invalid(`port must be 0..65535, got ${String(o.port)}`);
  if (typeof o.host !== 'string' || o.host.length === 0) invalid('host must be a non-empty string');
  if (typeof o.listen !== 'boolean') invalid('listen must be a boolean');
  if (o.advertise !== undefined) {
    if (!Array.isArray(o.advertise) || !o.advertise.every((a) => typeof a === 'string' && parseWssAddress(a) !== undefined)) {
      invalid('advertise must be a list of wss://host:port addresses');
    }
    return Object.freeze({ ...o, advertise: Object.freeze([...o.advertise]) });
  }
  if (o.maxFrameBytes > MAX_VARINT_FRAME) invalid(`maxFrameBytes must be at most ${MAX_VARINT_FRAME}`);
  if (o.maxBatchBytes < containerSizeFor(o.maxFrameBytes)) {
    invalid(`maxBatchBytes (${o.maxBatchBytes}) must be at least maxFrameBytes + 5 (${containerSizeFor(o.maxFrameBytes)})`);
  }
  return Object.freeze(o);
}

function invalid(message: string): never {
  throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `webSocketTransport: ${message}`);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
