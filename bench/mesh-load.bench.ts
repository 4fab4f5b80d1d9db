/**
 * Mesh load: N peers in one process over TLS WebSockets on a seeded random graph (each node
 * dials 3 earlier ones), node 0 publishing 100-byte payloads, delivery counted at every other
 * peer. One line per scenario: throughput with a window of 100 messages in flight (deliveries/s,
 * CPU-seconds per million deliveries, frames per delivery), then a fixed rate of 200 msg/s on a
 * fresh mesh (latency p50/p99/max, CPU per delivery at that rate), and memory per node.
 *
 * `node dist/bench/mesh-load.bench.js [filter]` runs the scenarios whose label contains
 * `filter` (e.g. `n=30`, `tree`, `both`); `npm run bench mesh-load` runs them all.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { pathToFileURL } from 'node:url';
import { PeerContract, PeerNode, PeerOperation, webSocketTransport } from '../lib/index.js';
import type { Mesh } from '../lib/mesh/mesh.js';
import { mulberry32 } from '../lib/transport/memory/memory-network.js';
import { percentile } from './stats.js';

@PeerContract('load')
class Load {
  @PeerOperation() post(sentAt: number, payload: Uint8Array): void {
    void sentAt; void payload;
  }
}

type Security = 'none' | 'transport' | 'message' | 'both';

export interface LoadScenario {
  readonly peers: number;
  readonly broadcast: 'flood' | 'tree';
  readonly security: Security;
  /** Messages in the throughput run. */
  readonly messages: number;
  /** Messages in the 200 msg/s latency run. */
  readonly rateMessages: number;
  readonly seed: number;
}

export interface LoadResult {
  readonly label: string;
  readonly deliveriesPerSecond: number;
  /** CPU-seconds per million deliveries under load (= CPU-µs per delivery). */
  readonly cpuPerMillion: number;
  readonly framesPerDelivery: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** CPU-µs per delivery at 200 msg/s. */
  readonly cpuAtRate: number;
  /** Of `cpuAtRate`, the share spent in the kernel (system time). */
  readonly systemShareAtRate: number;
  readonly framesPerDeliveryAtRate: number;
  readonly memoryPerNodeKiB: number;
  readonly complete: boolean;
}

const WINDOW = 100;
const RATE = 200;

/** Node i dials min(3, i) distinct earlier nodes, chosen by the seed. */
export function seededGraph(peers: number, seed: number): [number, number][] {
  const random = mulberry32(seed);
  const edges: [number, number][] = [];
  for (let i = 1; i < peers; i++) {
    const chosen = new Set<number>();
    while (chosen.size < Math.min(3, i)) chosen.add(Math.floor(random() * i));
    for (const j of chosen) edges.push([i, j]);
  }
  return edges;
}

function meshOf(node: PeerNode): Mesh {
  return (node as unknown as { mesh: Mesh }).mesh;
}

function framesIn(nodes: readonly PeerNode[]): number {
  let n = 0;
  for (const node of nodes) for (const neighbor of meshOf(node).neighbors.values()) n += neighbor.framesIn;
  return n;
}

/** JS heap plus external (Buffer) memory; with --expose-gc the bench collects before reading it. */
function heapBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

async function startProfile(file: string | undefined): Promise<Session | undefined> {
  if (file === undefined) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return session;
}

async function stopProfile(session: Session | undefined, file: string | undefined): Promise<void> {
  if (session === undefined || file === undefined) return;
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(file, JSON.stringify(profile));
  session.disconnect();
}

async function openMesh(s: LoadScenario): Promise<PeerNode[]> {
  const nodes = await Promise.all(
    Array.from({ length: s.peers }, () =>
      PeerNode.open('net.p2p://load', {
        transport: webSocketTransport({ host: '127.0.0.1' }),
        resolver: null,
        topology: 'fixed',
        security: s.security,
        neighbors: { max: 64 },
        mesh: { broadcast: s.broadcast, maxMessagesPerSecond: 0, maxFramesPerSecond: 0 },
      }),
    ),
  );
  for (const [i, j] of seededGraph(s.peers, s.seed)) {
    const to = nodes[j] as PeerNode;
    await (nodes[i] as PeerNode).connect(to.addresses[0] as string, to.peerId);
  }
  return nodes;
}

/** Counts deliveries at every peer but the publisher; wakes a waiter when a count is reached. */
class Probe {
  deliveries = 0;
  readonly latencies: number[] = [];
  private target = Infinity;
  private wake: (() => void) | undefined;

  constructor(nodes: readonly PeerNode[]) {
    for (const n of nodes.slice(1)) {
      n.host(Load, {
        post: (sentAt: number) => {
          this.deliveries += 1;
          if (sentAt >= 0) this.latencies.push(performance.now() - sentAt);
          if (this.deliveries >= this.target) {
            this.target = Infinity;
            const w = this.wake;
            this.wake = undefined;
            w?.();
          }
        },
      });
    }
  }

  /** Resolves once `count` deliveries were made, or false after `timeoutMs`. */
  until(count: number, timeoutMs: number): Promise<boolean> {
    if (this.deliveries >= count) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        this.target = Infinity;
        resolve(false);
      }, timeoutMs);
      this.target = count;
      this.wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }
}

async function pace(due: number): Promise<void> {
  const wait = due - performance.now();
  if (wait > 0.5) await new Promise((r) => setTimeout(r, wait));
}

/** Runs one scenario on two fresh meshes (throughput, then latency, which must see new trees) and returns its figures. */
export async function runScenario(s: LoadScenario): Promise<LoadResult> {
  const label = `n=${s.peers} ${s.broadcast} security=${s.security}`;
  const payload = new Uint8Array(100).fill(7);
  const receivers = s.peers - 1;

  // Throughput with a window of messages in flight.
  let under: Pick<LoadResult, 'deliveriesPerSecond' | 'cpuPerMillion' | 'framesPerDelivery' | 'memoryPerNodeKiB' | 'complete'>;
  global.gc?.();
  const mem0 = heapBytes();
  const nodes = await openMesh(s);
  try {
    const probe = new Probe(nodes);
    const load = (nodes[0] as PeerNode).proxy(Load);
    // Warm-up: JIT and, in tree mode, the publisher's tree.
    const warm = Math.min(500, Math.floor(s.messages / 10));
    for (let i = 0; i < warm; i++) {
      void load.post(-1, payload);
      if (i % WINDOW === WINDOW - 1) await probe.until((i + 1 - WINDOW / 2) * receivers, 30_000);
    }
    await probe.until(warm * receivers, 30_000);
    const base = probe.deliveries;
    // MESH_LOAD_PROFILE=<file>: a CPU profile of the throughput run alone (open it in Chrome DevTools).
    const session = await startProfile(process.env.MESH_LOAD_PROFILE);
    const cpu0 = cpuMicros();
    const frames0 = framesIn(nodes);
    const t0 = performance.now();
    let sent = 0;
    let complete = true;
    while (sent < s.messages) {
      // Keep at most WINDOW messages not yet delivered everywhere.
      const done = Math.floor((probe.deliveries - base) / receivers);
      const room = WINDOW - (sent - done);
      if (room <= 0) {
        if (!(await probe.until(base + (sent - WINDOW / 2) * receivers, 30_000))) {
          complete = false;
          break;
        }
        continue;
      }
      const batch = Math.min(room, s.messages - sent);
      for (let i = 0; i < batch; i++) void load.post(-1, payload);
      sent += batch;
    }
    if (complete) complete = await probe.until(base + s.messages * receivers, 30_000);
    const elapsed = performance.now() - t0;
    const cpu = cpuMicros() - cpu0;
    const delivered = probe.deliveries - base;
    const frames = framesIn(nodes) - frames0;
    await stopProfile(session, process.env.MESH_LOAD_PROFILE);
    global.gc?.();
    const memoryPerNodeKiB = (heapBytes() - mem0) / 1024 / s.peers;
    under = { deliveriesPerSecond: (delivered * 1000) / elapsed, cpuPerMillion: cpu / Math.max(1, delivered), framesPerDelivery: frames / Math.max(1, delivered), memoryPerNodeKiB, complete };
  } finally {
    await Promise.all(nodes.map((n) => n.close()));
  }

  // Latency at a fixed rate, on a fresh mesh (new trees), in a process the throughput run warmed.
  let p50: number, p99: number, max: number, cpuAtRate: number, framesAtRate: number, systemShareAtRate: number;
  {
    // Collect what earlier scenarios left, so their garbage is not charged to this one.
    global.gc?.();
    const nodes = await openMesh(s);
    try {
      const probe = new Probe(nodes);
      const load = (nodes[0] as PeerNode).proxy(Load);
      // CPU and frames are counted over the second half (the first pays for JIT and new trees).
      const half = Math.floor(s.rateMessages / 2);
      let cpu0 = 0;
      let frames0 = 0;
      let base = 0;
      let session: Session | undefined;
      let sys0 = 0;
      const t0 = performance.now();
      for (let i = 0; i < s.rateMessages; i++) {
        await pace(t0 + (i * 1000) / RATE);
        if (i === half) {
          // MESH_LOAD_PROFILE_RATE=<file>: a CPU profile of the counted half of the rate run.
          session = await startProfile(process.env.MESH_LOAD_PROFILE_RATE);
          cpu0 = cpuMicros();
          sys0 = process.cpuUsage().system;
          frames0 = framesIn(nodes);
          base = probe.deliveries;
        }
        void load.post(performance.now(), payload);
      }
      await probe.until(s.rateMessages * receivers, 10_000);
      await stopProfile(session, process.env.MESH_LOAD_PROFILE_RATE);
      const counted = Math.max(1, probe.deliveries - base);
      const spent = cpuMicros() - cpu0;
      cpuAtRate = spent / counted;
      systemShareAtRate = (process.cpuUsage().system - sys0) / Math.max(1, spent);
      framesAtRate = (framesIn(nodes) - frames0) / counted;
      const sorted = [...probe.latencies].sort((a, b) => a - b);
      p50 = percentile(sorted, 50);
      p99 = percentile(sorted, 99);
      max = sorted[sorted.length - 1] ?? NaN;
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
    }
  }

  return { label, ...under, p50, p99, max, cpuAtRate, systemShareAtRate, framesPerDeliveryAtRate: framesAtRate };
}

/** The scenario matrix: flood and tree, transport security and message signing, N = 10 and 30. */
export const scenarios: readonly LoadScenario[] = [
  { peers: 10, broadcast: 'flood', security: 'none', messages: 10_000, rateMessages: 400, seed: 10 },
  { peers: 10, broadcast: 'flood', security: 'transport', messages: 10_000, rateMessages: 400, seed: 10 },
  { peers: 10, broadcast: 'flood', security: 'message', messages: 2_000, rateMessages: 400, seed: 10 },
  { peers: 10, broadcast: 'flood', security: 'both', messages: 2_000, rateMessages: 400, seed: 10 },
  { peers: 10, broadcast: 'tree', security: 'transport', messages: 10_000, rateMessages: 400, seed: 10 },
  { peers: 10, broadcast: 'tree', security: 'both', messages: 2_000, rateMessages: 400, seed: 10 },
  { peers: 30, broadcast: 'flood', security: 'transport', messages: 3_000, rateMessages: 400, seed: 30 },
  { peers: 30, broadcast: 'tree', security: 'transport', messages: 3_000, rateMessages: 400, seed: 30 },
  { peers: 30, broadcast: 'flood', security: 'both', messages: 600, rateMessages: 400, seed: 30 },
  { peers: 30, broadcast: 'tree', security: 'both', messages: 600, rateMessages: 400, seed: 30 },
];

function line(r: LoadResult): string {
  const f0 = (v: number) => Math.round(v).toLocaleString('en-US');
  const f1 = (v: number) => v.toFixed(1);
  const f2 = (v: number) => v.toFixed(2);
  return (
    `${r.label.padEnd(30)} ${f0(r.deliveriesPerSecond).padStart(8)} deliveries/s, ${f1(r.cpuPerMillion).padStart(6)} CPU-s/M deliveries, ${f2(r.framesPerDelivery)} frames/delivery | ` +
    `at ${RATE}/s: p50 ${f2(r.p50)} ms, p99 ${f2(r.p99)} ms, max ${f2(r.max)} ms, ${f1(r.cpuAtRate)} CPU-µs/delivery (${Math.round(100 * r.systemShareAtRate)}% system), ${f2(r.framesPerDeliveryAtRate)} frames/delivery | ` +
    `${f0(r.memoryPerNodeKiB)} KiB/node${r.complete ? '' : ' INCOMPLETE'}`
  );
}

export async function run(filter = process.env.MESH_LOAD ?? ''): Promise<void> {
  const terms = filter.split(/\s+/).filter((t) => t !== '');
  for (const s of scenarios) {
    const label = `n=${s.peers} ${s.broadcast} security=${s.security}`;
    if (!terms.every((t) => label.includes(t))) continue;
    console.log(line(await runScenario(s)));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await run(process.argv.slice(2).join(' ') || process.env.MESH_LOAD || '');
  process.exit(0);
}
