import { isUnpinnedPeer } from '../resolver/static/static-resolver.js';
import type { FrameLimits, PeerRef } from '../codec/index.js';
import { ErrorCode, type PeerChannelError, toPeerChannelError } from '../errors/index.js';
import type { ResolvedPeer } from '../resolver/resolver.js';
import { MeshFrameKind, decodeShuffle, decodeUtility, encodeShuffle, encodeUtility } from './mesh-frames.js';
import type { Neighbor, NeighborInfo } from './neighbor.js';
import type { MeshTuning, NeighborLimits } from './options.js';
import { PassiveView } from './passive-view.js';
import { ReferralCache } from './referral-cache.js';
import { ADMISSION_CODES, type MeshRefusal, RefusalTracker } from './refusal-tracker.js';

/** What the neighbour manager needs from the mesh. @internal */
export interface ManagedMesh {
  readonly localPeerId: string;
  readonly neighbors: ReadonlyMap<string, Neighbor>;
  readonly addresses: readonly string[];
  readonly maxAddresses: number;
  readonly closed: boolean;
  readonly signal: AbortSignal;
  connect(address: string, options: { expectedPeerId?: string }): Promise<NeighborInfo>;
  candidates(signal: AbortSignal): Promise<readonly ResolvedPeer[]>;
  sendExtension(to: Neighbor, kind: number, payload: unknown): boolean;
  /** Sends a Disconnect with referrals, then closes the link with `code`. */
  dismiss(neighbor: Neighbor, code: ErrorCode, message: string): void;
  count(code: string): void;
  report(error: PeerChannelError): void;
  /** A round ended offline with every member it reached refusing this node's admission. */
  refused(refusal: MeshRefusal): void;
  /** Whether this node holds `peerId` off (`disconnect`): it is not dialled meanwhile. */
  isHeldOff(peerId: string): boolean;
}

/** How one dial ended. */
type DialOutcome = { kind: 'linked' } | { kind: 'failed' } | { kind: 'refused'; byMember: boolean; peerId: string; error: PeerChannelError };

/** Counters of the manager's work, for tests and simulations. */
export interface MaintenanceStats {
  /** Maintenance rounds run. */
  rounds: number;
  /** Peers dialled (referrals, passive view, resolver answers, exploration). */
  dials: number;
  /** Dials that ended without a link, busy refusals included. */
  dialFailures: number;
  /** Times the resolver was asked for candidates. */
  resolves: number;
  /** Links closed above the ideal count as the least useful (`PC_ERR_NOT_USEFUL`). */
  pruned: number;
  /** Neighbours disconnected as too slow (`PC_ERR_TOO_SLOW`). */
  cutSlow: number;
  /** Neighbours disconnected as silent (`PC_ERR_UNREACHABLE`). */
  cutIdle: number;
  /** Passive-view shuffles sent. */
  shuffles: number;
  /** Exploration dials to a random known peer (partition healing). */
  explored: number;
}

/**
 * Keeps a node's neighbour set within WCF's bounds and repairs it quickly.
 *
 * @remarks
 * Each round (every `maintenanceIntervalMs`, jittered, and at once when a link drops below the
 * ideal count) it: sends each neighbour a utility report (its counts for the link, which also
 * serves as a heartbeat); cuts neighbours silent for `idleTimeoutMs` (`PC_ERR_UNREACHABLE`) and
 * neighbours whose send queue stayed over `slowQueueBound` for `slowGraceMs`
 * (`PC_ERR_TOO_SLOW`), never the last one; above the ideal count prunes the least useful link
 * (`PC_ERR_NOT_USEFUL`, with referrals) among those whose other side is also above its ideal
 * count, so a prune never pushes a peer below its ideal and starts a cascade; below the ideal
 * count dials referrals first, then the passive view, and only then asks the resolver (an ideal
 * count of 0 turns both top-up and pruning off, for hand-made topologies), re-dialling a peer
 * that refused this node's admission only after a growing delay and a bounded number of times
 * (see {@link RefusalTracker}), and reporting a round that ends offline with every member it
 * reached refusing as a refusal by the mesh; every
 * `shuffleEveryRounds` rounds swaps a sample of known peers with one neighbour; and every
 * `exploreIntervalMs` dials one random known peer, which joins the halves of a healed partition.
 */
export class NeighborManager {
  readonly referrals: ReferralCache;
  readonly passive: PassiveView;
  /** Who refused this node's admission, and when to dial them again. */
  readonly refusals: RefusalTracker;
  readonly stats: MaintenanceStats = { rounds: 0, dials: 0, dialFailures: 0, resolves: 0, pruned: 0, cutSlow: 0, cutIdle: 0, shuffles: 0, explored: 0 };
  private readonly dialing = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private again = false;
  private nextExplore: number;

  constructor(
    private readonly mesh: ManagedMesh,
    private readonly limits: NeighborLimits,
    private readonly tuning: MeshTuning,
    private readonly intervalMs: number,
    private readonly random: () => number = Math.random,
  ) {
    this.referrals = new ReferralCache(tuning.referralCacheSize);
    this.passive = new PassiveView(tuning.passiveViewSize, random);
    this.refusals = new RefusalTracker(tuning);
    this.nextExplore = Date.now() + tuning.exploreIntervalMs * (0.5 + random());
  }

  /** Peers being dialled right now. */
  get pendingDials(): number {
    return this.dialing.size;
  }

  start(): void {
    this.schedule(0);
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Runs a round soon (e.g. after a link dropped). */
  poke(): void {
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  // ---- events from the mesh ----

  referred(refs: readonly PeerRef[]): void {
    this.referrals.addAll(refs, this.mesh.localPeerId);
  }

  /** A peer we know is alive but did not link with (e.g. refused as busy). */
  heardOf(ref: PeerRef): void {
    if (!this.mesh.neighbors.has(ref.peerId)) this.passive.add(ref, this.mesh.localPeerId);
  }

  added(neighbor: Neighbor): void {
    this.refusals.admitted(neighbor.peerId);
    this.referrals.delete(neighbor.peerId);
    this.passive.delete(neighbor.peerId);
    // The dialer opens with a shuffle, so a new peer's passive view fills at once (HyParView's join).
    if (neighbor.direction === 'outbound') this.shuffleWith(neighbor, false);
  }

  /** A neighbour is gone; `alive` when it was pruned by us (it is still a good repair candidate). */
  removed(neighbor: Neighbor, alive: boolean): void {
    if (alive) this.passive.add({ peerId: neighbor.peerId, addresses: neighbor.addresses }, this.mesh.localPeerId);
    if (this.mesh.neighbors.size < this.limits.ideal) this.poke();
  }

  onUtility(from: Neighbor, payload: unknown): void {
    from.remote = decodeUtility(payload);
  }

  onShuffle(from: Neighbor, payload: unknown, limits: FrameLimits): void {
    const { reply, refs } = decodeShuffle(payload, limits);
    if (!reply) this.shuffleWith(from, true);
    for (const ref of refs) this.heardOf(ref);
  }

  // ---- the round ----

  private schedule(delayMs: number): void {
    if (this.mesh.closed) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.round(), delayMs);
  }

  /** One maintenance round (see the class remarks). */
  async round(): Promise<void> {
    if (this.mesh.closed || this.running) return;
    this.running = true;
    this.again = false;
    try {
      this.stats.rounds += 1;
      const now = Date.now();
      this.report();
      this.cutIdle(now);
      this.cutSlow(now);
      this.prune(now);
      if (this.stats.rounds % this.tuning.shuffleEveryRounds === 0) this.shuffle();
      const outcomes = await this.topUp();
      this.refusals.settle();
      this.judge(outcomes);
      await this.explore(now);
    } catch (error) {
      this.mesh.report(toPeerChannelError(error, ErrorCode.INTERNAL));
    } finally {
      this.running = false;
      this.schedule(this.again ? 0 : this.intervalMs * (0.75 + this.random() * 0.5));
    }
  }

  private report(): void {
    const degree = this.mesh.neighbors.size;
    for (const n of this.mesh.neighbors.values()) {
      this.mesh.sendExtension(n, MeshFrameKind.Utility, encodeUtility({ received: n.received, fresh: n.fresh, degree, ideal: this.limits.ideal }));
    }
  }

  private cutIdle(now: number): void {
    if (this.tuning.idleTimeoutMs === 0) return;
    // Reports go out every round, so a healthy link is never silent for three of them.
    const limit = Math.max(this.tuning.idleTimeoutMs, 3 * this.intervalMs);
    for (const n of [...this.mesh.neighbors.values()]) {
      if (n.framesIn !== n.seenFramesIn) {
        n.seenFramesIn = n.framesIn;
        n.lastHeard = now;
      } else if (now - n.lastHeard > limit) {
        this.stats.cutIdle += 1;
        this.mesh.count(ErrorCode.UNREACHABLE);
        n.link.close(ErrorCode.UNREACHABLE, `nothing heard for ${limit} ms`);
      }
    }
  }

  private cutSlow(now: number): void {
    for (const n of [...this.mesh.neighbors.values()]) {
      if (n.link.pendingSends <= this.tuning.slowQueueBound) {
        n.slowSince = undefined;
        continue;
      }
      n.slowSince ??= now;
      if (now - n.slowSince >= this.tuning.slowGraceMs && this.mesh.neighbors.size > 1) {
        this.stats.cutSlow += 1;
        this.mesh.count(ErrorCode.TOO_SLOW);
        n.link.close(ErrorCode.TOO_SLOW, `send queue over ${this.tuning.slowQueueBound} frames for ${now - n.slowSince} ms`);
      }
    }
  }

  /** Above the ideal count: the least useful link whose other side can spare it. */
  private prune(now: number): void {
    // An ideal of 0 means links are made by hand (tests, static topologies): nothing is pruned.
    if (this.limits.ideal === 0 || this.mesh.neighbors.size <= this.limits.ideal) return;
    const minAge = this.tuning.pruneMinAgeMs;
    let victim: Neighbor | undefined;
    for (const n of this.mesh.neighbors.values()) {
      const r = n.remote;
      if (r === undefined || r.degree <= r.ideal || now - n.since < minAge) continue;
      if (victim === undefined || rank(n, victim) < 0) victim = n;
    }
    if (victim === undefined) return;
    this.stats.pruned += 1;
    this.mesh.count(ErrorCode.NOT_USEFUL);
    this.passive.add({ peerId: victim.peerId, addresses: victim.addresses }, this.mesh.localPeerId);
    this.mesh.dismiss(victim, ErrorCode.NOT_USEFUL, `least useful link (${victim.linkUsefulness.toFixed(2)} new)`);
  }

  private shuffle(): void {
    const all = [...this.mesh.neighbors.values()];
    if (all.length === 0) return;
    this.shuffleWith(all[Math.floor(this.random() * all.length)] as Neighbor, false);
  }

  private shuffleWith(to: Neighbor, reply: boolean): void {
    const size = this.tuning.shuffleSize;
    const refs: PeerRef[] = [];
    if (this.mesh.addresses.length > 0) refs.push({ peerId: this.mesh.localPeerId, addresses: this.mesh.addresses.slice(0, this.mesh.maxAddresses) });
    const actives = [...this.mesh.neighbors.values()].filter((n) => n !== to && n.addresses.length > 0);
    for (let i = 0; i < actives.length && refs.length < Math.ceil(size / 2); i++) {
      const j = i + Math.floor(this.random() * (actives.length - i));
      [actives[i], actives[j]] = [actives[j] as Neighbor, actives[i] as Neighbor];
      const n = actives[i] as Neighbor;
      refs.push({ peerId: n.peerId, addresses: n.addresses.slice(0, this.mesh.maxAddresses) });
    }
    for (const p of this.passive.sample(size - refs.length)) if (p.peerId !== to.peerId) refs.push(p);
    this.stats.shuffles += 1;
    this.mesh.sendExtension(to, MeshFrameKind.Shuffle, encodeShuffle(reply, refs.slice(0, size)));
  }

  /** Below the ideal count: referrals, then the passive view, then the resolver. Returns how each dial ended. */
  private async topUp(): Promise<DialOutcome[]> {
    const tried = new Set<string>();
    const outcomes: DialOutcome[] = [];
    let resolved: ResolvedPeer[] | undefined;
    let dials = 0;
    while (!this.mesh.closed && dials < this.tuning.maxDialsPerRound) {
      const want = Math.min(this.limits.ideal - this.mesh.neighbors.size - this.dialing.size, this.tuning.maxDialsPerRound - dials);
      if (want <= 0) break;
      let batch = this.pick([...this.referrals.values(), ...this.passive.sample(this.passive.size)], want, tried);
      if (batch.length < want) {
        if (resolved === undefined) {
          resolved = [...(await this.resolve())];
          if (this.mesh.closed) break;
        }
        batch = [...batch, ...this.pick(resolved, want - batch.length, tried)];
      }
      if (batch.length === 0) break;
      dials += batch.length;
      outcomes.push(...(await Promise.all(batch.map((p) => this.dial(p)))));
    }
    return outcomes;
  }

  /**
   * Still offline after a round in which members refused this node's admission and nobody
   * admitted it: the mesh refused it (see {@link RefusalTracker} for who counts as the mesh).
   */
  private judge(outcomes: readonly DialOutcome[]): void {
    if (this.mesh.closed || this.mesh.neighbors.size > 0 || this.dialing.size > 0) return;
    if (outcomes.some((o) => o.kind === 'linked')) return;
    const refusals = outcomes.filter((o): o is Extract<DialOutcome, { kind: 'refused' }> => o.kind === 'refused' && o.byMember);
    const last = refusals[refusals.length - 1];
    if (last === undefined) return;
    this.mesh.refused({ code: last.error.code, message: last.error.message, refusedBy: refusals.map((r) => r.peerId) });
  }

  private async explore(now: number): Promise<void> {
    if (this.tuning.exploreIntervalMs === 0 || now < this.nextExplore) return;
    this.nextExplore = now + this.tuning.exploreIntervalMs * (0.75 + this.random() * 0.5);
    if (this.mesh.neighbors.size === 0 || this.mesh.neighbors.size + this.dialing.size >= this.limits.max) return;
    const tried = new Set<string>();
    let pick = this.pick(this.passive.sample(this.passive.size), 1, tried);
    if (pick.length === 0) pick = this.pick(await this.resolve(), 1, tried);
    if (pick.length === 0) return;
    this.stats.explored += 1;
    await this.dial(pick[0] as PeerRef);
  }

  private async resolve(): Promise<readonly ResolvedPeer[]> {
    this.stats.resolves += 1;
    try {
      return shuffled([...(await this.mesh.candidates(this.mesh.signal))], this.random);
    } catch (error) {
      this.mesh.report(toPeerChannelError(error, ErrorCode.RESOLVER_FAILED));
      return [];
    }
  }

  private pick(peers: Iterable<PeerRef>, n: number, tried: Set<string>): PeerRef[] {
    const out: PeerRef[] = [];
    for (const p of peers) {
      if (out.length >= n) break;
      if (p.peerId === this.mesh.localPeerId || this.mesh.neighbors.has(p.peerId) || this.dialing.has(p.peerId) || tried.has(p.peerId)) continue;
      if (!this.refusals.mayDial(p.peerId) || this.mesh.isHeldOff(p.peerId)) continue;
      if (p.addresses.length === 0) continue;
      tried.add(p.peerId);
      out.push(p);
    }
    return out;
  }

  private async dial(peer: PeerRef): Promise<DialOutcome> {
    this.dialing.add(peer.peerId);
    this.stats.dials += 1;
    let outcome: DialOutcome = { kind: 'failed' };
    let refusal: PeerChannelError | undefined;
    try {
      for (const address of peer.addresses) {
        if (this.mesh.closed || this.mesh.neighbors.has(peer.peerId)) return { kind: 'failed' };
        try {
          // A static entry known only by address has a placeholder id: dial it unpinned.
          await this.mesh.connect(address, { expectedPeerId: isUnpinnedPeer(peer) ? undefined : peer.peerId });
          this.refusals.admitted(peer.peerId);
          return { kind: 'linked' };
        } catch (error) {
          const e = toPeerChannelError(error);
          if (ADMISSION_CODES.has(e.code)) {
            // Another of its addresses may be another node of the same identity (People Near Me
            // announces every node of a peer id), one that admits us: try them all first.
            refusal = e;
            continue;
          }
          if (e.code === ErrorCode.BUSY || e.code === ErrorCode.DUPLICATE_LINK || e.code === ErrorCode.CLOSED) break;
        }
      }
      if (refusal !== undefined) {
        // No address admitted us and one refused: that is the peer's answer. Back off.
        this.mesh.report(refusal);
        outcome = { kind: 'refused', byMember: this.refusals.outbound(peer.peerId, refusal), peerId: peer.peerId, error: refusal };
      }
      // Failed (or busy: its referrals are cached instead): not a repair candidate for now.
      this.stats.dialFailures += 1;
      this.referrals.delete(peer.peerId);
      this.passive.delete(peer.peerId);
      return outcome;
    } finally {
      this.dialing.delete(peer.peerId);
    }
  }
}

/** Negative when `a` should be pruned before `b`: less useful, then busier other side, then newer. */
function rank(a: Neighbor, b: Neighbor): number {
  const du = a.linkUsefulness - b.linkUsefulness;
  if (du !== 0) return du;
  const dd = (b.remote?.degree ?? 0) - (a.remote?.degree ?? 0);
  if (dd !== 0) return dd;
  return b.since - a.since;
}

function shuffled<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
