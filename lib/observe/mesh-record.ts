import { ErrorCode, PeerChannelError, toPeerChannelError } from '../errors/index.js';
import type { RecordCollection } from '../records/record-collection.js';
import { PeerRecordType, RecordField } from '../records/record-decorators.js';
import type { NodeDescription } from './mesh-view.js';
import { encodeDescription } from './mesh-view.js';

/**
 * The record a node publishes of itself when it keeps records: its description (neighbours,
 * link utility, counters) as the wire tuple of a mesh-view answer.
 *
 * @remarks
 * Type `peerchannel.node`, one per node (refreshed in place), kept in the node's system records
 * space: it never shows in the user store (`recordStats()`, `recordStore`, digests, changes) nor
 * in its reconciliation. Bounded by its shape: at most 64 neighbours and 64 drop codes (≈ 8 KiB),
 * under the system space's 16 KiB `maxRecordBytes`; a receiver decodes it against the same
 * bounded shape as a gathered answer.
 */
@PeerRecordType('peerchannel.node')
export class NodeRecord {
  /** `encodeDescription` of the node. */
  @RecordField() d!: unknown[];
}

/** Timing of the published node record. @internal */
export interface MeshRecordTiming {
  readonly intervalMs: number;
  readonly expiryIntervals: number;
}

/**
 * Publishes this node's {@link NodeRecord} now and every `intervalMs`, each time with a
 * lifetime of `expiryIntervals` intervals, so it disappears a few intervals after the node stops.
 *
 * @remarks Owns its interval timer; {@link MeshRecordPublisher.close} ends it (idempotent).
 * @internal
 */
export class MeshRecordPublisher {
  private id: string | undefined;
  private busy = false;
  private closed = false;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly collection: RecordCollection<NodeRecord>,
    private readonly localPeerId: string,
    private readonly describe: () => NodeDescription,
    private readonly timing: MeshRecordTiming,
    private readonly report: (error: PeerChannelError) => void,
    maxTtlMs: number,
  ) {
    if (!Number.isSafeInteger(timing.intervalMs) || timing.intervalMs < 10) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'observe.meshRecordIntervalMs must be an integer of at least 10');
    if (!Number.isSafeInteger(timing.expiryIntervals) || timing.expiryIntervals < 2) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'observe.meshRecordExpiryIntervals must be an integer of at least 2');
    if (timing.intervalMs * timing.expiryIntervals > maxTtlMs) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `a node record lives meshRecordIntervalMs × meshRecordExpiryIntervals, at most ${maxTtlMs} ms`);
    this.timer = setInterval(() => void this.publish(), timing.intervalMs);
    this.timer.unref?.();
    void this.publish();
  }

  /** Adds the record the first time (or adopts this node's own from an earlier run), then updates it. */
  async publish(): Promise<void> {
    if (this.closed || this.busy) return;
    this.busy = true;
    try {
      const { peerId: _, ...rest } = this.describe();
      const value = { d: encodeDescription(rest) };
      const ttlMs = this.timing.intervalMs * this.timing.expiryIntervals;
      this.id ??= this.collection.query().filter((r) => r.creator === this.localPeerId).sort((a, b) => b.expires - a.expires)[0]?.id;
      if (this.id === undefined) this.id = (await this.collection.add(value, { ttlMs })).id;
      else await this.collection.update(this.id, value, { ttlMs });
    } catch (error) {
      const e = toPeerChannelError(error);
      // Our record expired before a refresh (a stalled process): publish a new one next time.
      if (e.code === ErrorCode.RECORD_NOT_FOUND || e.code === ErrorCode.RECORD_EXPIRED) this.id = undefined;
      if (!this.closed) this.report(e);
    } finally {
      this.busy = false;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
  }
}
