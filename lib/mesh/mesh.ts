import { BehaviorSubject, type Observable, Subject, type Subscription, distinctUntilChanged } from 'rxjs';
import { type CallBody, type DisconnectFrame, FrameKind, type MessageBody, type PeerRef, decodeFrame, encodeExtensionFrame, encodeFrame } from '../codec/index.js';
import { ErrorCode, PeerChannelError, toPeerChannelError } from '../errors/index.js';
import type { Link } from '../transport/transport.js';
import type { DeliveredMessage } from './delivered-message.js';
import { Flooder } from './flooder.js';
import { HandshakeRefused, awaitHello, dialerHandshake, failLink, refuse, welcome } from './handshake.js';
import type { MeshCore } from './mesh-core.js';
import { type MeshStats, countDrop, emptyStats } from './mesh-stats.js';
import { Neighbor, type NeighborInfo, neighborInfo } from './neighbor.js';
import type { MeshOptions } from './options.js';
import type { PropagationDecision } from './propagation.js';
import { ReferralCache } from './referral-cache.js';
import { RouteTable } from './route-table.js';
import { Router } from './router.js';
import { SeenCache } from './seen-cache.js';

/** Online once the first neighbour finished the handshake; offline at zero neighbours. */
export type MeshStatus = 'online' | 'offline';

/** Handles an extension frame from a neighbour. */
export type ExtensionHandler = (from: Neighbor, payload: unknown) => void;

/**
 * The overlay: accepts and dials links, runs the handshake, keeps the neighbour set, and
 * moves flooded and directed messages.
 *
 * @remarks
 * Composes the {@link Flooder} and {@link Router}; the channel layer above receives
 * deliveries through {@link Mesh.onDeliver}. Owns every timer and link it creates;
 * {@link Mesh.close} ends them all.
 */
export class Mesh implements MeshCore {
  readonly localPeerId: string;
  readonly limits;
  readonly seen: SeenCache;
  readonly stats: MeshStats = emptyStats();
  readonly filter;
  private readonly neighborMap = new Map<string, Neighbor>();
  readonly referrals: ReferralCache;
  private readonly routes = new RouteTable(10_000);
  private readonly flooder: Flooder;
  private readonly router: Router;
  private readonly extensions = new Map<number, ExtensionHandler>();
  private readonly pending = new Set<Link>();
  private readonly dialing = new Set<string>();
  private readonly status = new BehaviorSubject<MeshStatus>('offline');
  private readonly neighborSet = new BehaviorSubject<readonly NeighborInfo[]>([]);
  private readonly decisions = new Subject<PropagationDecision>();
  private readonly errors = new Subject<PeerChannelError>();
  private readonly abort = new AbortController();
  private inboundSub: Subscription | undefined;
  private maintenanceTimer: NodeJS.Timeout | undefined;
  private maintaining = false;
  private closed = false;
  /** Set by the channel layer. */
  onDeliver: (message: DeliveredMessage) => void = () => undefined;

  /** Hot, replays the current status. */
  readonly status$: Observable<MeshStatus> = this.status.pipe(distinctUntilChanged());
  /** Hot, replays the current neighbour set on subscribe. */
  readonly neighbors$: Observable<readonly NeighborInfo[]> = this.neighborSet.asObservable();
  /** Hot: one decision per message handled. */
  readonly decisions$: Observable<PropagationDecision> = this.decisions.asObservable();
  /** Hot: dropped input, refused links, failed handlers. */
  readonly errors$: Observable<PeerChannelError> = this.errors.asObservable();

  constructor(private readonly options: MeshOptions) {
    this.localPeerId = options.identity.peerId;
    this.limits = options.limits;
    this.filter = options.filter;
    this.seen = new SeenCache(options.seenTtlMs, options.seenMaxEntries);
    this.referrals = new ReferralCache(100);
    this.flooder = new Flooder(this);
    this.router = new Router(this, options.directTtl);
  }

  get neighbors(): ReadonlyMap<string, Neighbor> {
    return this.neighborMap;
  }

  get currentStatus(): MeshStatus {
    return this.status.value;
  }

  /** Starts accepting links and maintaining the neighbour set. */
  start(): void {
    this.inboundSub = this.options.transport.inbound$.subscribe((link) => void this.accept(link));
    this.scheduleMaintenance(0);
  }

  // ---- sending ----

  /** Floods a call from this node. */
  flood(body: CallBody, hops: number | undefined): void {
    this.assertOpen();
    this.flooder.send(body, hops);
  }

  /** Sends a directed call or reply. */
  direct(body: MessageBody & { target: string }): void {
    this.assertOpen();
    this.router.send(body);
  }

  /** Registers the handler of an extension frame kind (16..127). */
  registerExtension(kind: number, handler: ExtensionHandler): void {
    if (this.extensions.has(kind)) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `extension kind ${kind} is taken`);
    this.extensions.set(kind, handler);
  }

  /** Sends an extension frame to one neighbour. */
  sendExtension(to: Neighbor, kind: number, payload: unknown): boolean {
    return to.send(encodeExtensionFrame(kind, payload));
  }

  // ---- links ----

  /**
   * Dials `address`, runs admission and the handshake, and adds the peer as a neighbour.
   * @throws PeerChannelError e.g. `PC_ERR_BUSY` (referrals are cached), `PC_ERR_AUTH_FAILED`.
   */
  async connect(address: string, options: { expectedPeerId?: string; signal?: AbortSignal } = {}): Promise<NeighborInfo> {
    this.assertOpen();
    const signal = options.signal ? AbortSignal.any([options.signal, this.abort.signal]) : this.abort.signal;
    let link: Link;
    try {
      link = await this.options.transport.dial(address, { expectedPeerId: options.expectedPeerId, signal });
    } catch (error) {
      throw toPeerChannelError(error, ErrorCode.DIAL_FAILED);
    }
    this.pending.add(link);
    try {
      const remote = link.remotePeerId;
      if (this.options.requireAuthenticatedLinks && remote === undefined) {
        throw new PeerChannelError(ErrorCode.SECURITY_MODE_MISMATCH, 'this mesh requires transport-authenticated links');
      }
      if (this.options.admission) {
        await this.options.admission.admit(link, { role: 'dialer', mesh: this.options.mesh, localPeerId: this.localPeerId, remotePeerId: remote, identity: this.options.identity, signal });
      }
      const result = await dialerHandshake(
        link,
        { peerId: this.localPeerId, mesh: this.options.mesh, addresses: this.options.transport.addresses, ext: this.options.helloExt ?? {} },
        this.limits,
        this.options.handshakeTimeoutMs,
        signal,
      );
      if ((remote !== undefined && result.peerId !== remote) || (options.expectedPeerId !== undefined && result.peerId !== options.expectedPeerId)) {
        throw new PeerChannelError(ErrorCode.PEER_ID_MISMATCH, `peer at ${address} claims ${result.peerId.slice(0, 12)}, not the authenticated id`);
      }
      if (result.peerId === this.localPeerId) throw new PeerChannelError(ErrorCode.SELF_CONNECTION, 'dialled myself');
      this.options.checkHelloExt?.(result.ext);
      const neighbor = this.register(new Neighbor(result.peerId, link, result.addresses));
      if (neighbor === undefined) throw new PeerChannelError(ErrorCode.DUPLICATE_LINK, `already linked to ${result.peerId.slice(0, 12)}`);
      return neighborInfo(neighbor);
    } catch (error) {
      if (error instanceof HandshakeRefused) this.referrals.addAll(error.referrals, this.localPeerId);
      throw failLink(link, error);
    } finally {
      this.pending.delete(link);
    }
  }

  private async accept(link: Link): Promise<void> {
    if (this.closed) {
      link.close(ErrorCode.CLOSED, 'node is closing');
      return;
    }
    this.pending.add(link);
    try {
      const remote = link.remotePeerId;
      if (this.options.requireAuthenticatedLinks && remote === undefined) {
        throw new PeerChannelError(ErrorCode.SECURITY_MODE_MISMATCH, 'this mesh requires transport-authenticated links');
      }
      const signal = this.abort.signal;
      if (this.options.admission) {
        await this.options.admission.admit(link, { role: 'acceptor', mesh: this.options.mesh, localPeerId: this.localPeerId, remotePeerId: remote, identity: this.options.identity, signal });
      }
      const hello = await awaitHello(link, this.options.mesh, this.limits, this.options.handshakeTimeoutMs, signal);
      if (remote !== undefined && hello.peerId !== remote) {
        throw new PeerChannelError(ErrorCode.PEER_ID_MISMATCH, `hello claims ${hello.peerId.slice(0, 12)} but the link authenticated ${remote.slice(0, 12)}`);
      }
      if (hello.peerId === this.localPeerId) throw new PeerChannelError(ErrorCode.SELF_CONNECTION, 'a peer with my own id dialled me');
      this.options.checkHelloExt?.(hello.ext);
      if (this.neighborMap.size >= this.options.neighbors.max && !this.neighborMap.has(hello.peerId)) {
        this.referrals.add({ peerId: hello.peerId, addresses: hello.addresses }, this.localPeerId);
        refuse(link, ErrorCode.BUSY, `at the maximum of ${this.options.neighbors.max} neighbours`, this.referralList(hello.peerId));
        this.count(ErrorCode.BUSY);
        return;
      }
      const existing = this.neighborMap.get(hello.peerId);
      if (existing !== undefined && !this.newLinkWins(existing, link, hello.peerId)) {
        refuse(link, ErrorCode.DUPLICATE_LINK, 'already linked', []);
        this.count(ErrorCode.DUPLICATE_LINK);
        return;
      }
      welcome(link, this.localPeerId, this.options.transport.addresses, this.options.helloExt);
      this.register(new Neighbor(hello.peerId, link, hello.addresses));
    } catch (error) {
      const e = failLink(link, error);
      this.count(e.code);
      this.report(e);
    } finally {
      this.pending.delete(link);
    }
  }

  /** Two links to one peer: keep the one dialled by the lower peer id (both sides agree). */
  private newLinkWins(existing: Neighbor, link: Link, peerId: string): boolean {
    const dialerOf = (l: Link) => (l.direction === 'outbound' ? this.localPeerId : peerId);
    const oldDialer = dialerOf(existing.link);
    const newDialer = dialerOf(link);
    if (oldDialer === newDialer) return false;
    return newDialer < oldDialer;
  }

  /** Adds a handshaken neighbour; returns undefined if it lost the duplicate-link rule. */
  private register(neighbor: Neighbor): Neighbor | undefined {
    if (this.closed) {
      neighbor.link.close(ErrorCode.CLOSED, 'node is closing');
      return undefined;
    }
    const existing = this.neighborMap.get(neighbor.peerId);
    if (existing !== undefined) {
      if (!this.newLinkWins(existing, neighbor.link, neighbor.peerId)) {
        neighbor.link.close(ErrorCode.DUPLICATE_LINK, 'already linked');
        return undefined;
      }
      existing.link.close(ErrorCode.DUPLICATE_LINK, 'replaced by a preferred link');
    }
    this.neighborMap.set(neighbor.peerId, neighbor);
    this.referrals.delete(neighbor.peerId);
    neighbor.link.setReceiver((data) => this.onFrame(neighbor, data));
    void neighbor.link.closed.then((info) => {
      if (this.neighborMap.get(neighbor.peerId) === neighbor) {
        this.neighborMap.delete(neighbor.peerId);
        // Local closes were counted by whoever closed; count what the other side or the network ended.
        if (info.remote && info.code !== 'PC_OK' && info.code !== ErrorCode.DUPLICATE_LINK) this.count(info.code);
        this.neighborsChanged();
        if (!this.closed && this.neighborMap.size < this.options.neighbors.min) this.scheduleMaintenance(0);
      }
    });
    this.neighborsChanged();
    return neighbor;
  }

  private neighborsChanged(): void {
    if (this.closed) return;
    this.neighborSet.next([...this.neighborMap.values()].map(neighborInfo));
    this.status.next(this.neighborMap.size > 0 ? 'online' : 'offline');
  }

  private onFrame(from: Neighbor, data: Uint8Array): void {
    let frame;
    try {
      frame = decodeFrame(data, this.limits);
    } catch (error) {
      this.violation(from, toPeerChannelError(error, ErrorCode.FRAME_DECODE));
      return;
    }
    try {
      switch (frame.kind) {
        case FrameKind.Flood:
          this.flooder.receive(from, frame as Extract<typeof frame, { kind: 10 }>);
          return;
        case FrameKind.Direct:
          this.router.receive(from, frame as Extract<typeof frame, { kind: 11 }>);
          return;
        case FrameKind.Disconnect:
          this.referrals.addAll((frame as DisconnectFrame).referrals, this.localPeerId);
          from.link.close('PC_OK', 'peer left');
          return;
        default: {
          const handler = this.extensions.get(frame.kind);
          if (handler === undefined || frame.kind < FrameKind.FirstExtension) {
            this.violation(from, new PeerChannelError(ErrorCode.FRAME_UNEXPECTED, `unexpected frame kind ${frame.kind} after the handshake`));
            return;
          }
          handler(from, (frame as { payload: unknown }).payload);
        }
      }
    } catch (error) {
      this.report(toPeerChannelError(error, ErrorCode.INTERNAL));
    }
  }

  // ---- MeshCore ----

  sign(body: Uint8Array): Uint8Array | null {
    return this.options.signer ? this.options.signer(body) : null;
  }

  verify(origin: string, body: Uint8Array, sig: Uint8Array | null): boolean {
    return this.options.verifier ? this.options.verifier(origin, body, sig) : true;
  }

  broadcast(frame: Uint8Array, except: Neighbor | undefined): number {
    let n = 0;
    for (const neighbor of this.neighborMap.values()) {
      if (neighbor !== except && neighbor.send(frame)) n += 1;
    }
    this.stats.relayed += n;
    return n;
  }

  deliver(message: DeliveredMessage): void {
    if (this.closed) return;
    this.stats.delivered += 1;
    this.onDeliver(message);
  }

  decide(make: () => PropagationDecision): void {
    if (this.decisions.observed) this.decisions.next(make());
  }

  violation(from: Neighbor, error: PeerChannelError): void {
    this.count(error.code);
    this.report(error);
    from.link.close(error.code, error.message);
  }

  drop(code: string, message: string): void {
    this.count(code);
    this.report(new PeerChannelError(code as ErrorCode, message));
  }

  report(error: PeerChannelError): void {
    if (!this.closed) this.errors.next(error);
  }

  learnRoute(origin: string, via: Neighbor): void {
    if (origin !== via.peerId) this.routes.set(origin, via.peerId);
  }

  routeTo(target: string): Neighbor | undefined {
    const via = this.routes.get(target);
    return via === undefined ? undefined : this.neighborMap.get(via);
  }

  private count(code: string): void {
    countDrop(this.stats, code);
  }

  // ---- maintenance ----

  private referralList(except: string): PeerRef[] {
    const out: PeerRef[] = [];
    for (const n of this.neighborMap.values()) {
      if (out.length >= this.options.maxReferrals) break;
      if (n.peerId !== except && n.addresses.length > 0) out.push({ peerId: n.peerId, addresses: n.addresses.slice(0, this.limits.maxAddresses) });
    }
    return out;
  }

  private scheduleMaintenance(delayMs: number): void {
    if (this.closed) return;
    if (this.maintenanceTimer !== undefined) clearTimeout(this.maintenanceTimer);
    this.maintenanceTimer = setTimeout(() => void this.maintain(), delayMs);
  }

  /** Tops the neighbour set up toward the ideal count: referrals first, then candidates. */
  async maintain(): Promise<void> {
    if (this.closed || this.maintaining) return;
    this.maintaining = true;
    try {
      const want = this.options.neighbors.ideal - this.neighborMap.size - this.dialing.size;
      if (want > 0) {
        const tried = new Set<string>();
        const pick = (peers: Iterable<PeerRef>) => {
          const out: PeerRef[] = [];
          for (const p of peers) {
            if (out.length + tried.size >= want) break;
            if (p.peerId === this.localPeerId || this.neighborMap.has(p.peerId) || this.dialing.has(p.peerId) || tried.has(p.peerId)) continue;
            if (p.addresses.length === 0) continue;
            out.push(p);
          }
          return out;
        };
        let batch = pick(this.referrals.values());
        if (batch.length < want) {
          try {
            const found = await this.options.candidates(this.abort.signal);
            batch = [...batch, ...pick(shuffle([...found]))].slice(0, want);
          } catch (error) {
            this.report(toPeerChannelError(error, ErrorCode.RESOLVER_FAILED));
          }
        }
        await Promise.all(batch.map((p) => this.tryConnect(p, tried)));
      }
    } finally {
      this.maintaining = false;
      this.scheduleMaintenance(this.options.maintenanceIntervalMs * (0.75 + Math.random() * 0.5));
    }
  }

  private async tryConnect(peer: PeerRef, tried: Set<string>): Promise<void> {
    tried.add(peer.peerId);
    this.dialing.add(peer.peerId);
    try {
      for (const address of peer.addresses) {
        if (this.closed || this.neighborMap.has(peer.peerId)) return;
        try {
          await this.connect(address, { expectedPeerId: peer.peerId });
          return;
        } catch (error) {
          const e = toPeerChannelError(error);
          this.referrals.delete(peer.peerId);
          if (e.code === ErrorCode.AUTH_FAILED || e.code === ErrorCode.UNTRUSTED_PEER) this.report(e);
          if (e.code === ErrorCode.BUSY || e.code === ErrorCode.DUPLICATE_LINK) return;
        }
      }
    } finally {
      this.dialing.delete(peer.peerId);
    }
  }

  // ---- lifecycle ----

  private assertOpen(): void {
    if (this.closed) throw new PeerChannelError(ErrorCode.CLOSED, 'the mesh is closed');
  }

  /** Leaves gracefully: tells neighbours (with referrals), closes links, stops timers. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    const goodbyes = [...this.neighborMap.values()].map((n) => {
      n.send(encodeFrame({ kind: FrameKind.Disconnect, code: 'PC_OK', message: 'leaving', referrals: this.referralList(n.peerId) }));
      return n;
    });
    this.closed = true;
    this.abort.abort();
    if (this.maintenanceTimer !== undefined) clearTimeout(this.maintenanceTimer);
    this.inboundSub?.unsubscribe();
    for (const n of goodbyes) n.link.close('PC_OK', 'leaving');
    for (const link of this.pending) link.close(ErrorCode.CLOSED, 'node is closing');
    this.neighborMap.clear();
    this.status.next('offline');
    this.neighborSet.next([]);
    this.status.complete();
    this.neighborSet.complete();
    this.decisions.complete();
    this.errors.complete();
    this.seen.clear();
  }
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
