/**
 * Bounds and switches of message tracing and the mesh view.
 *
 * @remarks
 * Tracing costs nothing until a message carries the trace mark. Every bound protects a node from
 * a traced flood (each node reports to the origin): reports are rate-limited at the reporter and
 * counted at the origin, traces in flight are capped at the sender.
 */
export interface ObserveOptions {
  /**
   * Answer other peers' traces (send them a report of what this node did with a traced message).
   * @defaultValue true
   */
  readonly answerTraces: boolean;
  /**
   * Answer mesh-view queries (a small description of this node: neighbours, link utility, counters).
   * @defaultValue true
   */
  readonly answerMeshView: boolean;
  /**
   * Traces this node may have in flight (sent and not yet expired); one more throws `PC_ERR_TRACE_LIMIT`.
   * @defaultValue 32
   */
  readonly maxTracesInFlight: number;
  /**
   * Reports one trace keeps; more are counted as dropped (`reportsDropped`).
   * @defaultValue 1_024
   */
  readonly maxReportsPerTrace: number;
  /**
   * How long a trace collects reports, then it is complete (and kept among the recent ones).
   * @defaultValue 10_000
   */
  readonly traceTtlMs: number;
  /**
   * Completed traces remembered for `node.trace(id)` and `node.traces()`.
   * @defaultValue 64
   */
  readonly keepTraces: number;
  /**
   * Reports this node sends a second, over all origins (the bound on what a traced flood makes it send).
   * @defaultValue 20
   */
  readonly reportsPerSecond: number;
  /**
   * Reports it may send at once before the rate applies.
   * @defaultValue 50
   */
  readonly reportBurst: number;
  /**
   * How long a node collects what it did with a traced message (its duplicates too) before it reports.
   * @defaultValue 100
   */
  readonly reportDelayMs: number;
  /**
   * Reports waiting to be sent; a traced message past this is not reported (`PC_ERR_TRACE_LIMIT`).
   * @defaultValue 256
   */
  readonly maxPendingReports: number;
  /**
   * Mesh-view answers this node gives a second.
   * @defaultValue 5
   */
  readonly describesPerSecond: number;
  /**
   * With records on: how often this node refreshes its `peerchannel.node` record (the mesh view's source).
   * @defaultValue 10_000
   */
  readonly meshRecordIntervalMs: number;
  /**
   * With records on: the node record's lifetime, in refresh intervals (a node that stops is gone from
   * others' mesh views this many intervals after its last refresh, at most).
   * @defaultValue 3
   */
  readonly meshRecordExpiryIntervals: number;
}

/** Defaults for {@link ObserveOptions}. */
export const defaultObserveOptions: ObserveOptions = Object.freeze({
  answerTraces: true,
  answerMeshView: true,
  maxTracesInFlight: 32,
  maxReportsPerTrace: 1_024,
  traceTtlMs: 10_000,
  keepTraces: 64,
  reportsPerSecond: 20,
  reportBurst: 50,
  reportDelayMs: 100,
  maxPendingReports: 256,
  describesPerSecond: 5,
  meshRecordIntervalMs: 10_000,
  meshRecordExpiryIntervals: 3,
});

/** Most peer ids in one list of a trace report or node description. */
export const MAX_REPORT_PEERS = 64;
