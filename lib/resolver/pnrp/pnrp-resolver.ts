import { ErrorCode, PeerChannelError, toPeerChannelError } from '../../errors/index.js';
import type { PeerResolver, Registration, ResolvedPeer, ResolveOptions, ResolverComponents, ResolverFactory } from '../resolver.js';
import { checkMax, checkMesh, checkPeer, checkTtl, closedError, defaultResolverLimits, notRegistered, throwIfAborted, type ResolverLimits } from '../resolver-limits.js';
import { securedMeshOwner } from '../secured-mesh.js';
import { parsePeerName, UNSECURED_AUTHORITY, MAX_CLASSIFIER_LENGTH } from './peer-name.js';
import { newServiceLocation } from './pnrp-id.js';
import { pnrpLimits, type PnrpLimits } from './pnrp-limits.js';
import { PnrpNode, type PnrpNodeOptions } from './pnrp-node.js';
import { signRecord, type PnrpEndpoint, type VerifiedRecord } from './record.js';
import { PnrpTransportBinding, type PnrpBindingOptions } from './transport-binding.js';

/** Options for {@link pnrpResolver}. */
export interface PnrpResolverOptions {
  /**
   * Addresses of PNRP nodes already in the cloud (any node's {@link PnrpResolver.addresses}).
   * With none, this node starts a cloud of its own that others can join through it.
   * @defaultValue []
   */
  readonly seeds?: readonly string[];
  /**
   * Name space; nodes of different clouds never exchange requests or records.
   * @defaultValue 'global'
   */
  readonly cloud?: string;
  /**
   * Lifetime of a registration; refresh it before it runs out.
   * @defaultValue 600_000 (10 min)
   */
  readonly ttlMs?: number;
  /**
   * Period of cache and store upkeep (sweeping expired records, pinging stale contacts, refilling
   * sparse levels, re-bootstrapping from the seeds when the cache is empty).
   * @defaultValue 60_000
   */
  readonly maintenanceIntervalMs?: number;
  /** Bounds on records, replies and stores. @defaultValue {@link defaultPnrpLimits} */
  readonly limits?: Partial<PnrpLimits>;
  /** Protocol tuning (replicas, parallelism, cache shape). */
  readonly node?: Pick<PnrpNodeOptions, 'replicas' | 'parallelism' | 'maxSteps' | 'cache' | 'staleAfterMs'>;
  /** Network tuning (request timeout, link caps, request rate). */
  readonly binding?: Omit<PnrpBindingOptions, 'cloud' | 'peerId' | 'limits'>;
}

/** What to publish under a peer name with {@link PnrpResolver.publish}. */
export interface PnrpPublishOptions {
  /** Where the name can be reached. @defaultValue this node's peer id and PNRP addresses */
  readonly endpoint?: PnrpEndpoint;
  /** Application data, at most {@link PnrpLimits.maxPayloadBytes}. @defaultValue empty */
  readonly payload?: Uint8Array;
  /** @defaultValue the resolver's `ttlMs` */
  readonly ttlMs?: number;
  /** Aborts the publication (`PC_ERR_ABORTED`). */
  readonly signal?: AbortSignal;
}

interface Published {
  readonly name: string;
  readonly serviceLocation: string;
  readonly endpoint: PnrpEndpoint;
  readonly payload: Uint8Array;
  readonly ttlMs: number;
  version: number;
  expiresAt: number;
}

const MESH_SCHEME = /^net\.p2p:\/\//i;

/**
 * A serverless resolver in the manner of Windows PNRP: each node keeps a multi-level cache of
 * other nodes, publishes signed records at the nodes closest to their id, and resolves names by
 * iterative lookup — no server anywhere.
 *
 * @remarks
 * Mesh `m` is the unsecured peer name `0.m` (`net.p2p://m` is accepted too); a secured mesh name
 * `<peer id>.c` is the secured peer name `<peer id>.c`, which only that peer's key can publish. The node listens on
 * a transport of its own, made with `components.createTransport()`; its
 * {@link PnrpResolver.addresses} are what other nodes pass as `seeds`. The node starts on first
 * use, or with {@link PnrpResolver.start}.
 *
 * @example
 * ```ts
 * const first = pnrpResolver()(components) as PnrpResolver;
 * const seeds = await first.start();
 * const node = await PeerNode.open('net.p2p://room', { resolver: pnrpResolver({ seeds }) });
 * ```
 */
export function pnrpResolver(options: PnrpResolverOptions = {}): ResolverFactory {
  return (components) => new PnrpResolver(options, components);
}

/** The {@link PeerResolver} made by {@link pnrpResolver}. */
export class PnrpResolver implements PeerResolver {
  readonly name = 'pnrp';
  /** The cloud this resolver's node joined. */
  readonly cloud: string;
  private readonly limits: PnrpLimits;
  private readonly ttlMs: number;
  private readonly apiLimits: ResolverLimits;
  private readonly published = new Map<string, Published>();
  private binding: PnrpTransportBinding | undefined;
  private pnrpNode: PnrpNode | undefined;
  private starting: Promise<readonly string[]> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private maintaining = false;
  private closedFlag = false;
  /** Upkeep rounds that failed (they are retried on the next period). */
  maintenanceFailures = 0;

  constructor(
    private readonly options: PnrpResolverOptions,
    private readonly components: ResolverComponents,
  ) {
    this.cloud = options.cloud ?? 'global';
    this.limits = pnrpLimits(options.limits);
    if (this.cloud.length === 0 || this.cloud.length > this.limits.maxCloudLength) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `cloud must have 1..${this.limits.maxCloudLength} characters`);
    this.apiLimits = { ...defaultResolverLimits, maxMeshLength: MAX_CLASSIFIER_LENGTH, maxPeerIdLength: this.limits.maxPeerIdLength, maxAddresses: this.limits.maxAddresses, maxAddressLength: this.limits.maxAddressLength };
    this.ttlMs = checkTtl(options.ttlMs ?? 600_000);
    if (this.ttlMs > this.limits.maxTtlMs) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `ttlMs must not exceed ${this.limits.maxTtlMs}`);
  }

  /** Addresses this node's PNRP transport listens on (empty before {@link PnrpResolver.start}). */
  get addresses(): readonly string[] {
    return this.binding?.transport.addresses ?? [];
  }

  /** The protocol node (cache, store, counters), once started. */
  get node(): PnrpNode | undefined {
    return this.pnrpNode;
  }

  /** Listens and joins the cloud through the seeds; resolves to this node's addresses. Idempotent. */
  start(signal?: AbortSignal): Promise<readonly string[]> {
    if (this.closedFlag) return Promise.reject(closedError(this.name));
    this.starting ??= this.boot(signal);
    return this.starting;
  }

  private async boot(signal?: AbortSignal): Promise<readonly string[]> {
    const identity = this.components.identity;
    const binding = new PnrpTransportBinding(this.components.createTransport(), { ...this.options.binding, cloud: this.cloud, peerId: identity.peerId, limits: this.limits });
    this.binding = binding;
    const addresses = await binding.listen({
      handleRequest: (from, cloud, request) => {
        if (this.pnrpNode === undefined) throw new PeerChannelError(ErrorCode.RESOLVER_FAILED, 'pnrp node is starting');
        return this.pnrpNode.handleRequest(from, cloud, request);
      },
    });
    if (this.closedFlag) throw closedError(this.name);
    const node = new PnrpNode({ ...this.options.node, cloud: this.cloud, identity, addresses, rpc: binding, limits: this.limits });
    this.pnrpNode = node;
    // Seeds that do not answer now are retried by upkeep while the cache stays empty.
    await node.bootstrap(this.options.seeds ?? [], signal).catch((error: unknown) => {
      if (signal?.aborted || this.closedFlag) throw toPeerChannelError(error);
    });
    if (this.closedFlag) throw closedError(this.name);
    this.timer = setInterval(() => void this.upkeep(), this.options.maintenanceIntervalMs ?? 60_000);
    this.timer.unref();
    return addresses;
  }

  private async upkeep(): Promise<void> {
    if (this.maintaining || this.pnrpNode === undefined) return;
    this.maintaining = true;
    try {
      await this.pnrpNode.maintain();
    } catch {
      // Upkeep is best effort and runs again next period; the count is the trace.
      this.maintenanceFailures += 1;
    } finally {
      this.maintaining = false;
    }
  }

  private async ready(signal?: AbortSignal): Promise<PnrpNode> {
    if (this.closedFlag) throw closedError(this.name);
    throwIfAborted(signal, 'pnrp');
    try {
      await this.start(signal);
    } catch (error) {
      this.starting = undefined;
      throw this.closedFlag ? closedError(this.name) : toPeerChannelError(error, ErrorCode.RESOLVER_FAILED);
    }
    if (this.closedFlag) throw closedError(this.name);
    return this.pnrpNode as PnrpNode;
  }

  async register(mesh: string, peer: ResolvedPeer, options: { signal?: AbortSignal } = {}): Promise<Registration> {
    if (this.closedFlag) throw closedError(this.name);
    const name = meshPeerName(mesh);
    const checked = checkPeer(peer, this.apiLimits);
    return this.publish(name, { endpoint: checked, signal: options.signal });
  }

  /**
   * Publishes any peer name — unsecured `0.x`, or secured `<this node's peer id>.x` — with an
   * optional payload.
   * @throws PeerChannelError `PC_ERR_NAME_INVALID`, `PC_ERR_NAME_NOT_OWNED` (a secured name of
   * another key), `PC_ERR_RECORD_INVALID`, `PC_ERR_RESOLVER_FAILED` (no node took the record).
   */
  async publish(peerName: string, options: PnrpPublishOptions = {}): Promise<Registration> {
    const node = await this.ready(options.signal);
    const name = parsePeerName(peerName).text;
    const ttlMs = checkTtl(options.ttlMs ?? this.ttlMs);
    const entry: Published = {
      name,
      serviceLocation: newServiceLocation(),
      endpoint: options.endpoint ?? { peerId: this.components.identity.peerId, addresses: this.addresses },
      payload: options.payload ?? new Uint8Array(0),
      ttlMs,
      version: 0,
      expiresAt: 0,
    };
    await this.push(node, entry, false, options.signal);
    const id = `pnrp:${entry.serviceLocation}`;
    this.published.set(id, entry);
    return { id, ttlMs };
  }

  async refresh(registrationId: string): Promise<Registration> {
    const node = await this.ready();
    const entry = this.published.get(registrationId);
    if (entry === undefined || entry.expiresAt <= Date.now()) {
      this.published.delete(registrationId);
      throw notRegistered(String(registrationId));
    }
    await this.push(node, entry, false);
    return { id: registrationId, ttlMs: entry.ttlMs };
  }

  async unregister(registrationId: string): Promise<void> {
    const node = await this.ready();
    const entry = this.published.get(registrationId);
    if (entry === undefined) return;
    this.published.delete(registrationId);
    if (entry.expiresAt <= Date.now()) return;
    // A signed tombstone that outlives every copy of the record, so no stale copy comes back.
    await this.push(node, entry, true).catch((error: unknown) => {
      throw toPeerChannelError(error, ErrorCode.RESOLVER_FAILED);
    });
  }

  async resolve(mesh: string, options: ResolveOptions = {}): Promise<readonly ResolvedPeer[]> {
    if (this.closedFlag) throw closedError(this.name);
    const name = meshPeerName(mesh);
    const max = checkMax(options.max, this.apiLimits);
    const records = await this.resolveName(name, { max: Math.min(this.limits.maxRecordsPerReply, 2 * max), signal: options.signal });
    const byPeer = new Map<string, VerifiedRecord>();
    for (const v of records) {
      const held = byPeer.get(v.record.endpoint.peerId);
      if (held === undefined || held.record.version < v.record.version) byPeer.set(v.record.endpoint.peerId, v);
    }
    return [...byPeer.values()].slice(0, max).map((v) => ({ peerId: v.record.endpoint.peerId, addresses: [...v.record.endpoint.addresses] }));
  }

  /** Finds the verified, live records published under any peer name, newest first. */
  async resolveName(peerName: string, options: { max?: number; signal?: AbortSignal } = {}): Promise<readonly VerifiedRecord[]> {
    const node = await this.ready(options.signal);
    const name = parsePeerName(peerName).text;
    const result = await node.resolve(name, { maxRecords: options.max, signal: options.signal });
    return [...result.records].sort((a, b) => b.record.version - a.record.version);
  }

  async close(): Promise<void> {
    if (this.closedFlag) return;
    this.closedFlag = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.published.clear();
    await this.binding?.close();
  }

  private async push(node: PnrpNode, entry: Published, withdrawn: boolean, signal?: AbortSignal): Promise<void> {
    const now = Date.now();
    const version = Math.max(now, entry.version + 1);
    const expiresAt = withdrawn ? Math.max(entry.expiresAt, now + 1) : now + entry.ttlMs;
    const record = signRecord(
      this.components.identity,
      { cloud: this.cloud, name: entry.name, serviceLocation: entry.serviceLocation, endpoint: entry.endpoint, version, expiresAt, payload: entry.payload, withdrawn },
      this.limits,
    );
    await node.publish(record, signal);
    entry.version = version;
    entry.expiresAt = expiresAt;
  }
}

/**
 * The peer name of a mesh: the unsecured `0.<mesh>`, or for a secured mesh name
 * `<peer id>.<classifier>` (see {@link securedMeshOwner}) the secured peer name of the same text,
 * which only the key of that peer id can publish.
 * @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT`
 */
export function meshPeerName(mesh: string): string {
  const bare = typeof mesh === 'string' ? mesh.replace(MESH_SCHEME, '').replace(/\/$/, '') : mesh;
  checkMesh(bare, { ...defaultResolverLimits, maxMeshLength: MAX_CLASSIFIER_LENGTH });
  try {
    return parsePeerName(securedMeshOwner(bare) === undefined ? `${UNSECURED_AUTHORITY}.${bare}` : bare).text;
  } catch (error) {
    throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `mesh ${JSON.stringify(String(mesh).slice(0, 80))} is not a valid PNRP classifier`, { cause: error });
  }
}
