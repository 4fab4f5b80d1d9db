/** Counters of a record store since it opened. */
export interface RecordStoreStats {
  /** Versions stored (local and remote) that won over what was held. */
  stored: number;
  /** Copies that lost to (or equalled) the version held. */
  stale: number;
  /** Copies with the very hash held. */
  duplicates: number;
  /** Records and tombstones removed at expiry. */
  expired: number;
  /** Refused records by error code (`PC_ERR_RECORD_SIGNATURE`, `PC_ERR_RECORD_FORBIDDEN`, …). */
  rejected: Record<string, number>;
}

/** Fresh counters. */
export function emptyRecordStoreStats(): RecordStoreStats {
  return { stored: 0, stale: 0, duplicates: 0, expired: 0, rejected: {} };
}
