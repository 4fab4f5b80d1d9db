import { sha256 } from '@noble/hashes/sha2.js';
import { ErrorCode, PeerChannelError } from '../../errors/index.js';
import type { Neighbor } from '../../mesh/neighbor.js';
import { Reconciler } from './reconciler.js';
import { SessionBase, type SessionHost, hashHex } from './sync-session.js';
import { type ExchangeMessage, SyncFrameKind, type TransferMessage, abstractCost, encodeExchange, encodeRanges, encodeTransfer } from './sync-messages.js';
import type { SyncRange } from './sync-range.js';
import type { RecordAbstract } from './sync-source.js';

function bad(message: string): PeerChannelError {
  return new PeerChannelError(ErrorCode.SYNC_FRAME, message);
}

const PHASES = { reconcile: 0, exchange: 1, transfer: 2 } as const;

/**
 * The side that answers a session: answers each reconciliation round, answers asked abstracts
 * and says which offered versions it wants, stores pushed records it wanted and answers pulls.
 * Takes one message at a time; anything else (a second message before its answer, a phase
 * going back, a record it did not want) closes the link.
 */
export class ResponderSession extends SessionBase {
  readonly role = 'responder' as const;
  private readonly reconciler: Reconciler;
  private phase: keyof typeof PHASES = 'reconcile';
  private busy = false;
  private readonly wanted = new Set<string>();

  constructor(host: SessionHost, neighbor: Neighbor, id: number) {
    super(host, neighbor, id);
    this.reconciler = new Reconciler(host.tree, 'responder', host.tuning.reconcile);
  }

  private enter(phase: keyof typeof PHASES): void {
    if (this.busy) throw bad('a sync message before the answer to the last');
    if (PHASES[phase] < PHASES[this.phase]) throw bad(`a ${phase} message after the session moved on to ${this.phase}`);
    this.phase = phase;
    this.busy = true;
    this.took();
  }

  onQuery(ranges: readonly SyncRange[]): Promise<void> {
    return this.guarded(() => {
      this.enter('reconcile');
      this.rounds++;
      this.roundTrips++;
      const answer = this.reconciler.receive(ranges) as SyncRange[];
      this.busy = false;
      this.send(SyncFrameKind.Answer, encodeRanges(this.id, answer));
    });
  }

  onExchange(m: ExchangeMessage): Promise<void> {
    return this.guarded(() => {
      this.enter('exchange');
      this.roundTrips++;
      const wants: Uint8Array[] = [];
      for (const a of m.abstracts as RecordAbstract[]) {
        if (this.host.source.wants(a) && !this.wanted.has(hashHex(a.hash))) {
          if (this.wanted.size >= this.host.tuning.maxDifferences) throw new PeerChannelError(ErrorCode.SYNC_LIMIT, 'more versions offered than differences');
          this.wanted.add(hashHex(a.hash));
          wants.push(a.hash);
        }
      }
      const answers: (RecordAbstract | null)[] = [];
      let bytes = 0;
      for (const h of m.hashes) {
        const a = this.host.source.abstractOf(h) ?? null;
        const cost = a === null ? 1 : abstractCost(a);
        if (answers.length > 0 && bytes + cost > this.host.tuning.frameBudget - wants.length * 35) break;
        answers.push(a);
        bytes += cost;
      }
      this.busy = false;
      this.send(SyncFrameKind.Exchange, encodeExchange({ session: this.id, fromInitiator: false, abstracts: answers, hashes: wants }));
    });
  }

  onTransfer(m: TransferMessage): Promise<void> {
    return this.guarded(async () => {
      this.enter('transfer');
      const pushed = m.records as Uint8Array[];
      // The whole message is checked before anything from it is stored.
      for (const r of pushed) if (!this.wanted.has(hashHex(sha256(r)))) throw new PeerChannelError(ErrorCode.SYNC_UNASKED, 'a pushed record that was not wanted');
      for (const r of pushed) this.wanted.delete(hashHex(sha256(r)));
      if (pushed.length === 0 && m.hashes.length === 0) {
        this.busy = false;
        this.end('complete');
        return;
      }
      this.roundTrips++;
      await this.store(pushed);
      const answers = await this.loadFitting(m.hashes);
      this.recordsSent += answers.filter((r) => r !== null).length;
      if (this.ended) return;
      this.busy = false;
      this.send(SyncFrameKind.Transfer, encodeTransfer({ session: this.id, fromInitiator: false, records: answers, hashes: [] }));
    });
  }
}
