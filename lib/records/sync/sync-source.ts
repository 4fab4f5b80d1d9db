/**
 * The contract between the record store (`lib/records/`) and range-based reconciliation
 * (`lib/records/sync/`).
 *
 * @remarks
 * Reconciliation sees a store as an ordered set of {@link SyncItem}s — one per record version
 * held, tombstones included — ordered by `(modified, hash)` as in Negentropy. Once two sides
 * know which items differ, they exchange {@link RecordAbstract}s for those items and each side
 * pulls only the versions that would win under the conflict rule.
 *
 * @packageDocumentation
 */

/** Length of a record version hash in bytes. */
export const VERSION_HASH_BYTES = 32;

/** One record version as reconciliation sees it: ordered by `modified`, then `hash` bytes. */
export interface SyncItem {
  /** Modification time of this version, integer milliseconds since the epoch. */
  readonly modified: number;
  /** {@link VERSION_HASH_BYTES}-byte hash of this version's signed encoding. */
  readonly hash: Uint8Array;
}

/** The ordered set of items a store holds; the store keeps it current on every change. */
export interface SyncIndex {
  /** Number of items. */
  readonly size: number;
  /** Adds an item (no-op if present). */
  insert(item: SyncItem): void;
  /** Removes an item (no-op if absent). */
  remove(item: SyncItem): void;
  /** True if an item with this hash is held. */
  has(hash: Uint8Array): boolean;
}

/**
 * A compact description of one record version: enough to decide, by the conflict rule, whether
 * to pull the whole record.
 */
export interface RecordAbstract {
  /** Version hash ({@link SyncItem.hash}). */
  readonly hash: Uint8Array;
  /** The record's 16-byte id. */
  readonly recordId: Uint8Array;
  /** The record version (1 on creation, +1 per change). */
  readonly version: number;
  /** Creation time, ms since the epoch. */
  readonly created: number;
  /** Last modification time, ms since the epoch. */
  readonly modified: number;
  /** Expiry time, ms since the epoch. */
  readonly expires: number;
  /** Peer id of the last modifier. */
  readonly lastModifier: string;
  /** True for a tombstone. */
  readonly deleted: boolean;
  /** The creator's signature bytes (the last tie-breakers of the conflict rule). */
  readonly signature: Uint8Array;
}

/** What the store did with a record version received from a peer. */
export type ReceiveOutcome = 'stored' | 'stale' | 'rejected';

/** The record store as reconciliation uses it. */
export interface RecordSyncSource {
  /** The live index of every version held. */
  readonly index: SyncIndex;
  /** The abstract of a version held, or `undefined`. */
  abstractOf(hash: Uint8Array): RecordAbstract | undefined;
  /** True if `theirs` would win over the copy held of its record (or none is held and it has not expired). */
  wants(theirs: RecordAbstract): boolean;
  /** The signed encoding of a version held, or `undefined` (e.g. removed meanwhile). */
  load(hash: Uint8Array): Promise<Uint8Array | undefined>;
  /** Verifies and applies a signed record encoding received from neighbour `from`. */
  receive(encoded: Uint8Array, from: string): Promise<ReceiveOutcome>;
}
