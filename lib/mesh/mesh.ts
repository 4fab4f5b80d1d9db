import type { PeerId } from '../identity/peer-id.js';
import { BehaviorSubject, type Observable, Subject, type Subscription, distinctUntilChanged } from 'rxjs';
import { type CallBody, type DisconnectFrame, FrameKind, MESSAGE_FRAME_TAG, type MessageBody, type PeerRef, decodeFrame, encodeExtensionFrame, encodeFrame } from '../codec/index.js';
import { ErrorCode, PeerChannelError, toPeerChannelError } from '../errors/index.js';
import type { Link } from '../transport/transport.js';
import type { DeliveredMessage } from './delivered-message.js';
import { Flooder } from './flooder.js';
import { LinkGuard } from './link-guard.js';
import { LinkRetirement } from './link-retirement.js';
import { LargeMessages } from './chunks/large-messages.js';
import { MEMBER_ANNOUNCE_KIND, MemberDirectory, type MemberInfo } from './member-directory.js';
import { HandshakeRefused, awaitHello, dialerHandshake, failLink, refuse, welcome } from './handshake.js';
import type { MeshCore } from './mesh-core.js';
import { MeshFrameKind } from './mesh-frames.js';
import { type MeshStats, countDrop, emptyStats } from './mesh-stats.js';
import { Neighbor, type NeighborInfo, neighborInfo } from './neighbor.js';
import { BudgetVerdict, NeighborBudget } from './neighbor-budget.js';
import { InboundSlots } from './inbound-slots.js';
import { overBudget } from './message-intake.js';
import { type MaintenanceStats, NeighborManager } from './neighbor-manager.js';
import { type MeshOptions, type MeshTuning, resolveTuning } from './options.js';
import type { PropagationDecision } from './propagation.js';
import type { PassiveView } from './passive-view.js';
import type { ReferralCache } from './referral-cache.js';
import { ADMISSION_CODES, type MeshRefusal } from './refusal-tracker.js';
import { RouteDiscovery } from './route-discovery.js';
import { RouteTable } from './route-table.js';
import { Router } from './router.js';
import { SeenCache, idHex } from './seen-cache.js';
import { SeenIds } from './seen-ids.js';
import { TreeBroadcast } from './tree-broadcast.js';
import type { TraceHook } from './trace-hook.js';
import { debugLog } from '../internal/debug-log.js';

const log = debugLog('mesh');

/** Most peers held off at once by {@link Mesh.disconnect} (the oldest hold-off is forgotten first). */
export const MAX_HELD_OFF_PEERS = 1_024;

/** Most traced message ids remembered to report their duplicates (traces are rare and user-started). */
const MAX_TRACED_IDS = 4_096;

/** Codes an extension handler throws for a payload the neighbour got wrong: they close its link. */
const PEER_FAULTS: ReadonlySet<string> = new Set([ErrorCode.FRAME_SHAPE, ErrorCode.FRAME_DECODE, ErrorCode.FRAME_TOO_COMPLEX]);

/** The close reason a held-off peer's links get. */
const HELD_OFF_REASON = 'disconnected by this node; its links are refused for now';

/** Online once the first neighbour finished the handshake; offline at zero neighbours. */
export type MeshStatus = 'online' | 'offline';

/** How long one link took from dial (or accept) through admission and handshake to a neighbour. */
export interface HandshakeTiming {
  /** The neighbour's peer id. */
  readonly peerId: string;
  /** `outbound` when this node dialled, `inbound` when it accepted. */
  readonly direction: 'inbound' | 'outbound';
  /** Duration in milliseconds. */
  readonly ms: number;
}

/** Handles an extension frame from a neighbour. */
export type ExtensionHandler = (from: Neighbor, payload: unknown) => void;

/**
 * The overlay: accepts and dials links, runs the handshake, keeps the neighbour set, and
 * moves flooded and directed messages.
 *
 * @remarks
 * Composes the {@link Flooder} (with {@link TreeBroadcast} in tree mode), the {@link Router}
 * (with {@link RouteDiscovery}) and the {@link NeighborManager}; the channel layer above
 * receives deliveries through {@link Mesh.onDeliver}. Owns every timer and link it creates;
 * {@link Mesh.close} ends them all.
 */
export class Mesh implements MeshCore {
  readonly localPeerId: PeerId;
  readonly limits;
  readonly seen: SeenIds;
  readonly traced: SeenIds;
  readonly stats: MeshStats = emptyStats();
  readonly filter;
  readonly tuning: MeshTuning;
  private readonly neighborMap = new Map<string, Neighbor>();
  private readonly routes = new RouteTable(10_000);
  private readonly flooder: Flooder;
  private readonly guard: LinkGuard;
  private readonly router: Router;
  private readonly tree: TreeBroadcast;
  private readonly discovery: RouteDiscovery;
  private readonly manager: NeighborManager;
  private readonly extensions = new Map<number, ExtensionHandler>();
  private readonly pending = new Set<Link>();
  /** Peers cut by {@link Mesh.disconnect} whose links are refused until the time given (ms since the epoch). */
  private readonly heldOff = new Map<string, number>();
  private readonly inboundSlots: InboundSlots;
  private readonly retirement: LinkRetirement;
  private readonly directory: MemberDirectory;
  private readonly large: LargeMessages;
  private readonly status = new BehaviorSubject<MeshStatus>('offline');
  private readonly neighborSet = new BehaviorSubject<readonly NeighborInfo[]>([]);
  private readonly decisions = new Subject<PropagationDecision>();
  private readonly errors = new Subject<PeerChannelError>();
  private readonly handshakes = new Subject<HandshakeTiming>();
  private readonly refusals = new Subject<MeshRefusal>();
  private refusalState: MeshRefusal | undefined;
  private readonly abort = new AbortController();
  private inboundSub: Subscription | undefined;
  private isClosed = false;
  /** Set by the channel layer; returns the code a message was refused with, if it was. */
  onDeliver: (message: DeliveredMessage) => string | undefined = () => undefined;
  /** Set by the channel layer: this node's own message `id` was dropped before it left (fails the call waiting on it). */
  onUndeliverable: (id: Uint8Array, error: PeerChannelError) => void = () => undefined;
  /** Set by the channel layer: this node's own directed message `id`, which waited for a route, has left. */
  onDispatched: (id: Uint8Array) => void = () => undefined;
  /** Set while message tracing is on (by the observe layer). */
  tracer: TraceHook | undefined;

  /** Hot, replays the current status. */
  readonly status$: Observable<MeshStatus> = this.status.pipe(distinctUntilChanged());
  /** Hot, replays the current neighbour set on subscribe. */
  readonly neighbors$: Observable<readonly NeighborInfo[]> = this.neighborSet.asObservable();
  /** Hot: one decision per message handled. */
  readonly decisions$: Observable<PropagationDecision> = this.decisions.asObservable();
  /** Hot: dropped input, refused links, failed handlers. */
  readonly errors$: Observable<PeerChannelError> = this.errors.asObservable();
  /** Hot: each time the mesh refuses this node's admission while it is offline (see {@link Mesh.refusal}). */
  readonly refused$: Observable<MeshRefusal> = this.refusals.asObservable();
  /** Hot: how long each link that became a neighbour took, from dial or accept to the neighbour set. */
  readonly handshakes$: Observable<HandshakeTiming> = this.handshakes.asObservable();

  constructor(private readonly options: MeshOptions) {
    this.guard = new LinkGuard(options);
    this.localPeerId = options.identity.peerId;
    this.limits = options.limits;
    this.filter = options.filter;
    this.seen = new SeenIds(options.seenTtlMs, options.seenMaxEntries);
    this.traced = new SeenIds(options.seenTtlMs, MAX_TRACED_IDS);
    this.tuning = resolveTuning(options.tuning, (m) => new PeerChannelError(ErrorCode.INVALID_ARGUMENT, m));
    this.inboundSlots = new InboundSlots(this.tuning.maxPendingInbound);
    this.retirement = new LinkRetirement(options.handshakeTimeoutMs, (n, data) => this.onFrame(n, data));
    this.tree = new TreeBroadcast(this, this.tuning, this.tuning.broadcast === 'tree');
    this.flooder = new Flooder(this, this.tree.active ? this.tree : undefined);
    this.discovery = new RouteDiscovery(
      {
        ...this.coreView(),
        signsMessages: options.signer !== undefined,
        sign: (bytes) => this.sign(bytes),
        verify: (peer, bytes, sig) => this.verify(peer, bytes, sig),
        nextHop: (t) => this.nextHop(t),
        undeliverable: (id, code, message) => this.undeliverable(id, code, message),
        dispatched: (id) => this.onDispatched(id),
        forgetRoute: (peer, via) => {
          if (this.routes.get(peer) === via.peerId) this.routes.delete(peer);
        },
      },
      this.tuning,
    );
    this.router = new Router(this, options.directTtl, this.discovery);
    this.manager = new NeighborManager(this.managedView(), options.neighbors, this.tuning, options.maintenanceIntervalMs);
    this.directory = new MemberDirectory(
      {
        localPeerId: this.localPeerId, limits: this.limits, neighbors: this.neighborMap, neighbors$: this.neighbors$,
        sendExtension: (to, kind, payload) => this.sendExtension(to, kind, payload),
        sign: (bytes) => this.sign(bytes), verify: (peer, bytes, sig) => this.verify(peer, bytes, sig),
        violation: (from, e) => this.violation(from, e), drop: (code, message) => this.drop(code, message), count: (code) => this.count(code),
      },
      this.tuning,
    );
    this.large = new LargeMessages(
      {
        limits: this.limits, seen: (key) => this.seen.has(key), violation: (from, e) => this.violation(from, e),
        count: (code) => this.count(code), drop: (code, message) => this.drop(code, message), complete: (from, frame) => this.onLargeFrame(from, frame),
      },
      this.tuning,
    );
    for (const [kind, handler] of this.large.handlers()) this.extensions.set(kind, handler);
    const directory = this.directory;
    this.extensions.set(MEMBER_ANNOUNCE_KIND, (from, p) => directory.onAnnounce(from, p));
    const tree = this.tree;
    const manager = this.manager;
    const discovery = this.discovery;
    this.extensions.set(MeshFrameKind.Utility, (from, p) => manager.onUtility(from, p));
    this.extensions.set(MeshFrameKind.Shuffle, (from, p) => manager.onShuffle(from, p, this.limits));
    this.extensions.set(MeshFrameKind.IHave, (from, p) => tree.onIHave(from, p));
    this.extensions.set(MeshFrameKind.Graft, (from, p) => tree.onGraft(from, p));
    this.extensions.set(MeshFrameKind.Prune, (from, p) => tree.onPrune(from, p));
    this.extensions.set(MeshFrameKind.RouteRequest, (from, p) => discovery.onRequest(from, p));
    this.extensions.set(MeshFrameKind.RouteReply, (from, p) => discovery.onReply(from, p));
    this.extensions.set(MeshFrameKind.RouteError, (from, p) => discovery.onError(from, p));
  }

  private coreView() {
    return {
      localPeerId: this.localPeerId,
      limits: this.limits,
      stats: this.stats,
      neighbors: this.neighborMap,
      sendExtension: (to: Neighbor, kind: number, payload: unknown) => this.sendExtension(to, kind, payload),
      learnRoute: (peer: string, via: Neighbor) => this.learnRoute(peer, via),
      drop: (code: string, message: string) => this.drop(code, message),
    };
  }

  private managedView() {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const mesh = this;
    return {
      localPeerId: this.localPeerId,
      neighbors: this.neighborMap,
      get addresses() {
        return mesh.options.transport.addresses;
      },
      maxAddresses: this.limits.maxAddresses,
      get closed() {
        return mesh.isClosed;
      },
      signal: this.abort.signal,
      connect: (address: string, o: { expectedPeerId?: string }) => this.connect(address, o),
      candidates: (signal: AbortSignal) => this.options.candidates(signal),
      sendExtension: (to: Neighbor, kind: number, payload: unknown) => this.sendExtension(to, kind, payload),
      dismiss: (n: Neighbor, code: ErrorCode, message: string) => this.dismiss(n, code, message),
      count: (code: string) => this.count(code),
      report: (e: PeerChannelError) => this.report(e),
      refused: (r: MeshRefusal) => this.refused(r),
      isHeldOff: (peerId: string) => this.isHeldOff(peerId),
    };
  }

  /** Referrals heard from busy refusals and goodbyes, tried before anything else. */
  get referrals(): ReferralCache {
    return this.manager.referrals;
  }

  /** Known, not linked peers kept for fast repair (the passive view). */
  get passiveView(): PassiveView {
    return this.manager.passive;
  }

  /** What neighbour maintenance has done so far. */
  get maintenanceStats(): Readonly<MaintenanceStats> {
    return this.manager.stats;
  }

  /** Largest message sent or taken; above `limits.maxFrameBytes` it travels in chunks. */
  get maxMessageBytes(): number {
    return this.tuning.maxMessageBytes;
  }

  /**
   * Settles once this node holds at most `chunkQueueHighBytes` of large messages to send (at
   * once when it does): what a sender of large messages awaits, so memory stays bounded.
   */
  whenSendable(): Promise<void> {
    return this.large.sender.whenSendable();
  }

  /** Whether {@link Mesh.close} has run. */
  get closed(): boolean {
    return this.isClosed;
  }

  get neighbors(): ReadonlyMap<string, Neighbor> {
    return this.neighborMap;
  }

  /** The neighbour set as `neighbors$` last reported it. */
  get neighborList(): readonly NeighborInfo[] {
    return this.neighborSet.value;
  }

  /** Hot: replays the mesh-wide member list (this node first), then each join and leave. See {@link MemberDirectory}. */
  get members$(): Observable<readonly MemberInfo[]> {
    return this.directory.members$;
  }

  /** The mesh-wide member list now, this node first. */
  get members(): readonly MemberInfo[] {
    return this.directory.members;
  }

  get currentStatus(): MeshStatus {
    return this.status.value;
  }

  /** The refusal that keeps this node out of the mesh, while it does; `undefined` once online. */
  get refusal(): MeshRefusal | undefined {
    return this.refusalState;
  }

  private refused(refusal: MeshRefusal): void {
    if (this.isClosed || this.neighborMap.size > 0) return;
    const first = this.refusalState === undefined;
    this.refusalState = refusal;
    if (log.enabled) log('%s refused by the mesh: %s (%d members)', this.localPeerId.slice(0, 8), refusal.code, refusal.refusedBy.length);
    if (first) this.refusals.next(refusal);
  }

  /** Starts accepting links and maintaining the neighbour set. */
  start(): void {
    this.inboundSub = this.options.transport.inbound$.subscribe((link) => void this.accept(link));
    this.manager.start();
    this.directory.start();
  }

  /** Runs one neighbour-maintenance round now (normally they run on a timer). */
  maintain(): Promise<void> {
    return this.manager.round();
  }

  // ---- sending ----

  /** Floods a call from this node. */
  flood(body: CallBody, hops: number | undefined): void {
    this.assertOpen();
    this.flooder.send(body, hops);
  }

  /**
   * Sends a directed call or reply: true when it left at once, false when it waits for route
   * discovery (then `onDispatched` or `onUndeliverable` follows with its id).
   */
  direct(body: MessageBody & { target: string }): boolean {
    this.assertOpen();
    return this.router.send(body);
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
    if (options.expectedPeerId !== undefined) this.assertNotHeldOff(options.expectedPeerId);
    const signal = options.signal ? AbortSignal.any([options.signal, this.abort.signal]) : this.abort.signal;
    let link: Link;
    try {
      link = await this.options.transport.dial(address, { expectedPeerId: options.expectedPeerId, signal });
    } catch (error) {
      throw toPeerChannelError(error, ErrorCode.DIAL_FAILED);
    }
    this.pending.add(link);
    const started = performance.now();
    try {
      await this.guard.admit(link, 'dialer', signal);
      const result = await dialerHandshake(
        link,
        { peerId: this.localPeerId, mesh: this.options.mesh, addresses: this.options.transport.addresses, ext: this.options.helloExt ?? {} },
        this.limits,
        this.options.handshakeTimeoutMs,
        signal,
      );
      this.guard.checkClaim(link, result.peerId, result.ext, options.expectedPeerId);
      this.assertNotHeldOff(result.peerId);
      if (this.neighborMap.size >= this.options.neighbors.max && !this.neighborMap.has(result.peerId)) {
        // Links accepted while this dial was in flight filled the set: keep the maximum a maximum.
        link.send(encodeFrame({ kind: FrameKind.Disconnect, code: ErrorCode.BUSY, message: 'at the maximum', referrals: this.referralList(result.peerId) }));
        throw new PeerChannelError(ErrorCode.BUSY, `reached the maximum of ${this.options.neighbors.max} neighbours while dialling`);
      }
      const neighbor = this.register(new Neighbor(result.peerId, link, result.addresses, new NeighborBudget(this.tuning)));
      if (neighbor === undefined) throw new PeerChannelError(ErrorCode.DUPLICATE_LINK, `already linked to ${result.peerId.slice(0, 12)}`);
      this.timed(neighbor, started);
      return neighborInfo(neighbor);
    } catch (error) {
      if (error instanceof HandshakeRefused) this.manager.referred(error.referrals);
      // A link that lost the duplicate-link rule after both sides took it is retired, not cut.
      if (this.retirement.holds(link)) throw toPeerChannelError(error);
      throw failLink(link, error);
    } finally {
      this.pending.delete(link);
    }
  }

  private async accept(link: Link): Promise<void> {
    if (this.isClosed) {
      link.close(ErrorCode.CLOSED, 'node is closing');
      return;
    }
    if (link.remotePeerId !== undefined && this.isHeldOff(link.remotePeerId)) {
      // Before admission: a peer held off costs no key exchange.
      link.close(ErrorCode.DISCONNECTED, HELD_OFF_REASON);
      this.count(ErrorCode.DISCONNECTED);
      return;
    }
    this.pending.add(link);
    if (this.inboundSlots.add(link) !== undefined) this.count(ErrorCode.BUSY);
    const started = performance.now();
    try {
      const signal = this.abort.signal;
      await this.guard.admit(link, 'acceptor', signal);
      const hello = await awaitHello(link, this.options.mesh, this.limits, this.options.handshakeTimeoutMs, signal);
      this.guard.checkClaim(link, hello.peerId, hello.ext);
      if (this.isHeldOff(hello.peerId)) {
        refuse(link, ErrorCode.DISCONNECTED, HELD_OFF_REASON, []);
        this.count(ErrorCode.DISCONNECTED);
        return;
      }
      if (this.neighborMap.size >= this.options.neighbors.max && !this.neighborMap.has(hello.peerId)) {
        this.manager.heardOf({ peerId: hello.peerId, addresses: hello.addresses.slice(0, this.limits.maxAddresses) });
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
      const neighbor = this.register(new Neighbor(hello.peerId, link, hello.addresses, new NeighborBudget(this.tuning)));
      if (neighbor !== undefined) this.timed(neighbor, started);
    } catch (error) {
      const e = failLink(link, error);
      if (ADMISSION_CODES.has(e.code) && link.remotePeerId !== undefined) this.manager.refusals.inbound(link.remotePeerId);
      if (!this.inboundSlots.wasEvicted(link)) {
        this.count(e.code);
        this.report(e);
      }
    } finally {
      this.pending.delete(link);
      this.inboundSlots.delete(link);
    }
  }

  private timed(neighbor: Neighbor, started: number): void {
    if (this.handshakes.observed) this.handshakes.next({ peerId: neighbor.peerId, direction: neighbor.direction, ms: performance.now() - started });
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
    neighbor.chunker = this.large.sender;
    if (this.isClosed) {
      neighbor.link.close(ErrorCode.CLOSED, 'node is closing');
      return undefined;
    }
    const existing = this.neighborMap.get(neighbor.peerId);
    if (existing !== undefined) {
      if (!this.newLinkWins(existing, neighbor.link, neighbor.peerId)) {
        this.retirement.retire(neighbor);
        return undefined;
      }
      this.retirement.retire(existing);
    }
    this.neighborMap.set(neighbor.peerId, neighbor);
    if (log.enabled) log('%s linked to %s (%s)', this.localPeerId.slice(0, 8), neighbor.peerId.slice(0, 8), neighbor.direction);
    void neighbor.link.closed.then((info) => {
      if (this.neighborMap.get(neighbor.peerId) === neighbor) {
        if (log.enabled) log('%s lost %s: %s %s (%s)', this.localPeerId.slice(0, 8), neighbor.peerId.slice(0, 8), info.code, info.reason, info.remote ? 'remote' : 'local');
        this.neighborMap.delete(neighbor.peerId);
        // Local closes were counted by whoever closed; count what the other side or the network ended.
        if (info.remote && info.code !== 'PC_OK' && info.code !== ErrorCode.DUPLICATE_LINK) this.count(info.code);
        this.neighborsChanged();
        if (!this.isClosed) this.manager.removed(neighbor, !info.remote && info.code === ErrorCode.NOT_USEFUL);
      }
    });
    this.tree.linked(neighbor.peerId);
    this.manager.added(neighbor);
    this.discovery.found(neighbor.peerId);
    this.neighborsChanged();
    // Frames buffered since the handshake are delivered only now, after status$ and neighbors$
    // have reported the new neighbour.
    neighbor.link.setReceiver((data) => this.onFrame(neighbor, data));
    return neighbor;
  }

  private neighborsChanged(): void {
    if (this.isClosed) return;
    if (this.neighborMap.size > 0) this.refusalState = undefined;
    this.neighborSet.next([...this.neighborMap.values()].map(neighborInfo));
    this.status.next(this.neighborMap.size > 0 ? 'online' : 'offline');
  }

  private onFrame(from: Neighbor, data: Uint8Array): void {
    from.framesIn += 1;
    const verdict = from.budget.frame();
    if (verdict !== BudgetVerdict.Ok) {
      overBudget(this, from, verdict, `more than ${this.tuning.maxFrameBurst} frames over ${this.tuning.maxFramesPerSecond}/s`);
      return;
    }
    // Dedup before decode: a copy of a flood seen before is counted from its header alone.
    if (data[0] === MESSAGE_FRAME_TAG) {
      try {
        if (this.flooder.receiveSeen(from, data)) return;
      } catch (error) {
        this.report(toPeerChannelError(error, ErrorCode.INTERNAL));
        return;
      }
    }
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
        case FrameKind.Disconnect: {
          const d = frame as DisconnectFrame;
          this.manager.referred(d.referrals);
          if (d.code === ErrorCode.DUPLICATE_LINK) {
            this.retirement.noticed(from);
            return;
          }
          const pruned = d.code === ErrorCode.NOT_USEFUL;
          if (pruned) this.count(ErrorCode.NOT_USEFUL);
          from.link.close(pruned ? ErrorCode.NOT_USEFUL : 'PC_OK', pruned ? 'pruned by the other side' : 'peer left');
          return;
        }
        default: {
          const handler = this.extensions.get(frame.kind);
          if (handler === undefined || frame.kind < FrameKind.FirstExtension) {
            this.violation(from, new PeerChannelError(ErrorCode.FRAME_UNEXPECTED, `unexpected frame kind ${frame.kind} after the handshake`));
            return;
          }
          try {
            handler(from, (frame as { payload: unknown }).payload);
          } catch (error) {
            // A payload its decoder refused is the neighbour's violation, whichever extension it is for.
            if (error instanceof PeerChannelError && PEER_FAULTS.has(error.code)) this.violation(from, error);
            else throw error;
          }
        }
      }
    } catch (error) {
      this.report(toPeerChannelError(error, ErrorCode.INTERNAL));
    }
  }

  /** A large frame, reassembled from chunks: only floods and directed messages come this way. */
  private onLargeFrame(from: Neighbor, data: Uint8Array): void {
    let frame;
    try {
      frame = decodeFrame(data, this.large.largeLimits);
    } catch (error) {
      this.violation(from, toPeerChannelError(error, ErrorCode.FRAME_DECODE));
      return;
    }
    if (frame.kind === FrameKind.Flood) this.flooder.receive(from, frame as Extract<typeof frame, { kind: 10 }>);
    else if (frame.kind === FrameKind.Direct) this.router.receive(from, frame as Extract<typeof frame, { kind: 11 }>);
    else this.violation(from, new PeerChannelError(ErrorCode.CHUNK_INVALID, `a chunked frame of kind ${frame.kind}: only messages are chunked`));
  }

  /**
   * Cuts every link to `peerId` — its neighbour link, links still in admission or handshake, and
   * a duplicate being retired — closing each with `code` (the WebSocket close carries it, so the
   * other side sees it too), and for `holdOffMs` refuses its links (`PC_ERR_DISCONNECTED`) and
   * dials none to it. A hold-off of 0 lifts one in force.
   * @returns the links closed, settled once each has closed.
   */
  disconnect(peerId: string, code: ErrorCode, reason: string, holdOffMs: number): Promise<number> {
    this.assertOpen();
    this.heldOff.delete(peerId);
    if (holdOffMs > 0) {
      if (this.heldOff.size >= MAX_HELD_OFF_PEERS) {
        const oldest = this.heldOff.keys().next();
        if (oldest.done !== true) this.heldOff.delete(oldest.value);
      }
      this.heldOff.set(peerId, Date.now() + holdOffMs);
    }
    const links: Link[] = [];
    const neighbor = this.neighborMap.get(peerId);
    if (neighbor !== undefined) links.push(neighbor.link);
    for (const link of this.pending) if (link.remotePeerId === peerId) links.push(link);
    for (const link of links) link.close(code, reason);
    links.push(...this.retirement.closePeer(peerId, code, reason));
    if (links.length > 0) {
      this.count(code);
      if (log.enabled) log('%s disconnected %s: %s %s (%d links)', this.localPeerId.slice(0, 8), peerId.slice(0, 8), code, reason, links.length);
    }
    return Promise.all(links.map((l) => l.closed)).then(() => links.length);
  }

  /** Refuses to dial a peer held off by {@link Mesh.disconnect}. */
  private assertNotHeldOff(peerId: string): void {
    if (this.isHeldOff(peerId)) throw new PeerChannelError(ErrorCode.DISCONNECTED, `${peerId.slice(0, 12)} was disconnected by this node and is held off`);
  }

  /** Whether `peerId` is held off by {@link Mesh.disconnect} now. */
  isHeldOff(peerId: string): boolean {
    const until = this.heldOff.get(peerId);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.heldOff.delete(peerId);
    return false;
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

  deliver(message: DeliveredMessage): string | undefined {
    if (this.isClosed) return ErrorCode.CLOSED;
    this.stats.delivered += 1;
    return this.onDeliver(message);
  }

  /** True while someone observes {@link Mesh.decisions$}: only then is a duplicate's body decoded, to report it. */
  get decisionsObserved(): boolean {
    return this.decisions.observed;
  }

  decide(make: () => PropagationDecision): void {
    if (this.decisions.observed) this.decisions.next(make());
  }

  violation(from: Neighbor, error: PeerChannelError): void {
    this.count(error.code);
    if (log.enabled) log('%s closing %s: %s %s', this.localPeerId.slice(0, 8), from.peerId.slice(0, 8), error.code, error.message);
    this.report(error);
    from.link.close(error.code, error.message);
  }

  drop(code: string, message: string, _from?: Neighbor, messageId?: string): void {
    this.count(code);
    if (log.enabled) log('%s dropped: %s %s', this.localPeerId.slice(0, 8), code, message);
    this.report(new PeerChannelError(code as ErrorCode, message, { messageId }));
  }

  /** This node's own message was dropped before it left: counted, reported with its id, and its call failed. */
  private undeliverable(id: Uint8Array, code: ErrorCode, message: string): void {
    const messageId = idHex(id);
    const error = new PeerChannelError(code, `message ${messageId} dropped: ${message}`, { messageId });
    this.count(code);
    if (log.enabled) log('%s dropped own %s: %s %s', this.localPeerId.slice(0, 8), messageId, code, message);
    this.report(error);
    this.onUndeliverable(id, error);
  }

  report(error: PeerChannelError): void {
    if (!this.isClosed) this.errors.next(error);
  }

  learnRoute(origin: string, via: Neighbor): void {
    if (origin !== via.peerId) this.routes.set(origin, via.peerId);
  }

  routeTo(target: string): Neighbor | undefined {
    const via = this.routes.get(target);
    return via === undefined ? undefined : this.neighborMap.get(via);
  }

  private nextHop(target: string): Neighbor | undefined {
    return this.neighborMap.get(target) ?? this.routeTo(target);
  }

  /** Says goodbye to one neighbour with referrals, then closes its link with `code`. */
  private dismiss(n: Neighbor, code: ErrorCode, message: string): void {
    n.send(encodeFrame({ kind: FrameKind.Disconnect, code, message, referrals: this.referralList(n.peerId) }));
    n.link.close(code, message);
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

  // ---- lifecycle ----

  private assertOpen(): void {
    if (this.isClosed) throw new PeerChannelError(ErrorCode.CLOSED, 'the mesh is closed');
  }

  /** Leaves gracefully: tells neighbours (with referrals), closes links, stops timers. Idempotent. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.directory.close();
    const goodbyes = [...this.neighborMap.values()].map((n) => {
      n.send(encodeFrame({ kind: FrameKind.Disconnect, code: 'PC_OK', message: 'leaving', referrals: this.referralList(n.peerId) }));
      return n;
    });
    this.isClosed = true;
    this.abort.abort();
    this.manager.stop();
    this.tree.close();
    this.discovery.close();
    this.retirement.close();
    this.large.close();
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
    this.handshakes.complete();
    this.refusals.complete();
    this.manager.refusals.clear();
    this.heldOff.clear();
    this.seen.clear();
    this.traced.clear();
  }
}
