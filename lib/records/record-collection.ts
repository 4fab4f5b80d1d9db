import { type Observable, concat, defer, filter, map, of } from 'rxjs';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import { RecordDataKind, type SignedRecord } from './record.js';
import type { RecordStore, StoreChange, StoreChangeKind } from './record-store.js';
import { type RecordTypeDescriptor, decodeRecordValue, encodeRecordValue } from './record-type-descriptor.js';

/** A live record of type `T` as an application sees it. */
export interface PeerRecord<T> {
  /** 32 lowercase hex digits (the 16-byte id). */
  readonly id: string;
  /** The record type name, from `@PeerRecordType(name)`. */
  readonly type: string;
  /** 1 on creation, +1 per update. */
  readonly version: number;
  /** Peer id of the creator. */
  readonly creator: string;
  /** Peer id of the last modifier. */
  readonly lastModifier: string;
  /** Milliseconds since the epoch. */
  readonly created: number;
  /** Last modification (ms since the epoch); equal to `created` until the first update. */
  readonly modified: number;
  /** When it expires everywhere (ms since the epoch); only ever grows. */
  readonly expires: number;
  /** The record's attributes and data, as one value of the declared class's shape (deeply frozen: copy it to change it). */
  readonly value: T;
}

/** One change of a record collection. */
export interface RecordChange<T> {
  /** What happened: `added`, `updated`, `deleted` (a tombstone arrived or was written) or `expired`. */
  readonly kind: StoreChangeKind;
  /** The record as it now is (for `deleted` and `expired`: as it was last seen live). */
  readonly record: PeerRecord<T>;
  /** True for this node's own add, update and delete. */
  readonly local: boolean;
}

/** Options of {@link RecordCollection.add} and {@link RecordCollection.update}. */
export interface RecordWriteOptions {
  /**
   * Lifetime from now. On update, the expiry only grows: a shorter one throws
   * `PC_ERR_RECORD_EXPIRY_SHRINKS`.
   * @defaultValue the type's `ttlMs`, else 30 days on add; unchanged on update
   */
  readonly ttlMs?: number;
}

/** Attribute equality filter of {@link RecordCollection.query}. */
export type RecordQuery<T> = { readonly [K in keyof T]?: T[K] extends string | number | boolean ? T[K] : never };

/**
 * The records of one declared type in a node's replicated store: `node.records(Shape)`.
 *
 * @remarks
 * Anyone admitted adds; only the creator updates; the creator or an admin deletes. Values are
 * checked against the declared class before they are signed, and records of this type from peers
 * are checked against it before they are stored.
 *
 * @example
 * ```ts
 * const shapes = node.records(Shape);
 * const r = await shapes.add({ kind: 'circle', x: 1, y: 2 });
 * await shapes.update(r.id, { ...r.value, x: 5 });
 * shapes.changes$.subscribe((c) => console.log(c.kind, c.record.id));
 * ```
 */
export class RecordCollection<T> {
  /** Views are immutable per version: decode each version's value once. */
  private readonly views = new WeakMap<SignedRecord, PeerRecord<T>>();

  /** Made by `node.records(Type)`, one per type. @internal */
  constructor(
    private readonly store: RecordStore,
    private readonly descriptor: RecordTypeDescriptor,
  ) {}

  /** The record type name. */
  get type(): string {
    return this.descriptor.type;
  }

  /**
   * Creates a record signed by this node and sends it to the mesh.
   * @remarks Durable: resolves once the record is synced to this node's storage (a `kill -9`
   * after it resolves keeps it). Neighbours get it as a live change at once.
   * @throws PeerChannelError `PC_ERR_RECORD_TYPE_MISMATCH` (synchronously checked value),
   * `PC_ERR_RECORD_TOO_LARGE`, `PC_ERR_RECORD_SHAPE`, `PC_ERR_CLOSED`; rejects with
   * `PC_ERR_RECORD_STORAGE` when the write fails.
   */
  add(value: T, options: RecordWriteOptions = {}): Promise<PeerRecord<T>> {
    const { attributes, data } = encodeRecordValue(this.descriptor, value);
    return this.store
      .add(this.descriptor.type, { attributes, data, dataKind: RecordDataKind.Msgpack, ttlMs: options.ttlMs ?? this.descriptor.ttlMs })
      .then((r) => this.view(r));
  }

  /**
   * Replaces the value of a live record this node created (version + 1).
   * @remarks Durable when it resolves, as {@link RecordCollection.add}.
   * @throws PeerChannelError `PC_ERR_RECORD_NOT_FOUND`, `PC_ERR_RECORD_FORBIDDEN` (not the creator),
   * `PC_ERR_RECORD_EXPIRY_SHRINKS`, `PC_ERR_RECORD_TYPE_MISMATCH`, `PC_ERR_RECORD_TOO_LARGE`.
   */
  update(id: string, value: T, options: RecordWriteOptions = {}): Promise<PeerRecord<T>> {
    this.mine(id);
    const { attributes, data } = encodeRecordValue(this.descriptor, value);
    return this.store.update(id, { attributes, data, dataKind: RecordDataKind.Msgpack, ttlMs: options.ttlMs }).then((r) => this.view(r));
  }

  /**
   * Deletes a live record: a tombstone that keeps the record's expiry replaces it everywhere.
   * @remarks Durable when it resolves, as {@link RecordCollection.add}.
   * @throws PeerChannelError `PC_ERR_RECORD_NOT_FOUND`, `PC_ERR_RECORD_FORBIDDEN` (neither creator nor admin).
   */
  async delete(id: string): Promise<void> {
    this.mine(id);
    await this.store.delete(id);
  }

  /** The live record with this id, or `undefined` (unknown, another type, deleted or expired). */
  get(id: string): PeerRecord<T> | undefined {
    const r = this.store.getByIdHex(id);
    return r === undefined || !this.isLive(r) ? undefined : this.view(r);
  }

  /** Live records of this type whose attributes equal every given one (all of them for `{}`). */
  query(where: RecordQuery<T> = {} as RecordQuery<T>): PeerRecord<T>[] {
    const conditions = Object.entries(where as Record<string, unknown>);
    for (const [key] of conditions) {
      if (this.descriptor.fields.get(key)?.attribute !== true) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `${this.descriptor.type} has no attribute '${key}' to query`);
    }
    const out: PeerRecord<T>[] = [];
    for (const r of this.store.all()) {
      if (this.isLive(r) && conditions.every(([k, v]) => r.attributes[k] === v)) out.push(this.view(r));
    }
    return out;
  }

  /**
   * Changes of this type's records: added, updated, deleted, expired.
   * @remarks Hot: emits changes applied from subscription on, local and remote, in the order this
   * store applied them (in memory; see the write promises for durability). A `deleted` or
   * `expired` change carries the record as it was last seen live.
   */
  get changes$(): Observable<RecordChange<T>> {
    return this.store.changes$.pipe(
      filter((c) => c.record.type === this.descriptor.type && this.visible(c)),
      map((c) => this.change(c)),
    );
  }

  /**
   * Every live record of this type, now and after each change.
   * @remarks Cold start, hot continuation: each subscriber gets the current set at once, then the
   * whole set again after every change of this type.
   */
  get snapshot$(): Observable<readonly PeerRecord<T>[]> {
    return defer(() => concat(of(this.query()), this.changes$.pipe(map(() => this.query()))));
  }

  private visible(c: StoreChange): boolean {
    if (c.kind === 'added' || c.kind === 'updated') return true;
    if (c.kind === 'deleted') return c.previous !== undefined && !c.previous.deleted;
    return !c.record.deleted;
  }

  private change(c: StoreChange): RecordChange<T> {
    const shown = c.kind === 'deleted' && c.previous !== undefined ? c.previous : c.record;
    return { kind: c.kind, record: this.view(shown), local: c.source === 'local' };
  }

  private mine(id: string): void {
    const r = this.store.getByIdHex(id);
    if (r !== undefined && r.type !== this.descriptor.type) throw new PeerChannelError(ErrorCode.RECORD_NOT_FOUND, `record ${id} is not a ${this.descriptor.type}`);
  }

  private isLive(r: SignedRecord): boolean {
    return r.type === this.descriptor.type && !r.deleted;
  }

  private view(r: SignedRecord): PeerRecord<T> {
    let v = this.views.get(r);
    if (v === undefined) {
      v = this.makeView(r);
      this.views.set(r, v);
    }
    return v;
  }

  private makeView(r: SignedRecord): PeerRecord<T> {
    return Object.freeze({
      id: r.idHex,
      type: r.type,
      version: r.version,
      creator: r.creator,
      lastModifier: r.lastModifier,
      created: r.created,
      modified: r.modified,
      expires: r.expires,
      value: decodeRecordValue<T>(this.descriptor, r, this.store.limits),
    });
  }
}
