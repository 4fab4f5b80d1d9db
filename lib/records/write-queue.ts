import { type PeerChannelError, toPeerChannelError, ErrorCode } from '../errors/index.js';
import type { RecordStorage, StorageChange } from './storage/record-storage.js';

/** Most changes written in one storage batch. */
export const MAX_CHANGES_PER_BATCH = 1_024;

interface Pending {
  readonly change: StorageChange;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Writes store changes in order, grouping those that wait while a batch is on its way to disk
 * into the next batch (group commit).
 *
 * @remarks
 * Each change is one `put` or `remove` of one record, so each is atomic however many share a
 * batch; a change's promise resolves when the batch holding it is durable. Memory is bounded by
 * what callers have in flight: local writers await their promise, and remote copies are bounded
 * by the links' rate limits.
 */
export class WriteQueue {
  private queue: Pending[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly storage: RecordStorage,
    private readonly report: (e: PeerChannelError) => void,
  ) {}

  /** Queues a change; resolves once it is durable. */
  push(change: StorageChange): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ change, resolve, reject });
      this.running ??= this.run();
    });
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_CHANGES_PER_BATCH);
      try {
        await this.storage.write(batch.map((p) => p.change));
        for (const p of batch) p.resolve();
      } catch (error) {
        const e = toPeerChannelError(error, ErrorCode.RECORD_STORAGE);
        this.report(e);
        for (const p of batch) p.reject(e);
      }
    }
    this.running = undefined;
  }

  /** Resolves when everything queued so far is written (or failed). */
  async drain(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }
}
