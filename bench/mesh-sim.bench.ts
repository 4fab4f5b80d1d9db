import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { type BroadcastResult, MeshSim, type MeshSimOptions, sleep } from './mesh-sim-harness.js';

const PEERS = Number(process.env.MESH_SIM_PEERS ?? 1_000);

/** Tuning for simulations: faster convergence and failure detection than the defaults, same mechanisms. */
const simTuning = { pruneMinAgeMs: 1_000, idleTimeoutMs: 1_000, routeHopTimeoutMs: 30 } as const;

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const ratio = (rs: BroadcastResult[]) => rs.reduce((s, r) => s + r.reached, 0) / Math.max(1, rs.reduce((s, r) => s + r.expected, 0));

async function build(label: string, options: MeshSimOptions): Promise<MeshSim> {
  const t0 = Date.now();
  const sim = await MeshSim.create(options);
  const settled = await sim.settle(2, 60_000);
  const quiet = await sim.quiesce(1_500, 20_000);
  const degrees = sim.alive.map((p) => p.mesh.neighbors.size);
  console.log(
    `${label}: ${options.peers} peers joined through the resolver in ${Date.now() - t0} ms (${settled ? 'connected' : 'NOT connected'}, ${quiet ? 'topology settled' : 'still changing'}); ` +
      `mean degree ${mean(degrees).toFixed(2)}, min ${Math.min(...degrees)}, max ${Math.max(...degrees)}; ${sim.maintenance('pruned')} links pruned on the way`,
  );
  return sim;
}

async function steadyFlood(sim: MeshSim): Promise<number> {
  const results: BroadcastResult[] = [];
  for (let i = 0; i < 20; i++) results.push(await sim.broadcast(sim.pick(), { quietMs: 500 }));
  console.log(
    `flood, steady state: delivery ${pct(ratio(results))} over ${results.length} messages from random senders; ` +
      `RMR ${mean(results.map((r) => r.rmr)).toFixed(2)}; last delivery hop mean ${mean(results.map((r) => r.lastHop)).toFixed(1)}, max ${Math.max(...results.map((r) => r.lastHop))}`,
  );
  return mean(results.map((r) => r.receipts));
}

async function directed(sim: MeshSim, floodFrames: number): Promise<void> {
  const cold: number[] = [];
  const warm: number[] = [];
  const hops: number[] = [];
  let delivered = 0;
  const pairs = 30;
  for (let i = 0; i < pairs; i++) {
    const from = sim.pick();
    let to = sim.pick();
    while (to === from) to = sim.pick();
    const a = await sim.direct(from, to);
    // Let the wider rings of the first search die out before counting the second message.
    await sim.framesQuiet();
    const b = await sim.direct(from, to);
    if (a.delivered) delivered += 1;
    if (b.delivered) delivered += 1;
    cold.push(a.frames);
    warm.push(b.frames);
    hops.push(b.hops);
  }
  console.log(
    `directed: ${delivered}/${2 * pairs} delivered; frames per delivery: ${mean(cold).toFixed(1)} with a route search (first message to a peer), ` +
      `${mean(warm).toFixed(1)} with the route known (mean path ${mean(hops).toFixed(1)} hops); a flood costs ${floodFrames.toFixed(0)} payload frames`,
  );
}

async function killHalf(sim: MeshSim): Promise<void> {
  const t0 = Date.now();
  const victims = await sim.killFraction(0.5);
  const survivors = sim.alive.length;
  const rounds: string[] = [];
  let firstRatio: number | undefined;
  for (let round = 1; round <= 40; round++) {
    const r = await sim.broadcast(sim.pick(), { quietMs: 300 });
    firstRatio ??= r.reached / r.expected;
    rounds.push(pct(r.reached / r.expected));
    if (r.reached === r.expected) {
      console.log(
        `kill 50% at once (${victims.length} of ${victims.length + survivors}): a flood reached every survivor again in round ${round}, ` +
          `${((Date.now() - t0) / 1000).toFixed(2)} s after the kill; delivery before that: ${rounds.slice(0, -1).join(', ') || 'none (first probe already 100%)'}; ` +
          `first probe ${pct(firstRatio)}; ${sim.components()} component(s)`,
      );
      return;
    }
    await sleep(100);
  }
  console.log(`kill 50%: survivors NOT all reached after 40 rounds: ${rounds.join(', ')}`);
}

async function churn(sim: MeshSim): Promise<void> {
  const results: BroadcastResult[] = [];
  const step = Math.max(1, Math.round(PEERS * 0.02));
  for (let round = 0; round < 10; round++) {
    const victims = new Set((await sim.killFraction(step / sim.alive.length)).map((p) => p.id));
    await sim.join(step);
    await sleep(300);
    // Judged on peers that were there before this round and are still there.
    const stable = new Set(sim.alive.filter((p) => Date.now() - p.joinedAt > 1_000 && !victims.has(p.id)).map((p) => p.id));
    const from = sim.alive.find((p) => stable.has(p.id));
    if (from !== undefined) results.push(await sim.broadcast(from, { among: stable, quietMs: 500 }));
  }
  console.log(`continuous churn (${step} peers leave and ${step} join every ~0.3 s, 10 rounds): delivery to peers present through the round ${pct(ratio(results))} (${results.map((r) => pct(r.reached / r.expected)).join(', ')})`);
}

async function steadyTree(sim: MeshSim): Promise<void> {
  const sources = Array.from({ length: 10 }, () => sim.pick());
  const first: BroadcastResult[] = [];
  const tree: BroadcastResult[] = [];
  const flood: BroadcastResult[] = [];
  for (const s of sources) first.push(await sim.broadcast(s, { quietMs: 1_500 }));
  await sleep(200);
  for (let i = 0; i < 3; i++) {
    for (const s of sources) {
      tree.push(await sim.broadcast(s, { quietMs: 1_500 }));
      // The same sender, same graph, flooded (a hop-limited message is always flooded).
      flood.push(await sim.broadcast(s, { hops: 255, quietMs: 500 }));
    }
  }
  const lastTree = mean(tree.map((r) => r.lastHop));
  const lastFlood = mean(flood.map((r) => r.lastHop));
  console.log(
    `tree, steady state: delivery ${pct(ratio(tree))} over ${tree.length} messages from ${sources.length} senders; RMR ${mean(tree.map((r) => r.rmr)).toFixed(3)} ` +
      `(flood on the same graph ${mean(flood.map((r) => r.rmr)).toFixed(2)}; a sender's first message, which builds its tree, ${mean(first.map((r) => r.rmr)).toFixed(2)}); ` +
      `last delivery hop mean ${lastTree.toFixed(2)} vs flood ${lastFlood.toFixed(2)} (max ${Math.max(...tree.map((r) => r.lastHop))} vs ${Math.max(...flood.map((r) => r.lastHop))}); ` +
      `ids sent lazily per message ${(sim.peers.reduce((s, p) => s + p.mesh.stats.lazyIds, 0) / (first.length + tree.length)).toFixed(0)}`,
  );
}

async function partitionHeal(sim: MeshSim): Promise<void> {
  const alive = sim.alive;
  const left = alive.slice(0, Math.floor(alive.length / 2));
  const right = alive.slice(left.length);
  sim.net.partition(left.map((p) => p.id), right.map((p) => p.id));
  const t0 = Date.now();
  const leftIds = new Set(left.map((p) => p.id));
  const rightIds = new Set(right.map((p) => p.id));
  // Links across the split go silent; the idle timeout cuts them all.
  while (sim.linksBetween(leftIds, rightIds) > 0 && Date.now() - t0 < 30_000) await sleep(100);
  let inside: BroadcastResult | undefined;
  for (let round = 1; round <= 40; round++) {
    inside = await sim.broadcast(left[0]!, { among: leftIds, quietMs: 300 });
    if (inside.reached === inside.expected) break;
    await sleep(100);
  }
  const during = ((Date.now() - t0) / 1000).toFixed(2);
  sim.net.heal();
  const t1 = Date.now();
  const rounds: string[] = [];
  for (let round = 1; round <= 60; round++) {
    const r = await sim.broadcast(sim.pick(), { quietMs: 300 });
    rounds.push(pct(r.reached / r.expected));
    if (r.reached === r.expected) {
      console.log(
        `partition into halves: every link across cut by the idle timeout and a flood reaching all of its half after ${during} s (repaired inside the half); ` +
          `after heal, a flood reached every peer in round ${round}, ${((Date.now() - t1) / 1000).toFixed(2)} s later (explore links join the halves; ${rounds.length > 1 ? `before that ${rounds.slice(0, -1).slice(-5).join(', ')}` : 'at once'})`,
      );
      return;
    }
    await sleep(200);
  }
  console.log(`partition: NOT healed after 60 rounds (${rounds.slice(-5).join(', ')}); inside the half ${inside ? pct(inside.reached / inside.expected) : '?'}`);
}

/** The mesh simulation: 1,000 peers (MESH_SIM_PEERS) in flood and tree mode, with failures. */
export async function run(): Promise<void> {
  const t0 = Date.now();
  const floodSim = await build('flood mesh', { peers: PEERS, seed: 1, tuning: { ...simTuning, broadcast: 'flood' } });
  try {
    const floodFrames = await steadyFlood(floodSim);
    await directed(floodSim, floodFrames);
    await killHalf(floodSim);
    await churn(floodSim);
  } finally {
    await floodSim.close();
  }
  const treeSim = await build('tree mesh', { peers: PEERS, seed: 2, tuning: { ...simTuning, broadcast: 'tree' } });
  try {
    await steadyTree(treeSim);
    await partitionHeal(treeSim);
  } finally {
    await treeSim.close();
  }
  console.log(`mesh-sim total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await run();
  process.exit(0);
}
