import { Subject, type Observable } from 'rxjs';
import { ErrorCode, PeerChannelError, toPeerChannelError } from '../errors/index.js';
import type { PeerIdentity } from '../identity/peer-identity.js';
import { compareVersions } from './conflict-rule.js';
import { checkIncoming } from './record-checks.js';
import { type RecordAttributes, RecordDataKind, type SignedRecord } from './record.js';
import { decodeRecord, newRecordId, signRecord } from './record-codec.js';
import { DEFAULT_RECORD_TTL_MS, type RecordLimits, defaultRecordLimits } from './record-limits.js';
import type { RecordStorage, StorageChange } from './storage/record-storage.js';
import type { ReceiveOutcome, RecordAbstract, RecordSyncSource, SyncIndex, SyncItem } from './sync/sync-source.js';
import { type RecordStoreStats, emptyRecordStoreStats } from './record-store-stats.js';
import { abstractOf } from './record-abstract.js';
import { WriteQueue } from './write-queue.js';

/** What happened to a record in a store. */
export type StoreChangeKind = 'added' | 'updated' | 'deleted' | 'expired';

/** One change applied to a store. */
export interface StoreChange {
  /** What happened to the record: `added`, `updated`, `deleted` or `expired`. */
  readonly kind: StoreChangeKind;
  /** The version now held (for `expired`, the one removed). */
  readonly record: SignedRecord;
  /** The version it replaced, if any. */
  readonly previous: SignedRecord | undefined;
  /** `'local'` for this node's own writes, `'expiry'` for removals, else the neighbour's peer id. */
  readonly source: string;
}

/** Checks a record of one type before it is stored; throws a `PeerChannelError` to refuse it. */
export type RecordValidator = (record: SignedRecord) => void;

/** Options of {@link RecordStore}. */
export interface RecordStoreOptions {
  /** Signs this node's own records. */
  readonly identity: PeerIdentity;
  /** Where verified versions are persisted (`LevelRecordStorage`, `MemoryRecordStorage` or your own). */
  readonly storage: RecordStorage;
  /** The reconciliation index the store keeps current. */
  readonly index: SyncIndex;
  /** @defaultValue {@link defaultRecordLimits} */
  readonly limits?: Partial<RecordLimits>;
  /**
   * Peer ids allowed to delete any record (the mesh owner's admin role).
   * @defaultValue none
   */
  readonly admins?: Iterable<string>;
  /** @defaultValue `Date.now` */
  readonly now?: () => number;
  /**
   * How often expired records are looked for.
   * @defaultValue 1_000
   */
  readonly expiryIntervalMs?: number;
  /**
   * Refuse records of a type no validator was registered for (`PC_ERR_RECORD_TYPE_MISMATCH`), as
   * the system records space does: it holds only the types the framework declares.
   * @defaultValue false
   */
  readonly declaredTypesOnly?: boolean;
}

/** A change this node makes to one of its records. */
export interface RecordWrite {
  /** Searchable attributes (name → string, number or boolean). */
  readonly attributes?: RecordAttributes;
  /** How `data` is to be read. @defaultValue `RecordDataKind.Bytes` */
  readonly dataKind?: RecordDataKind;
  /** The record's data. @defaultValue empty */
  readonly data?: Uint8Array;
  /** Lifetime from now; on update the expiry only grows (a shorter one throws). */
  readonly ttlMs?: number;
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/**
 * A replicated record store: verified record versions, the conflict rule, tombstones, expiry, and
 * durable persistence — the part of Peer Grouping's database that does not touch the network.
 *
 * @remarks
 * Holds one version per record id (the winner), tombstones included, in memory and in its
 * {@link RecordStorage}; keeps the reconciliation {@link SyncIndex} current; and is the
 * {@link RecordSyncSource} that range-based reconciliation pulls from and pushes into. Every
 * record, local or remote, passes the same checks: shape and bounds, canonical encoding, id bound
 * to the creator, signature, authority (only the creator updates; creator or an admin deletes;
 * a deleted record is never revived), expiry (expired copies are refused; expiry only grows),
 * quotas, and the record type's validator.
 */
export class RecordStore implements RecordSyncSource {
  /** The bounds in force (the defaults merged with `options.limits`). */
  readonly limits: RecordLimits;
  readonly index: SyncIndex;
  /** Counters of stored, stale, duplicate, expired and refused versions; live, not a copy. */
  readonly stats: RecordStoreStats = emptyRecordStoreStats();
  private readonly records = new Map<string, SignedRecord>();
  private readonly byHash = new Map<string, SignedRecord>();
  private readonly items = new Map<string, SyncItem>();
  private readonly perCreator = new Map<string, number>();
  private readonly validators = new Map<string, RecordValidator>();
  private readonly admins: ReadonlySet<string>;
  private readonly writer: WriteQueue;
  private readonly changes = new Subject<StoreChange>();
  private readonly errors = new Subject<PeerChannelError>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private nextExpiry = Number.POSITIVE_INFINITY;
  private state: 'new' | 'open' | 'closed' = 'new';

  /** Hot: every change applied, in the order applied (in memory; durability is per promise). */
  readonly changes$: Observable<StoreChange> = this.changes.asObservable();
  /** Hot: refused records (counted in {@link RecordStore.stats}) and storage failures. */
  readonly errors$: Observable<PeerChannelError> = this.errors.asObservable();

  constructor(private readonly options: RecordStoreOptions) {
    this.limits = { ...defaultRecordLimits, ...options.limits };
    this.index = options.index;
    this.admins = new Set(options.admins ?? []);
    this.now = options.now ?? Date.now;
    this.writer = new WriteQueue(options.storage, (e) => this.report(e));
  }

  /** This node's peer id. */
  get localPeerId(): string {
    return this.options.identity.peerId;
  }

  /** Number of record versions held, tombstones included. */
  get size(): number {
    return this.records.size;
  }

  /**
   * Opens the storage and loads what it holds (dropping what expired meanwhile), then starts the
   * expiry timer.
   * @throws PeerChannelError `PC_ERR_RECORD_STORAGE`.
   */
  async open(): Promise<void> {
    if (this.state !== 'new') throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'a record store opens once');
    await this.options.storage.open();
    const expired: StorageChange[] = [];
    const now = this.now();
    for await (const { id, encoded } of this.options.storage.entries()) {
      let record: SignedRecord;
      try {
        record = decodeRecord(encoded, this.limits);
      } catch (error) {
        // A damaged entry is reported and dropped: it could never be sent or trusted anyway.
        this.report(toPeerChannelError(error, ErrorCode.RECORD_STORAGE));
        expired.push({ kind: 'remove', id });
        continue;
      }
      if (record.expires <= now) expired.push({ kind: 'remove', id });
      else this.hold(record, undefined);
    }
    await this.options.storage.write(expired);
    this.state = 'open';
    const interval = this.options.expiryIntervalMs ?? 1_000;
    this.timer = setInterval(() => this.sweep(), interval);
    this.timer.unref();
  }

  /** Registers the validator of one record type (data shape, attribute types). */
  registerType(type: string, validate: RecordValidator): void {
    this.validators.set(type, validate);
  }

  /** The version held for a record id (hex), tombstones included. */
  getByIdHex(idHex: string): SignedRecord | undefined {
    return this.records.get(idHex);
  }

  /** Every version held (tombstones included), in no particular order. */
  all(): IterableIterator<SignedRecord> {
    return this.records.values();
  }

  // ---- this node's writes ----

  /**
   * Creates a record signed by this node.
   * @remarks Resolves once the record is durable in the storage.
   * @throws PeerChannelError `PC_ERR_RECORD_SHAPE`, `PC_ERR_RECORD_TOO_LARGE`, `PC_ERR_RECORD_QUOTA`, `PC_ERR_CLOSED`.
   */
  async add(type: string, write: RecordWrite): Promise<SignedRecord> {
    this.assertOpen();
    const me = this.options.identity;
    const now = this.now();
    const { id, nonce } = newRecordId(me.publicKeySpki);
    const record = signRecord(
      {
        type,
        id,
        nonce,
        version: 1,
        creatorKey: me.publicKeySpki,
        signerKey: null,
        created: now,
        modified: now,
        expires: now + this.ttl(write.ttlMs),
        deleted: false,
        attributes: write.attributes ?? {},
        dataKind: write.dataKind ?? RecordDataKind.Bytes,
        data: write.data ?? new Uint8Array(0),
      },
      me,
      this.limits,
    );
    return this.commitLocal(record);
  }

  /**
   * Writes a new version of a live record this node created.
   * @remarks Resolves once the new version is durable.
   * @throws PeerChannelError `PC_ERR_RECORD_NOT_FOUND`, `PC_ERR_RECORD_FORBIDDEN` (not the creator),
   * `PC_ERR_RECORD_EXPIRY_SHRINKS`, `PC_ERR_RECORD_SHAPE`, `PC_ERR_RECORD_TOO_LARGE`.
   */
  async update(idHex: string, write: RecordWrite): Promise<SignedRecord> {
    this.assertOpen();
    const held = this.live(idHex);
    const me = this.options.identity;
    if (held.creator !== me.peerId) throw new PeerChannelError(ErrorCode.RECORD_FORBIDDEN, 'only the creator of a record may update it');
    const modified = Math.max(this.now(), held.modified + 1);
    let expires = held.expires;
    if (write.ttlMs !== undefined) {
      expires = modified + this.ttl(write.ttlMs);
      if (expires < held.expires) throw new PeerChannelError(ErrorCode.RECORD_EXPIRY_SHRINKS, `expiry only grows: ${expires} is before ${held.expires}`);
    }
    if (modified >= expires) throw new PeerChannelError(ErrorCode.RECORD_NOT_FOUND, `record ${idHex} is expiring`);
    const record = signRecord(
      {
        ...held,
        version: held.version + 1,
        modified,
        expires,
        attributes: write.attributes ?? held.attributes,
        dataKind: write.dataKind ?? held.dataKind,
        data: write.data ?? held.data,
      },
      me,
      this.limits,
    );
    return this.commitLocal(record);
  }

  /**
   * Replaces a live record by a tombstone that keeps its expiry. The creator may delete; so may an
   * admin (the tombstone then carries the admin's key and signature).
   * @remarks Resolves once the tombstone is durable.
   * @throws PeerChannelError `PC_ERR_RECORD_NOT_FOUND`, `PC_ERR_RECORD_FORBIDDEN`.
   */
  async delete(idHex: string): Promise<SignedRecord> {
    this.assertOpen();
    const held = this.live(idHex);
    const me = this.options.identity;
    const isCreator = held.creator === me.peerId;
    if (!isCreator && !this.admins.has(me.peerId)) throw new PeerChannelError(ErrorCode.RECORD_FORBIDDEN, 'only the creator or an admin may delete a record');
    const modified = Math.max(this.now(), held.modified + 1);
    if (modified >= held.expires) throw new PeerChannelError(ErrorCode.RECORD_NOT_FOUND, `record ${idHex} is expiring`);
    const record = signRecord(
      {
        ...held,
        version: held.version + 1,
        signerKey: isCreator ? null : me.publicKeySpki,
        modified,
        deleted: true,
        attributes: {},
        data: new Uint8Array(0),
      },
      me,
      this.limits,
    );
    return this.commitLocal(record);
  }

  private async commitLocal(record: SignedRecord): Promise<SignedRecord> {
    const outcome = this.accept(record, 'local');
    if (outcome.error !== undefined) throw outcome.error;
    await outcome.durable;
    return record;
  }

  // ---- records from peers ----

  /**
   * Verifies and applies a signed record encoding from neighbour `from`.
   *
   * @remarks Resolves once applied in memory (remote copies are written to storage in the
   * background: a lost one comes back by reconciliation). Refusals are counted by code in
   * {@link RecordStore.stats} and reported on {@link RecordStore.errors$}, never thrown.
   */
  async receive(encoded: Uint8Array, from: string): Promise<ReceiveOutcome> {
    return this.receiveNow(encoded, from).outcome;
  }

  /**
   * {@link RecordStore.receive}, synchronously, with details: the decoded record, the error that
   * refused it, and the newer copy held when it was stale.
   */
  receiveNow(encoded: Uint8Array, from: string): ReceiveResult {
    if (this.state !== 'open') return { outcome: 'rejected', error: new PeerChannelError(ErrorCode.CLOSED, 'record store is not open') };
    let record: SignedRecord;
    try {
      record = decodeRecord(encoded, this.limits);
    } catch (error) {
      const e = toPeerChannelError(error, ErrorCode.RECORD_SHAPE);
      this.refused(e);
      return { outcome: 'rejected', error: e };
    }
    const result = this.accept(record, from);
    if (result.error !== undefined) return { outcome: 'rejected', record, error: result.error };
    if (result.durable === undefined) return { outcome: 'stale', record, newer: result.newer };
    return { outcome: 'stored', record };
  }

  private accept(record: SignedRecord, source: string): { error?: PeerChannelError; durable?: Promise<void>; newer?: SignedRecord } {
    const held = this.records.get(record.idHex);
    if (held !== undefined && Buffer.compare(held.hash, record.hash) === 0) {
      this.stats.duplicates += 1;
      return {};
    }
    const error = this.check(record, held);
    if (error !== undefined) {
      this.refused(error);
      return { error };
    }
    if (held !== undefined && compareVersions(record, held) <= 0) {
      this.stats.stale += 1;
      return { newer: compareVersions(record, held) < 0 ? held : undefined };
    }
    this.hold(record, held);
    this.stats.stored += 1;
    const durable = this.writer.push({ kind: 'put', id: record.id, encoded: record.encoded });
    if (source !== 'local') durable.catch(() => undefined); // reported by the writer; peers resend on sync
    this.emit({ kind: record.deleted ? 'deleted' : held === undefined ? 'added' : 'updated', record, previous: held, source });
    return { durable };
  }

  private check(record: SignedRecord, held: SignedRecord | undefined): PeerChannelError | undefined {
    return checkIncoming(record, held, {
      now: this.now(),
      limits: this.limits,
      admins: this.admins,
      heldByCreator: this.perCreator.get(record.creator) ?? 0,
      held: this.records.size,
      validator: this.validators.get(record.type),
      declaredTypesOnly: this.options.declaredTypesOnly === true,
    });
  }

  private hold(record: SignedRecord, held: SignedRecord | undefined): void {
    if (held !== undefined) this.release(held);
    else this.perCreator.set(record.creator, (this.perCreator.get(record.creator) ?? 0) + 1);
    this.records.set(record.idHex, record);
    const hashHex = hex(record.hash);
    this.byHash.set(hashHex, record);
    const item: SyncItem = { modified: record.modified, hash: record.hash };
    this.items.set(hashHex, item);
    this.index.insert(item);
    if (record.expires < this.nextExpiry) this.nextExpiry = record.expires;
  }

  private release(held: SignedRecord): void {
    const hashHex = hex(held.hash);
    this.byHash.delete(hashHex);
    const item = this.items.get(hashHex);
    if (item !== undefined) this.index.remove(item);
    this.items.delete(hashHex);
  }

  // ---- expiry ----

  /** Removes every record and tombstone whose expiry has passed; runs on a timer. Returns how many. */
  sweep(): number {
    if (this.state !== 'open') return 0;
    const now = this.now();
    if (now < this.nextExpiry) return 0;
    let next = Number.POSITIVE_INFINITY;
    const gone: SignedRecord[] = [];
    for (const r of this.records.values()) {
      if (r.expires <= now) gone.push(r);
      else if (r.expires < next) next = r.expires;
    }
    this.nextExpiry = next;
    for (const r of gone) {
      this.records.delete(r.idHex);
      this.release(r);
      const left = (this.perCreator.get(r.creator) ?? 1) - 1;
      if (left === 0) this.perCreator.delete(r.creator);
      else this.perCreator.set(r.creator, left);
      this.stats.expired += 1;
      this.writer.push({ kind: 'remove', id: r.id }).catch(() => undefined); // reported by the writer
      this.emit({ kind: 'expired', record: r, previous: undefined, source: 'expiry' });
    }
    return gone.length;
  }

  // ---- RecordSyncSource ----

  abstractOf(hash: Uint8Array): RecordAbstract | undefined {
    const r = this.byHash.get(hex(hash));
    return r === undefined ? undefined : abstractOf(r);
  }

  wants(theirs: RecordAbstract): boolean {
    if (theirs.expires <= this.now()) return false;
    const held = this.records.get(hex(theirs.recordId));
    if (held === undefined) return true;
    return compareVersions(theirs, held) > 0;
  }

  async load(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.byHash.get(hex(hash))?.encoded;
  }

  /** The version held with this hash, if any. */
  byVersionHash(hash: Uint8Array): SignedRecord | undefined {
    return this.byHash.get(hex(hash));
  }

  // ---- helpers ----

  private live(idHex: string): SignedRecord {
    const held = this.records.get(idHex);
    if (held === undefined || held.deleted || held.expires <= this.now()) throw new PeerChannelError(ErrorCode.RECORD_NOT_FOUND, `no live record ${idHex}`);
    return held;
  }

  private ttl(ttlMs: number | undefined): number {
    const t = ttlMs ?? DEFAULT_RECORD_TTL_MS;
    if (!Number.isSafeInteger(t) || t < 1 || t > this.limits.maxTtlMs) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `ttlMs must be an integer in 1..${this.limits.maxTtlMs}`);
    return t;
  }

  private emit(change: StoreChange): void {
    if (this.state === 'open') this.changes.next(change);
  }

  private refused(error: PeerChannelError): void {
    this.stats.rejected[error.code] = (this.stats.rejected[error.code] ?? 0) + 1;
    this.report(error);
  }

  private report(error: PeerChannelError): void {
    if (this.state !== 'closed') this.errors.next(error);
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new PeerChannelError(ErrorCode.CLOSED, 'the record store is not open');
  }

  /** Finishes pending writes, stops the expiry timer and closes the storage. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.writer.drain();
    this.changes.complete();
    this.errors.complete();
    await this.options.storage.close();
  }
}

/** What {@link RecordStore.receiveNow} did. */
export interface ReceiveResult {
  /** `stored` (it won and is held now), `stale` (an equal or newer copy is held) or `rejected`. */
  readonly outcome: ReceiveOutcome;
  /** The decoded version, when it decoded. */
  readonly record?: SignedRecord;
  /** Why it was rejected (a `PC_ERR_RECORD_*` code). */
  readonly error?: PeerChannelError;
  /** When stale: the strictly newer copy held here, to answer the sender with. */
  readonly newer?: SignedRecord;
}
