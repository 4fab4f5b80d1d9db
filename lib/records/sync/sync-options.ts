import { ErrorCode, PeerChannelError } from '../../errors/index.js';
import type { ReconcileOptions } from './reconciler.js';

/** Options of record synchronisation between neighbours. */
export interface RecordSyncOptions extends ReconcileOptions {
  /**
   * Period of the anti-entropy round: every period this node reconciles with one neighbour
   * picked at random (with which it has no session running), healing what floods missed.
   * `0` turns it off (sessions then run only when links form).
   * @defaultValue 60_000 ms
   */
  readonly intervalMs?: number;
  /**
   * A session whose other side stays silent this long is given up (counted as
   * `PC_ERR_TIMEOUT`; the link stays).
   * @defaultValue 30_000 ms
   */
  readonly sessionTimeoutMs?: number;
  /**
   * Most frames a session takes from the other side (reconciliation, exchange and transfer
   * together). Past it the initiator stops and the responder closes the link with
   * `PC_ERR_SYNC_LIMIT`.
   * @defaultValue 4_096
   */
  readonly maxRounds?: number;
  /**
   * Largest sync frame sent or accepted, in bytes (the mesh's frame limit).
   * @defaultValue 65_536
   */
  readonly maxFrameBytes?: number;
  /**
   * Hashes pulled or asked about per message.
   * @defaultValue 256
   */
  readonly batch?: number;
}

/** {@link RecordSyncOptions} with every default applied. */
export interface SyncTuning {
  readonly intervalMs: number;
  readonly sessionTimeoutMs: number;
  readonly maxRounds: number;
  readonly maxFrameBytes: number;
  readonly frameBudget: number;
  readonly maxDifferences: number;
  readonly batch: number;
  readonly reconcile: ReconcileOptions;
}

/** Applies defaults and checks ranges. @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT`. */
export function syncTuning(o: RecordSyncOptions = {}): SyncTuning {
  const bad = (what: string) => new PeerChannelError(ErrorCode.INVALID_ARGUMENT, what);
  const t: SyncTuning = {
    intervalMs: o.intervalMs ?? 60_000,
    sessionTimeoutMs: o.sessionTimeoutMs ?? 30_000,
    maxRounds: o.maxRounds ?? 4_096,
    maxFrameBytes: o.maxFrameBytes ?? 65_536,
    frameBudget: o.frameBudget ?? 60_000,
    maxDifferences: o.maxDifferences ?? 100_000,
    batch: o.batch ?? 256,
    reconcile: { frameBudget: o.frameBudget, buckets: o.buckets, idListThreshold: o.idListThreshold, maxDifferences: o.maxDifferences },
  };
  if (!Number.isInteger(t.intervalMs) || t.intervalMs < 0) throw bad('intervalMs must be a non-negative integer');
  if (!Number.isInteger(t.sessionTimeoutMs) || t.sessionTimeoutMs < 1) throw bad('sessionTimeoutMs must be a positive integer');
  if (!Number.isInteger(t.maxRounds) || t.maxRounds < 4) throw bad('maxRounds must be an integer of at least 4');
  if (!Number.isInteger(t.maxFrameBytes) || t.maxFrameBytes < t.frameBudget + 1_024) throw bad('maxFrameBytes must exceed frameBudget by at least 1,024');
  if (!Number.isInteger(t.batch) || t.batch < 1 || t.batch > 1_024) throw bad('batch must be an integer in 1..1024');
  return t;
}
