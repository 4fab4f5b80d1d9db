import { homedir } from 'node:os';
import { join } from 'node:path';
import { type Observable, map, merge } from 'rxjs';
import type { PeerIdentity } from '../identity/peer-identity.js';
import type { Mesh } from '../mesh/mesh.js';
import type { RecordCollection } from './record-collection.js';
import { SYSTEM_SPACE_KIND_OFFSET } from './record-gossip.js';
import { RecordSpace, type RecordSyncReport } from './record-space.js';
import { RecordStore } from './record-store.js';
import type { RecordSyncFactory } from './record-sync-hook.js';
import type { RecordClass } from './record-type-descriptor.js';
import { systemRecordLimits } from './system-record-limits.js';
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
 * A node's replicated records: the user store with its live changes and reconciliation, and
 * the system records space beside it (the framework's own short-lived records, kept in memory,
 * reconciled over frame kinds of their own and never counted in the user store).
 * @internal composed by `PeerNode`
 */
export class NodeRecords {
  /** The application's records. */
  readonly user: RecordSpace;
  /** The framework's own records (`peerchannel.node` for the mesh view). */
  readonly system: RecordSpace;
  private closed = false;

  private constructor(user: RecordSpace, system: RecordSpace) {
    this.user = user;
    this.system = system;
  }

  /** The user store (what `recordStats()`, `recordStore` and `node.records(T)` see). */
  get store(): RecordStore {
    return this.user.store;
  }

  /** Opens both stores (loading what the user storage holds) and attaches them to `mesh`. */
  static async open(options: RecordsOptions, identity: PeerIdentity, meshName: string, mesh: Mesh, admins: Iterable<string>, sync: RecordSyncFactory | null | undefined): Promise<NodeRecords> {
    const store = new RecordStore({
      identity,
      storage: storageFor(options, identity.peerId, meshName),
      index: new SyncTree(),
      limits: options.limits,
      admins: options.admins ?? admins,
      expiryIntervalMs: options.expiryIntervalMs,
    });
    // System records are refreshed by their creators, so memory is enough: a restarted node
    // republishes, and reconciliation on each new link fills a newcomer in.
    const systemStore = new RecordStore({
      identity,
      storage: new MemoryRecordStorage(),
      index: new SyncTree(),
      limits: systemRecordLimits,
      admins: [],
      expiryIntervalMs: options.expiryIntervalMs,
      declaredTypesOnly: true,
    });
    await store.open();
    await systemStore.open();
    store.errors$.subscribe((e) => mesh.report(e));
    systemStore.errors$.subscribe((e) => mesh.report(e));
    let user: RecordSpace | undefined;
    let system: RecordSpace | undefined;
    try {
      user = new RecordSpace('user', store, mesh, sync === undefined ? recordSync() : sync);
      // No periodic anti-entropy for system records: every creator refreshes its own well
      // within the expiry, and each refresh floods, so a missed change heals itself.
      system = new RecordSpace('system', systemStore, mesh, sync === null ? null : recordSync({ intervalMs: 0 }), SYSTEM_SPACE_KIND_OFFSET);
      const records = new NodeRecords(user, system);
      for (const cls of options.types ?? []) records.collection(cls);
      return records;
    } catch (error) {
      // A bad type or sync option must not leave the storage open (LevelDB would stay locked).
      await Promise.allSettled([user?.close() ?? store.close(), system?.close() ?? systemStore.close()]);
      throw error;
    }
  }

  /** Hot, replays: `true` once the first reconciliation of the user store with a neighbour finished. */
  get synchronized$(): Observable<boolean> {
    return this.user.synchronized$;
  }

  /** Hot: a report per finished reconciliation session of either space. */
  get syncSessions$(): Observable<RecordSyncReport> {
    const tag = (space: RecordSpace) => space.sessions$.pipe(map((r): RecordSyncReport => ({ ...r, space: space.name })));
    return merge(tag(this.user), tag(this.system));
  }

  /**
   * The user collection of one declared record type (the same instance on every call).
   * @throws PeerChannelError `PC_ERR_CLOSED`; `PC_ERR_INVALID_ARGUMENT` when another class
   * already declares the same type name.
   */
  collection<T>(cls: RecordClass<T>): RecordCollection<T> {
    return this.user.collection(cls);
  }

  /** Stops reconciliation and live changes of both spaces, then finishes pending writes and closes the storage. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.user.close(), this.system.close()]);
  }
}
