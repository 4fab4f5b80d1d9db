import { ErrorCode, PeerChannelError } from '../../errors/index.js';
import type { PnrpLimits } from './pnrp-limits.js';
import { recordSize, type PnrpRecord, type VerifiedRecord } from './record.js';

interface Held {
  readonly verified: VerifiedRecord;
  /** Peer id of the node that sent it here (the authenticated link), if not this node. */
  readonly source: string | undefined;
}

function quota(message: string): PeerChannelError {
  return new PeerChannelError(ErrorCode.STORE_QUOTA, `${message}; store it on other nodes close to its id`);
}

/** Adds `key` to the set under `owner` in `index`. */
function index(map: Map<string, Set<string>>, owner: string, key: string): void {
  let keys = map.get(owner);
  if (keys === undefined) {
    keys = new Set();
    map.set(owner, keys);
  }
  keys.add(key);
}

function unindex(map: Map<string, Set<string>>, owner: string | undefined, key: string): void {
  if (owner === undefined) return;
  const keys = map.get(owner);
  keys?.delete(key);
  if (keys?.size === 0) map.delete(owner);
}

/**
 * The records one node keeps for others: one slot per (PNRP id, publisher), bounded in total,
 * per name, per publisher key and per sending link.
 *
 * @remarks
 * Only verified records go in. A newer version from the same publisher replaces an older one; an
 * older or equal version is ignored. Withdrawn records stay as tombstones until their expiry so a
 * stale copy cannot come back, and are never returned. Expired records are never returned, even
 * before {@link RecordStore.sweep} removes them.
 *
 * No single identity can fill the store: a publisher key holds at most `maxRecordsPerPublisher`
 * records here and one link may send at most `maxRecordsPerSource`; past either bound the store
 * is refused with `PC_ERR_STORE_QUOTA`, which tells the publisher to try other close nodes. When
 * the store is full (many identities), expired records go first; then a publisher holding fewer
 * records than the most represented one takes the place of that one's oldest-stored record, so
 * the store drifts toward many publishers with fresh records instead of first come, first kept.
 * Only when no publisher holds more than the newcomer is the store refused (`PC_ERR_STORE_QUOTA`).
 * A full name still refuses with `PC_ERR_LIMIT_EXCEEDED`.
 */
export class RecordStore {
  private readonly byKey = new Map<string, Held>();
  private readonly byName = new Map<string, Set<string>>();
  private readonly byPublisher = new Map<string, Set<string>>();
  private readonly bySource = new Map<string, Set<string>>();
  /** Records evicted to make room for a less represented publisher. */
  evicted = 0;

  constructor(private readonly limits: PnrpLimits) {}

  /** Records held, tombstones and not-yet-swept expired ones included. */
  get size(): number {
    return this.byKey.size;
  }

  /** Records held for `publisher` (a peer id). */
  heldFor(publisher: string): number {
    return this.byPublisher.get(publisher)?.size ?? 0;
  }

  /**
   * Keeps a verified record that `source` (the authenticated sender; `undefined` for this node)
   * sent.
   * @returns `'stored'`, `'replaced'`, or `'stale'` when an equal or newer version is already held.
   * @throws PeerChannelError `PC_ERR_STORE_QUOTA` when the publisher, the source or the whole
   * store is at its bound; `PC_ERR_LIMIT_EXCEEDED` when the name is full.
   */
  put(verified: VerifiedRecord, now: number, source?: string): 'stored' | 'replaced' | 'stale' {
    const existing = this.byKey.get(verified.key);
    if (existing !== undefined) {
      if (existing.verified.record.version >= verified.record.version) return 'stale';
      this.byKey.set(verified.key, { verified, source: existing.source });
      return 'replaced';
    }
    const { maxRecordsPerPublisher, maxRecordsPerSource, maxStoredRecords, maxRecordsPerName } = this.limits;
    const over = () =>
      this.heldFor(verified.publisher) >= maxRecordsPerPublisher ||
      (source !== undefined && (this.bySource.get(source)?.size ?? 0) >= maxRecordsPerSource) ||
      (this.byName.get(verified.nameId)?.size ?? 0) >= maxRecordsPerName ||
      this.byKey.size >= maxStoredRecords;
    if (over()) this.sweep(now);
    if (this.heldFor(verified.publisher) >= maxRecordsPerPublisher) throw quota(`this node holds ${maxRecordsPerPublisher} records of publisher ${verified.publisher.slice(0, 12)} already`);
    if (source !== undefined && (this.bySource.get(source)?.size ?? 0) >= maxRecordsPerSource) throw quota(`this node holds ${maxRecordsPerSource} records sent by ${source.slice(0, 12)} already`);
    if ((this.byName.get(verified.nameId)?.size ?? 0) >= maxRecordsPerName) throw new PeerChannelError(ErrorCode.LIMIT_EXCEEDED, `name holds ${maxRecordsPerName} records already`);
    if (this.byKey.size >= maxStoredRecords) this.makeRoomFor(verified.publisher);
    this.byKey.set(verified.key, { verified, source });
    index(this.byName, verified.nameId, verified.key);
    index(this.byPublisher, verified.publisher, verified.key);
    if (source !== undefined) index(this.bySource, source, verified.key);
    return 'stored';
  }

  /** Live (unexpired, not withdrawn) records under `nameId`, at most `max` and `maxBytes` of them. */
  find(nameId: string, now: number, max: number, maxBytes = Infinity): PnrpRecord[] {
    const keys = this.byName.get(nameId);
    if (keys === undefined) return [];
    const out: PnrpRecord[] = [];
    let bytes = 0;
    for (const key of keys) {
      const v = (this.byKey.get(key) as Held).verified;
      if (v.record.withdrawn || v.record.expiresAt <= now) continue;
      bytes += recordSize(v.record);
      if (out.length >= max || bytes > maxBytes) break;
      out.push(v.record);
    }
    return out;
  }

  /** Every verified record held, for re-replication. */
  all(): VerifiedRecord[] {
    return [...this.byKey.values()].map((h) => h.verified);
  }

  /** Drops expired records and tombstones; returns how many went. */
  sweep(now: number): number {
    let dropped = 0;
    for (const [key, held] of this.byKey) {
      if (held.verified.record.expiresAt > now) continue;
      this.remove(key, held);
      dropped += 1;
    }
    return dropped;
  }

  /** Evicts the oldest-stored record of the most represented publisher, if it holds more than `publisher`. */
  private makeRoomFor(publisher: string): void {
    const mine = this.heldFor(publisher);
    let heaviest: Set<string> | undefined;
    for (const keys of this.byPublisher.values()) if (heaviest === undefined || keys.size > heaviest.size) heaviest = keys;
    if (heaviest === undefined || heaviest.size <= mine) {
      throw quota(`record store is full (${this.limits.maxStoredRecords}) and no publisher holds more records here than ${publisher.slice(0, 12)}`);
    }
    const oldest = heaviest.values().next().value as string;
    this.remove(oldest, this.byKey.get(oldest) as Held);
    this.evicted += 1;
  }

  private remove(key: string, held: Held): void {
    this.byKey.delete(key);
    unindex(this.byName, held.verified.nameId, key);
    unindex(this.byPublisher, held.verified.publisher, key);
    unindex(this.bySource, held.source, key);
  }
}
