import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { PeerNode, webSocketTransport } from '../lib/index.js';
import { floodWorkload } from './flood-workload.js';

/** Ten peers in one process over TLS WebSockets: a ring plus chords, as a mesh would form. */
export async function tenPeers(): Promise<PeerNode[]> {
  const nodes = await Promise.all(
    Array.from({ length: 10 }, () =>
      PeerNode.open('net.p2p://bench', { transport: webSocketTransport({ host: '127.0.0.1' }), resolver: null, neighbors: { min: 0, ideal: 0, max: 16 } }),
    ),
  );
  for (let i = 0; i < nodes.length; i++) {
    await nodes[i]!.connect(nodes[(i + 1) % nodes.length]!.addresses[0] as string, nodes[(i + 1) % nodes.length]!.peerId);
    const j = (i + 5) % nodes.length;
    if (i < j) await nodes[i]!.connect(nodes[j]!.addresses[0] as string, nodes[j]!.peerId).catch(() => undefined);
  }
  return nodes;
}

/** Flood throughput and latency over real TLS WebSockets, 10 peers in one process. */
export async function run(): Promise<void> {
  const nodes = await tenPeers();
  try {
    await floodWorkload('TLS WebSockets, 10 peers, one process', nodes, { messages: 10_000, window: 200, rateMessages: 2_000, perSecond: 1_000 });
  } finally {
    await Promise.all(nodes.map((n) => n.close()));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
