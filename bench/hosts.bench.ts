/**
 * Multi-host meshes on the network-namespace test bed: formation time, delivery ratio and
 * one-way latency percentiles for 5 and 20 hosts, with and without injected faults. Needs root
 * and iproute2 (see docs/testing.md); prints why it is skipped otherwise.
 */
import { pathToFileURL } from 'node:url';
import type { FaultOptions } from '../lib/entries/testing.js';
import { type HostPeer, flood, freeUdpPort, probeUntilConnected, reportWithLatencies, startPeers } from '../spec/hosts/helpers/host-peers.js';
import { TestBed } from '../spec/hosts/helpers/test-bed.js';
import { latencyLine } from './stats.js';

interface Scenario {
  readonly label: string;
  readonly faults: FaultOptions;
}

const scenarios: Scenario[] = [
  { label: 'no faults', faults: {} },
  { label: '100 ms ±20 delay, 5% loss (TCP-like stalls)', faults: { delayMs: 100, jitterMs: 20, loss: 0.05, lossMode: 'stall' } },
  { label: '100 ms ±20 delay, 5% of frames dropped', faults: { delayMs: 100, jitterMs: 20, loss: 0.05, lossMode: 'drop' } },
];
const PER_PEER = 50;
/**
 * Messages per second across the whole mesh, split among its peers: every host shares this
 * machine's cores, so a fixed total keeps the figures about the network, not about CPU saturation.
 */
const MESH_PER_SECOND = 100;

async function measure(hosts: number, scenario: Scenario): Promise<void> {
  const bed = TestBed.create({ hosts });
  const tag = `${hosts} hosts, ${scenario.label}`;
  try {
    const port = await freeUdpPort();
    const peers: HostPeer[] = await startPeers(bed, (h) => ({ mesh: 'net.p2p://bench', seed: h.index + 1, faults: scenario.faults, resolver: { kind: 'lan', interface: h.ipv4, port } }));
    const formStart = performance.now();
    let rounds: number;
    try {
      rounds = await probeUntilConnected(peers, 'form', 90);
    } catch (error) {
      console.log(`${tag}: mesh not formed (${(error as Error).message})`);
      return;
    }
    const formation = performance.now() - formStart;
    const perSecond = MESH_PER_SECOND / hosts;
    await Promise.all(peers.map((p, i) => flood(p, `m${i}`, PER_PEER, perSecond)));
    const expected = PER_PEER * (hosts - 1);
    const collect = () => Promise.all(peers.map((p) => Promise.all(peers.filter((q) => q !== p).map((q) => reportWithLatencies(p, `m${q.host}`)))));
    const deadline = Date.now() + 30_000;
    let reports = await collect();
    const delivered = () => reports.flat().reduce((s, r) => s + r.distinct, 0);
    // Done when everything arrived, or nothing more arrived for three seconds in a row.
    let last = -1;
    let still = 0;
    while (delivered() < expected * hosts && Date.now() < deadline && still < 3) {
      still = delivered() === last ? still + 1 : 0;
      last = delivered();
      await new Promise((r) => setTimeout(r, 1000));
      reports = await collect();
    }
    const all = reports.flat();
    const duplicates = all.reduce((s, r) => s + r.total - r.distinct, 0);
    const ratio = (100 * delivered()) / (expected * hosts);
    console.log(`${tag}: formation ${formation.toFixed(0)} ms (${rounds} probe rounds) after every peer was up`);
    console.log(`${tag}: delivery ${ratio.toFixed(2)}% of ${expected * hosts} (${hosts} x ${PER_PEER} messages, ${MESH_PER_SECOND}/s mesh-wide), duplicates delivered: ${duplicates}`);
    console.log(`${tag}: one-way latency ${latencyLine(all.flatMap((r) => r.latencies))}`);
  } finally {
    await bed.destroyAsync();
  }
}

/** Runs every scenario for 5 and 20 hosts. */
export async function run(): Promise<void> {
  const unavailable = TestBed.unavailableReason();
  if (unavailable !== undefined) {
    console.log(`hosts bench skipped: ${unavailable}`);
    return;
  }
  for (const hosts of [5, 20]) {
    for (const s of scenarios) {
      try {
        await measure(hosts, s);
      } catch (error) {
        console.log(`${hosts} hosts, ${s.label}: failed: ${(error as Error).message.slice(0, 300)}`);
      }
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
