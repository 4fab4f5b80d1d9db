/**
 * One benchmark peer in its own process (driven by ws-flood-processes.bench.ts over stdin/stdout,
 * one JSON object per line).
 */
import 'reflect-metadata';
import { pace } from './stats.js';
import { createInterface } from 'node:readline';
import { PeerNode, webSocketTransport } from '../lib/index.js';
import { Bench } from './flood-workload.js';

const clock = () => performance.timeOrigin + performance.now();
const say = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
const node = await PeerNode.open('net.p2p://bench', { transport: webSocketTransport({ host: '127.0.0.1' }), resolver: null, neighbors: { min: 0, ideal: 0, max: 16 } });
let deliveries = 0;
const latencies: number[] = [];
node.host(Bench, {
  post: (sentAt: number) => {
    deliveries += 1;
    if (sentAt > 0) latencies.push(clock() - sentAt);
  },
});
const bench = node.proxy(Bench);
const payload = new Uint8Array(100).fill(7);
say({ ready: true, peerId: node.peerId, address: node.addresses[0] });

createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = JSON.parse(line) as { connect?: { address: string; peerId: string }[]; flood?: number; rate?: { count: number; perSecond: number }; report?: boolean; quit?: boolean };
  void (async () => {
    if (cmd.connect) {
      for (const p of cmd.connect) await node.connect(p.address, p.peerId);
      say({ connected: true });
    }
    if (cmd.flood !== undefined) {
      for (let i = 0; i < cmd.flood; i++) {
        void bench.post(0, payload);
        if (i % 100 === 99) await new Promise((r) => setImmediate(r));
      }
      say({ flooded: true });
    }
    if (cmd.rate) {
      const interval = 1000 / cmd.rate.perSecond;
      const t0 = performance.now();
      for (let i = 0; i < cmd.rate.count; i++) {
        await pace(t0 + i * interval);
        void bench.post(clock(), payload);
      }
      say({ rated: true });
    }
    if (cmd.report) say({ deliveries, latencies });
    if (cmd.quit) {
      await node.close();
      process.exit(0);
    }
  })();
});
