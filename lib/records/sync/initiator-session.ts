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

/**
 * The side that opened a session: reconciles, then offers abstracts of what the other side
 * lacks and asks for abstracts of what it lacks, then pushes what was wanted and pulls what
 * wins. Strictly one message in flight: every step waits for the answer to the last.
 */
export class InitiatorSession extends SessionBase {
  readonly role = 'initiator' as const;
  private readonly reconciler: Reconciler;
  private phase: 'reconcile' | 'exchange' | 'transfer' = 'reconcile';
  private awaiting = false;
  private have = 0;
  private need = 0;
  private offers: Uint8Array[] = [];
  private asks: Uint8Array[] = [];
  private asked: Uint8Array[] = [];
  private offered = new Set<string>();
  private pushes: Uint8Array[] = [];
  private pulls: Uint8Array[] = [];
  private pulled: Uint8Array[] = [];

  constructor(host: SessionHost, neighbor: Neighbor, id: number) {
    super(host, neighbor, id);
    this.reconciler = new Reconciler(host.tree, 'initiator', host.tuning.reconcile);
  }

  start(): Promise<void> {
    return this.guarded(() => this.query(this.reconciler.initial()));
  }

  private query(ranges: SyncRange[]): void {
    this.rounds++;
    this.roundTrips++;
    this.awaiting = true;
    this.send(SyncFrameKind.Query, encodeRanges(this.id, ranges));
  }

  private expect(phase: InitiatorSession['phase']): void {
    if (!this.awaiting || this.phase !== phase) throw bad(`a sync answer out of order (in ${this.phase})`);
    this.awaiting = false;
    this.took();
  }

  onAnswer(ranges: readonly SyncRange[]): Promise<void> {
    return this.guarded(() => {
      this.expect('reconcile');
      const next = this.rounds >= this.host.tuning.maxRounds / 2 ? undefined : this.reconciler.receive(ranges);
      if (next !== undefined) return this.query(next);
      const have = this.reconciler.have;
      const need = this.reconciler.need;
      this.have = have.length;
      this.need = need.length;
      this.offers = have;
      this.asks = need;
      this.phase = 'exchange';
      return this.exchange();
    });
  }

  protected override haveCount(): number {
    return this.have;
  }

  protected override needCount(): number {
    return this.need;
  }

  private async exchange(): Promise<void> {
    if (this.offers.length === 0 && this.asks.length === 0) {
      this.phase = 'transfer';
      return this.transfer();
    }
    const { batch, frameBudget } = this.host.tuning;
    const abstracts: RecordAbstract[] = [];
    this.offered = new Set();
    let bytes = 0;
    while (this.offers.length > 0 && abstracts.length < batch) {
      const a = this.host.source.abstractOf(this.offers[0] as Uint8Array);
      if (a !== undefined) {
        const cost = abstractCost(a);
        if (abstracts.length > 0 && bytes + cost > frameBudget / 2) break;
        abstracts.push(a);
        this.offered.add(hashHex(a.hash));
        bytes += cost;
      }
      this.offers.shift();
    }
    this.asked = this.asks.splice(0, batch);
    this.roundTrips++;
    this.awaiting = true;
    this.send(SyncFrameKind.Exchange, encodeExchange({ session: this.id, fromInitiator: true, abstracts, hashes: this.asked }));
  }

  onExchange(m: ExchangeMessage): Promise<void> {
    return this.guarded(() => {
      this.expect('exchange');
      if (m.abstracts.length > this.asked.length) throw bad('more abstracts than were asked for');
      if (this.asked.length > 0 && m.abstracts.length === 0) throw bad('an exchange answer that answers nothing');
      m.abstracts.forEach((a, i) => {
        if (a !== null && hashHex(a.hash) !== hashHex(this.asked[i] as Uint8Array)) throw bad('an abstract that is not the one asked for');
      });
      for (const h of m.hashes) if (!this.offered.has(hashHex(h))) throw bad('a push wanted that was never offered');
      if (this.pushes.length + m.hashes.length > this.host.tuning.maxDifferences) throw new PeerChannelError(ErrorCode.SYNC_LIMIT, 'more pushes wanted than differences');
      this.pushes.push(...m.hashes);
      for (const a of m.abstracts) if (a !== null && this.host.source.wants(a)) this.pulls.push(a.hash);
      this.asks.unshift(...this.asked.slice(m.abstracts.length));
      return this.exchange();
    });
  }

  private async transfer(): Promise<void> {
    // Positional: a version gone meanwhile comes back as null and is simply not sent.
    const loaded = await this.loadFitting(this.pushes.slice(0, this.host.tuning.batch));
    this.pushes.splice(0, loaded.length);
    const records = loaded.filter((r): r is Uint8Array => r !== null);
    this.pulled = this.pulls.splice(0, this.host.tuning.batch);
    this.recordsSent += records.length;
    if (this.ended) return;
    if (records.length === 0 && this.pulled.length === 0 && this.pushes.length === 0) {
      // The closing message: nothing pushed, nothing pulled.
      this.send(SyncFrameKind.Transfer, encodeTransfer({ session: this.id, fromInitiator: true, records: [], hashes: [] }));
      this.end('complete');
      return;
    }
    if (records.length === 0 && this.pulled.length === 0) return this.transfer();
    this.roundTrips++;
    this.awaiting = true;
    this.send(SyncFrameKind.Transfer, encodeTransfer({ session: this.id, fromInitiator: true, records, hashes: this.pulled }));
  }

  onTransfer(m: TransferMessage): Promise<void> {
    return this.guarded(async () => {
      this.expect('transfer');
      if (m.records.length > this.pulled.length) throw new PeerChannelError(ErrorCode.SYNC_UNASKED, 'more records than were pulled');
      if (this.pulled.length > 0 && m.records.length === 0) throw bad('a transfer answer that answers nothing');
      const got: Uint8Array[] = [];
      m.records.forEach((r, i) => {
        if (r === null) return;
        if (hashHex(sha256(r)) !== hashHex(this.pulled[i] as Uint8Array)) throw new PeerChannelError(ErrorCode.SYNC_UNASKED, 'a record that is not the version pulled');
        got.push(r);
      });
      this.pulls.unshift(...this.pulled.slice(m.records.length));
      this.pulled = [];
      await this.store(got);
      if (!this.ended) await this.transfer();
    });
  }
}
