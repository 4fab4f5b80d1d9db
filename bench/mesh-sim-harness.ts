import { randomBytes } from 'node:crypto';
import { type CallBody, defaultFrameLimits } from '../lib/codec/index.js';
import { PeerIdentity } from '../lib/identity/peer-identity.js';
import type { PeerId } from '../lib/identity/peer-id.js';
import { Mesh } from '../lib/mesh/mesh.js';
import { type MeshTuning, type NeighborLimits, defaultNeighborLimits } from '../lib/mesh/options.js';
import { idHex } from '../lib/mesh/seen-cache.js';
import type { ResolvedPeer } from '../lib/resolver/resolver.js';
import { MemoryNetwork, mulberry32 } from '../lib/transport/memory/memory-network.js';
import { MemoryTransport } from '../lib/transport/memory/memory-transport.js';

/** Options of a {@link MeshSim}. */
export interface MeshSimOptions {
  readonly peers: number;
  readonly seed?: number;
  readonly neighbors?: Partial<NeighborLimits>;
  /** @defaultValue 200 */
  readonly maintenanceIntervalMs?: number;
  readonly tuning?: Partial<MeshTuning>;
}

/** One simulated peer: a bare mesh on the memory network. */
export interface SimPeer {
  readonly id: PeerId;
  readonly mesh: Mesh;
  readonly transport: MemoryTransport;
  alive: boolean;
  readonly joinedAt: number;
}

/** What one broadcast did across the mesh. */
export interface BroadcastResult {
  /** Peers (other than the sender) it was delivered to, and how many were alive. */
  readonly reached: number;
  readonly expected: number;
  /** Payload copies received in all (first copies and duplicates). */
  readonly receipts: number;
  /** Relative message redundancy: receipts / (alive − 1) − 1. */
  readonly rmr: number;
  /** Hops travelled by the copy that reached its last new peer. */
  readonly lastHop: number;
}

interface Trace {
  readonly ids: Set<string>;
  reached: number;
  receipts: number;
  lastHop: number;
}

/**
 * Hundreds to thousands of bare {@link Mesh}es on one {@link MemoryNetwork}, found through an
 * in-process registry (the resolver), with scripted failures: kill a fraction at once, churn,
 * partition and heal. Figures come from every peer's `decisions$`.
 */
export class MeshSim {
  readonly net: MemoryNetwork;
  readonly peers: SimPeer[] = [];
  private readonly byId = new Map<string, SimPeer>();
  private readonly traces = new Map<string, Trace>();
  private readonly random: () => number;

  private constructor(private readonly options: MeshSimOptions) {
    this.net = new MemoryNetwork({ seed: options.seed ?? 1 });
    this.random = mulberry32(options.seed ?? 1);
  }

  /** Builds and starts `peers` peers; they find each other through the registry. */
  static async create(options: MeshSimOptions): Promise<MeshSim> {
    const sim = new MeshSim(options);
    await sim.join(options.peers);
    return sim;
  }

  /** Peers still running. */
  get alive(): SimPeer[] {
    return this.peers.filter((p) => p.alive);
  }

  /** Adds `n` new peers that bootstrap from the registry. */
  async join(n: number): Promise<SimPeer[]> {
    const made: SimPeer[] = [];
    for (let i = 0; i < n; i++) {
      const identity = PeerIdentity.generate();
      const transport = new MemoryTransport(this.net, identity.peerId, {});
      await transport.listen();
      const mesh = new Mesh({
        mesh: 'sim',
        identity,
        transport,
        limits: defaultFrameLimits,
        neighbors: { ...defaultNeighborLimits, ...this.options.neighbors },
        candidates: async () => this.resolve(identity.peerId, 20),
        requireAuthenticatedLinks: false,
        handshakeTimeoutMs: 5_000,
        seenTtlMs: 120_000,
        seenMaxEntries: 50_000,
        maintenanceIntervalMs: this.options.maintenanceIntervalMs ?? 200,
        maxReferrals: 10,
        directTtl: 64,
        tuning: this.options.tuning,
      });
      const peer: SimPeer = { id: identity.peerId, mesh, transport, alive: true, joinedAt: Date.now() };
      mesh.decisions$.subscribe((d) => {
        if (d.via === undefined || d.kind !== 'flood') return;
        const t = this.traces.get(d.id);
        if (t === undefined) return;
        t.receipts += 1;
        if (d.reason !== 'duplicate' && d.delivered) {
          t.reached += 1;
          t.ids.add(peer.id);
          if (d.hops > t.lastHop) t.lastHop = d.hops;
        }
      });
      this.peers.push(peer);
      this.byId.set(peer.id, peer);
      made.push(peer);
    }
    for (const p of made) p.mesh.start();
    return made;
  }

  /** The in-process resolver: up to `max` random live peers other than `self`. */
  private resolve(self: string, max: number): ResolvedPeer[] {
    const alive = this.alive;
    const out: ResolvedPeer[] = [];
    for (let tries = 0; tries < max * 3 && out.length < max && alive.length > 1; tries++) {
      const p = alive[Math.floor(this.random() * alive.length)] as SimPeer;
      if (p.id !== self && !out.some((o) => o.peerId === p.id)) out.push({ peerId: p.id, addresses: p.transport.addresses });
    }
    return out;
  }

  /** A random live peer. */
  pick(): SimPeer {
    const alive = this.alive;
    return alive[Math.floor(this.random() * alive.length)] as SimPeer;
  }

  /** Groups of live peers that can reach each other over current links. */
  components(among: readonly SimPeer[] = this.alive): number {
    const left = new Set<string>(among.map((p) => p.id));
    let count = 0;
    while (left.size > 0) {
      count += 1;
      const stack = [left.values().next().value as string];
      left.delete(stack[0] as string);
      while (stack.length > 0) {
        const p = this.byId.get(stack.pop() as string) as SimPeer;
        for (const n of p.mesh.neighbors.keys()) if (left.delete(n)) stack.push(n);
      }
    }
    return count;
  }

  /** Waits until every live peer has at least `min` neighbours and the mesh is in one piece. */
  async settle(min: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.alive.every((p) => p.mesh.neighbors.size >= min) && this.components() === 1) return true;
      await sleep(50);
    }
    return false;
  }

  /** Links between live peers of `a` and peers of `b`. */
  linksBetween(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
    let n = 0;
    for (const p of this.alive) if (a.has(p.id)) for (const q of p.mesh.neighbors.keys()) if (b.has(q)) n += 1;
    return n;
  }

  /** Sum of one maintenance counter over all peers. */
  maintenance(key: 'pruned' | 'dials' | 'explored' | 'cutIdle'): number {
    return this.peers.reduce((s, p) => s + p.mesh.maintenanceStats[key], 0);
  }

  /**
   * Waits until no peer dialled to top up for `stableMs` (everyone at its ideal count; explore
   * dials and the prunes they cause go on, by design); false on timeout.
   */
  async quiesce(stableMs: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    let last = -1;
    let since = Date.now();
    while (Date.now() < deadline) {
      const now = this.maintenance('dials') - this.maintenance('explored');
      if (now !== last) {
        last = now;
        since = Date.now();
      } else if (Date.now() - since >= stableMs) return true;
      await sleep(50);
    }
    return false;
  }

  /**
   * Floods one message from `from` and waits until it reached every live peer, or nothing new
   * arrived for `quietMs`.
   */
  async broadcast(from: SimPeer, options: { hops?: number; quietMs?: number; among?: ReadonlySet<string> } = {}): Promise<BroadcastResult> {
    const body: CallBody = { type: 'call', id: randomBytes(16), origin: from.id, target: null, contract: 'sim', operation: 'post', args: [], wantsReply: false };
    const trace: Trace = { ids: new Set(), reached: 0, receipts: 0, lastHop: 0 };
    const among = options.among;
    const reached = () => (among === undefined ? trace.reached : [...trace.ids].filter((id) => among.has(id)).length);
    const key = idHex(body.id);
    this.traces.set(key, trace);
    const expected = (options.among?.size ?? this.alive.length) - 1;
    from.mesh.flood(body, options.hops);
    const quietMs = options.quietMs ?? 1_000;
    let last = -1;
    let since = Date.now();
    while (reached() < expected) {
      await sleep(5);
      if (trace.reached !== last) {
        last = trace.reached;
        since = Date.now();
      } else if (Date.now() - since > quietMs) break;
    }
    // Duplicates still in flight count toward redundancy.
    await sleep(20);
    this.traces.delete(key);
    return { reached: Math.min(reached(), expected), expected, receipts: trace.receipts, rmr: trace.receipts / Math.max(1, expected) - 1, lastHop: trace.lastHop };
  }

  /** Payload and routing frames all peers sent so far (utility reports and shuffles excluded). */
  framesSpent(): number {
    let n = 0;
    for (const p of this.peers) n += p.mesh.stats.relayed + p.mesh.stats.routeRequests + p.mesh.stats.routeReplies;
    return n;
  }

  /** Waits until no payload or routing frame was sent for `stableMs` (searches in flight ended). */
  async framesQuiet(stableMs = 150, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = this.framesSpent();
    let since = Date.now();
    while (Date.now() < deadline && Date.now() - since < stableMs) {
      await sleep(10);
      const now = this.framesSpent();
      if (now !== last) {
        last = now;
        since = Date.now();
      }
    }
  }

  /**
   * Sends one directed message and waits for its delivery. `frames` is every payload and routing
   * frame the whole mesh sent meanwhile (background work included); `payloadFrames` counts only
   * this message's own copies (its first send plus each relay, from the peers' decisions).
   */
  async direct(from: SimPeer, to: SimPeer, timeoutMs = 5_000): Promise<{ delivered: boolean; frames: number; payloadFrames: number; hops: number }> {
    const body: CallBody = { type: 'call', id: randomBytes(16), origin: from.id, target: to.id, contract: 'sim', operation: 'post', args: [], wantsReply: false };
    const idHex = Buffer.from(body.id).toString('hex');
    const before = this.framesSpent();
    let relays = 0;
    const subscriptions = this.peers
      .filter((p) => p.alive)
      .map((p) => p.mesh.decisions$.subscribe((d) => {
        if (d.id === idHex) relays += d.relayedTo;
      }));
    let hops = -1;
    const prev = to.mesh.onDeliver;
    to.mesh.onDeliver = (m) => {
      if (Buffer.compare(m.body.id, body.id) === 0) hops = m.hops;
      return prev(m);
    };
    try {
      from.mesh.direct(body as CallBody & { target: string });
      const deadline = Date.now() + timeoutMs;
      while (hops < 0 && Date.now() < deadline) await sleep(2);
      // Late route replies still count.
      await sleep(20);
      return { delivered: hops >= 0, frames: this.framesSpent() - before, payloadFrames: 1 + relays, hops };
    } finally {
      to.mesh.onDeliver = prev;
      subscriptions.forEach((sub) => sub.unsubscribe());
    }
  }

  /** Stops `peer` abruptly: links drop with no goodbye. */
  async kill(peer: SimPeer): Promise<void> {
    if (!peer.alive) return;
    peer.alive = false;
    await peer.transport.close();
    await peer.mesh.close();
  }

  /** Kills a random `fraction` of the live peers at once. */
  async killFraction(fraction: number): Promise<SimPeer[]> {
    const alive = this.alive;
    for (let i = alive.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [alive[i], alive[j]] = [alive[j] as SimPeer, alive[i] as SimPeer];
    }
    const victims = alive.slice(0, Math.round(alive.length * fraction));
    await Promise.all(victims.map((v) => this.kill(v)));
    return victims;
  }

  async close(): Promise<void> {
    await Promise.all(this.peers.map(async (p) => {
      p.alive = false;
      await p.mesh.close();
      await p.transport.close();
    }));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
