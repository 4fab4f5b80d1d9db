import { afterEach, describe, expect, it } from 'vitest';
import type { PeerNode } from '../../lib/index.js';
import { recordSync } from '../../lib/records/sync/record-sync.js';
import type { SyncTree } from '../../lib/records/sync/sync-tree.js';
import { MemoryMesh } from '../helpers/memory-mesh.js';
import { waitFor } from '../helpers/wait.js';
import { Shape } from '../records/helpers/shapes.js';

/**
 * Partition and heal with real record stores (memory storage) on the memory transport: two
 * halves change records on their own (adds, updates, deletes); once the halves meet again,
 * every node holds the identical set and no deleted record comes back.
 */
let lab: MemoryMesh | undefined;
afterEach(async () => {
  await lab?.close();
  lab = undefined;
});

/** A digest of the versions a node holds: count and fingerprint of its whole sync index. */
function digest(node: PeerNode): string {
  const tree = node.recordStore.index as SyncTree;
  return `${tree.size}:${Buffer.from(tree.fingerprint(0, tree.size)).toString('hex')}`;
}

const allEqual = (nodes: readonly PeerNode[]) => new Set(nodes.map(digest)).size === 1;

async function halves(intervalMs: number) {
  lab = new MemoryMesh(21);
  const nodes = await lab.add(6, { records: { storage: 'memory', types: [Shape], sync: recordSync({ intervalMs, sessionTimeoutMs: 5_000 }) } });
  const a = nodes.slice(0, 3);
  const b = nodes.slice(3);
  await lab.line(a);
  await lab.line(b);
  await lab.link(nodes[2] as PeerNode, nodes[3] as PeerNode);
  return { nodes, a, b, lab };
}

/** Writes on both sides while apart; returns what must hold everywhere afterwards. */
async function diverge(nodes: PeerNode[]) {
  const [n0, , , n3, , n5] = nodes as [PeerNode, PeerNode, PeerNode, PeerNode, PeerNode, PeerNode];
  const before = {
    x: await n0.records(Shape).add({ kind: 'x', x: 0, y: 0 }),
    y: await n0.records(Shape).add({ kind: 'y', x: 0, y: 0 }),
    z: await n3.records(Shape).add({ kind: 'z', x: 0, y: 0 }),
    w: await n3.records(Shape).add({ kind: 'w', x: 0, y: 0 }),
  };
  await waitFor(() => nodes.every((n) => n.recordStore.index.size === 4) && allEqual(nodes), 'the first four records everywhere', 20_000);
  return before;
}

async function changeApart(nodes: PeerNode[], before: Awaited<ReturnType<typeof diverge>>) {
  const [n0, n1, , n3, n4] = nodes as [PeerNode, PeerNode, PeerNode, PeerNode, PeerNode, PeerNode];
  // Side A: delete x, update y twice, add two.
  await n0.records(Shape).delete(before.x.id);
  await n0.records(Shape).update(before.y.id, { kind: 'y', x: 1, y: 0 });
  await n0.records(Shape).update(before.y.id, { kind: 'y', x: 2, y: 0 });
  const addedA = [await n1.records(Shape).add({ kind: 'a1', x: 1, y: 1 }), await n0.records(Shape).add({ kind: 'a2', x: 1, y: 1 })];
  // Side B: update z, delete w, add three.
  await n3.records(Shape).update(before.z.id, { kind: 'z', x: 7, y: 0 });
  await n3.records(Shape).delete(before.w.id);
  const addedB = [await n4.records(Shape).add({ kind: 'b1', x: 2, y: 2 }), await n4.records(Shape).add({ kind: 'b2', x: 2, y: 2 }), await n3.records(Shape).add({ kind: 'b3', x: 2, y: 2 })];
  return { addedA, addedB };
}

function expectHealed(nodes: PeerNode[], before: Awaited<ReturnType<typeof diverge>>, added: Awaited<ReturnType<typeof changeApart>>) {
  for (const n of nodes) {
    const shapes = n.records(Shape);
    expect(shapes.get(before.x.id)).toBeUndefined();
    expect(n.recordStore.getByIdHex(before.x.id)?.deleted).toBe(true);
    expect(shapes.get(before.w.id)).toBeUndefined();
    expect(n.recordStore.getByIdHex(before.w.id)?.deleted).toBe(true);
    expect(shapes.get(before.y.id)?.version).toBe(3);
    expect(shapes.get(before.y.id)?.value.x).toBe(2);
    expect(shapes.get(before.z.id)?.value.x).toBe(7);
    for (const r of [...added.addedA, ...added.addedB]) expect(shapes.get(r.id)?.value.kind).toBe(r.value.kind);
    expect(shapes.query().map((s) => s.value.kind).sort()).toEqual(['a1', 'a2', 'b1', 'b2', 'b3', 'y', 'z']);
  }
}

describe('records across a partition (memory transport)', () => {
  it('cut the bridge, change both halves, link again: the new link reconciles and every node ends identical', async () => {
    const { nodes, a, b, lab } = await halves(0);
    const before = await diverge(nodes);
    lab.net.cut((nodes[2] as PeerNode).peerId, (nodes[3] as PeerNode).peerId);
    const added = await changeApart(nodes, before);
    await waitFor(() => allEqual(a) && allEqual(b), 'each half to agree within itself', 20_000);
    expect(digest(nodes[0] as PeerNode)).not.toBe(digest(nodes[5] as PeerNode));
    await lab.link(nodes[3] as PeerNode, nodes[2] as PeerNode);
    await waitFor(() => allEqual(nodes), 'every node to hold the identical set', 30_000);
    expectHealed(nodes, before, added);
    // A stale copy cannot bring a deleted record back: the tombstones' versions win.
    expect(nodes.every((n) => n.recordStore.index.size === 9)).toBe(true);
  }, 90_000);

  it('frames lost while apart, links kept: periodic anti-entropy with a random neighbour heals', async () => {
    const { nodes, a, b, lab } = await halves(150);
    const before = await diverge(nodes);
    lab.net.partition(a.map((n) => n.peerId), b.map((n) => n.peerId));
    const added = await changeApart(nodes, before);
    await waitFor(() => allEqual(a) && allEqual(b), 'each half to agree within itself', 20_000);
    expect(digest(nodes[0] as PeerNode)).not.toBe(digest(nodes[5] as PeerNode));
    lab.net.heal();
    await waitFor(() => allEqual(nodes), 'every node to hold the identical set', 60_000);
    expectHealed(nodes, before, added);
  }, 90_000);
});
