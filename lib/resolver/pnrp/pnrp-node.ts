import { ErrorCode, PeerChannelError, toPeerChannelError } from '../../errors/index.js';
import type { PeerIdentity } from '../../identity/peer-identity.js';
import { runLookup, type LookupHost, type LookupResult } from './lookup.js';
import { peerNameId, parsePeerName } from './peer-name.js';
import { hexOfPosition, nodeIdFor, positionOf, randomPositionInLevel, ringDistance } from './pnrp-id.js';
import { pnrpLimits, type PnrpLimits } from './pnrp-limits.js';
import type { PnrpContact, PnrpFoundResponse, PnrpRequest, PnrpRequestHandler, PnrpResponse, PnrpRpc } from './protocol.js';
import { verifyRecord, type PnrpRecord, type VerifiedRecord } from './record.js';
import { RecordStore } from './record-store.js';
import { RoutingCache, type RoutingCacheOptions } from './routing-cache.js';

/** Tuning of one PNRP node's protocol logic. */
export interface PnrpNodeOptions {
  /** Name space; nodes answer only requests and records of their own cloud. */
  readonly cloud: string;
  /** The node's identity: its peer id fixes its place on the ring, its key signs what it publishes. */
  readonly identity: PeerIdentity;
  /** Addresses this node's PNRP transport listens on (what others dial). */
  readonly addresses: readonly string[];
  /** How the node reaches others (`PnrpTransportBinding` or `PnrpSimNetwork`). */
  readonly rpc: PnrpRpc;
  /**
   * Clock, milliseconds since the epoch (a simulation passes a virtual one).
   * @defaultValue Date.now
   */
  readonly now?: () => number;
  /**
   * Randomness for level refreshes.
   * @defaultValue Math.random
   */
  readonly random?: () => number;
  /** Bounds on records, replies and stores. @defaultValue {@link defaultPnrpLimits} */
  readonly limits?: Partial<PnrpLimits>;
  /** Shape of the multi-level cache. @defaultValue 20 entries a level, 5 neighbours each side */
  readonly cache?: RoutingCacheOptions;
  /**
   * Nodes closest to a record's id that store it; a lookup converges on this many nodes.
   * @defaultValue 6
   */
  readonly replicas?: number;
  /**
   * Requests in flight per lookup step.
   * @defaultValue 3
   */
  readonly parallelism?: number;
  /**
   * Most steps one lookup takes.
   * @defaultValue 32
   */
  readonly maxSteps?: number;
  /**
   * Contacts not heard from for this long are pinged by {@link PnrpNode.maintain}.
   * @defaultValue 600_000 (10 min)
   */
  readonly staleAfterMs?: number;
}

/** Counters a node keeps (monotonic since creation). */
export interface PnrpNodeStats {
  /** Requests answered for other nodes. */
  requestsServed: number;
  /** Records accepted into this node's store (its own included). */
  recordsStored: number;
  /** Records refused by this node, by error code (bad signature, not owned, expired…). */
  readonly recordsRejected: Record<string, number>;
}

/** What a publication reached. */
export interface PublishResult {
  /** The record's 256-bit PNRP id, hex. */
  readonly pnrpId: string;
  /** Nodes that accepted the record (this node included when it is among the closest). */
  readonly stored: number;
  /** Nodes asked to store it (more than `replicas` when some refused for quota). */
  readonly attempted: number;
  /** The lookup that found the closest nodes. */
  readonly lookup: LookupResult;
}

/**
 * The PNRP protocol logic of one node: its multi-level cache, the records it stores for others,
 * and iterative lookups, publications and resolutions — with no network code.
 *
 * @remarks
 * The node talks to others only through a {@link PnrpRpc} and answers them through
 * {@link PnrpNode.handleRequest}, so the same logic runs 10,000 nodes in one process
 * (`PnrpSimNetwork`) or one node over a real {@link peerchannel!Transport} (`PnrpTransportBinding`).
 */
export class PnrpNode implements PnrpRequestHandler, LookupHost {
  /** The cloud this node serves. */
  readonly cloud: string;
  /** This node's own contact (peer id, addresses, ring position). */
  readonly contact: PnrpContact;
  /** Its multi-level routing cache. */
  readonly cache: RoutingCache;
  /** The records it stores for the cloud. */
  readonly store: RecordStore;
  /** The bounds in force. */
  readonly limits: PnrpLimits;
  /** How it reaches other nodes. */
  readonly rpc: PnrpRpc;
  /** Nodes closest to a record's id that it publishes the record at. */
  readonly replicas: number;
  /** Counters of requests served and records stored or refused; live, not a copy. */
  readonly stats: PnrpNodeStats = { requestsServed: 0, recordsStored: 0, recordsRejected: {} };
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly parallelism: number;
  private readonly maxSteps: number;
  private readonly staleAfterMs: number;
  private seeds: readonly string[] = [];

  constructor(private readonly options: PnrpNodeOptions) {
    if (typeof options.cloud !== 'string' || options.cloud.length === 0) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'cloud must be a non-empty string');
    this.limits = pnrpLimits(options.limits);
    if (options.cloud.length > this.limits.maxCloudLength) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `cloud name is longer than ${this.limits.maxCloudLength}`);
    this.cloud = options.cloud;
    this.rpc = options.rpc;
    this.clock = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.replicas = positive(options.replicas ?? 6, 'replicas');
    this.parallelism = positive(options.parallelism ?? 3, 'parallelism');
    this.maxSteps = positive(options.maxSteps ?? 32, 'maxSteps');
    this.staleAfterMs = options.staleAfterMs ?? 600_000;
    this.contact = contactFor(options.cloud, options.identity.peerId, options.addresses);
    this.cache = new RoutingCache(this.contact, options.cache);
    this.store = new RecordStore(this.limits);
  }

  /** The node's identity. */
  get identity(): PeerIdentity {
    return this.options.identity;
  }

  /** The node's clock, ms since the epoch. */
  now(): number {
    return this.clock();
  }

  handleRequest(from: PnrpContact, cloud: string, request: PnrpRequest): PnrpResponse {
    if (cloud !== this.cloud) throw new PeerChannelError(ErrorCode.WRONG_CLOUD, `this node serves cloud ${this.cloud.slice(0, 64)}`);
    this.stats.requestsServed += 1;
    if (from.peerId !== this.contact.peerId) this.cache.add(from, this.now(), true);
    switch (request.op) {
      case 'ping':
        return { op: 'pong', contact: this.contact };
      case 'find': {
        const found = this.localFind(request.target, request.nameId, request.maxRecords);
        return { ...found, contacts: found.contacts.filter((c) => c.peerId !== from.peerId) };
      }
      case 'store':
        this.accept(request.record, from.peerId === this.contact.peerId ? undefined : from.peerId);
        return { op: 'stored' };
    }
  }

  localFind(target: string, nameId: string | null, maxRecords: number): PnrpFoundResponse {
    const contacts = this.cache.closest(positionOf(target), this.limits.maxContactsPerReply);
    const max = Math.min(maxRecords, this.limits.maxRecordsPerReply);
    const records = nameId === null ? [] : this.store.find(nameId, this.now(), max, this.limits.maxReplyRecordBytes);
    return { op: 'found', contacts, records };
  }

  /**
   * Verifies and keeps a record sent by anyone; `source` is the authenticated node that sent it
   * (per-link quota), `undefined` for this node's own.
   * @throws PeerChannelError with the reason it was refused.
   */
  accept(record: PnrpRecord, source?: string): VerifiedRecord {
    let verified: VerifiedRecord;
    try {
      verified = verifyRecord(record, { cloud: this.cloud, now: this.now(), limits: this.limits });
      this.store.put(verified, this.now(), source);
    } catch (error) {
      const e = toPeerChannelError(error, ErrorCode.RECORD_INVALID);
      this.stats.recordsRejected[e.code] = (this.stats.recordsRejected[e.code] ?? 0) + 1;
      throw e;
    }
    this.stats.recordsStored += 1;
    return verified;
  }

  /** Iterative lookup toward a 256-bit id (hex). */
  lookup(target: string, options: { nameId?: string | null; maxRecords?: number; maxSteps?: number; closest?: number; signal?: AbortSignal } = {}): Promise<LookupResult> {
    return runLookup(this, {
      target,
      nameId: options.nameId ?? null,
      maxRecords: options.maxRecords ?? Infinity,
      closest: options.closest ?? this.replicas,
      parallelism: this.parallelism,
      maxSteps: options.maxSteps ?? this.maxSteps,
      signal: options.signal,
    });
  }

  /**
   * Pushes a signed record to the {@link PnrpNodeOptions.replicas} nodes closest to its PNRP id.
   *
   * @remarks A node that refuses with `PC_ERR_STORE_QUOTA` or `PC_ERR_LIMIT_EXCEEDED` (full, or
   * flooded by someone else) is replaced by the next closest one: on the first refusal a wider
   * lookup gathers twice as many close nodes, so a flooded node cannot keep a record out of the
   * cloud. Without refusals publishing costs what it did.
   * @throws PeerChannelError when the record does not verify, or `PC_ERR_RESOLVER_FAILED` when no node took it.
   */
  async publish(record: PnrpRecord, signal?: AbortSignal): Promise<PublishResult> {
    const verified = verifyRecord(record, { cloud: this.cloud, now: this.now(), limits: this.limits });
    const lookup = await this.lookup(verified.pnrpId, { signal });
    const first = lookup.closest.slice(0, this.replicas);
    const tried = new Set(first.map((c) => c.peerId));
    let wider: Promise<readonly PnrpContact[]> | undefined;
    const nextCandidate = async (): Promise<PnrpContact | undefined> => {
      wider ??= this.lookup(verified.pnrpId, { closest: 2 * this.replicas, signal }).then((l) => l.closest, () => []);
      const next = (await wider).find((c) => !tried.has(c.peerId));
      if (next !== undefined) tried.add(next.peerId);
      return next;
    };
    let attempted = first.length;
    const storeOn = async (target: PnrpContact): Promise<boolean> => {
      try {
        if (target.peerId === this.contact.peerId) this.accept(record);
        else await this.rpc.request(target, { op: 'store', record }, signal);
        return true;
      } catch (error) {
        const code = toPeerChannelError(error).code;
        // A dead node is marked; a refusing one is alive, only full: the next closest node tries.
        if (code !== ErrorCode.STORE_QUOTA && code !== ErrorCode.LIMIT_EXCEEDED) {
          if (target.peerId !== this.contact.peerId) this.cache.markFailed(target.peerId);
          return false;
        }
        const next = signal?.aborted ? undefined : await nextCandidate();
        if (next === undefined) return false;
        attempted += 1;
        return storeOn(next);
      }
    };
    const results = await Promise.all(first.map(storeOn));
    const stored = results.filter(Boolean).length;
    if (stored === 0) throw new PeerChannelError(ErrorCode.RESOLVER_FAILED, `no node accepted the record for ${record.name.slice(0, 80)}`);
    return { pnrpId: verified.pnrpId, stored, attempted, lookup };
  }

  /** Finds live records published under `name`, newest version per instance. */
  async resolve(name: string, options: { maxRecords?: number; signal?: AbortSignal } = {}): Promise<LookupResult> {
    const nameId = peerNameId(parsePeerName(name));
    return this.lookup(nameId.padEnd(64, '0'), { nameId, maxRecords: options.maxRecords ?? this.limits.maxRecordsPerReply, signal: options.signal });
  }

  /**
   * Joins the cloud through seed addresses: probes each, then looks up its own id (so the nodes
   * nearest to it learn of it and it learns its neighbourhood) and fills sparse cache levels.
   *
   * @returns how many seeds answered.
   */
  async bootstrap(seeds: readonly string[], signal?: AbortSignal): Promise<number> {
    this.seeds = [...seeds];
    const own = new Set(this.contact.addresses);
    const answers = await Promise.all(
      seeds
        .filter((address) => !own.has(address))
        .map((address) =>
          this.rpc.probe(address, signal).then(
            (contact) => contact,
            // An unreachable seed is expected (it may be down); the others may do.
            () => undefined,
          ),
        ),
    );
    let reached = 0;
    for (const contact of answers) {
      if (contact === undefined || contact.peerId === this.contact.peerId) continue;
      this.cache.add(contact, this.now(), true);
      reached += 1;
    }
    await this.join(signal);
    return reached;
  }

  /** Looks up its own id and refreshes sparse levels, with whatever the cache already holds. */
  async join(signal?: AbortSignal): Promise<void> {
    if (this.cache.size === 0) return;
    await this.lookup(nodeIdFor(this.cloud, this.contact.peerId), { signal });
    await this.refreshLevels(signal);
  }

  /**
   * Fills every level that has room, by a short lookup toward a random id in its band; stops at
   * the levels the neighbourhood already covers.
   */
  async refreshLevels(signal?: AbortSignal): Promise<void> {
    const neighbours = this.cache.neighbours();
    const reach = neighbours.reduce((m, c) => Math.max(m, ringDistance(this.contact.position, c.position)), 0);
    const counts = this.cache.levelCounts();
    for (let level = 0; level < counts.length; level += 1) {
      if (0.5 / 10 ** level < reach) break;
      if ((counts[level] as number) >= this.cache.entriesPerLevel) continue;
      const target = hexOfPosition(randomPositionInLevel(this.contact.position, level, this.random));
      await this.lookup(target, { maxSteps: 2, signal });
    }
  }

  /**
   * One round of upkeep: drops expired records, pings contacts not heard from lately (evicting
   * those that do not answer), re-bootstraps from the seeds if the cache emptied, and refills
   * sparse levels.
   */
  async maintain(options: { pings?: number; signal?: AbortSignal } = {}): Promise<void> {
    this.store.sweep(this.now());
    const stale = this.cache.staleContacts(this.now() - this.staleAfterMs, options.pings ?? 8);
    await Promise.all(
      stale.map((contact) =>
        this.rpc.request(contact, { op: 'ping' }, options.signal).then(
          () => this.cache.markAlive(contact.peerId, this.now()),
          () => this.cache.markFailed(contact.peerId),
        ),
      ),
    );
    if (this.cache.size === 0 && this.seeds.length > 0) await this.bootstrap(this.seeds, options.signal);
    else await this.refreshLevels(options.signal);
  }
}

/** The contact of peer `peerId` in `cloud`, with its ring position derived from its node id. */
export function contactFor(cloud: string, peerId: string, addresses: readonly string[]): PnrpContact {
  return Object.freeze({ peerId, addresses: Object.freeze([...addresses]), position: positionOf(nodeIdFor(cloud, peerId)) });
}

function positive(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `${what} must be a positive integer`);
  return n;
}
