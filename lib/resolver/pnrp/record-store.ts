import { ErrorCode, PeerChannelError } from '../../errors/index.js';
import type { PnrpLimits } from './pnrp-limits.js';
import { recordSize, type PnrpRecord, type VerifiedRecord } from './record.js';

/**
 * The records one node keeps for others: one slot per (PNRP id, publisher), bounded in total and
 * per name.
 *
 * @remarks
 * Only verified records go in. A newer version from the same publisher replaces an older one; an
 * older or equal version is ignored. Withdrawn records stay as tombstones until their expiry so a
 * stale copy cannot come back, and are never returned. Expired records are never returned, even
 * before {@link RecordStore.sweep} removes them. When full, new stores are refused with
 * `PC_ERR_LIMIT_EXCEEDED` rather than evicting live records (eviction would let a flood of
 * unsecured names push out everyone else's).
 */
export class RecordStore {
  private readonly byKey = new Map<string, VerifiedRecord>();
  private readonly byName = new Map<string, Set<string>>();

  constructor(private readonly limits: PnrpLimits) {}

  /** Records held, tombstones and not-yet-swept expired ones included. */
  get size(): number {
    return this.byKey.size;
  }

  /**
   * Keeps a verified record.
   * @returns `'stored'`, `'replaced'`, or `'stale'` when an equal or newer version is already held.
   * @throws PeerChannelError `PC_ERR_LIMIT_EXCEEDED` when the store or the name is full.
   */
  put(verified: VerifiedRecord, now: number): 'stored' | 'replaced' | 'stale' {
    const existing = this.byKey.get(verified.key);
    if (existing !== undefined) {
      if (existing.record.version >= verified.record.version) return 'stale';
      this.byKey.set(verified.key, verified);
      return 'replaced';
    }
    let names = this.byName.get(verified.nameId);
    if (this.byKey.size >= this.limits.maxStoredRecords || (names?.size ?? 0) >= this.limits.maxRecordsPerName) {
      this.sweep(now);
      names = this.byName.get(verified.nameId);
      if (this.byKey.size >= this.limits.maxStoredRecords) throw new PeerChannelError(ErrorCode.LIMIT_EXCEEDED, `record store is full (${this.limits.maxStoredRecords})`);
      if ((names?.size ?? 0) >= this.limits.maxRecordsPerName) throw new PeerChannelError(ErrorCode.LIMIT_EXCEEDED, `name holds ${this.limits.maxRecordsPerName} records already`);
    }
    if (names === undefined) {
      names = new Set();
      this.byName.set(verified.nameId, names);
    }
    names.add(verified.key);
    this.byKey.set(verified.key, verified);
    return 'stored';
  }

  /** Live (unexpired, not withdrawn) records under `nameId`, at most `max` and `maxBytes` of them. */
  find(nameId: string, now: number, max: number, maxBytes = Infinity): PnrpRecord[] {
    const keys = this.byName.get(nameId);
    if (keys === undefined) return [];
    const out: PnrpRecord[] = [];
    let bytes = 0;
    for (const key of keys) {
      const v = this.byKey.get(key) as VerifiedRecord;
      if (v.record.withdrawn || v.record.expiresAt <= now) continue;
      bytes += recordSize(v.record);
      if (out.length >= max || bytes > maxBytes) break;
      out.push(v.record);
    }
    return out;
  }

  /** Every verified record held, for re-replication. */
  all(): VerifiedRecord[] {
    return [...this.byKey.values()];
  }

  /** Drops expired records and tombstones; returns how many went. */
  sweep(now: number): number {
    let dropped = 0;
    for (const [key, v] of this.byKey) {
      if (v.record.expiresAt > now) continue;
      this.byKey.delete(key);
      const names = this.byName.get(v.nameId);
      names?.delete(key);
      if (names?.size === 0) this.byName.delete(v.nameId);
      dropped += 1;
    }
    return dropped;
  }
}
