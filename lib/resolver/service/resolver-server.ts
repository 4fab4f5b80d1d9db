import type { Subscription } from 'rxjs';
import { defaultFrameLimits } from '../../codec/index.js';
import { ErrorCode, PeerChannelError, toPeerChannelError } from '../../errors/index.js';
import { PeerIdentity } from '../../identity/peer-identity.js';
import type { Link, Transport, TransportFactory } from '../../transport/transport.js';
import { RegistrationTable, type RegistrationTableOptions } from '../registration-table.js';
import { checkTtl, defaultResolverLimits } from '../resolver-limits.js';
import { decodeRequest, encodeResponse, ServiceOp, type ServiceRequest, type ServiceResponse } from './protocol.js';

/** Options for {@link resolverServer}. */
export interface ResolverServerOptions extends RegistrationTableOptions {
  /** The transport to serve on, e.g. `webSocketTransport({ port: 7000 })`. */
  readonly transport: TransportFactory;
  /** The server's identity (its peer id is what clients pin). @defaultValue a fresh one */
  readonly identity?: PeerIdentity;
  /**
   * Longest lifetime granted to a registration; also the lifetime granted when the client asks
   * for none.
   * @defaultValue 60_000
   */
  readonly ttlMs?: number;
  /**
   * Shortest lifetime granted, so clients cannot make the server churn.
   * @defaultValue 1000
   */
  readonly minTtlMs?: number;
  /**
   * Most client links at once; more are closed with `PC_ERR_BUSY`.
   * @defaultValue 1024
   */
  readonly maxLinks?: number;
  /**
   * Most live registrations made over one link; more are answered `PC_ERR_LIMIT_EXCEEDED`.
   * @defaultValue 64
   */
  readonly maxRegistrationsPerLink?: number;
  /**
   * A link that sends nothing for this long is closed with `PC_ERR_TIMEOUT`.
   * @defaultValue 120_000
   */
  readonly idleTimeoutMs?: number;
  /**
   * Only let a client register its own peer id, when the transport authenticates it (TLS
   * WebSockets do); a mismatch is answered `PC_ERR_PEER_ID_MISMATCH`.
   * @defaultValue true
   */
  readonly requireOwnPeerId?: boolean;
  /**
   * Most requests one link may make per second; a link past it is closed with
   * `PC_ERR_LIMIT_EXCEEDED` (a keeper needs a few per TTL; resolves are the rest).
   * @defaultValue 200
   */
  readonly maxRequestsPerSecond?: number;
  /**
   * Largest response frame; a resolve answer is cut short to fit.
   * @defaultValue 65_536
   */
  readonly maxFrameBytes?: number;
}

/** Counters of a {@link ResolverServer}. */
export interface ResolverServerStats {
  /** Requests received (register, refresh, unregister, resolve). */
  requests: number;
  /** Links closed for a malformed, oversize or unexpected frame. */
  badFrames: number;
  /** Links refused because `maxLinks` were open. */
  refusedLinks: number;
  /** Links closed for idleness. */
  idleClosed: number;
  /** Links closed for making requests too fast. */
  rateClosed: number;
}

/**
 * Starts a resolver service (WCF's CustomPeerResolverService, done right): it serves register,
 * resolve, refresh and unregister to {@link resolverService} clients over a transport.
 *
 * @remarks
 * Registrations expire unless refreshed (there is no clean-up thread to miss them: expiry is
 * checked on every read); resolve returns distinct peers in random order. Every inbound frame is
 * validated; one that fails closes its link with the coded reason (`PC_ERR_FRAME_SHAPE`, …) and
 * no other link notices. Links, registrations per link, the table, TTLs and response sizes are
 * bounded. The table lives in memory: a restarted server starts empty, and its clients'
 * {@link RegistrationKeeper}s register again on their next refresh.
 *
 * @example
 * ```ts
 * const server = await resolverServer({ transport: webSocketTransport({ host: '0.0.0.0', port: 7000 }) });
 * console.log(server.addresses, server.peerId);
 * const node = await PeerNode.open('net.p2p://room', {
 *   resolver: resolverService({ address: server.addresses[0], peerId: server.peerId }),
 * });
 * ```
 */
export async function resolverServer(options: ResolverServerOptions): Promise<ResolverServer> {
  const server = new ResolverServer(options);
  try {
    await server.listen();
  } catch (error) {
    await server.close();
    throw error;
  }
  return server;
}

interface LinkState {
  readonly link: Link;
  readonly registrations: Set<string>;
  idle: NodeJS.Timeout | undefined;
  windowStart: number;
  windowRequests: number;
}

/** A running resolver service; made by {@link resolverServer}. */
export class ResolverServer {
  /** The server's identity; clients may pin {@link ResolverServer.peerId}. */
  readonly identity: PeerIdentity;
  /** Counters of requests and closed or refused links; live, not a copy. */
  readonly stats: ResolverServerStats = { requests: 0, badFrames: 0, refusedLinks: 0, idleClosed: 0, rateClosed: 0 };
  private readonly transport: Transport;
  private readonly table: RegistrationTable;
  private readonly links = new Map<string, LinkState>();
  private readonly ttlMs: number;
  private readonly minTtlMs: number;
  private readonly maxLinks: number;
  private readonly maxPerLink: number;
  private readonly idleTimeoutMs: number;
  private readonly requireOwnPeerId: boolean;
  private readonly maxFrameBytes: number;
  private readonly maxRequestsPerSecond: number;
  private subscription: Subscription | undefined;
  private closing: Promise<void> | undefined;

  /** @internal Use {@link resolverServer}. */
  constructor(options: ResolverServerOptions) {
    this.identity = options.identity ?? PeerIdentity.generate();
    this.ttlMs = checkTtl(options.ttlMs ?? 60_000);
    this.minTtlMs = Math.min(checkTtl(options.minTtlMs ?? 1000, 'minTtlMs'), this.ttlMs);
    this.maxLinks = options.maxLinks ?? 1024;
    this.maxPerLink = options.maxRegistrationsPerLink ?? 64;
    this.idleTimeoutMs = checkTtl(options.idleTimeoutMs ?? 120_000, 'idleTimeoutMs');
    this.requireOwnPeerId = options.requireOwnPeerId ?? true;
    this.maxFrameBytes = options.maxFrameBytes ?? 65_536;
    this.maxRequestsPerSecond = options.maxRequestsPerSecond ?? 200;
    this.table = new RegistrationTable(options);
    this.transport = options.transport({ identity: this.identity });
  }

  /** The server's peer id. */
  get peerId(): string {
    return this.identity.peerId;
  }

  /** Where clients dial. */
  get addresses(): readonly string[] {
    return this.transport.addresses;
  }

  /** Live registrations held (expired ones not yet swept included). */
  get registrations(): number {
    return this.table.size;
  }

  /** Client links open now. */
  get linkCount(): number {
    return this.links.size;
  }

  /** @internal */
  async listen(): Promise<readonly string[]> {
    this.subscription ??= this.transport.inbound$.subscribe((link) => this.accept(link));
    return this.transport.listen();
  }

  /** Closes every link and stops listening. Registrations are forgotten. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.subscription?.unsubscribe();
      for (const state of this.links.values()) clearTimeout(state.idle);
      for (const state of [...this.links.values()]) state.link.close('PC_OK', 'resolver service closing');
      this.links.clear();
      this.table.clear();
      await this.transport.close();
    })();
    return this.closing;
  }

  private accept(link: Link): void {
    if (this.closing !== undefined) return link.close('PC_OK', 'resolver service closing');
    if (this.links.size >= this.maxLinks) {
      this.stats.refusedLinks += 1;
      return link.close(ErrorCode.BUSY, `resolver service holds ${this.maxLinks} links`);
    }
    const state: LinkState = { link, registrations: new Set(), idle: undefined, windowStart: Date.now(), windowRequests: 0 };
    this.links.set(link.id, state);
    this.touch(state);
    void link.closed.then(() => {
      clearTimeout(state.idle);
      this.links.delete(link.id);
    });
    link.setReceiver((frame) => this.receive(state, frame));
  }

  private touch(state: LinkState): void {
    clearTimeout(state.idle);
    state.idle = setTimeout(() => {
      this.stats.idleClosed += 1;
      state.link.close(ErrorCode.TIMEOUT, `no request for ${this.idleTimeoutMs} ms`);
    }, this.idleTimeoutMs);
    state.idle.unref?.();
  }

  private receive(state: LinkState, frame: Uint8Array): void {
    if (!state.link.isOpen) return;
    let request: ServiceRequest;
    try {
      request = decodeRequest(frame, defaultResolverLimits, { ...defaultFrameLimits, maxFrameBytes: this.maxFrameBytes });
    } catch (error) {
      this.stats.badFrames += 1;
      const e = toPeerChannelError(error, ErrorCode.FRAME_SHAPE);
      state.link.close(e.code, e.message.slice(0, 200));
      return;
    }
    this.touch(state);
    this.stats.requests += 1;
    const now = Date.now();
    if (now - state.windowStart >= 1000) {
      state.windowStart = now;
      state.windowRequests = 0;
    }
    if (++state.windowRequests > this.maxRequestsPerSecond) {
      this.stats.rateClosed += 1;
      state.link.close(ErrorCode.LIMIT_EXCEEDED, `more than ${this.maxRequestsPerSecond} requests a second`);
      return;
    }
    let response: ServiceResponse;
    try {
      response = { op: ServiceOp.Ok, req: request.req, value: this.handle(state, request) };
    } catch (error) {
      const e = toPeerChannelError(error);
      response = { op: ServiceOp.Fail, req: request.req, code: e.code, message: e.message };
    }
    try {
      state.link.send(encodeResponse(response));
    } catch (error) {
      // The link is closed or its queue overflowed (and it closed itself): the client retries.
      void error;
    }
  }

  private handle(state: LinkState, r: ServiceRequest): unknown {
    switch (r.op) {
      case ServiceOp.Register: {
        const remote = state.link.remotePeerId;
        if (this.requireOwnPeerId && remote !== undefined && remote !== r.peer.peerId) {
          throw new PeerChannelError(ErrorCode.PEER_ID_MISMATCH, 'a client may register only its own peer id');
        }
        for (const id of state.registrations) if (!this.table.has(id)) state.registrations.delete(id);
        if (state.registrations.size >= this.maxPerLink) {
          throw new PeerChannelError(ErrorCode.LIMIT_EXCEEDED, `more than ${this.maxPerLink} registrations on one link`);
        }
        const reg = this.table.register(r.mesh, r.peer, this.grant(r.ttlMs));
        state.registrations.add(reg.id);
        return [reg.id, reg.ttlMs];
      }
      case ServiceOp.Refresh: {
        const reg = this.table.refresh(r.id);
        return [reg.id, reg.ttlMs];
      }
      case ServiceOp.Unregister:
        this.table.unregister(r.id);
        state.registrations.delete(r.id);
        return null;
      case ServiceOp.Resolve:
        return this.fit(this.table.resolve(r.mesh, r.max).map((p) => [p.peerId, p.addresses]));
    }
  }

  private grant(requested: number | null): number {
    return requested === null ? this.ttlMs : Math.max(this.minTtlMs, Math.min(requested, this.ttlMs));
  }

  /** Cuts a resolve answer short so its frame stays under `maxFrameBytes`. */
  private fit(peers: [string, readonly string[]][]): [string, readonly string[]][] {
    const budget = this.maxFrameBytes - 64;
    let used = 0;
    const out: [string, readonly string[]][] = [];
    for (const entry of peers) {
      // msgpack adds at most 5 bytes per string and array header; strings are at most 3 bytes per UTF-16 unit.
      const size = 10 + 3 * entry[0].length + entry[1].reduce((n, a) => n + 5 + 3 * a.length, 0);
      if (used + size > budget) break;
      used += size;
      out.push(entry);
    }
    return out;
  }
}
