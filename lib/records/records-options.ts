import type { RecordLimits } from './record-limits.js';
import type { RecordClass } from './record-type-descriptor.js';
import type { RecordStorage } from './storage/record-storage.js';
import type { RecordSyncFactory } from './record-sync-hook.js';

/** The `records` option of `PeerNode.open`: enables the node's replicated record store. */
export interface RecordsOptions {
  /**
   * Where records are kept: `'disk'` (LevelDB at {@link RecordsOptions.location}), `'memory'`
   * (gone with the process), or a {@link RecordStorage} of your own.
   * @defaultValue `'disk'`
   */
  readonly storage?: 'disk' | 'memory' | RecordStorage;
  /**
   * The per-user directory under which identities and records are kept.
   * @defaultValue `$PEERCHANNEL_HOME`, else `~/.peerchannel`
   */
  readonly home?: string;
  /**
   * The LevelDB directory of this node's records (per user, per identity, per mesh by default).
   * @defaultValue `<home>/records/<peer id>/<mesh name>`
   */
  readonly location?: string;
  /**
   * Where the node's identity is kept when `PeerNode.open` is given none and records are on disk:
   * loaded if present, created and saved if not, so the node can still update and delete its
   * records after a restart.
   * @defaultValue `<home>/identity`
   */
  readonly identityDirectory?: string;
  /** Record types whose records are validated on receipt from the start (others are validated once `node.records(T)` is first called). */
  readonly types?: readonly RecordClass[];
  /**
   * Peer ids allowed to delete any record (the mesh owner's admin role).
   * @defaultValue the owners of certificate admission (`certificate.trustedOwnerKeys`), else none
   */
  readonly admins?: Iterable<string>;
  /** @defaultValue `defaultRecordLimits` */
  readonly limits?: Partial<RecordLimits>;
  /**
   * How often expired records and tombstones are looked for.
   * @defaultValue 1_000
   */
  readonly expiryIntervalMs?: number;
  /**
   * Reconciliation on every new link and periodically with a random neighbour; `null` for live
   * changes only.
   * @defaultValue `recordSync()` (range-based reconciliation, `lib/records/sync`)
   */
  readonly sync?: RecordSyncFactory | null;
}
