import { filter, firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, type MeshView, type PeerNode, type PeerNodeOptions, type RecordSyncReport } from '../../lib/index.js';
import type { SyncTree } from '../../lib/records/sync/sync-tree.js';
import { MemoryMesh, neighborIds } from '../helpers/memory-mesh.js';
import { waitFor } from '../helpers/wait.js';
import { Shape } from '../records/helpers/shapes.js';

let mesh: MemoryMesh;
afterEach(async () => {
  await mesh?.close();
});

/** Reads the view (a synchronous store query with records on) until `ok` holds. */
async function viewUntil(node: PeerNode, ok: (v: MeshView) => boolean, what: string, timeoutMs = 20_000): Promise<MeshView> {
  let last: MeshView | undefined;
  let pending = false;
  await waitFor(() => {
    if (last !== undefined && ok(last)) return true;
    if (!pending) {
      pending = true;
      void node.meshView().then((v) => {
        last = v;
        pending = false;
      });
    }
    return false;
  }, what, timeoutMs);
  return last as MeshView;
}

/** Each node's neighbour set as the view says, against the live one. */
function neighboursMatch(v: MeshView, nodes: readonly PeerNode[]): boolean {
  return nodes.every((n) => {
    const d = v.nodes.find((x) => x.peerId === n.peerId);
    return d !== undefined && JSON.stringify(d.neighbors.map((l) => l.peerId).sort()) === JSON.stringify(neighborIds(n).sort());
  });
}

const ids = (v: MeshView) => v.nodes.map((n) => n.peerId).sort();
const nodeRecordsOf = (n: PeerNode) => [...n.systemRecordStore.all()].filter((r) => r.type === 'peerchannel.node' && !r.deleted);

/** Count and fingerprint of the user store's whole sync index, as the records digest specs take it. */
function digest(node: PeerNode): string {
  const tree = node.recordStore.index as SyncTree;
  return `${tree.size}:${Buffer.from(tree.fingerprint(0, tree.size)).toString('hex')}`;
}

// A ring of five plus one chord (0-2): six links.
async function ring(nodes: readonly PeerNode[]): Promise<void> {
  await mesh.line(nodes);
  await mesh.link(nodes[4]!, nodes[0]!);
  await mesh.link(nodes[0]!, nodes[2]!);
}

function withRecords(observe: PeerNodeOptions['observe'], expiryIntervalMs = 1_000): PeerNodeOptions {
  return { records: { storage: 'memory', expiryIntervalMs, types: [Shape] }, observe };
}

describe('mesh view from node records', () => {
  it('lists all 5 nodes with their neighbours (the node set a gather finds), one record per node, all in the system space and none in the user store', async () => {
    mesh = new MemoryMesh(31);
    const nodes = await mesh.add(5, withRecords({ meshRecordIntervalMs: 100, meshRecordExpiryIntervals: 100 }));
    await ring(nodes);
    const a = nodes[0]!;
    const view = await viewUntil(a, (v) => v.nodes.length === 5 && neighboursMatch(v, nodes), 'records naming every node and its neighbours');
    expect(ids(view)).toEqual(nodes.map((n) => n.peerId).sort());
    expect(view.links).toHaveLength(6);
    const gathered = await a.meshView({ from: 'gather', timeoutMs: 3_000, count: 4 });
    expect(ids(gathered)).toEqual(ids(view));
    // Refreshed in place: after several refreshes still exactly one record per node, above version 1.
    await waitFor(() => nodes.every((n) => nodeRecordsOf(n).length === 5 && nodeRecordsOf(n).every((r) => r.version > 2)), 'several refreshes everywhere');
    expect(nodeRecordsOf(a).map((r) => r.creator).sort()).toEqual(ids(view));
    for (const n of nodes) {
      expect(n.recordStore.size).toBe(0);
      expect(n.recordStore.index.size).toBe(0);
      expect(n.recordStats().stored).toBe(0);
      expect(n.records(Shape).query()).toEqual([]);
    }
  });

  it('leaves the user store digest, count and reconciliation exactly as without node records', async () => {
    mesh = new MemoryMesh(37);
    const nodes = await mesh.add(3, withRecords({ meshRecordIntervalMs: 50, meshRecordExpiryIntervals: 100 }));
    await mesh.line(nodes);
    const userChanges: string[] = [];
    const sub = nodes[2]!.records(Shape).changes$.subscribe((c) => userChanges.push(c.record.type));
    for (let i = 0; i < 5; i++) await nodes[0]!.records(Shape).add({ kind: `k${i}`, x: i, y: 0 });
    await waitFor(() => nodes.every((n) => n.recordStore.index.size === 5) && new Set(nodes.map(digest)).size === 1, 'five shapes everywhere');
    // Node records keep changing every 50 ms meanwhile; the user side never sees them.
    const before = nodes.map((n) => nodeRecordsOf(n).find((r) => r.creator === nodes[0]!.peerId)?.version ?? 0);
    await waitFor(() => nodes.every((n, i) => (nodeRecordsOf(n).find((r) => r.creator === nodes[0]!.peerId)?.version ?? 0) > (before[i] ?? 0) + 3), 'node records refreshed several times');
    expect(nodes.map(digest)).toEqual(nodes.map(() => digest(nodes[0]!)));
    expect(nodes.map((n) => n.recordStore.index.size)).toEqual([5, 5, 5]);
    expect(nodes.map((n) => n.recordStats().stored)).toEqual([5, 5, 5]);
    expect(userChanges).toEqual(Array(5).fill('whiteboard.shape'));
    sub.unsubscribe();
    // A newcomer's user reconciliation moves the five shapes and nothing else; its system one the node records.
    const [late] = await mesh.add(1, withRecords({ meshRecordIntervalMs: 50, meshRecordExpiryIntervals: 100 }));
    const reports: RecordSyncReport[] = [];
    late!.recordSyncSessions$.subscribe((r) => reports.push(r));
    await mesh.link(late!, nodes[1]!);
    await waitFor(() => reports.some((r) => r.space === 'user') && reports.some((r) => r.space === 'system'), 'both spaces reconciled with the newcomer');
    const user = reports.find((r) => r.space === 'user')!;
    expect(user.outcome).toBe('complete');
    expect(user.received).toBe(5);
    expect(user.stored).toBe(5);
    // The system session runs too (its count varies: refreshes may flood in first), and fills the newcomer in.
    expect(reports.find((r) => r.space === 'system')!.outcome).toBe('complete');
    await waitFor(() => nodeRecordsOf(late!).length === 4, 'the newcomer holds every node record');
    expect(digest(late!)).toBe(digest(nodes[0]!));
    expect(late!.recordSyncStats('user')?.complete).toBe(1);
  });

  it('a node that closes disappears once its record expires', async () => {
    mesh = new MemoryMesh(32);
    const nodes = await mesh.add(5, withRecords({ meshRecordIntervalMs: 100, meshRecordExpiryIntervals: 3 }, 50));
    await ring(nodes);
    const [a, , , , e] = nodes as [PeerNode, PeerNode, PeerNode, PeerNode, PeerNode];
    await viewUntil(a, (v) => v.nodes.some((n) => n.peerId === e.peerId), 'E in the view');
    const expired = firstValueFrom(a.systemRecordStore.changes$.pipe(filter((c) => c.kind === 'expired' && c.record.creator === e.peerId)));
    mesh.nodes.splice(mesh.nodes.indexOf(e), 1);
    await e.close();
    // Without a refresh its record runs out (3 intervals): the view skips it from its expiry on,
    // and the store's next expiry check drops it (an `expired` change).
    await expired;
    // (A loaded machine can stall a live node's refresh past its 300 ms lifetime too; it is back at
    // its next refresh, so wait for the four, not for one lucky read.)
    const four = nodes.slice(0, 4).map((n) => n.peerId).sort();
    const after = await viewUntil(a, (v) => !v.nodes.some((n) => n.peerId === e.peerId) && JSON.stringify(ids(v)) === JSON.stringify(four), 'E gone from the view, the other four in it');
    expect(ids(after)).toEqual(four);
    expect(nodeRecordsOf(a).map((r) => r.creator)).not.toContain(e.peerId);
  });

  it('the system space refuses a record of a type the framework did not declare (counted, not stored)', async () => {
    mesh = new MemoryMesh(38);
    const [a, b] = await mesh.add(2, withRecords({ meshRecordIntervalMs: 10_000 }));
    const shape = await a!.records(Shape).add({ kind: 'intruder', x: 0, y: 0 });
    const encoded = a!.recordStore.getByIdHex(shape.id)!.encoded;
    const result = b!.systemRecordStore.receiveNow(encoded, a!.peerId);
    expect(result.outcome).toBe('rejected');
    expect(result.error?.code).toBe(ErrorCode.RECORD_TYPE_MISMATCH);
    expect(b!.systemRecordStore.stats.rejected[ErrorCode.RECORD_TYPE_MISMATCH]).toBe(1);
    expect(b!.systemRecordStore.getByIdHex(shape.id)).toBeUndefined();
  });

  it('refuses a refresh interval, expiry or lifetime out of bounds with PC_ERR_INVALID_ARGUMENT, leaving no node open', async () => {
    mesh = new MemoryMesh(36);
    await expect(mesh.add(1, withRecords({ meshRecordIntervalMs: 0 }))).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(mesh.add(1, withRecords({ meshRecordExpiryIntervals: 1 }))).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(mesh.add(1, withRecords({ meshRecordIntervalMs: 1_800_000, meshRecordExpiryIntervals: 3 }))).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
  });

  it('with records off, meshView gathers, and asking for records throws PC_ERR_RECORDS_DISABLED', async () => {
    mesh = new MemoryMesh(33);
    const nodes = await mesh.add(3);
    await mesh.line(nodes);
    const view = await nodes[0]!.meshView({ timeoutMs: 3_000, count: 2 });
    expect(ids(view)).toEqual(nodes.map((n) => n.peerId).sort());
    await expect(nodes[0]!.meshView({ from: 'records' })).rejects.toMatchObject({ code: ErrorCode.RECORDS_DISABLED });
  });
});
