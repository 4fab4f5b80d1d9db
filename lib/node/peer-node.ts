import 'reflect-metadata';
import { type Observable, defer, filter } from 'rxjs';
import { type DependencyContainer, container as rootContainer } from 'tsyringe';
import { Channel } from '../channel/channel.js';
import type { PeerCall } from '../channel/peer-call.js';
import { type OperationKeys, type PeerProxy, createProxy } from '../channel/proxy.js';
import { defaultFrameLimits } from '../codec/index.js';
import { type ContractClass, describeContract } from '../contracts/index.js';
import { ErrorCode, PeerChannelError, toPeerChannelError } from '../errors/index.js';
import { PeerIdentity, peerIdFromSpki } from '../identity/peer-identity.js';
import type { PeerId } from '../identity/peer-id.js';
import { loadOrCreateIdentity } from '../identity/identity-store.js';
import { NodeRecords, recordsIdentityDirectory } from '../records/node-records.js';
import type { RecordCollection } from '../records/record-collection.js';
import type { RecordStoreStats } from '../records/record-store-stats.js';
import type { RecordClass } from '../records/record-type-descriptor.js';
import type { RecordsOptions } from '../records/records-options.js';
import type { RecordSpaceName, RecordSyncReport } from '../records/record-space.js';
import type { RecordSyncStats } from '../records/sync/record-sync.js';
import { type HandshakeTiming, Mesh, type MeshStatus } from '../mesh/mesh.js';
import type { MeshStats } from '../mesh/mesh-stats.js';
import type { MemberInfo } from '../mesh/member-directory.js';
import type { NeighborInfo } from '../mesh/neighbor.js';
import type { MeshRefusal } from '../mesh/refusal-tracker.js';
import { defaultNeighborLimits, resolveTuning } from '../mesh/options.js';
import type { PropagationDecision } from '../mesh/propagation.js';
import type { PeerResolver } from '../resolver/resolver.js';
import type { Transport } from '../transport/transport.js';
import { RegistrationKeeper } from '../resolver/registration-keeper.js';
import { securedMeshOwner } from '../resolver/secured-mesh.js';
import { checkSecurityHelloExt, meshSecurity, securityHelloExt } from '../security/security-mode.js';
import { checkNodeOptions } from './check-options.js';
import { type DisconnectOptions, checkDisconnect } from './disconnect.js';
import { type WhenOnlineOptions, whenOnline } from './when-online.js';
import { nodeDefaults } from './defaults.js';
import { parseMeshAddress } from './mesh-address.js';
import type { PeerNodeOptions } from './options.js';
import { type Token, token } from './token.js';
import { resolveService } from './injection.js';
import type { MeshView, MeshViewOptions, NodeDescription } from '../observe/index.js';
import { NodeRecord } from '../observe/mesh-record.js';
import { type MessageTrace, NodeObserver, ObserveContract, type TraceSummary, defaultObserveOptions } from '../observe/index.js';

/** Injection token for the {@link PeerNode} that hosts a service. */
export const PEER_NODE: Token<PeerNode> = token<PeerNode>('node');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
/** A class whose instances implement a contract. */
export type ServiceClass<T> = new (...args: any[]) => T;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
/**
 * The parameter tuple of operation `K` of contract `C`; for a union of operations (as `calls$(C)`
 * without an operation uses), the union of their tuples.
 */
export type OperationArgs<C, K extends keyof C> = K extends keyof C ? (C[K] extends (...args: infer A) => any ? A : never) : never;

/**
 * A peer in a named mesh: the façade that composes transport, resolver, mesh and channel.
 *
 * @remarks
 * Open one with {@link PeerNode.open}. The node is `offline` until its first neighbour
 * finishes the handshake. By default a node receives its own flooded messages (as WCF did);
 * filter them with `notFromSelf()` or a propagation filter.
 *
 * @example
 * ```ts
 * const node = await PeerNode.open('net.p2p://lobby');
 * node.host(Chat, ChatService);
 * await node.proxy(Chat).say('alice', 'hello');
 * ```
 */
export class PeerNode {
  /** This node's child container: register your own services here. */
  readonly container: DependencyContainer;
  private readonly channel: Channel;
  private observer!: NodeObserver;
  private readonly closers: (() => Promise<void> | void)[] = [];
  private closing: Promise<void> | undefined;
  private recordsPart: NodeRecords | undefined;

  private constructor(
    /** The mesh name (`lobby` for `net.p2p://lobby`). */
    readonly meshName: string,
    /** This node's key pair; `identity.peerId` is its peer id. */
    readonly identity: PeerIdentity,
    private readonly transport: Transport,
    private readonly mesh: Mesh,
    channelOptions: ConstructorParameters<typeof Channel>[1],
  ) {
    this.channel = new Channel(mesh, channelOptions);
    this.container = rootContainer.createChildContainer();
    this.container.register(PEER_NODE, { useValue: this });
  }

  /**
   * Joins the mesh at `address` (`net.p2p://name`): listens, registers with the resolver,
   * and connects to the members it finds.
   *
   * @remarks Resolves once listening and registered; neighbours are found in the background
   * (watch `status$`). A node whose transport has no addresses (dial-out only, e.g.
   * `webSocketTransport({ listen: false })` behind NAT) registers nothing and joins through the
   * links it dials. A secured mesh name `<peer id>.<classifier>` is registered by its owner only,
   * and the only peer dialled from the resolver's answers is that owner (see `securedMeshOwner`).
   * @throws PeerChannelError `PC_ERR_INVALID_MESH_ADDRESS` for a bad address and
   * `PC_ERR_INVALID_ARGUMENT` for an option out of range (a negative `replyTimeoutMs`, a
   * fractional count, `NaN`…), both before anything listens; network failures reject.
   */
  static async open(address: string, options: PeerNodeOptions = {}): Promise<PeerNode> {
    const meshName = parseMeshAddress(address);
    checkNodeOptions(options);
    // Checked here too (the mesh checks it again), so bad tuning fails before anything listens.
    resolveTuning(options.mesh, (m) => new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `PeerNode.open: ${m}`));
    // A secured mesh name is found only through its owner: nobody else registers it, and only the
    // owner's peer id is dialled from what the resolver returns (TLS pins it).
    const owner = securedMeshOwner(meshName);
    const recordsOptions: RecordsOptions | undefined = options.records === true ? {} : options.records === false ? undefined : options.records;
    const keepsIdentity = recordsOptions !== undefined && (recordsOptions.storage ?? 'disk') !== 'memory';
    const identity =
      options.identity ?? (keepsIdentity ? await loadOrCreateIdentity(recordsIdentityDirectory(recordsOptions)) : PeerIdentity.generate());
    const limits = { ...defaultFrameLimits, ...options.limits };
    if (options.topology !== undefined && options.topology !== 'managed' && options.topology !== 'fixed') {
      throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `topology must be 'managed' or 'fixed', not ${String(options.topology)}`);
    }
    const fixedTopology = options.topology === 'fixed';
    const neighbors = { ...defaultNeighborLimits, ...options.neighbors, ...(fixedTopology ? { min: 0, ideal: 0 } : {}) };
    if (!(neighbors.min >= 0 && neighbors.min <= neighbors.ideal && neighbors.ideal <= neighbors.max && neighbors.max >= 1)) {
      throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'neighbours must satisfy 0 <= min <= ideal <= max, max >= 1');
    }
    const defaults = nodeDefaults;
    const makeTransport = options.transport ?? defaults.transport();
    const transport = makeTransport({ identity });
    const resolverFactory = options.resolver === undefined ? defaults.resolver() : options.resolver;
    let resolver: PeerResolver | undefined;
    let openedRecords: NodeRecords | undefined;
    const extraTransports: Transport[] = [];
    try {
      await transport.listen();
      resolver = resolverFactory?.({
        identity,
        createTransport: () => {
          const t = makeTransport({ identity });
          extraTransports.push(t);
          return t;
        },
      });
      const security = meshSecurity({ mode: options.security, password: options.password, certificate: options.certificate, admission: options.admission });
      const signing = security.signMessages ? defaults.messageSigning(identity) : undefined;
      const mesh = new Mesh({
        mesh: meshName,
        identity,
        transport,
        limits,
        neighbors,
        candidates: async (signal) => {
          if (resolver === undefined) return [];
          const found = await resolver.resolve(meshName, { max: 20, signal });
          return found.filter((p) => p.peerId !== identity.peerId && (owner === undefined || p.peerId === owner));
        },
        filter: options.propagationFilter,
        admission: security.admission,
        signer: signing?.sign,
        verifier: signing?.verify,
        requireAuthenticatedLinks: security.requireAuthenticatedLinks,
        helloExt: securityHelloExt(security),
        checkHelloExt: (ext) => checkSecurityHelloExt(security, ext),
        handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
        seenTtlMs: options.seenTtlMs ?? 300_000,
        seenMaxEntries: options.seenMaxEntries ?? 100_000,
        maintenanceIntervalMs: options.maintenanceIntervalMs ?? 2_000,
        tuning: fixedTopology ? { ...options.mesh, exploreIntervalMs: 0 } : options.mesh,
        maxReferrals: 10,
        directTtl: 64,
      });
      const node = new PeerNode(meshName, identity, transport, mesh, {
        replyTimeoutMs: options.replyTimeoutMs ?? 10_000,
        maxPendingReplies: options.maxPendingReplies ?? 4_096,
        maxRepliesPerGather: options.maxRepliesPerGather ?? 10_000,
        maxHops: limits.maxHops,
      });
      node.attachObserver({ ...defaultObserveOptions, ...options.observe });
      node.closers.push(() => mesh.close(), () => transport.close());
      if (recordsOptions !== undefined) {
        const owners = [...(options.certificate?.trustedOwnerKeys ?? [])].map((k) => peerIdFromSpki(k));
        const records = await NodeRecords.open(recordsOptions, identity, meshName, mesh, owners, recordsOptions.sync);
        node.recordsPart = records;
        openedRecords = records;
        node.closers.unshift(() => records.close());
        // With records on, each node keeps one `peerchannel.node` record of itself in the system
        // space (declared here, before the mesh starts), and the mesh view is a query of those.
        node.observer.publishTo(records.system.collection(NodeRecord), records.system.store.limits.maxTtlMs);
        node.closers.unshift(() => node.observer.stopPublishing());
      }
      if (resolver !== undefined) node.closers.push(() => resolver?.close());
      // A dial-out-only node (no addresses) registers nothing: a registration would only send
      // others to a peer they cannot reach. It still resolves, dials, and takes full part.
      if (resolver !== undefined && transport.addresses.length > 0 && (owner === undefined || owner === identity.peerId)) {
        const r = resolver;
        const keeper = new RegistrationKeeper(r, meshName, { peerId: identity.peerId, addresses: transport.addresses }, { signal: options.signal });
        node.closers.unshift(() => keeper.close());
        keeper.errors$.subscribe((error) => mesh.report(error));
        await keeper.start();
      }
      node.closers.push(() => Promise.all(extraTransports.map((t) => t.close())).then(() => undefined));
      options.signal?.throwIfAborted();
      mesh.start();
      return node;
    } catch (error) {
      await Promise.allSettled([transport.close(), resolver?.close(), ...extraTransports.map((t) => t.close())]);
      // A node that failed to open after its record store opened must not leave the store locked.
      await Promise.allSettled([openedRecords?.close()]);
      throw toPeerChannelError(error, ErrorCode.INTERNAL);
    }
  }

  private attachObserver(options: typeof defaultObserveOptions): void {
    const observer = new NodeObserver({ mesh: this.mesh, proxy: this.proxy(ObserveContract), host: (impl) => this.host(ObserveContract, impl) }, options);
    this.observer = observer;
    this.channel.beginTrace = (body) => observer.begin(body);
    this.closers.unshift(() => observer.close());
  }

  /**
   * The tree of a message this node sent with `proxy.traced()`: who got it, by which path, in how
   * many hops and milliseconds, and for each known member that did not, the last node that could
   * have passed it on and why it did not.
   *
   * @remarks Cold: each subscription emits the tree as it stands, again after each report, and a
   * last time when the trace completes (`traceTtlMs` after the send), then completes.
   * @throws PeerChannelError `PC_ERR_TRACE_UNKNOWN` for an id this node neither has in flight nor remembers.
   * @example
   * ```ts
   * const id = await node.proxy(Chat).traced().say('alice', 'hello');
   * node.trace(id).subscribe((t) => console.log(t.receivers.length, t.missed));
   * ```
   */
  trace(id: string): Observable<MessageTrace> {
    return this.observer.trace$(id);
  }

  /**
   * Floods a traced probe (a call of the built-in observe contract that does nothing) and
   * resolves with its id, for {@link PeerNode.trace}.
   * @throws PeerChannelError `PC_ERR_TRACE_LIMIT` when `maxTracesInFlight` traces are in flight.
   */
  probe(note = ''): Promise<string> {
    this.assertOpen();
    return this.proxy(ObserveContract).traced().probe(note);
  }

  /** The traces this node has in flight and remembers, newest first. */
  traces(): TraceSummary[] {
    return this.observer.traces();
  }

  /**
   * The mesh as a graph of node descriptions (neighbours, link utility, counters). With records
   * on, a query of the `peerchannel.node` records every node keeps of itself in its system
   * records space (refreshed every `observe.meshRecordIntervalMs`, gone a few intervals after a
   * node stops); with records off (or `from: 'gather'`), a gather of the descriptions every node
   * answers within the timeout. Its members also count as known members in later traces.
   * @throws PeerChannelError `PC_ERR_RECORDS_DISABLED` for `from: 'records'` without the `records` option.
   */
  meshView(options?: MeshViewOptions): Promise<MeshView> {
    this.assertOpen();
    return this.observer.meshView(options);
  }

  /** This node's own description, as it answers mesh-view queries. */
  describe(): NodeDescription {
    return this.observer.describe();
  }

  /** This node's peer id (hex SHA-256 of its public key). */
  get peerId(): PeerId {
    return this.identity.peerId;
  }

  /** Where other peers can dial this node. */
  get addresses(): readonly string[] {
    return this.transport.addresses;
  }

  /** Hot; replays the current status: `online` with at least one neighbour, else `offline`. */
  get status$(): Observable<MeshStatus> {
    return this.mesh.status$;
  }

  /** The current status. */
  get status(): MeshStatus {
    return this.mesh.currentStatus;
  }

  /**
   * Hot: each time the mesh refuses this node — it is offline and every member it reached
   * refused its admission (a wrong password: `PC_ERR_AUTH_FAILED`; an untrusted certificate:
   * `PC_ERR_UNTRUSTED_PEER`). Emits again only after the node was online in between.
   *
   * @remarks
   * Both sides of a failed admission see the same code, so "the mesh" means the members that were
   * there first: a peer that dialled this node and failed its check is a newcomer with another
   * password, and its refusal does not count. Refused dials are retried with backoff and a
   * bounded number of times (`mesh.refusedRetryDelayMs`, `refusedRetryMaxDelayMs`,
   * `refusedRetryAttempts`: 1 s doubling to 30 s, 5 attempts per peer), so the node does not
   * re-dial forever. Each refused dial is also reported on `errors$`.
   */
  get refused$(): Observable<MeshRefusal> {
    return this.mesh.refused$;
  }

  /** The refusal that keeps this node out of the mesh right now, if any (`undefined` once online). */
  get refusal(): MeshRefusal | undefined {
    return this.mesh.refusal;
  }

  /**
   * Resolves when the node is online (at once if it is); rejects with the refusal's code when
   * the mesh refuses it (see {@link PeerNode.refused$}), with `PC_ERR_TIMEOUT` after `timeoutMs`,
   * `PC_ERR_ABORTED` when `signal` aborts, and `PC_ERR_CLOSED` when the node closes first.
   *
   * @remarks
   * The first node of a mesh stays offline until a second one joins: without a timeout it waits
   * that long. A refusal already in force when it is called rejects at once.
   * @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT` for a `timeoutMs` that is not a positive number.
   * @example
   * ```ts
   * const node = await PeerNode.open('net.p2p://lobby', { password });
   * try {
   *   await node.whenOnline({ timeoutMs: 30_000 });
   * } catch (error) {
   *   if (toPeerChannelError(error).code === ErrorCode.AUTH_FAILED) console.error('wrong password');
   * }
   * ```
   */
  whenOnline(options: WhenOnlineOptions = {}): Promise<void> {
    return whenOnline(this.mesh, this.closing !== undefined, options);
  }

  /** Hot; replays the current neighbour set, then each change. */
  get neighbors$(): Observable<readonly NeighborInfo[]> {
    return this.mesh.neighbors$;
  }

  /**
   * The current neighbours: the value {@link PeerNode.neighbors$} replays, read synchronously.
   * A new array on each change; empty after close.
   */
  get neighbors(): readonly NeighborInfo[] {
    return this.mesh.neighborList;
  }

  /**
   * Hot: who is in the mesh (not only the neighbours), this node first; replays the list, then
   * emits on each join and leave.
   *
   * @remarks Off unless `mesh.memberAnnounceMs` is set (e.g. 10_000): then built from small
   * announcements each node floods every `memberAnnounceMs`
   * with a hop limit of `mesh.memberHops` (8). A member that closes leaves every list as fast as a
   * flood travels; one that crashes within `memberTtlMs + memberAnnounceMs`.
   * A new neighbour hands over its whole list at once. See docs/mesh.md, "Members".
   */
  get members$(): Observable<readonly MemberInfo[]> {
    return this.mesh.members$;
  }

  /** The mesh-wide member list now, this node first (see {@link PeerNode.members$} for its staleness). */
  get members(): readonly MemberInfo[] {
    return this.mesh.members;
  }

  /** Hot: one decision per message handled (delivered, relayed, dropped, and why). */
  get decisions$(): Observable<PropagationDecision> {
    return this.mesh.decisions$;
  }

  /** Hot: dropped input, refused links, failing handlers — each a coded error. */
  get errors$(): Observable<PeerChannelError> {
    return this.mesh.errors$;
  }

  /** Hot: the duration of each handshake that gave this node a neighbour (dial or accept through admission). */
  get handshakes$(): Observable<HandshakeTiming> {
    return this.mesh.handshakes$;
  }

  /** Frames queued on each neighbour's link and not yet handed to the network, by peer id. */
  linkQueues(): Map<string, number> {
    return new Map([...this.mesh.neighbors.values()].map((n) => [n.peerId, n.link.pendingSends]));
  }

  /** Counters since open. */
  stats(): MeshStats {
    const s = this.mesh.stats;
    return { ...s, dropped: { ...s.dropped } };
  }

  /**
   * Hosts an implementation of `contract`: a class (resolved by tsyringe in this node's
   * child container) or an instance.
   * @throws PeerChannelError for a bad contract or a contract already hosted.
   */
  host<C>(contract: ContractClass<C>, implementation: ServiceClass<C> | C): this {
    this.assertOpen();
    const descriptor = describeContract(contract);
    const instance = typeof implementation === 'function' ? resolveService(this.container, implementation as ServiceClass<C>) : implementation;
    this.channel.dispatcher.host(descriptor, instance as object);
    return this;
  }

  /** Stops hosting `contract`. */
  unhost(contract: ContractClass): void {
    this.channel.dispatcher.unhost(describeContract(contract).name);
  }

  /** A typed proxy for calling `contract` on the mesh. */
  proxy<C>(contract: ContractClass<C>): PeerProxy<C> {
    this.assertOpen();
    const descriptor = describeContract(contract);
    this.channel.dispatcher.bind(descriptor);
    return createProxy<C>(this.channel, descriptor, {}, () => this.assertOpen());
  }

  /**
   * Calls of `contract` delivered to this node (optionally of one operation), validated.
   *
   * @remarks Hot: subscribing binds the contract (so its calls are accepted) and emits calls
   * that arrive from then on, including this node's own flood echoes (`call.local`).
   */
  calls$<C, K extends OperationKeys<C> & string = OperationKeys<C> & string>(contract: ContractClass<C>, operation?: K): Observable<PeerCall<OperationArgs<C, K>>> {
    const descriptor = describeContract(contract);
    if (operation !== undefined && !descriptor.byMethod.has(operation)) {
      throw new PeerChannelError(ErrorCode.UNKNOWN_OPERATION, `contract '${descriptor.name}' has no operation '${operation}'`);
    }
    const wire = operation === undefined ? undefined : descriptor.byMethod.get(operation)?.name;
    return defer(() => {
      this.channel.dispatcher.bind(descriptor);
      return this.channel.dispatcher.calls$.pipe(
        filter((call) => call.contract === descriptor.name && (wire === undefined || call.operation === wire)),
      );
    }) as Observable<PeerCall<OperationArgs<C, K>>>;
  }

  /**
   * The node's records of one declared type (see `@PeerRecordType`).
   *
   * @throws PeerChannelError `PC_ERR_RECORDS_DISABLED` when the node was opened without the
   * `records` option or `type` is not a `@PeerRecordType` class; `PC_ERR_CLOSED` after close.
   *
   * @example
   * ```ts
   * const node = await PeerNode.open('net.p2p://board', { records: { storage: 'memory' } });
   * const shapes = node.records(Shape);
   * await shapes.add({ kind: 'circle', x: 1, y: 2 });
   * ```
   */
  records<T>(type: RecordClass<T>): RecordCollection<T> {
    this.assertOpen();
    return this.requireRecords().collection(type);
  }

  /**
   * Whether the first reconciliation of this node's records with a neighbour has finished.
   * @remarks Hot, replays the current value: `false` until then, `true` after. Writes are never
   * refused meanwhile.
   * @throws PeerChannelError `PC_ERR_RECORDS_DISABLED` without the `records` option.
   */
  get synchronized$(): Observable<boolean> {
    return this.requireRecords().synchronized$;
  }

  /**
   * One report per finished reconciliation session of this node's records (space, peer, role,
   * outcome, rounds, bytes, duration): the user store's (`space: 'user'`) and the system
   * records space's (`'system'`, the mesh view's node records).
   * @remarks Hot: sessions that finish after subscription.
   * @throws PeerChannelError `PC_ERR_RECORDS_DISABLED` without the `records` option.
   */
  get recordSyncSessions$(): Observable<RecordSyncReport> {
    return this.requireRecords().syncSessions$;
  }

  /**
   * Reconciliation sessions counted since the node opened: started, complete, failed by code.
   * @param space `'user'` (the default) or `'system'`.
   * @returns `undefined` when the records option runs no engine (`sync: null`) or one that does not count.
   * @throws PeerChannelError `PC_ERR_RECORDS_DISABLED` without the `records` option.
   */
  recordSyncStats(space: RecordSpaceName = 'user'): RecordSyncStats | undefined {
    const r = this.requireRecords();
    const s = (space === 'system' ? r.system : r.user).syncStats;
    return s === undefined ? undefined : { ...s, failed: { ...s.failed } };
  }

  /** Whether the node was opened with the `records` option. */
  get hasRecords(): boolean {
    return this.recordsPart !== undefined;
  }

  /** Counters of the record store: stored, stale, duplicates, expired, and refusals by code. */
  recordStats(): RecordStoreStats {
    const s = this.requireRecords().store.stats;
    return { ...s, rejected: { ...s.rejected } };
  }

  /** @internal the record store (for the sync engine and specs). */
  get recordStore(): NodeRecords['store'] {
    return this.requireRecords().store;
  }

  /**
   * The store of the system records space: the framework's own short-lived records (each node's
   * `peerchannel.node` description), kept apart from the user records store (see {@link PeerNode.recordStats}) so they never
   * show in its counts, digests or changes. For inspection and tests.
   * @throws PeerChannelError `PC_ERR_RECORDS_DISABLED` without the `records` option.
   */
  get systemRecordStore(): NodeRecords['store'] {
    return this.requireRecords().system.store;
  }

  private requireRecords(): NodeRecords {
    if (this.recordsPart === undefined) throw new PeerChannelError(ErrorCode.RECORDS_DISABLED, 'this node was opened without the records option');
    return this.recordsPart;
  }

  /**
   * Dials a peer directly and adds it as a neighbour (besides those the resolver finds).
   * @throws PeerChannelError e.g. `PC_ERR_DIAL_FAILED`, `PC_ERR_BUSY`, `PC_ERR_AUTH_FAILED`.
   */
  connect(address: string, expectedPeerId?: string): Promise<NeighborInfo> {
    return this.mesh.connect(address, { expectedPeerId });
  }

  /**
   * Cuts this node's links to one peer: its neighbour link, a link still in admission or
   * handshake, and a duplicate being retired, each closed with `PC_ERR_DISCONNECTED` (the other
   * side's link reports the same code). With `holdOffMs`, the peer's links are then refused and
   * it is not dialled for that long.
   *
   * @remarks
   * The links are closed when this returns (nothing more is sent on them); the promise resolves
   * with how many there were once each has closed, 0 when none. Without a hold-off the peer may
   * link again at once if admission lets it — the way to revoke trust in a mesh that admits by
   * trust (a certificate admission, the presence mesh of `Collaboration`) is to change what
   * admission accepts, then disconnect. Up to 1,024 peers are held off at once (the oldest
   * forgotten first).
   * @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT` for a malformed peer id, reason or
   * hold-off; `PC_ERR_CLOSED` after close.
   * @example
   * ```ts
   * await node.disconnect(peerId, { reason: 'spamming the room', holdOffMs: 60_000 });
   * ```
   */
  disconnect(peerId: string, options: DisconnectOptions = {}): Promise<number> {
    this.assertOpen();
    const { reason, holdOffMs } = checkDisconnect(peerId, options);
    return this.mesh.disconnect(peerId, ErrorCode.DISCONNECTED, reason, holdOffMs);
  }

  /** Whether `peerId` is held off by {@link PeerNode.disconnect} right now. */
  isHeldOff(peerId: string): boolean {
    return this.mesh.isHeldOff(peerId);
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw new PeerChannelError(ErrorCode.CLOSED, 'the node is closed');
  }

  /** Leaves the mesh gracefully and frees every socket, timer and stream. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.channel.close();
      for (const close of this.closers) {
        try {
          await close();
        } catch (error) {
          this.mesh.report(toPeerChannelError(error));
        }
      }
      this.container.clearInstances();
    })();
    return this.closing;
  }

  /**
   * Closes the node, for `await using node = await PeerNode.open(...)`.
   *
   * @remarks
   * Node 20 cannot parse `await using`: compile it down (TypeScript `target` below `esnext`) or
   * call {@link PeerNode.close} in a `finally` block.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
