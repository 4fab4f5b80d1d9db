import type { Socket } from 'node:net';

/** Why a connection that never became a link was turned away; each connection has at most one. */
export type TurnAwayCause = 'tlsTimeout' | 'handshakeTimeout' | 'evicted' | 'tlsFailure' | 'httpError' | 'notUpgrade' | 'noCertificate';

/** Bounds on connections that have not finished TLS and the WebSocket upgrade. */
export interface PendingBounds {
  /** TCP accept → TLS finished. */
  readonly tlsHandshakeTimeoutMs: number;
  /** TCP accept → upgrade finished. */
  readonly handshakeTimeoutMs: number;
  /** Pending connections held at once, over all addresses. */
  readonly maxPendingConnections: number;
  /** Pending connections held at once from one remote IP address. */
  readonly maxPendingPerAddress: number;
}

/** One accepted TCP connection, from accept to link (or to its end). */
interface Connection {
  readonly raw: Socket;
  readonly address: string;
  readonly acceptedAt: number;
  timer: NodeJS.Timeout | undefined;
  /** 'tls' until the TLS handshake finished, then 'upgrade' until the link exists. */
  phase: 'tls' | 'upgrade' | 'linked';
  cause: TurnAwayCause | undefined;
}

/**
 * @internal The listener's pre-handshake connections: deadlines for the TLS and the upgrade phase,
 * bounds per remote address and in total, and exactly one cause per connection turned away.
 *
 * @remarks
 * A pending connection over either bound makes room by cutting the **oldest** pending connection
 * of the same address (per-address bound) or of all (total bound): an idle connection holds its
 * slot only until newer ones arrive, while an honest handshake, done in milliseconds, is rarely
 * the oldest. Linked connections do not count, so slots stay free for peers that finished the
 * handshake. All operations are O(1) except eviction under the per-address bound, which scans at
 * most `maxPendingConnections` entries and happens only when an address is over its share.
 */
export class PendingConnections {
  /** Pending connections, oldest first (a Map keeps insertion order). */
  private readonly pending = new Map<Socket, Connection>();
  private readonly perAddress = new Map<string, number>();
  /** Every connection seen and not yet collected, so late error events find their connection. */
  private readonly all = new WeakMap<Socket, Connection>();

  constructor(
    private readonly bounds: PendingBounds,
    /** Called once per connection turned away, with its cause (for the listener's counters). */
    private readonly turnedAway: (cause: TurnAwayCause) => void,
  ) {}

  /** Connections still handshaking. */
  get size(): number {
    return this.pending.size;
  }

  /** Starts the TLS deadline of a new TCP connection, making room first if a bound is reached. */
  add(raw: Socket): void {
    const address = raw.remoteAddress ?? 'unknown';
    if ((this.perAddress.get(address) ?? 0) >= this.bounds.maxPendingPerAddress) this.evictOldest(address);
    if (this.pending.size >= this.bounds.maxPendingConnections) this.evictOldest(undefined);
    const connection: Connection = { raw, address, acceptedAt: Date.now(), timer: undefined, phase: 'tls', cause: undefined };
    connection.timer = setTimeout(() => this.turnAway(connection, 'tlsTimeout'), this.bounds.tlsHandshakeTimeoutMs);
    this.pending.set(raw, connection);
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    this.all.set(raw, connection);
    raw.once('close', () => this.forget(connection));
  }

  /** TLS finished on `socket` (raw or TLS): the rest of the overall deadline is for the upgrade. */
  secured(socket: Socket): void {
    const connection = this.find(socket);
    if (connection === undefined || connection.phase !== 'tls' || connection.cause !== undefined) return;
    connection.phase = 'upgrade';
    clearTimeout(connection.timer);
    const left = Math.max(0, connection.acceptedAt + this.bounds.handshakeTimeoutMs - Date.now());
    connection.timer = setTimeout(() => this.turnAway(connection, 'handshakeTimeout'), left);
  }

  /** The upgrade finished: `socket` is a link now and leaves the pending set. */
  linked(socket: Socket): void {
    const connection = this.find(socket);
    if (connection === undefined) return;
    connection.phase = 'linked';
    this.forget(connection);
  }

  /**
   * Records why `socket` failed, unless its connection already has a cause (a connection this
   * side cut also raises TLS and HTTP errors as it goes down: those are not counted again).
   * A failure during the TLS phase counts as a TLS failure whatever layer reported it.
   */
  failed(socket: Socket, cause: 'tlsFailure' | 'httpError' | 'notUpgrade' | 'noCertificate'): void {
    const connection = this.find(socket);
    if (connection === undefined) {
      this.turnedAway(cause);
      return;
    }
    if (connection.cause !== undefined || connection.phase === 'linked') return;
    connection.cause = cause === 'httpError' && connection.phase === 'tls' ? 'tlsFailure' : cause;
    this.turnedAway(connection.cause);
  }

  /** Destroys every pending connection without counting it (the listener is stopping). */
  destroyAll(): void {
    for (const connection of [...this.pending.values()]) {
      connection.cause ??= 'evicted';
      this.forget(connection);
      connection.raw.destroy();
    }
  }

  private find(socket: Socket): Connection | undefined {
    // A server-side TLSSocket keeps the TCP socket it wraps in `_parent` (Node internals, stable since v0.11).
    return this.all.get(socket) ?? this.all.get((socket as Socket & { _parent?: Socket })._parent as Socket);
  }

  private evictOldest(address: string | undefined): void {
    for (const connection of this.pending.values()) {
      if (address === undefined || connection.address === address) {
        this.turnAway(connection, 'evicted');
        return;
      }
    }
  }

  private turnAway(connection: Connection, cause: TurnAwayCause): void {
    if (connection.cause !== undefined || connection.phase === 'linked') return;
    connection.cause = cause;
    this.forget(connection);
    this.turnedAway(cause);
    connection.raw.destroy();
  }

  private forget(connection: Connection): void {
    clearTimeout(connection.timer);
    connection.timer = undefined;
    if (this.pending.get(connection.raw) !== connection) return;
    this.pending.delete(connection.raw);
    const left = (this.perAddress.get(connection.address) ?? 1) - 1;
    if (left === 0) this.perAddress.delete(connection.address);
    else this.perAddress.set(connection.address, left);
  }
}
