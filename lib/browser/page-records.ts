import { type Observable, Subject, type Subscription, concat, defer, map, of } from 'rxjs';
import type { PageRecord, PageRecordEvent } from '../gateway/page-protocol.js';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import type { GatewayConnection } from './gateway-connection.js';

/** One change of a page's record collection. */
export interface PageRecordChange<T> {
  /** What happened to the record. */
  readonly kind: 'added' | 'updated' | 'deleted' | 'expired';
  /** The record as it now is (for `deleted` and `expired`: as it was last seen live). */
  readonly record: PageRecord<T>;
  /** True for a write of the page's own node (this page's or another page's of the same node). */
  readonly local: boolean;
}

/** Attribute equality filter of {@link PageRecordCollection.query}. */
export type PageRecordQuery<T> = { readonly [K in keyof T]?: T[K] extends string | number | boolean ? T[K] : never };

/**
 * The records of one declared type, as the page's node holds them: a live mirror kept by a
 * snapshot and then every change, plus writes that the node signs and replicates.
 *
 * @remarks
 * Writes go through the page's node, as that node: anyone admitted adds, only the creator (the
 * node) updates or deletes — a page can never change another peer's record, the record layer
 * refuses it (`PC_ERR_RECORD_FORBIDDEN`).
 */
export class PageRecordCollection<T> {
  private readonly live = new Map<string, PageRecord<T>>();
  private readonly changes = new Subject<PageRecordChange<T>>();
  /** Ticks once the snapshot is in and after each change. */
  private readonly updates = new Subject<void>();
  private readonly subscription: Subscription;
  /** Resolves once the node's snapshot is in; rejects if the socket ends first. */
  readonly ready: Promise<void>;

  /** @internal Made by `GatewayClient.records`. */
  constructor(
    private readonly connection: GatewayConnection,
    /** The record type name. */
    readonly type: string,
  ) {
    let settle!: (error?: PeerChannelError) => void;
    this.ready = new Promise<void>((resolve, reject) => (settle = (e) => (e ? reject(e) : resolve())));
    this.ready.catch(() => undefined);
    this.subscription = (connection.stream({ t: 'records', r: type }) as Observable<PageRecordEvent<T>>).subscribe({
      next: (e) => {
        if (e.kind === 'snapshot') {
          for (const r of e.records) this.live.set(r.id, r);
          if (e.last) {
            settle();
            this.updates.next();
          }
          return;
        }
        if (e.kind === 'added' || e.kind === 'updated') this.live.set(e.record.id, e.record);
        else this.live.delete(e.record.id);
        this.changes.next(e);
        this.updates.next();
      },
      error: (e: PeerChannelError) => {
        settle(e);
        this.changes.error(e);
        this.updates.complete();
      },
      complete: () => {
        this.changes.complete();
        this.updates.complete();
      },
    });
  }

  /**
   * Changes of this type's records: added, updated, deleted, expired.
   * @remarks Hot: from subscription on, in the order the node applied them.
   */
  get changes$(): Observable<PageRecordChange<T>> {
    return this.changes.asObservable();
  }

  /**
   * Every live record of this type, now and after each change.
   * @remarks Cold start, hot continuation: the current set at once (empty until the snapshot is
   * in), then the set once the node's snapshot has arrived and after every change.
   */
  get snapshot$(): Observable<readonly PageRecord<T>[]> {
    return defer(() => concat(of(this.query()), this.updates.pipe(map(() => this.query()))));
  }

  /** The live record with this id, or `undefined`. */
  get(id: string): PageRecord<T> | undefined {
    return this.live.get(id);
  }

  /** Live records whose attributes equal every given one (all for `{}`). */
  query(where: PageRecordQuery<T> = {} as PageRecordQuery<T>): PageRecord<T>[] {
    const conditions = Object.entries(where as Record<string, unknown>);
    return [...this.live.values()].filter((r) => conditions.every(([k, v]) => (r.value as Record<string, unknown>)[k] === v));
  }

  /** Adds a record signed by the page's node; resolves once it is durable there. */
  add(value: T, options: { ttlMs?: number } = {}): Promise<PageRecord<T>> {
    return this.connection.request({ t: 'add', r: this.type, v: value, ttlMs: options.ttlMs }) as Promise<PageRecord<T>>;
  }

  /** Replaces the value of a record the page's node created (`PC_ERR_RECORD_FORBIDDEN` otherwise). */
  update(id: string, value: T, options: { ttlMs?: number } = {}): Promise<PageRecord<T>> {
    this.checkId(id);
    return this.connection.request({ t: 'update', r: this.type, k: id, v: value, ttlMs: options.ttlMs }) as Promise<PageRecord<T>>;
  }

  /** Deletes a record the page's node created (`PC_ERR_RECORD_FORBIDDEN` otherwise). */
  delete(id: string): Promise<void> {
    this.checkId(id);
    return this.connection.request({ t: 'delete', r: this.type, k: id }).then(() => undefined);
  }

  private checkId(id: string): void {
    if (typeof id !== 'string' || !/^[0-9a-f]{32}$/.test(id)) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'a record id is 32 lowercase hex digits');
  }

  /** Stops mirroring. @internal */
  close(): void {
    this.subscription.unsubscribe();
    this.changes.complete();
    this.updates.complete();
  }
}
