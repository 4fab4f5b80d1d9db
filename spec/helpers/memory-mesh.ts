import { MemoryNetwork, memoryTransport } from '../../lib/entries/testing.js';
import { PeerNode, type PeerNodeOptions } from '../../lib/index.js';
import { waitFor } from './wait.js';

/** A set of nodes on one memory network, linked by hand; `close()` ends them all. */
export class MemoryMesh {
  readonly net: MemoryNetwork;
  readonly nodes: PeerNode[] = [];

  constructor(seed?: number) {
    this.net = new MemoryNetwork({ seed });
  }

  async add(count: number, options: PeerNodeOptions = {}, mesh = 'net.p2p://test'): Promise<PeerNode[]> {
    const made = await Promise.all(
      Array.from({ length: count }, () =>
        // Hand-made topologies stay as built: no top-up, prune or exploring unless a spec asks.
        PeerNode.open(mesh, { transport: memoryTransport(this.net), resolver: null, ...options, neighbors: { min: 0, ideal: 0, max: 32, ...options.neighbors } }),
      ),
    );
    this.nodes.push(...made);
    return made;
  }

  /** Links `a` to `b` and waits until both list each other as neighbours. */
  async link(a: PeerNode, b: PeerNode): Promise<void> {
    await a.connect(b.addresses[0] as string, b.peerId);
    await waitFor(() => neighborIds(b).includes(a.peerId), `link ${a.peerId.slice(0, 6)}-${b.peerId.slice(0, 6)}`);
  }

  /** Links consecutive nodes: a line. */
  async line(nodes: readonly PeerNode[]): Promise<void> {
    for (let i = 0; i + 1 < nodes.length; i++) await this.link(nodes[i] as PeerNode, nodes[i + 1] as PeerNode);
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.splice(0).map((n) => n.close()));
  }
}

/** Peer ids of a node's neighbours right now. */
export function neighborIds(node: PeerNode): string[] {
  let ids: string[] = [];
  node.neighbors$.subscribe((set) => (ids = set.map((n) => n.peerId))).unsubscribe();
  return ids;
}
