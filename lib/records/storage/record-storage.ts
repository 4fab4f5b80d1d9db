/** One change to a store's persistent state: the record version to keep for an id, or its removal. */
export type StorageChange =
  | {
      /** Keep `encoded` as the version of record `id`, replacing any other. */
      readonly kind: 'put';
      /** The record id. */
      readonly id: Uint8Array;
      /** The signed encoding to keep. */
      readonly encoded: Uint8Array;
    }
  | {
      /** Forget record `id`. */
      readonly kind: 'remove';
      /** The record id. */
      readonly id: Uint8Array;
    };

/**
 * Where a record store keeps its records: one signed encoding per record id.
 *
 * @remarks
 * Implementations: {@link LevelRecordStorage} (LevelDB on disk) and {@link MemoryRecordStorage}.
 * A compliance suite (`spec/records/storage-compliance.ts`) runs against both.
 */
export interface RecordStorage {
  /** Opens (creating if needed). */
  open(): Promise<void>;
  /** Every stored encoding, in id order. */
  entries(): AsyncIterable<{
    /** The record id. */
    readonly id: Uint8Array;
    /** Its signed encoding. */
    readonly encoded: Uint8Array;
  }>;
  /**
   * Applies `changes` as one atomic batch. On a durable storage the promise resolves only once the
   * batch is on disk (fsync), so a `kill -9` after it resolved loses none of it.
   */
  write(changes: readonly StorageChange[]): Promise<void>;
  /** Reads one encoding, or `undefined`. */
  get(id: Uint8Array): Promise<Uint8Array | undefined>;
  /** Closes; idempotent. */
  close(): Promise<void>;
}
