import { homedir } from 'node:os';
import { join } from 'node:path';
import { BehaviorSubject, type Observable } from 'rxjs';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import type { PeerIdentity } from '../identity/peer-identity.js';
import type { Mesh } from '../mesh/mesh.js';
import { RecordCollection } from './record-collection.js';
import { RecordGossip } from './record-gossip.js';
import { RecordStore } from './record-store.js';
import type { RecordSyncEngine, RecordSyncFactory } from './record-sync-hook.js';
import { type RecordClass, describeRecordType, recordValidator } from './record-type-descriptor.js';
import type { RecordsOptions } from './records-options.js';
import { LevelRecordStorage } from './storage/level-record-storage.js';
import { MemoryRecordStorage } from './storage/memory-record-storage.js';
import type { RecordStorage } from './storage/record-storage.js';
import { recordSync } from './sync/record-sync.js';
import { SyncTree } from './sync/sync-tree.js';

/** The per-user directory of identities and records. */
export function recordsHome(options: RecordsOptions): string {
  return options.home ?? process.env.PEERCHANNEL_HOME ?? join(homedir(), '.peerchannel');
}

/** Where a node's records live: per user, per identity, per mesh unless set. */
export function recordsLocation(options: RecordsOptions, peerId: string, meshName: string): string {
  return options.location ?? join(recordsHome(options), 'records', peerId, meshName);
}

/** Where a records-keeping node's identity lives unless one is given. */
export function recordsIdentityDirectory(options: RecordsOptions): string {
  return options.identityDirectory ?? join(recordsHome(options), 'identity');
}

function storageFor(options: RecordsOptions, peerId: string, meshName: string): RecordStorage {
  const s = options.storage ?? 'disk';
  if (s === 'memory') return new MemoryRecordStorage();
  if (s === 'disk') return new LevelRecordStorage(recordsLocation(options, peerId, meshName));
  return s;
}

/**
 * A node's replicated records: the store, live changes over the mesh, reconciliation, and the
 * typed collections the node hands out.
 * @internal composed by `PeerNode`
 */
export class NodeRecords {
  readonly store: RecordStore;
  private readonly gossip: RecordGossip;
  private readonly collections = new Map<string, RecordCollection<unknown>>();
  private readonly classes = new Map<string, RecordClass>();
  private engine: RecordSyncEngine | undefined;
  private readonly notSynced = new BehaviorSubject(false);
  private closed = false;

  private constructor(store: RecordStore, mesh: Mesh, sync: RecordSyncFactory | null | undefined) {
    this.store = store;
    this.gossip = new RecordGossip(store, mesh);
    if (sync) {
      this.engine = sync({
        source: store,
        localPeerId: mesh.localPeerId,
        mesh: Object.assign(Object.create(null) as object, {
          get neighbors() {
            return mesh.neighbors;
          },
          neighbors$: mesh.neighbors$,
          neighbor: (peerId: string) => mesh.neighbors.get(peerId),
          registerExtension: mesh.registerExtension.bind(mesh),
          sendExtension: mesh.sendExtension.bind(mesh),
          violation: mesh.violation.bind(mesh),
        }),
      });
    }
  }

  /** Opens the store (loading what the storage holds) and attaches it to `mesh`. */
  static async open(options: RecordsOptions, identity: PeerIdentity, meshName: string, mesh: Mesh, admins: Iterable<string>, sync: RecordSyncFactory | null | undefined): Promise<NodeRecords> {
    const store = new RecordStore({
      identity,
      storage: storageFor(options, identity.peerId, meshName),
      index: new SyncTree(),
      limits: options.limits,
      admins: options.admins ?? admins,
      expiryIntervalMs: options.expiryIntervalMs,
    });
    await store.open();
    store.errors$.subscribe((e) => mesh.report(e));
    const records = new NodeRecords(store, mesh, sync === undefined ? recordSync() : sync);
    for (const cls of options.types ?? []) records.collection(cls);
    return records;
  }

  /** Hot, replays: `true` once the first reconciliation with a neighbour finished. */
  get synchronized$(): Observable<boolean> {
    return this.engine?.synchronized$ ?? this.notSynced.asObservable();
  }

  /**
   * The collection of one declared record type (the same instance on every call).
   * @throws PeerChannelError `PC_ERR_RECORDS_DISABLED` for an undeclared class;
   * `PC_ERR_INVALID_ARGUMENT` when another class already declares the same type name.
   */
  collection<T>(cls: RecordClass<T>): RecordCollection<T> {
    if (this.closed) throw new PeerChannelError(ErrorCode.CLOSED, 'the node is closed');
    const d = describeRecordType(cls);
    const owner = this.classes.get(d.type);
    if (owner !== undefined && owner !== cls) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `record type '${d.type}' is declared by both ${owner.name} and ${cls.name}`);
    let c = this.collections.get(d.type);
    if (c === undefined) {
      this.store.registerType(d.type, recordValidator(d, this.store.limits));
      c = new RecordCollection<unknown>(this.store, d);
      this.collections.set(d.type, c);
      this.classes.set(d.type, cls);
    }
    return c as RecordCollection<T>;
  }

  /** Stops reconciliation and live changes, then finishes pending writes and closes the storage. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.engine?.close();
    this.gossip.close();
    this.notSynced.complete();
    await this.store.close();
  }
}
