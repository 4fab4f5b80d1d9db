import { BehaviorSubject, NEVER, type Observable } from 'rxjs';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import type { Mesh } from '../mesh/mesh.js';
import { RecordCollection } from './record-collection.js';
import { RecordGossip } from './record-gossip.js';
import type { RecordStore } from './record-store.js';
import type { RecordSyncEngine, RecordSyncFactory } from './record-sync-hook.js';
import { type RecordClass, describeRecordType, recordValidator } from './record-type-descriptor.js';
import type { RecordSyncStats } from './sync/record-sync.js';
import type { SyncReport } from './sync/sync-session.js';

/**
 * Which record store a node's record machinery serves: `'user'`, the application's records
 * (`node.records(T)`, `recordStats()`, `recordStore`), or `'system'`, the framework's own
 * short-lived records (each node's `peerchannel.node` description for the mesh view), kept
 * apart so they never show in the user store's counts, digests, changes or reconciliation.
 */
export type RecordSpaceName = 'user' | 'system';

/** A finished reconciliation session, with the records space it reconciled. */
export type RecordSyncReport = SyncReport & {
  /** The record space the session reconciled: `'user'` (the application's records) or `'system'`. */
  readonly space: RecordSpaceName;
};

/**
 * One record store with its live changes over the mesh, its reconciliation engine and the
 * typed collections handed out over it.
 * @internal composed by `NodeRecords`
 */
export class RecordSpace {
  private readonly gossip: RecordGossip;
  private readonly collections = new Map<string, RecordCollection<unknown>>();
  private readonly classes = new Map<string, RecordClass>();
  private readonly engine: RecordSyncEngine | undefined;
  private readonly notSynced = new BehaviorSubject(false);
  private closed = false;

  /** @param kindOffset added to every record frame kind on the wire (0 for the user space). */
  constructor(
    readonly name: RecordSpaceName,
    readonly store: RecordStore,
    mesh: Mesh,
    sync: RecordSyncFactory | null,
    kindOffset = 0,
  ) {
    this.gossip = new RecordGossip(store, mesh, Date.now, kindOffset);
    if (sync) {
      this.engine = sync({
        source: store,
        localPeerId: mesh.localPeerId,
        kindOffset,
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

  /** Hot, replays: `true` once the first reconciliation with a neighbour finished. */
  get synchronized$(): Observable<boolean> {
    return this.engine?.synchronized$ ?? this.notSynced.asObservable();
  }

  /** Hot: a report per finished reconciliation session (never emits without an engine that reports). */
  get sessions$(): Observable<SyncReport> {
    return this.engine?.sessions$ ?? NEVER;
  }

  /** The engine's session counters, if it keeps any. */
  get syncStats(): RecordSyncStats | undefined {
    return this.engine?.stats;
  }

  /**
   * The collection of one declared record type (the same instance on every call).
   * @throws PeerChannelError `PC_ERR_CLOSED`; `PC_ERR_INVALID_ARGUMENT` when another class
   * already declares the same type name in this space.
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

  /** Stops reconciliation and live changes, then finishes pending writes and closes the store. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.engine?.close();
    this.gossip.close();
    this.notSynced.complete();
    await this.store.close();
  }
}
