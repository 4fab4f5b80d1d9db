import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { filter, firstValueFrom } from 'rxjs';
import type { PeerNode } from '../lib/index.js';
import { Bench, instrument } from './flood-workload.js';
import { meshOf } from './memory-flood.bench.js';

async function until(done: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('bench timed out');
    await new Promise((r) => setImmediate(r));
  }
}

function totals(nodes: readonly PeerNode[]): { sent: number; relayed: number } {
  let sent = 0;
  let relayed = 0;
  for (const n of nodes) {
    const s = n.stats();
    sent += s.sent;
    relayed += s.relayed;
  }
  return { sent, relayed };
}

/** The cost of one traced flood on 100 peers (memory transport), against the same flood untraced. */
export async function run(): Promise<void> {
  const peers = 100;
  for (const reportDelayMs of [100, 5]) {
    const { nodes, close } = await meshOf(peers, { observe: { reportDelayMs } });
    try {
      const counter = instrument(nodes, () => performance.now());
      const proxy = nodes[0]!.proxy(Bench);
      const payload = new Uint8Array(100);
      const rounds = 10;
      let plainMs = 0;
      let plainFrames = 0;
      let deliveredMs = 0;
      let treeMs = 0;
      let traceMessages = 0;
      let traceFrames = 0;
      for (let i = 0; i < rounds; i++) {
        let before = totals(nodes);
        let target = counter.deliveries() + peers;
        let t0 = performance.now();
        await proxy.post(-1, payload);
        await until(() => counter.deliveries() >= target);
        plainMs += performance.now() - t0;
        plainFrames += totals(nodes).relayed - before.relayed;

        before = totals(nodes);
        target = counter.deliveries() + peers;
        t0 = performance.now();
        const id = await proxy.traced().post(-1, payload);
        await until(() => counter.deliveries() >= target);
        deliveredMs += performance.now() - t0;
        await firstValueFrom(nodes[0]!.trace(id).pipe(filter((t) => t.receivers.length === peers)));
        treeMs += performance.now() - t0;
        const after = totals(nodes);
        traceMessages += after.sent - before.sent - 1;
        traceFrames += after.relayed - before.relayed;
      }
      const f = (x: number) => (x / rounds).toFixed(1);
      console.log(`${peers} peers, flood untraced: all delivered in ${f(plainMs)} ms, ${f(plainFrames)} payload frames`);
      console.log(
        `${peers} peers, flood traced (reportDelayMs ${reportDelayMs}): all delivered in ${f(deliveredMs)} ms, full tree of ${peers} at the sender in ${f(treeMs)} ms; ` +
          `${f(traceMessages)} reports sent, ${f(traceFrames)} frames in all (flood + reports relayed hop by hop)`,
      );
    } finally {
      await close();
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
