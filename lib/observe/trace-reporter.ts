import type { PeerId } from '../identity/peer-id.js';
import { ErrorCode } from '../errors/index.js';
import { idKey } from '../mesh/seen-cache.js';
import type { TraceEvent } from '../mesh/trace-hook.js';
import { debugLog } from '../internal/debug-log.js';
import { MAX_REPORT_PEERS, type ObserveOptions } from './observe-options.js';
import { TokenBucket } from './token-bucket.js';
import { encodeTraceReport } from './trace-report.js';

const log = debugLog('trace');

/** What the reporter needs from its node. @internal */
export interface ReporterEnv {
  /** Sends a report to a traced message's origin (a directed call). */
  send(origin: PeerId, report: unknown[]): void;
  neighbors(): string[];
  known(): string[];
  count(code: string): void;
}

interface Pending {
  readonly event: TraceEvent;
  readonly duplicatesFrom: string[];
  readonly neighbors: string[];
  readonly known: string[];
  readonly at: number;
}

/**
 * Tells the senders of traced messages what this node did with them: one report per message,
 * sent `reportDelayMs` after the first copy so the duplicates that follow are in it.
 *
 * @remarks
 * Bounded three ways so a traced flood cannot turn this node into an amplifier: at most
 * `maxPendingReports` wait, at most `reportsPerSecond` (burst `reportBurst`) leave, and a copy
 * arriving after its report left is only counted. Over a bound the report is not sent and the
 * drop is counted (`PC_ERR_TRACE_LIMIT`, `PC_ERR_RATE_LIMITED`).
 * @internal
 */
export class TraceReporter {
  private readonly pending = new Map<string, Pending>();
  private readonly bucket: TokenBucket;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Reports sent. */
  sent = 0;

  constructor(
    private readonly env: ReporterEnv,
    private readonly options: ObserveOptions,
  ) {
    this.bucket = new TokenBucket(options.reportsPerSecond, options.reportBurst);
  }

  handled(event: TraceEvent): void {
    if (this.closed) return;
    const key = idKey(event.body.id);
    const p = this.pending.get(key);
    if (p !== undefined) {
      if (event.duplicate && event.via !== undefined && p.duplicatesFrom.length < MAX_REPORT_PEERS && !p.duplicatesFrom.includes(event.via)) {
        p.duplicatesFrom.push(event.via);
      }
      return;
    }
    // A copy after the report left (or the first copy of a message seen untraced): nothing to add.
    if (event.duplicate) return;
    if (this.pending.size >= this.options.maxPendingReports) {
      this.env.count(ErrorCode.TRACE_LIMIT);
      return;
    }
    this.pending.set(key, {
      event, duplicatesFrom: [], at: Date.now(),
      neighbors: this.env.neighbors().slice(0, MAX_REPORT_PEERS), known: this.env.known().slice(0, 16),
    });
    this.timer ??= setTimeout(() => this.flush(), this.options.reportDelayMs);
  }

  private flush(): void {
    this.timer = undefined;
    const batch = [...this.pending.values()];
    this.pending.clear();
    for (const p of batch) {
      const e = p.event;
      if (!this.bucket.take()) {
        this.env.count(ErrorCode.RATE_LIMITED);
        log('report for %s not sent: over %d/s', e.body.origin.slice(0, 8), this.options.reportsPerSecond);
        continue;
      }
      this.sent += 1;
      this.env.send(e.body.origin, encodeTraceReport({
        id: e.body.id, kind: e.kind, via: e.via, hops: e.hops, delivered: e.delivered, reason: e.reason, refused: e.refused,
        forwardedTo: e.forwardedTo.slice(0, MAX_REPORT_PEERS), duplicatesFrom: p.duplicatesFrom, neighbors: p.neighbors, known: p.known, at: p.at,
      }));
    }
  }

  /** Stops reporting; pending reports are not sent. Idempotent. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }
}
