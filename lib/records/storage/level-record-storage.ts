import { mkdir } from 'node:fs/promises';
import type { ClassicLevel } from 'classic-level';
import { ErrorCode, PeerChannelError } from '../../errors/index.js';
import type { RecordStorage, StorageChange } from './record-storage.js';

/** Key prefix of record entries (room for other key spaces later). */
const RECORD_PREFIX = 0x72; // 'r'

function recordKey(id: Uint8Array): Uint8Array {
  const k = new Uint8Array(1 + id.length);
  k[0] = RECORD_PREFIX;
  k.set(id, 1);
  return k;
}

function storageError(what: string, cause: unknown): PeerChannelError {
  return new PeerChannelError(ErrorCode.RECORD_STORAGE, `record storage: ${what} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
}

/**
 * A {@link RecordStorage} on disk: LevelDB through `classic-level`.
 *
 * @remarks
 * Each {@link RecordStorage.write} is one LevelDB batch written with `sync: true` (fsync before
 * it resolves), so a change whose promise resolved survives `kill -9` and power loss. LevelDB
 * allows one process per directory: a second open fails with `PC_ERR_RECORD_STORAGE`.
 */
export class LevelRecordStorage implements RecordStorage {
  private level: ClassicLevel<Uint8Array, Uint8Array> | undefined;

  /** @param location - directory of the database (created when missing). */
  constructor(readonly location: string) {}

  private get db(): ClassicLevel<Uint8Array, Uint8Array> {
    if (this.level === undefined) throw new PeerChannelError(ErrorCode.RECORD_STORAGE, 'LevelDB record storage is not open');
    return this.level;
  }

  async open(): Promise<void> {
    try {
      // Loaded on first use, so nodes that keep no records on disk never load the native module.
      const { ClassicLevel } = await import('classic-level');
      this.level ??= new ClassicLevel<Uint8Array, Uint8Array>(this.location, { keyEncoding: 'view', valueEncoding: 'view' });
      await mkdir(this.location, { recursive: true, mode: 0o700 });
      await this.db.open();
    } catch (error) {
      throw storageError(`opening ${this.location}`, error);
    }
  }

  async *entries(): AsyncIterable<{
    /** The record id. */
    readonly id: Uint8Array;
    /** Its signed encoding. */
    readonly encoded: Uint8Array;
  }> {
    const it = this.db.iterator({ gte: Uint8Array.of(RECORD_PREFIX), lt: Uint8Array.of(RECORD_PREFIX + 1) });
    try {
      for await (const [k, v] of it) yield { id: new Uint8Array(k.subarray(1)), encoded: new Uint8Array(v) };
    } catch (error) {
      throw storageError('reading', error);
    } finally {
      await it.close();
    }
  }

  async write(changes: readonly StorageChange[]): Promise<void> {
    if (changes.length === 0) return;
    try {
      await this.db.batch(
        changes.map((c) => (c.kind === 'put' ? { type: 'put' as const, key: recordKey(c.id), value: c.encoded } : { type: 'del' as const, key: recordKey(c.id) })),
        { sync: true },
      );
    } catch (error) {
      throw storageError('writing', error);
    }
  }

  async get(id: Uint8Array): Promise<Uint8Array | undefined> {
    try {
      const v = await this.db.get(recordKey(id));
      return v === undefined ? undefined : new Uint8Array(v);
    } catch (error) {
      throw storageError('reading', error);
    }
  }

  async close(): Promise<void> {
    if (this.level === undefined || this.level.status === 'closed' || this.level.status === 'closing') return;
    try {
      await this.db.close();
    } catch (error) {
      throw storageError('closing', error);
    }
  }
}
