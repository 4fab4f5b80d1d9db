import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/errors/index.js';
import type { Mesh } from '../../lib/mesh/mesh.js';
import type { PeerNodeOptions } from '../../lib/node/options.js';
import { PeerNode } from '../../lib/node/peer-node.js';
import { staticResolver } from '../../lib/resolver/static/index.js';
import { waitFor } from '../helpers/wait.js';

let nodes: PeerNode[] = [];
afterEach(async () => {
  await Promise.allSettled(nodes.map((n) => n.close()));
  nodes = [];
});

/** Three nodes on TLS WebSockets that can all find each other, linked by hand as a line a–b–c. */
async function line(options: PeerNodeOptions): Promise<[PeerNode, PeerNode, PeerNode]> {
  // One static resolver factory: its nodes find each other's registrations.
  const resolver = staticResolver([]);
  const open = () => PeerNode.open('net.p2p://topology', { resolver, maintenanceIntervalMs: 600_000, ...options });
  const [a, b, c] = [await open(), await open(), await open()];
  nodes.push(a, b, c);
  await a.connect(b.addresses[0] as string, b.peerId);
  await c.connect(b.addresses[0] as string, b.peerId);
  return [a, b, c];
}

/** Runs maintenance rounds now instead of waiting for the timer. */
const maintain = (n: PeerNode) => (Reflect.get(n, 'mesh') as Mesh).maintain();
const ids = (n: PeerNode) => n.neighbors.map((x) => x.peerId).sort();

describe("topology: 'fixed' keeps a hand-made topology with one option", () => {
  it('managed nodes link by themselves to the peers the resolver offers (the control)', async () => {
    const resolver = staticResolver([]);
    const open = () => PeerNode.open('net.p2p://topology', { resolver, neighbors: { min: 1, ideal: 2, max: 7 }, maintenanceIntervalMs: 50 });
    const [a, b, c] = [await open(), await open(), await open()];
    nodes.push(a, b, c);
    await waitFor(() => a.neighbors.length === 2, 'a linked to b and c by itself', 20_000);
    expect(ids(a)).toEqual([b.peerId, c.peerId].sort());
  });

  it('fixed nodes never dial, prune or explore, whatever neighbours and tuning say', async () => {
    const [a, b, c] = await line({ topology: 'fixed', neighbors: { min: 1, ideal: 2, max: 7 }, mesh: { exploreIntervalMs: 1 } });
    for (let round = 0; round < 3; round++) await Promise.all([a, b, c].map(maintain));
    expect(ids(a)).toEqual([b.peerId]);
    expect(ids(c)).toEqual([b.peerId]);
    expect(ids(b)).toEqual([a.peerId, c.peerId].sort());
    // A lost link is not replaced either.
    await c.close();
    await waitFor(() => b.neighbors.length === 1, 'b saw c leave');
    await Promise.all([a, b].map(maintain));
    expect(ids(b)).toEqual([a.peerId]);
  });

  it('node.neighbors is the neighbour set, read synchronously', async () => {
    const [a, b] = await line({ topology: 'fixed' });
    expect(b.neighbors.map((n) => n.direction).sort()).toEqual(['inbound', 'inbound']);
    expect(a.neighbors).toEqual([expect.objectContaining({ peerId: b.peerId, direction: 'outbound' })]);
    await a.close();
    expect(a.neighbors).toEqual([]);
  });

  it('refuses an unknown topology value', async () => {
    await expect(PeerNode.open('net.p2p://topology', { resolver: null, topology: 'static' as never })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
  });
});
