import 'reflect-metadata';
import { PeerContract, PeerOperation, type PeerNode } from '../lib/index.js';
import { latencyLine, pace, rate } from './stats.js';

/** The benchmark contract: one flooded operation carrying a timestamp and a payload. */
@PeerContract('bench')
export class Bench {
  @PeerOperation() post(sentAt: number, payload: Uint8Array): void {
    void sentAt; void payload;
  }
}

/** Counts deliveries and collects latencies on every node. */
export function instrument(nodes: readonly PeerNode[], now: () => number): { deliveries: () => number; latencies: number[] } {
  let deliveries = 0;
  const latencies: number[] = [];
  for (const n of nodes) {
    n.host(Bench, {
      post: (sentAt: number) => {
        deliveries += 1;
        if (sentAt >= 0) latencies.push(now() - sentAt);
      },
    });
  }
  return { deliveries: () => deliveries, latencies };
}

async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 1));
  }
  return true;
}

/**
 * Floods `messages` 100-byte messages as fast as the mesh takes them (in windows), then at a
 * fixed rate for latency. Prints one line each.
 */
export async function floodWorkload(label: string, nodes: readonly PeerNode[], opts: { messages: number; window: number; rateMessages: number; perSecond: number }): Promise<void> {
  const now = () => performance.now();
  const probe = instrument(nodes, now);
  const payload = new Uint8Array(100).fill(7);
  const senders = nodes.map((n) => n.proxy(Bench));
  const peers = nodes.length;
  // Throughput: the sender's own echo counts as a delivery, as it does for a user.
  const start = now();
  let sent = 0;
  while (sent < opts.messages) {
    const batch = Math.min(opts.window, opts.messages - sent);
    for (let i = 0; i < batch; i++) void senders[(sent + i) % peers]!.post(-1, payload);
    sent += batch;
    const target = sent * peers;
    if (!(await until(() => probe.deliveries() >= target - opts.window * peers, 60_000))) break;
  }
  const complete = await until(() => probe.deliveries() >= opts.messages * peers, 60_000);
  const elapsed = now() - start;
  console.log(
    `${label}: ${rate(probe.deliveries(), elapsed)} deliveries/s (${opts.messages} messages x ${peers} peers in ${elapsed.toFixed(0)} ms, ${complete ? 'every message reached every peer' : `only ${probe.deliveries()} of ${opts.messages * peers} deliveries`})`,
  );
  // Latency at a fixed offered rate.
  const base = probe.deliveries();
  const interval = 1000 / opts.perSecond;
  const t0 = now();
  for (let i = 0; i < opts.rateMessages; i++) {
    const due = t0 + i * interval;
    await pace(due);
    void senders[i % peers]!.post(now(), payload);
  }
  await until(() => probe.deliveries() >= base + opts.rateMessages * peers, 30_000);
  console.log(`${label}: latency at ${opts.perSecond} msg/s: ${latencyLine(probe.latencies)}`);
}
