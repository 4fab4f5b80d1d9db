import { afterEach, describe, expect, it } from 'vitest';
import type { PeerCall, PeerNode, PropagationAction } from '../../lib/index.js';
import { Chat } from '../helpers/contracts.js';
import { type LabPeer, MeshLab, got } from '../helpers/mesh-lab.js';
import { MemoryMesh } from '../helpers/memory-mesh.js';
import { settle, waitFor } from '../helpers/wait.js';

let lab: MeshLab | undefined;
let mm: MemoryMesh | undefined;
afterEach(async () => {
  await lab?.close();
  await mm?.close();
  lab = mm = undefined;
});

const tree = { neighbors: { min: 0, ideal: 0, max: 16 }, maintenanceIntervalMs: 60_000, tuning: { broadcast: 'tree' as const, graftTimeoutMs: 30 } };

/** Ten peers: a ring with chords, so there are many cycles and many equal paths. */
const EDGES: [number, number][] = [
  [0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [6, 7], [7, 8], [8, 9], [9, 0],
  [0, 5], [1, 7], [2, 8], [3, 6], [4, 9], [0, 3],
];

function distances(from: number, n: number): number[] {
  const d = Array<number>(n).fill(Infinity);
  d[from] = 0;
  const queue = [from];
  while (queue.length > 0) {
    const u = queue.shift() as number;
    for (const [a, b] of EDGES) {
      const v = a === u ? b : b === u ? a : -1;
      if (v >= 0 && d[v] === Infinity) {
        d[v] = (d[u] as number) + 1;
        queue.push(v);
      }
    }
  }
  return d;
}

async function build(options = tree): Promise<LabPeer[]> {
  lab = new MeshLab();
  const peers = await lab.addMany(10, options);
  for (const [a, b] of EDGES) await lab.link(peers[a]!, peers[b]!);
  return peers;
}

const totals = (peers: LabPeer[]) => ({
  duplicates: peers.reduce((s, p) => s + p.mesh.stats.duplicates, 0),
  relayed: peers.reduce((s, p) => s + p.mesh.stats.relayed, 0),
  lazyIds: peers.reduce((s, p) => s + p.mesh.stats.lazyIds, 0),
  grafts: peers.reduce((s, p) => s + p.mesh.stats.grafts, 0),
});

describe('tree broadcast (Plumtree, one tree per sender)', () => {
  it('after the first message of a sender, each message reaches every peer exactly once with one payload per peer, at flood depth', async () => {
    const peers = await build();
    const src = peers[0]!;
    const first = lab!.flood(src);
    await waitFor(() => peers.every((p) => got(p, first)), 'the first message everywhere');
    await settle(40);
    const before = totals(peers);
    const bodies = Array.from({ length: 20 }, () => lab!.flood(src));
    await waitFor(() => peers.every((p) => bodies.every((b) => got(p, b))), 'twenty messages everywhere');
    await settle(40);
    const after = totals(peers);
    // One payload frame per receiving peer and message: the spanning tree; ids on the other links.
    expect(after.relayed - before.relayed).toBe(20 * 9);
    expect(after.duplicates - before.duplicates).toBe(0);
    expect(after.lazyIds - before.lazyIds).toBeGreaterThan(0);
    expect(after.grafts - before.grafts).toBe(0);
    for (const p of peers) expect(p.delivered).toHaveLength(21);
    // Depth: every peer got each message along a shortest path, as flooding would.
    const d = distances(0, 10);
    for (const [i, p] of peers.entries()) {
      for (const m of p.delivered.slice(1)) expect(m.hops).toBe(d[i]);
    }
  });

  it('a peer whose tree parent goes silent gets the message by GRAFT from a peer that offered its id', async () => {
    const peers = await build();
    const src = peers[0]!;
    const sameId = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;
    // Settle the tree: send until one message reaches every peer with no duplicate anywhere.
    let settled: ReturnType<MeshLab['flood']> | undefined;
    for (let i = 0; i < 20 && settled === undefined; i++) {
      const before = totals(peers).duplicates;
      const m = lab!.flood(src);
      await waitFor(() => peers.every((p) => got(p, m)), 'a warm-up message everywhere');
      await settle(40);
      if (totals(peers).duplicates === before) settled = m;
    }
    expect(settled).toBeDefined();
    // The tree that message took: each peer's parent is the neighbour it came from.
    const parentOf = (p: LabPeer) => p.delivered.find((x) => sameId(x.body.id, settled!.id))?.via;
    const parents = new Set(peers.map(parentOf));
    // A leaf (nobody's parent): no child can relay to it, and every neighbour but its parent pushed
    // nothing to it (no duplicate), so they offer ids only. Silence its parent: only a GRAFT helps.
    const leaf = peers.find((p) => p !== src && !parents.has(p.peerId))!;
    const parent = parentOf(leaf)!;
    lab!.net.partition([parent], [leaf.peerId]);
    const grafts = leaf.mesh.stats.grafts;
    const m = lab!.flood(src);
    await waitFor(() => peers.every((p) => got(p, m)), 'delivery despite the silent link', 10_000);
    expect(leaf.mesh.stats.grafts).toBeGreaterThan(grafts);
    expect(leaf.delivered.find((x) => sameId(x.body.id, m.id))?.via).not.toBe(parent);
    for (const p of peers) expect(p.delivered.filter((x) => sameId(x.body.id, m.id))).toHaveLength(1);
  });

  it('a lazy link that announces a shorter path takes over: the peer grafts it and prunes its old parent', async () => {
    lab = new MeshLab();
    const [a, b, c, d, e] = await lab.addMany(5, { ...tree, tuning: { ...tree.tuning, lazyPushMs: 5 } });
    // A chain a-b-c-d, and e beside a and b: e hears a's messages from a first, so it prunes b,
    // which gives b a lazy set for a's messages (new links of b join it).
    for (const [x, y] of [[a, b], [b, c], [c, d], [a, e], [b, e]] as const) await lab.link(x!, y!);
    const first = lab.flood(a!);
    await waitFor(() => [b, c, d, e].every((p) => got(p!, first)), 'the first message everywhere');
    await settle(40);
    expect(d!.delivered.at(-1)?.hops).toBe(3);
    // b-d joins lazy for a's messages: b's IHAVEs offer them to d at 2 hops, against 3 by c.
    await lab.link(b!, d!);
    const grafts = d!.mesh.stats.grafts;
    let viaB: number | undefined;
    for (let i = 0; i < 20 && viaB === undefined; i++) {
      const m = lab.flood(a!);
      await waitFor(() => got(d!, m), 'a message at d');
      await settle(20);
      const at = d!.delivered.find((x) => Buffer.compare(x.body.id, m.id) === 0);
      if (at?.via === b!.peerId) viaB = at.hops;
    }
    expect(viaB).toBe(2);
    expect(d!.mesh.stats.grafts).toBeGreaterThan(grafts);
    // c was pruned: the next message reaches d once, from b.
    const dups = d!.mesh.stats.duplicates;
    const next = lab.flood(a!);
    await waitFor(() => got(d!, next) && got(c!, next), 'the next message');
    await settle(20);
    expect(d!.delivered.filter((x) => Buffer.compare(x.body.id, next.id) === 0).map((x) => x.via)).toEqual([b!.peerId]);
    expect(d!.mesh.stats.duplicates).toBe(dups);
  });

  it('hop-limited messages are flooded, so hops N still reaches exactly the peers within N hops', async () => {
    const peers = await build();
    const src = peers[0]!;
    for (let i = 0; i < 3; i++) lab!.flood(src);
    await settle(60);
    const m = lab!.flood(src, 2);
    const d = distances(0, 10);
    await waitFor(() => peers.every((p, i) => (d[i]! <= 2) === got(p, m)), 'delivery within two hops');
    await settle(40);
    for (const [i, p] of peers.entries()) expect(got(p, m)).toBe(d[i]! <= 2);
  });

  it('keeps the core rules on PeerNodes with signed messages: filter once per new message, exactly-once delivery', async () => {
    mm = new MemoryMesh();
    const calls = new Map<string, number>();
    const filter = (name: string) => (_m: unknown, origin: 'local' | 'remote'): PropagationAction => {
      calls.set(`${name}:${origin}`, (calls.get(`${name}:${origin}`) ?? 0) + 1);
      return 'localAndRemote';
    };
    const nodes: PeerNode[] = [];
    for (let i = 0; i < 6; i++) {
      nodes.push(...(await mm.add(1, { security: 'message', propagationFilter: filter(`n${i}`), neighbors: { min: 0, ideal: 0, max: 8 }, mesh: { broadcast: 'tree', graftTimeoutMs: 30 } })));
    }
    await mm.line(nodes);
    await mm.link(nodes[5]!, nodes[0]!);
    await mm.link(nodes[0]!, nodes[3]!);
    const seen = nodes.map((n) => {
      const got: PeerCall[] = [];
      n.calls$(Chat, 'say').subscribe((c) => got.push(c));
      return got;
    });
    for (let i = 0; i < 10; i++) {
      await nodes[i % 2 === 0 ? 0 : 4]!.proxy(Chat).say('x', `m${i}`);
      await settle(10);
    }
    await waitFor(() => seen.every((s) => s.length === 10), 'ten messages at every node');
    await settle(40);
    for (const s of seen) expect(new Set(s.map((c) => c.id)).size).toBe(10);
    for (let i = 0; i < 6; i++) {
      const local = i === 0 || i === 4 ? 5 : 0;
      expect(calls.get(`n${i}:local`) ?? 0).toBe(local);
      expect(calls.get(`n${i}:remote`) ?? 0).toBe(10 - local);
    }
    for (const n of nodes) expect(n.stats().dropped['PC_ERR_BAD_SIGNATURE']).toBeUndefined();
    expect(nodes.reduce((s, n) => s + n.stats().lazyIds, 0)).toBeGreaterThan(0);
  });
});
