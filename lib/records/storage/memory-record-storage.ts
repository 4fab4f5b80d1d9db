import { ErrorCode, PeerChannelError } from '../../errors/index.js';
import type { RecordStorage, StorageChange } from './record-storage.js';

const key = (id: Uint8Array): string => Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');

/**
 * A {@link RecordStorage} in memory, for tests and simulations.
 *
 * @remarks
 * Survives close and reopen of the same instance (so restart logic can be tested), not the process.
 */
export class MemoryRecordStorage implements RecordStorage {
  private readonly map = new Map<string, { id: Uint8Array; encoded: Uint8Array }>();
  private isOpen = false;

  async open(): Promise<void> {
    this.isOpen = true;
  }

  async *entries(): AsyncIterable<{
    /** The record id. */
    readonly id: Uint8Array;
    /** Its signed encoding. */
    readonly encoded: Uint8Array;
  }> {
    this.assertOpen();
    const keys = [...this.map.keys()].sort();
    for (const k of keys) {
      const entry = this.map.get(k);
      if (entry !== undefined) yield entry;
    }
  }

  async write(changes: readonly StorageChange[]): Promise<void> {
    this.assertOpen();
    for (const c of changes) {
      if (c.kind === 'put') this.map.set(key(c.id), { id: c.id.slice(), encoded: c.encoded.slice() });
      else this.map.delete(key(c.id));
    }
  }

  async get(id: Uint8Array): Promise<Uint8Array | undefined> {
    this.assertOpen();
    return this.map.get(key(id))?.encoded;
  }

  /** Number of records held. */
  get size(): number {
    return this.map.size;
  }

  async close(): Promise<void> {
    this.isOpen = false;
  }

  private assertOpen(): void {
    if (!this.isOpen) throw new PeerChannelError(ErrorCode.RECORD_STORAGE, 'memory record storage is not open');
  }
}
