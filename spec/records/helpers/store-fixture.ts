import { PeerIdentity } from '../../../lib/identity/peer-identity.js';
import type { RecordLimits } from '../../../lib/records/record-limits.js';
import { RecordStore } from '../../../lib/records/record-store.js';
import { MemoryRecordStorage } from '../../../lib/records/storage/memory-record-storage.js';
import type { RecordStorage } from '../../../lib/records/storage/record-storage.js';
import type { SyncIndex, SyncItem } from '../../../lib/records/sync/sync-source.js';

/** A plain set index, so store specs do not depend on the reconciliation tree. */
export class SetIndex implements SyncIndex {
  readonly items = new Map<string, SyncItem>();
  get size(): number {
    return this.items.size;
  }
  insert(item: SyncItem): void {
    this.items.set(Buffer.from(item.hash).toString('hex'), item);
  }
  remove(item: SyncItem): void {
    this.items.delete(Buffer.from(item.hash).toString('hex'));
  }
  has(hash: Uint8Array): boolean {
    return this.items.has(Buffer.from(hash).toString('hex'));
  }
}

/** A settable clock. */
export class Clock {
  constructor(public t = 1_800_000_000_000) {}
  readonly now = (): number => this.t;
}

export interface StoreOptions {
  identity?: PeerIdentity;
  storage?: RecordStorage;
  clock?: Clock;
  admins?: string[];
  limits?: Partial<RecordLimits>;
}

/** Opens a store on memory storage with a fixed clock; close it in afterEach. */
export async function openStore(o: StoreOptions = {}): Promise<{ store: RecordStore; index: SetIndex; identity: PeerIdentity; clock: Clock; storage: RecordStorage }> {
  const identity = o.identity ?? PeerIdentity.generate();
  const index = new SetIndex();
  const clock = o.clock ?? new Clock();
  const storage = o.storage ?? new MemoryRecordStorage();
  const store = new RecordStore({ identity, storage, index, now: clock.now, admins: o.admins, limits: o.limits, expiryIntervalMs: 60_000 });
  await store.open();
  return { store, index, identity, clock, storage };
}
