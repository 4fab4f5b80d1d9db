/**
 * Bounds on records, their attributes, and what peers may make a store do.
 *
 * @remarks
 * Every value here bounds something a remote peer controls; exceeding one refuses the record with
 * its own code (`PC_ERR_RECORD_TOO_LARGE`, `PC_ERR_RECORD_SHAPE`, `PC_ERR_RECORD_QUOTA`) or, for the
 * per-link rate, closes the link (`PC_ERR_RECORD_RATE`).
 */
export interface RecordLimits {
  /**
   * Largest signed encoding of one record, in bytes (it must fit one frame).
   * @defaultValue 61_440 (60 KiB)
   */
  readonly maxRecordBytes: number;
  /**
   * Longest record type name.
   * @defaultValue 64
   */
  readonly maxTypeLength: number;
  /**
   * Most attributes on one record.
   * @defaultValue 16
   */
  readonly maxAttributes: number;
  /**
   * Longest attribute name.
   * @defaultValue 64
   */
  readonly maxAttributeNameLength: number;
  /**
   * Longest string attribute value.
   * @defaultValue 256
   */
  readonly maxAttributeValueLength: number;
  /**
   * Deepest nesting of a msgpack data value.
   * @defaultValue 16
   */
  readonly maxDataDepth: number;
  /**
   * Most values (array items, map entries, scalars) in one msgpack data value.
   * @defaultValue 10_000
   */
  readonly maxDataNodes: number;
  /**
   * Longest lifetime a record may ask for, from now.
   * @defaultValue 3_650 days
   */
  readonly maxTtlMs: number;
  /**
   * Most live records (tombstones included) one creator may hold in this store.
   * @defaultValue 100_000
   */
  readonly maxRecordsPerCreator: number;
  /**
   * Most records in the whole store; beyond it records from peers are refused with `PC_ERR_RECORD_QUOTA`.
   * @defaultValue 1_000_000
   */
  readonly maxRecords: number;
  /**
   * Sustained live record frames per second one neighbour may send (token bucket refill).
   * @defaultValue 5_000
   */
  readonly linkRecordsPerSecond: number;
  /**
   * Burst of live record frames one neighbour may send at once (token bucket size).
   * @defaultValue 20_000
   */
  readonly linkRecordBurst: number;
}

/** Defaults for {@link RecordLimits}. */
export const defaultRecordLimits: RecordLimits = Object.freeze({
  maxRecordBytes: 61_440,
  maxTypeLength: 64,
  maxAttributes: 16,
  maxAttributeNameLength: 64,
  maxAttributeValueLength: 256,
  maxDataDepth: 16,
  maxDataNodes: 10_000,
  maxTtlMs: 3_650 * 86_400_000,
  maxRecordsPerCreator: 100_000,
  maxRecords: 1_000_000,
  linkRecordsPerSecond: 5_000,
  linkRecordBurst: 20_000,
});

/** Default lifetime of a record when `add` is given none: 30 days. */
export const DEFAULT_RECORD_TTL_MS = 30 * 86_400_000;
