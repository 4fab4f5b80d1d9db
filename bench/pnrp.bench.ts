import { pathToFileURL } from 'node:url';
import { mulberry32 } from '../lib/transport/memory/memory-network.js';
import { newServiceLocation } from '../lib/resolver/pnrp/pnrp-id.js';
import type { PnrpNode } from '../lib/resolver/pnrp/pnrp-node.js';
import { signRecord, type PnrpRecord } from '../lib/resolver/pnrp/record.js';
import { PnrpSimNetwork } from '../lib/resolver/pnrp/sim-network.js';

/** Sizes of one benchmark run (environment variables override them for quick runs). */
const NODES = Number(process.env.PNRP_BENCH_NODES ?? 10_000);
const NAMES = Number(process.env.PNRP_BENCH_NAMES ?? 1_000);
const LOOKUPS = Number(process.env.PNRP_BENCH_LOOKUPS ?? 5_000);
const EXPIRING = 200;
const DEAD_SHARE = 0.2;

interface Published {
  readonly record: PnrpRecord;
  readonly key: string;
}

interface Sample {
  readonly ok: boolean;
  readonly steps: number;
  readonly queries: number;
}

/**
 * Simulates a 10,000-node PNRP cloud in one process and prints the distribution of lookup steps,
 * the success rate with 0% and 20% of nodes dead (before and after cache repair), and checks that
 * no record is returned once it has expired.
 *
 * @remarks
 * Steps are rounds of up to 3 concurrent requests (a failed request still costs its round). The
 * step count of a successful lookup is the round whose replies first held the record. Figures are
 * printed, never asserted; the targets are mean steps ≤ ⌈log10 N⌉ + 1 and success ≥ 99.9% with
 * 20% of nodes dead.
 */
export async function run(): Promise<void> {
  const random = mulberry32(42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const sim = new PnrpSimNetwork({ seed: 42 });
  const t0 = performance.now();
  await sim.grow(NODES);
  const nodes = sim.nodes;
  const tBuilt = performance.now();
  const levels = averageLevels(nodes);
  log(`pnrp: ${NODES} nodes joined in ${s(tBuilt - t0)} (${sim.requests} requests; cache entries per level, mean: ${levels.map((n) => n.toFixed(1)).join(' / ')})`);

  const published: Published[] = [];
  let replicas = 0;
  for (let i = 0; i < NAMES; i += 1) {
    const publisher = pick(nodes);
    const record = makeRecord(publisher, `0.bench-${i}`, sim.now() + 3_600_000);
    const result = await publisher.publish(record);
    replicas += result.stored;
    published.push({ record, key: `${result.pnrpId}:${publisher.identity.peerId}` });
  }
  log(`pnrp: ${NAMES} names published, ${(replicas / NAMES).toFixed(2)} replicas each on average`);

  const healthy = await lookups(sim, nodes, published, pick);
  report('0% dead', healthy);

  const victims = [...nodes].sort(() => random() - 0.5).slice(0, Math.round(NODES * DEAD_SHARE));
  for (const v of victims) sim.kill(v.contact.peerId);
  const alive = nodes.filter((n) => sim.isAlive(n.contact.peerId));
  const held = new Set<string>();
  for (const node of alive) for (const v of node.store.all()) held.add(v.key);
  const lost = published.filter((p) => !held.has(p.key)).length;
  log(`pnrp: killed ${victims.length} nodes; ${lost} names lost every replica; dead share of cache entries ${pct(deadShare(sim, alive))}`);
  const wounded = await lookups(sim, alive, published, pick);
  report('20% dead, caches not yet repaired', wounded);

  const tRepair = performance.now();
  const before = sim.requests;
  for (const node of alive) await node.maintain({ pings: 30 });
  log(`pnrp: one maintenance round on every live node: ${sim.requests - before} requests in ${s(performance.now() - tRepair)}; dead share of cache entries now ${pct(deadShare(sim, alive))}`);
  const repaired = await lookups(sim, alive, published, pick);
  report('20% dead, after one maintenance round', repaired);

  await expiryCheck(sim, alive, pick);
  log(`pnrp: total ${s(performance.now() - t0)}, ${sim.requests} simulated requests`);
}

function makeRecord(publisher: PnrpNode, name: string, expiresAt: number): PnrpRecord {
  return signRecord(
    publisher.identity,
    { cloud: publisher.cloud, name, serviceLocation: newServiceLocation(), endpoint: { peerId: publisher.identity.peerId, addresses: publisher.contact.addresses }, version: publisher.now(), expiresAt },
    publisher.limits,
  );
}

async function lookups(sim: PnrpSimNetwork, from: readonly PnrpNode[], published: readonly Published[], pick: <T>(items: readonly T[]) => T): Promise<Sample[]> {
  void sim;
  const samples: Sample[] = [];
  for (let i = 0; i < LOOKUPS; i += 1) {
    const node = pick(from);
    const target = pick(published);
    const result = await node.resolve(target.record.name, { maxRecords: 1 });
    const ok = result.records.some((v) => v.key === target.key);
    samples.push({ ok, steps: result.firstRecordStep ?? result.steps, queries: result.queries });
  }
  return samples;
}

async function expiryCheck(sim: PnrpSimNetwork, alive: readonly PnrpNode[], pick: <T>(items: readonly T[]) => T): Promise<void> {
  const short: PnrpRecord[] = [];
  for (let i = 0; i < EXPIRING; i += 1) {
    const publisher = pick(alive);
    const record = makeRecord(publisher, `0.expiring-${i}`, sim.now() + 60_000);
    await publisher.publish(record);
    short.push(record);
  }
  let foundBefore = 0;
  for (const record of short) if ((await pick(alive).resolve(record.name)).records.length > 0) foundBefore += 1;
  sim.advance(60_001);
  // Nodes still hold the expired records (no sweep has run): only the expiry checks keep them out.
  const held = alive.reduce((n, node) => n + node.store.size, 0);
  let stale = 0;
  for (const record of short) stale += (await pick(alive).resolve(record.name)).records.length;
  log(`pnrp: expiry: ${foundBefore}/${EXPIRING} short-lived records found before expiry; after expiry ${stale} returned (must be 0) while ${held} stored copies (all kinds) were still unswept`);
  if (stale !== 0) process.exitCode = 1;
}

function report(label: string, samples: readonly Sample[]): void {
  const ok = samples.filter((x) => x.ok);
  const steps = ok.map((x) => x.steps).sort((a, b) => a - b);
  const mean = steps.reduce((a, b) => a + b, 0) / Math.max(steps.length, 1);
  const q = (p: number) => steps[Math.min(steps.length - 1, Math.floor(p * steps.length))] ?? 0;
  const queries = samples.reduce((a, x) => a + x.queries, 0) / samples.length;
  const target = Math.ceil(Math.log10(NODES)) + 1;
  log(`pnrp: [${label}] success ${ok.length}/${samples.length} = ${pct(ok.length / samples.length)}; steps to the record: mean ${mean.toFixed(2)} (target ≤ ${target}), p50 ${q(0.5)}, p90 ${q(0.9)}, p99 ${q(0.99)}, max ${steps[steps.length - 1] ?? 0}, requests per lookup ${queries.toFixed(1)}`);
  const histogram = new Map<number, number>();
  for (const x of steps) histogram.set(x, (histogram.get(x) ?? 0) + 1);
  const widest = Math.max(...histogram.values());
  for (const [k, n] of [...histogram].sort((a, b) => a[0] - b[0])) {
    log(`        ${String(k).padStart(2)} steps ${String(n).padStart(6)} ${'#'.repeat(Math.max(1, Math.round((40 * n) / widest)))}`);
  }
}

function averageLevels(nodes: readonly PnrpNode[]): number[] {
  const sums: number[] = [];
  for (const node of nodes) node.cache.levelCounts().forEach((n, i) => (sums[i] = (sums[i] ?? 0) + n));
  const means = sums.map((sum) => sum / nodes.length);
  while (means.length > 1 && (means[means.length - 1] as number) < 0.05) means.pop();
  return means;
}

function deadShare(sim: PnrpSimNetwork, nodes: readonly PnrpNode[]): number {
  let all = 0;
  let dead = 0;
  for (const node of nodes) {
    for (const c of node.cache.contacts()) {
      all += 1;
      if (!sim.isAlive(c.peerId)) dead += 1;
    }
  }
  return dead / Math.max(all, 1);
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const log = (line: string) => console.log(line);

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
