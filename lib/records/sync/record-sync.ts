import { BehaviorSubject, type Observable, Subject, type Subscription, distinctUntilChanged } from 'rxjs';
import { encodeExtensionFrame } from '../../codec/index.js';
import { ErrorCode, PeerChannelError, toPeerChannelError } from '../../errors/index.js';
import type { Neighbor } from '../../mesh/neighbor.js';
import type { RecordSyncContext, RecordSyncEngine, RecordSyncFactory } from '../record-sync-hook.js';
import { InitiatorSession } from './initiator-session.js';
import { ResponderSession } from './responder-session.js';
import { SyncFrameKind, MAX_SESSION_ID, decodeExchange, decodeRanges, decodeTransfer } from './sync-messages.js';
import { type RecordSyncOptions, type SyncTuning, syncTuning } from './sync-options.js';
import type { SessionHost, SyncReport } from './sync-session.js';
import type { RecordSyncSource } from './sync-source.js';
import { SyncTree } from './sync-tree.js';

/** The sessions of one link: at most one opened by each side. */
interface LinkSessions {
  readonly neighbor: Neighbor;
  outgoing: InitiatorSession | undefined;
  incoming: ResponderSession | undefined;
  /** Highest session id the other side opened on this link. */
  lastIncoming: number;
  /** Whether the last session of each role ended by timeout (its late frames are ignored). */
  outgoingTimedOut: boolean;
  incomingTimedOut: boolean;
}

/** What the engine has counted since it started. */
export interface RecordSyncStats {
  /** Sessions opened, in either role. */
  sessions: number;
  /** Sessions that completed. */
  complete: number;
  /** Sessions that did not complete, by error code. */
  failed: Record<string, number>;
  /** Late frames of sessions given up by timeout, ignored. */
  stale: number;
}

function bad(message: string): PeerChannelError {
  return new PeerChannelError(ErrorCode.SYNC_FRAME, message);
}

/**
 * Record synchronisation between neighbours: range-based reconciliation when a link forms
 * (the dialling side opens the session) and, every {@link RecordSyncOptions.intervalMs}, with
 * one neighbour picked at random; then an exchange of abstracts for the differing versions and
 * a transfer of only the versions that win.
 *
 * @remarks
 * Runs over extension frames 40–43. Every peer-controlled size and count is bounded: frame
 * bytes, ranges and ids per message, rounds per session, differences per session, one session
 * opened by each side per link. A malformed or out-of-order frame, or a record that is not the
 * version asked for, closes the link with `PC_ERR_SYNC_FRAME`, `PC_ERR_SYNC_LIMIT` or
 * `PC_ERR_SYNC_UNASKED`; each message is checked whole before anything in it is stored.
 * Writes are never held back while a node synchronises.
 */
export class RecordSync implements RecordSyncEngine, SessionHost {
  /** The session bounds and timings in force. */
  readonly tuning: SyncTuning;
  /** The index of `(modified, version hash)` items that sessions reconcile. */
  readonly tree: SyncTree;
  /** The record store it reconciles. */
  readonly source: RecordSyncSource;
  /** Session counters; live, not a copy. */
  readonly stats: RecordSyncStats = { sessions: 0, complete: 0, failed: {}, stale: 0 };
  private readonly links = new Map<string, LinkSessions>();
  private readonly synced = new BehaviorSubject(false);
  private readonly reports = new Subject<SyncReport>();
  private readonly sub: Subscription;
  private readonly timer: ReturnType<typeof setInterval> | undefined;
  private nextId = Math.floor(Math.random() * 1_000_000);
  /** Added to the frame kinds on the wire (sessions speak 40–43). */
  private readonly kindOffset: number;
  private isClosed = false;

  /** Hot, replays: `true` once the first session with a neighbour completed (either role). */
  readonly synchronized$: Observable<boolean> = this.synced.pipe(distinctUntilChanged());
  /** Hot: one report per finished session, whatever its outcome. */
  readonly sessions$: Observable<SyncReport> = this.reports.asObservable();

  /**
   * @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT` when the store's index is not a
   * {@link SyncTree} (reconciliation needs its range queries) or an option is out of range.
   */
  constructor(
    private readonly context: RecordSyncContext,
    options: RecordSyncOptions = {},
  ) {
    this.tuning = syncTuning(options);
    const index = context.source.index;
    if (!(index instanceof SyncTree)) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'record sync needs the store to keep a SyncTree as its index');
    this.tree = index;
    this.source = context.source;
    const mesh = context.mesh;
    this.kindOffset = context.kindOffset ?? 0;
    for (const kind of [SyncFrameKind.Query, SyncFrameKind.Answer, SyncFrameKind.Exchange, SyncFrameKind.Transfer]) {
      mesh.registerExtension(kind + this.kindOffset, (from, p) => this.onFrame(kind, from, p));
    }
    this.sub = mesh.neighbors$.subscribe((set) => this.neighborsChanged(set.map((n) => n.peerId)));
    if (this.tuning.intervalMs > 0) {
      this.timer = setInterval(() => this.periodic(), this.tuning.intervalMs);
      this.timer.unref?.();
    }
  }

  /**
   * Opens a session with one neighbour now (normally links forming and the period do).
   * @returns false when there is no such neighbour or a session this side opened is running.
   */
  syncWith(peerId: string): boolean {
    if (this.isClosed) throw new PeerChannelError(ErrorCode.CLOSED, 'record sync is closed');
    const neighbor = this.context.mesh.neighbor(peerId);
    if (neighbor === undefined) return false;
    return this.open(this.linkOf(neighbor));
  }

  private open(link: LinkSessions): boolean {
    if (link.outgoing !== undefined && !link.outgoing.closed) return false;
    this.nextId = (this.nextId + 1) % MAX_SESSION_ID;
    const s = new InitiatorSession(this, link.neighbor, this.nextId);
    link.outgoing = s;
    link.outgoingTimedOut = false;
    this.stats.sessions++;
    void s.start();
    return true;
  }

  private periodic(): void {
    if (this.isClosed) return;
    const idle = [...this.links.values()].filter((l) => l.outgoing === undefined || l.outgoing.closed);
    const pick = idle[Math.floor(Math.random() * idle.length)];
    if (pick !== undefined) this.open(pick);
  }

  private linkOf(neighbor: Neighbor): LinkSessions {
    let link = this.links.get(neighbor.peerId);
    if (link === undefined || link.neighbor !== neighbor) {
      if (link !== undefined) this.drop(link);
      link = { neighbor, outgoing: undefined, incoming: undefined, lastIncoming: -1, outgoingTimedOut: false, incomingTimedOut: false };
      this.links.set(neighbor.peerId, link);
    }
    return link;
  }

  private drop(link: LinkSessions): void {
    link.outgoing?.end('closed', ErrorCode.LINK_CLOSED);
    link.incoming?.end('closed', ErrorCode.LINK_CLOSED);
  }

  private neighborsChanged(peerIds: readonly string[]): void {
    if (this.isClosed) return;
    const present = new Set(peerIds);
    for (const [id, link] of this.links) {
      if (!present.has(id) || this.context.mesh.neighbor(id) !== link.neighbor) {
        this.drop(link);
        this.links.delete(id);
      }
    }
    for (const id of peerIds) {
      const neighbor = this.context.mesh.neighbor(id);
      if (neighbor === undefined || this.links.get(id)?.neighbor === neighbor) continue;
      const link = this.linkOf(neighbor);
      // One session per new link is enough: the side that dialled opens it.
      if (neighbor.direction === 'outbound') this.open(link);
    }
  }

  private onFrame(kind: number, from: Neighbor, payload: unknown): void {
    if (this.isClosed) return;
    try {
      const link = this.linkOf(from);
      const max = this.tuning.maxFrameBytes;
      switch (kind) {
        case SyncFrameKind.Query: {
          const { session, ranges } = decodeRanges(payload, max);
          void this.incoming(link, session, true)?.onQuery(ranges);
          return;
        }
        case SyncFrameKind.Answer: {
          const { session, ranges } = decodeRanges(payload, max);
          void this.outgoing(link, session)?.onAnswer(ranges);
          return;
        }
        case SyncFrameKind.Exchange: {
          const m = decodeExchange(payload);
          if (m.fromInitiator) void this.incoming(link, m.session, false)?.onExchange(m);
          else void this.outgoing(link, m.session)?.onExchange(m);
          return;
        }
        case SyncFrameKind.Transfer: {
          const m = decodeTransfer(payload, max);
          if (m.fromInitiator) void this.incoming(link, m.session, false)?.onTransfer(m);
          else void this.outgoing(link, m.session)?.onTransfer(m);
          return;
        }
      }
    } catch (error) {
      const e = toPeerChannelError(error, ErrorCode.SYNC_FRAME);
      this.links.get(from.peerId)?.incoming?.end('violation', e.code);
      this.links.get(from.peerId)?.outgoing?.end('violation', e.code);
      this.context.mesh.violation(from, e);
    }
  }

  /** The responder session a frame is for; a query with a new, higher id opens one. */
  private incoming(link: LinkSessions, session: number, opens: boolean): ResponderSession | undefined {
    const s = link.incoming;
    if (s !== undefined && s.id === session) {
      if (!s.closed) return s;
      if (link.incomingTimedOut) {
        this.stats.stale++;
        return undefined;
      }
      throw bad('a sync frame for a session that has ended');
    }
    if (!opens) throw bad('a sync frame for a session never opened');
    if (session <= link.lastIncoming) throw bad('a session id that does not increase');
    // A newer session from the same side replaces the one before (its initiator gave it up).
    s?.end('closed', ErrorCode.SYNC_FRAME);
    const fresh = new ResponderSession(this, link.neighbor, session);
    link.incoming = fresh;
    link.lastIncoming = session;
    link.incomingTimedOut = false;
    this.stats.sessions++;
    return fresh;
  }

  /** The initiator session an answer is for. */
  private outgoing(link: LinkSessions, session: number): InitiatorSession | undefined {
    const s = link.outgoing;
    if (s !== undefined && s.id === session && !s.closed) return s;
    if (s !== undefined && s.id === session && link.outgoingTimedOut) {
      this.stats.stale++;
      return undefined;
    }
    throw bad('a sync answer for no session of ours');
  }

  // ---- SessionHost ----

  send(to: Neighbor, kind: number, payload: unknown): number {
    const frame = encodeExtensionFrame(kind + this.kindOffset, payload);
    if (frame.length > this.tuning.maxFrameBytes) throw new PeerChannelError(ErrorCode.INTERNAL, `a sync frame of ${frame.length} bytes exceeds ${this.tuning.maxFrameBytes}`);
    return to.send(frame) ? frame.length : 0;
  }

  violation(to: Neighbor, error: PeerChannelError): void {
    if (!this.isClosed) this.context.mesh.violation(to, error);
  }

  finished(report: SyncReport): void {
    const link = this.links.get(report.peerId);
    if (report.outcome === 'timeout' && link !== undefined) {
      if (report.role === 'initiator') link.outgoingTimedOut = true;
      else link.incomingTimedOut = true;
    }
    if (report.outcome === 'complete') {
      this.stats.complete++;
      if (!this.isClosed) this.synced.next(true);
    } else {
      const code = report.code ?? report.outcome;
      this.stats.failed[code] = (this.stats.failed[code] ?? 0) + 1;
    }
    if (!this.isClosed) this.reports.next(report);
  }

  /** Ends every session and the timer; completes the streams. Idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.sub.unsubscribe();
    for (const link of this.links.values()) this.drop(link);
    this.links.clear();
    this.synced.complete();
    this.reports.complete();
  }
}

/**
 * The reconciliation engine for `PeerNode.open(…, { records: { sync: recordSync(options) } })`.
 *
 * @example
 * ```ts
 * const node = await PeerNode.open('net.p2p://board', { records: { types: [Shape], sync: recordSync({ intervalMs: 30_000 }) } });
 * ```
 */
export function recordSync(options: RecordSyncOptions = {}): RecordSyncFactory {
  syncTuning(options);
  return (context) => new RecordSync(context, options);
}
