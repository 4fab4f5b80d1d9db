import { ErrorCode, PeerChannelError } from '../../errors/index.js';
import type { Neighbor } from '../../mesh/neighbor.js';
import type { RecordSyncSource } from './sync-source.js';
import type { SyncTuning } from './sync-options.js';
import type { SyncTree } from './sync-tree.js';

/** How a session ended. */
export type SyncOutcome = 'complete' | 'timeout' | 'violation' | 'closed' | 'failed';

/** What one finished session did, on {@link RecordSync.sessions$}. */
export interface SyncReport {
  /** The neighbour the session ran with. */
  readonly peerId: string;
  /** `initiator` when this node opened the session. */
  readonly role: 'initiator' | 'responder';
  /** The session id (chosen by the initiator). */
  readonly session: number;
  /** How it ended. */
  readonly outcome: SyncOutcome;
  /** The error code when the outcome is not `complete`. */
  readonly code?: string;
  /** Reconciliation round trips (query and answer). */
  readonly rounds: number;
  /** Round trips in all (reconciliation, abstract exchange, transfer). */
  readonly roundTrips: number;
  /** Encoded bytes this side sent in the session. */
  readonly bytesSent: number;
  /** Versions the initiator holds that the responder lacked (initiator only). */
  readonly have: number;
  /** Versions the responder holds that the initiator lacked (initiator only). */
  readonly need: number;
  /** Records this side sent and received. */
  readonly sent: number;
  /** Records this side received. */
  readonly received: number;
  /** Of those received, how many the store kept (the rest were stale or rejected). */
  readonly stored: number;
  /** Duration of the session in milliseconds. */
  readonly ms: number;
}

/** What a session needs from the engine that runs it. */
export interface SessionHost {
  readonly source: RecordSyncSource;
  readonly tree: SyncTree;
  readonly tuning: SyncTuning;
  /** Encodes and sends one sync frame; returns its size in bytes (0 if the link refused it). */
  send(to: Neighbor, kind: number, payload: unknown): number;
  /** Closes the link with the error's code (a misbehaving peer). */
  violation(to: Neighbor, error: PeerChannelError): void;
  /** Called once when a session ends, whatever the outcome. */
  finished(report: SyncReport): void;
}

/** Timer, counters and the end of a session; the roles build on it. */
export abstract class SessionBase {
  protected readonly startedAt = Date.now();
  protected bytesSent = 0;
  protected framesIn = 0;
  protected rounds = 0;
  protected roundTrips = 0;
  protected recordsSent = 0;
  protected recordsReceived = 0;
  protected stored = 0;
  protected ended = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  abstract readonly role: 'initiator' | 'responder';

  constructor(
    protected readonly host: SessionHost,
    readonly neighbor: Neighbor,
    readonly id: number,
  ) {}

  get closed(): boolean {
    return this.ended;
  }

  protected send(kind: number, payload: unknown): void {
    const n = this.host.send(this.neighbor, kind, payload);
    if (n === 0) throw new PeerChannelError(ErrorCode.LINK_CLOSED, 'the link refused a sync frame');
    this.bytesSent += n;
    this.arm();
  }

  /** Counts a frame from the other side against the round bound. */
  protected took(): void {
    this.framesIn++;
    if (this.framesIn > this.host.tuning.maxRounds) {
      throw new PeerChannelError(ErrorCode.SYNC_LIMIT, `sync session went past ${this.host.tuning.maxRounds} frames`);
    }
    this.arm();
  }

  protected arm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.ended) return;
    this.timer = setTimeout(() => this.end('timeout', ErrorCode.TIMEOUT), this.host.tuning.sessionTimeoutMs);
  }

  /** Runs a step; a peer fault closes the link, any other error ends the session. */
  protected async guarded(step: () => Promise<void> | void): Promise<void> {
    try {
      await step();
    } catch (error) {
      if (this.ended) return;
      const e = error instanceof PeerChannelError ? error : new PeerChannelError(ErrorCode.INTERNAL, 'sync step failed', { cause: error });
      if (e.code === ErrorCode.SYNC_FRAME || e.code === ErrorCode.SYNC_LIMIT || e.code === ErrorCode.SYNC_UNASKED) {
        this.end('violation', e.code);
        this.host.violation(this.neighbor, e);
      } else this.end(e.code === ErrorCode.LINK_CLOSED ? 'closed' : 'failed', e.code);
    }
  }

  /** Ends the session once, reporting it. */
  end(outcome: SyncOutcome, code?: string): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.host.finished({
      peerId: this.neighbor.peerId,
      role: this.role,
      session: this.id,
      outcome,
      code,
      rounds: this.rounds,
      roundTrips: this.roundTrips,
      bytesSent: this.bytesSent,
      have: this.haveCount(),
      need: this.needCount(),
      sent: this.recordsSent,
      received: this.recordsReceived,
      stored: this.stored,
      ms: Date.now() - this.startedAt,
    });
  }

  protected haveCount(): number {
    return 0;
  }

  protected needCount(): number {
    return 0;
  }

  /** Applies received records in order, counting what the store kept. */
  protected async store(records: readonly Uint8Array[]): Promise<void> {
    for (const r of records) {
      if (this.ended) return;
      this.recordsReceived++;
      if ((await this.host.source.receive(r, this.neighbor.peerId)) === 'stored') this.stored++;
    }
  }

  /**
   * Loads records by hash while they fit in `room` bytes (the first always does, as long as it
   * fits a frame by itself).
   */
  protected async loadFitting(hashes: readonly Uint8Array[], room = this.host.tuning.maxFrameBytes - 512): Promise<(Uint8Array | null)[]> {
    const out: (Uint8Array | null)[] = [];
    let bytes = 64;
    const frame = this.host.tuning.maxFrameBytes - 512;
    for (const h of hashes) {
      const r = (await this.host.source.load(h)) ?? null;
      const cost = r === null ? 1 : r.length + 5;
      if (out.length > 0 && bytes + cost > room) break;
      if (r !== null && r.length + 128 > frame) {
        out.push(null); // larger than a frame can carry: the store's record limit keeps this from happening
        continue;
      }
      out.push(r);
      bytes += cost;
    }
    return out;
  }
}

export function hashHex(h: Uint8Array): string {
  return Buffer.from(h.buffer, h.byteOffset, h.length).toString('hex');
}
