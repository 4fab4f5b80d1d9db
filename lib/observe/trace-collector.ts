import { Observable, Subject } from 'rxjs';
import type { CallBody, FrameLimits } from '../codec/index.js';
import { ErrorCode, PeerChannelError, toPeerChannelError } from '../errors/index.js';
import { idHex } from '../mesh/seen-cache.js';
import type { TraceEvent } from '../mesh/trace-hook.js';
import { debugLog } from '../internal/debug-log.js';
import { type MeshKnowledge, type MessageTrace, assembleTrace } from './message-trace.js';
import type { ObserveOptions } from './observe-options.js';
import { type TraceReport, decodeTraceReport } from './trace-report.js';

const log = debugLog('trace');

/** One line of `node.traces()`. */
export interface TraceSummary {
  /** Hex message id, for `node.trace(id)`. */
  readonly id: string;
  /** The contract's wire name. */
  readonly contract: string;
  /** The operation's wire name. */
  readonly operation: string;
  /** When it was sent (ms since the epoch). */
  readonly sentAt: number;
  /** Reports received so far. */
  readonly reports: number;
  /** True once the trace stopped collecting reports. */
  readonly complete: boolean;
}

interface Trace {
  readonly head: { id: string; origin: string; contract: string; operation: string; kind: 'flood' | 'direct'; sentAt: number; complete: boolean; reportsDropped: number };
  readonly reports: Map<string, TraceReport>;
  readonly changed: Subject<void>;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The sender's side of message tracing: traces in flight, the reports they collect, and the
 * trees assembled from them.
 *
 * @remarks
 * Bounded: `maxTracesInFlight` traces collect at once (one more is refused with
 * `PC_ERR_TRACE_LIMIT`), each keeps `maxReportsPerTrace` reports (more are counted in
 * `reportsDropped`), and `keepTraces` completed ones are remembered. A report for a trace this
 * node does not have in flight is dropped and counted (`PC_ERR_TRACE_UNKNOWN`); one reporter's
 * second report for a trace is ignored.
 * @internal
 */
export class TraceCollector {
  private readonly traces = new Map<string, Trace>();
  private inFlight = 0;
  private closed = false;

  constructor(
    private readonly localPeerId: string,
    private readonly options: ObserveOptions,
    private readonly limits: FrameLimits,
    private readonly knowledge: () => MeshKnowledge,
    private readonly count: (code: string) => void,
  ) {}

  /** Registers a traced message about to be sent. @throws PeerChannelError `PC_ERR_TRACE_LIMIT`. */
  begin(body: CallBody): void {
    if (this.closed) throw new PeerChannelError(ErrorCode.CLOSED, 'the node is closed');
    if (this.inFlight >= this.options.maxTracesInFlight) {
      throw new PeerChannelError(ErrorCode.TRACE_LIMIT, `${this.inFlight} traces are in flight (maxTracesInFlight ${this.options.maxTracesInFlight})`);
    }
    const id = idHex(body.id);
    const trace: Trace = {
      head: { id, origin: this.localPeerId, contract: body.contract, operation: body.operation, kind: body.target === null ? 'flood' : 'direct', sentAt: Date.now(), complete: false, reportsDropped: 0 },
      reports: new Map(),
      changed: new Subject<void>(),
      timer: undefined,
    };
    trace.timer = setTimeout(() => this.complete(trace), this.options.traceTtlMs);
    this.inFlight += 1;
    this.traces.set(id, trace);
    this.forgetOld();
    log('trace %s started: %s.%s', id, body.contract, body.operation);
  }

  /** The sender's own handling of its traced message. */
  local(e: TraceEvent, neighbors: string[], known: string[]): void {
    const trace = this.traces.get(idHex(e.body.id));
    if (trace === undefined || trace.head.complete) return;
    const mine = trace.reports.get(this.localPeerId);
    if (mine !== undefined) return;
    this.add(trace, {
      id: trace.head.id, peerId: this.localPeerId, kind: e.kind, via: undefined, hops: 0, delivered: e.delivered, reason: e.reason, refused: e.refused,
      forwardedTo: e.forwardedTo, duplicatesFrom: [], neighbors, known, at: Date.now(),
    });
  }

  /** A report from `from` (the authenticated sender of the report call). */
  accept(raw: unknown, from: string): void {
    let report: TraceReport;
    try {
      report = decodeTraceReport(raw, from, this.limits);
    } catch (error) {
      this.count(toPeerChannelError(error).code);
      return;
    }
    const trace = this.traces.get(report.id);
    if (trace === undefined || trace.head.complete || from === this.localPeerId) {
      this.count(ErrorCode.TRACE_UNKNOWN);
      return;
    }
    if (trace.reports.has(from)) return;
    if (trace.reports.size >= this.options.maxReportsPerTrace) {
      trace.head.reportsDropped += 1;
      this.count(ErrorCode.TRACE_LIMIT);
      return;
    }
    this.add(trace, report);
  }

  private add(trace: Trace, report: TraceReport): void {
    trace.reports.set(report.peerId, report);
    trace.changed.next();
  }

  /**
   * The assembled tree of trace `id`: now, after each report, and a last time when it completes.
   * @throws PeerChannelError `PC_ERR_TRACE_UNKNOWN` (synchronously) for an id neither in flight nor remembered.
   */
  trace$(id: string): Observable<MessageTrace> {
    const trace = this.traces.get(id.toLowerCase());
    if (trace === undefined) throw new PeerChannelError(ErrorCode.TRACE_UNKNOWN, `no trace ${id} on this node (in flight or among the last ${this.options.keepTraces})`);
    return new Observable<MessageTrace>((subscriber) => {
      subscriber.next(this.assemble(trace));
      if (trace.head.complete) {
        subscriber.complete();
        return undefined;
      }
      const sub = trace.changed.subscribe({
        next: () => subscriber.next(this.assemble(trace)),
        complete: () => {
          subscriber.next(this.assemble(trace));
          subscriber.complete();
        },
      });
      return () => sub.unsubscribe();
    });
  }

  /** The tree of trace `id` as it stands, or `undefined`. */
  snapshot(id: string): MessageTrace | undefined {
    const trace = this.traces.get(id.toLowerCase());
    return trace === undefined ? undefined : this.assemble(trace);
  }

  /** Traces in flight and remembered, newest first. */
  list(): TraceSummary[] {
    return [...this.traces.values()].reverse().map((t) => ({
      id: t.head.id, contract: t.head.contract, operation: t.head.operation, sentAt: t.head.sentAt, reports: t.reports.size, complete: t.head.complete,
    }));
  }

  private assemble(trace: Trace): MessageTrace {
    return assembleTrace({ ...trace.head }, trace.reports, this.knowledge());
  }

  private complete(trace: Trace): void {
    if (trace.head.complete) return;
    clearTimeout(trace.timer);
    trace.head.complete = true;
    this.inFlight -= 1;
    trace.changed.complete();
    if (!this.closed) this.forgetOld();
    log('trace %s complete: %d reports', trace.head.id, trace.reports.size);
  }

  private forgetOld(): void {
    const completed = this.traces.size - this.inFlight;
    if (completed <= this.options.keepTraces) return;
    let extra = completed - this.options.keepTraces;
    for (const [id, t] of this.traces) {
      if (extra === 0) break;
      if (!t.head.complete) continue;
      this.traces.delete(id);
      extra -= 1;
    }
  }

  /** Completes every trace in flight and stops. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.traces.values()) this.complete(t);
  }
}
