import { type RecordLimits, defaultRecordLimits } from './record-limits.js';

/**
 * Bounds of the system records space (the framework's own records, such as each node's
 * `peerchannel.node` description), tighter than a user store's: its records are small,
 * few per node and short-lived.
 *
 * @remarks
 * The space is kept in memory only, so these also bound the memory a peer can make it take:
 * at most `maxRecords` × `maxRecordBytes` (4,096 × 16 KiB = 64 MiB in the worst case; a real
 * node record is about 0.5–2 KiB). A record of a type the framework did not declare is refused
 * (`PC_ERR_RECORD_TYPE_MISMATCH`), one past a quota with `PC_ERR_RECORD_QUOTA`, and a link
 * flooding changes past the rate is closed with `PC_ERR_RECORD_RATE`.
 */
export const systemRecordLimits: RecordLimits = Object.freeze({
  ...defaultRecordLimits,
  /** A node description is bounded to 64 neighbours and 64 drop codes, well under this. */
  maxRecordBytes: 16_384,
  maxAttributes: 4,
  maxDataNodes: 2_048,
  /** System records live minutes at most (a node record: 3 refresh intervals). */
  maxTtlMs: 3_600_000,
  /** One node record per node, plus a few left from restarts of the same identity. */
  maxRecordsPerCreator: 4,
  /** Members whose records one node keeps (the mesh view's bound). */
  maxRecords: 4_096,
  /** 4,096 members refreshing every 10 s is about 410 changes a second on a link. */
  linkRecordsPerSecond: 1_000,
  linkRecordBurst: 4_096,
});
