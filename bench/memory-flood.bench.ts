import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { MemoryNetwork, memoryTransport } from '../lib/entries/testing.js';
import { PeerNode, type PeerNodeOptions } from '../lib/index.js';
import { floodWorkload } from './flood-workload.js';

export async function meshOf(count: number, options: Omit<PeerNodeOptions, "transport" | "resolver" | "neighbors"> = {}): Promise<{ nodes: PeerNode[]; close: () => Promise<void> }> {
  const net = new MemoryNetwork({ seed: 1 });
  const nodes = await Promise.all(
    Array.from({ length: count }, () => PeerNode.open('net.p2p://bench', { ...options, transport: memoryTransport(net), resolver: null, neighbors: { min: 0, ideal: 0, max: 16 } })),
  );
  // A ring plus one chord per node: connected, with cycles (so duplicates happen as in real meshes).
  for (let i = 0; i < count; i++) {
    await nodes[i]!.connect(nodes[(i + 1) % count]!.addresses[0] as string);
    const j = (i + Math.floor(count / 2)) % count;
    if (count > 3) await nodes[i]!.connect(nodes[j]!.addresses[0] as string).catch(() => undefined);
  }
  return { nodes, close: () => Promise.all(nodes.map((n) => n.close())).then(() => undefined) };
}

/** Flood throughput and latency on the memory transport. */
export async function run(): Promise<void> {
  for (const peers of [10, 50]) {
    const { nodes, close } = await meshOf(peers);
    try {
      await floodWorkload(`memory transport, ${peers} peers`, nodes, { messages: peers === 10 ? 20_000 : 4_000, window: 256, rateMessages: 2_000, perSecond: 1_000 });
    } finally {
      await close();
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
