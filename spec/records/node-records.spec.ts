import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pack } from '../../lib/codec/index.js';
import { ErrorCode, PeerChannelError, PeerIdentity, PeerNode, type PeerNodeOptions, type RecordChange, RecordDataKind } from '../../lib/index.js';
import { MemoryNetwork, memoryTransport } from '../../lib/entries/testing.js';
import type { Mesh } from '../../lib/mesh/mesh.js';
import { RecordFrameKind } from '../../lib/records/record-gossip.js';
import { sealRecord } from '../../lib/records/record-codec.js';
import { MemoryMesh } from '../helpers/memory-mesh.js';
import { waitFor } from '../helpers/wait.js';
import { Shape } from './helpers/shapes.js';

let lab: MemoryMesh;
const dirs: string[] = [];
afterEach(async () => {
  await lab?.close();
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const memory = { records: { storage: 'memory' as const, types: [Shape] } };
const meshOf = (n: PeerNode): Mesh => (n as unknown as { mesh: Mesh }).mesh;

async function line(count: number, options: PeerNodeOptions = memory) {
  lab = new MemoryMesh(7);
  const nodes = await lab.add(count, options);
  await lab.line(nodes);
  return nodes;
}

describe('node records over the mesh (memory transport)', () => {
  it('add, update and delete travel along a line and are seen as changes; query and get see the live set', async () => {
    const [a, b, c] = (await line(3)) as [PeerNode, PeerNode, PeerNode];
    const seen: RecordChange<Shape>[] = [];
    c.records(Shape).changes$.subscribe((ch) => seen.push(ch));
    const r = await a.records(Shape).add({ kind: 'circle', x: 1, y: 2, points: [1, 2] });
    await waitFor(() => c.records(Shape).get(r.id) !== undefined, 'the add at c');
    expect(c.records(Shape).get(r.id)?.value).toEqual({ kind: 'circle', x: 1, y: 2, points: [1, 2] });
    await a.records(Shape).add({ kind: 'square', x: 0, y: 0, layer: 2 });
    await waitFor(() => c.records(Shape).query().length === 2, 'both adds at c');
    expect(c.records(Shape).query({ kind: 'square' }).map((x) => x.value.layer)).toEqual([2]);
    const u = await a.records(Shape).update(r.id, { ...r.value, x: 9 });
    await waitFor(() => c.records(Shape).get(r.id)?.version === 2, 'the update at c');
    expect(c.records(Shape).get(r.id)?.value.x).toBe(9);
    await expect(b.records(Shape).update(r.id, { ...u.value, x: 0 })).rejects.toMatchObject({ code: ErrorCode.RECORD_FORBIDDEN });
    await expect(b.records(Shape).delete(r.id)).rejects.toMatchObject({ code: ErrorCode.RECORD_FORBIDDEN });
    await a.records(Shape).delete(r.id);
    await waitFor(() => c.records(Shape).get(r.id) === undefined, 'the delete at c');
    expect(seen.map((s) => `${s.kind}:${s.record.value.kind}:${s.local}`)).toEqual(['added:circle:false', 'added:square:false', 'updated:circle:false', 'deleted:circle:false']);
    expect(b.recordStore.getByIdHex(r.id)?.deleted).toBe(true);
  });

  it('snapshot$ gives the current set at once, then again after each change', async () => {
    const [a] = (await line(1)) as [PeerNode];
    await a.records(Shape).add({ kind: 'dot', x: 0, y: 0 });
    const sizes: number[] = [];
    const sub = a.records(Shape).snapshot$.subscribe((s) => sizes.push(s.length));
    await a.records(Shape).add({ kind: 'dot', x: 1, y: 1 });
    sub.unsubscribe();
    expect(sizes).toEqual([1, 2]);
  });

  it('bad use throws coded errors: wrong value shape, unknown query attribute, undeclared class, records disabled', async () => {
    lab = new MemoryMesh(1);
    const [a, plain] = [...(await lab.add(1, memory)), ...(await lab.add(1, {}))] as [PeerNode, PeerNode];
    expect(() => a.records(Shape).add({ kind: 'x', x: 'one' as unknown as number, y: 0 })).toThrow(expect.objectContaining({ code: ErrorCode.RECORD_TYPE_MISMATCH }));
    expect(() => a.records(Shape).add({ kind: 'x', y: 0 } as Shape)).toThrow(expect.objectContaining({ code: ErrorCode.RECORD_TYPE_MISMATCH }));
    expect(() => a.records(Shape).add({ kind: 'x', x: 0, y: 0, extra: 1 } as Shape)).toThrow(expect.objectContaining({ code: ErrorCode.RECORD_TYPE_MISMATCH }));
    expect(() => a.records(Shape).query({ x: 1 } as never)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    class NotARecord {}
    expect(() => a.records(NotARecord)).toThrow(expect.objectContaining({ code: ErrorCode.RECORDS_DISABLED }));
    expect(() => plain.records(Shape)).toThrow(PeerChannelError);
    expect(() => plain.records(Shape)).toThrow(expect.objectContaining({ code: ErrorCode.RECORDS_DISABLED }));
    await expect(a.records(Shape).update('00'.repeat(16), { kind: 'x', x: 0, y: 0 })).rejects.toMatchObject({ code: ErrorCode.RECORD_NOT_FOUND });
  });

  it('a record of a declared type with the wrong data shape is dropped with a code and never passed on', async () => {
    lab = new MemoryMesh(3);
    const [a] = await lab.add(1, { records: { storage: 'memory' } }); // a does not declare Shape
    const [b, c] = await lab.add(2, memory);
    await lab.line([a as PeerNode, b as PeerNode, c as PeerNode]);
    const bad = await (a as PeerNode).recordStore.add('whiteboard.shape', { dataKind: RecordDataKind.Msgpack, data: pack({ kind: 'x', x: 'not a number', y: 0 }), attributes: { kind: 'x' } });
    const good = await (a as PeerNode).recordStore.add('whiteboard.shape', { dataKind: RecordDataKind.Msgpack, data: pack({ x: 1, y: 0 }), attributes: { kind: 'x' } });
    await waitFor(() => (c as PeerNode).records(Shape).get(good.idHex) !== undefined, 'the good record at c');
    expect((b as PeerNode).recordStats().rejected[ErrorCode.RECORD_TYPE_MISMATCH]).toBe(1);
    expect((b as PeerNode).recordStore.getByIdHex(bad.idHex)).toBeUndefined();
    expect((c as PeerNode).recordStore.getByIdHex(bad.idHex)).toBeUndefined();
    expect((c as PeerNode).recordStats().rejected[ErrorCode.RECORD_TYPE_MISMATCH]).toBeUndefined();
  });

  it('a forged record closes the link it came on with PC_ERR_RECORD_SIGNATURE; a non-bytes payload with PC_ERR_RECORD_SHAPE', async () => {
    const [a, b] = (await line(2)) as [PeerNode, PeerNode];
    const r = await a.records(Shape).add({ kind: 'k', x: 1, y: 1 });
    await waitFor(() => b.records(Shape).get(r.id) !== undefined, 'the record at b');
    const held = a.recordStore.getByIdHex(r.id)!;
    const forged = sealRecord({ ...held, version: 2, modified: held.modified + 1, attributes: { kind: 'evil' } }, b.identity); // b's key, a's record
    const mesh = meshOf(a);
    const closed = meshOf(b).neighbors.get(a.peerId)!.link.closed;
    mesh.sendExtension(mesh.neighbors.get(b.peerId)!, RecordFrameKind.Change, forged);
    expect((await closed).code).toBe(ErrorCode.RECORD_SIGNATURE);
    expect(b.recordStats().rejected[ErrorCode.RECORD_SIGNATURE]).toBe(1);
    expect(b.records(Shape).get(r.id)?.version).toBe(1);

    await lab.link(a, b);
    const closedAgain = meshOf(b).neighbors.get(a.peerId)!.link.closed;
    mesh.sendExtension(mesh.neighbors.get(b.peerId)!, RecordFrameKind.Change, { not: 'bytes' });
    expect((await closedAgain).code).toBe(ErrorCode.RECORD_SHAPE);
  });

  it('a neighbour flooding record frames past the per-link rate is cut with PC_ERR_RECORD_RATE', async () => {
    const [a, b] = (await line(2, { records: { storage: 'memory', types: [Shape], limits: { linkRecordBurst: 5, linkRecordsPerSecond: 1 } } })) as [PeerNode, PeerNode];
    const closed = meshOf(b).neighbors.get(a.peerId)!.link.closed;
    const writes = Array.from({ length: 10 }, (_, i) => a.records(Shape).add({ kind: 'k', x: i, y: 0 }));
    await Promise.all(writes);
    expect((await closed).code).toBe(ErrorCode.RECORD_RATE);
    expect(b.records(Shape).query().length).toBe(5);
  });

  it('anti-entropy: a stale copy is answered with the newer one, which the sender stores', async () => {
    const [a, b] = (await line(2)) as [PeerNode, PeerNode];
    const r = await a.records(Shape).add({ kind: 'k', x: 1, y: 1 });
    await waitFor(() => b.records(Shape).get(r.id) !== undefined, 'v1 at b');
    const v1 = a.recordStore.getByIdHex(r.id)!;
    await a.records(Shape).update(r.id, { ...r.value, x: 2 });
    await waitFor(() => b.records(Shape).get(r.id)?.version === 2, 'v2 at b');
    // A third node that holds only v1 sends it to b and is answered with v2.
    const [c] = await lab.add(1, memory);
    await (c as PeerNode).recordStore.receive(v1.encoded, 'by hand');
    await lab.link(c as PeerNode, b);
    const cm = meshOf(c as PeerNode);
    cm.sendExtension(cm.neighbors.get(b.peerId)!, RecordFrameKind.Change, v1.encoded);
    await waitFor(() => (c as PeerNode).records(Shape).get(r.id)?.version === 2, 'v2 answered to c');
  });
});

describe('node records on disk', () => {
  it('a second node on the same record location fails to open with PC_ERR_RECORD_STORAGE and leaves nothing open', async () => {
    const home = await mkdtemp(join(tmpdir(), 'pc-home-'));
    dirs.push(home);
    const net = new MemoryNetwork();
    const identity = PeerIdentity.generate();
    const open = () => PeerNode.open('net.p2p://disk', { identity, transport: memoryTransport(net), resolver: null, records: { home } });
    const first = await open();
    try {
      await expect(open()).rejects.toMatchObject({ code: ErrorCode.RECORD_STORAGE });
    } finally {
      await first.close();
    }
    const third = await open(); // the lock was released by the failed open and by close
    await third.close();
    class Undeclared {}
    await expect(PeerNode.open('net.p2p://disk', { identity, transport: memoryTransport(net), resolver: null, records: { home, types: [Undeclared] } })).rejects.toMatchObject({ code: ErrorCode.RECORDS_DISABLED });
    const fourth = await open(); // a bad option after the store opened released it too
    await fourth.close();
  });

  it('a node reopened with the same home keeps its identity and its records, and can still update and delete them', async () => {
    const home = await mkdtemp(join(tmpdir(), 'pc-home-'));
    dirs.push(home);
    const net = new MemoryNetwork();
    const open = () => PeerNode.open('net.p2p://disk', { transport: memoryTransport(net), resolver: null, records: { home, types: [Shape] } });
    const first = await open();
    const r = await first.records(Shape).add({ kind: 'k', x: 1, y: 1 });
    const peerId = first.peerId;
    await first.close();
    expect(existsSync(join(home, 'records', peerId, 'disk', 'CURRENT'))).toBe(true); // LevelDB, per identity and mesh
    expect(existsSync(join(home, 'identity', 'peer-key.pem'))).toBe(true);
    const second = await open();
    try {
      expect(second.peerId).toBe(peerId);
      expect(second.records(Shape).get(r.id)?.value).toEqual({ kind: 'k', x: 1, y: 1 });
      expect((await second.records(Shape).update(r.id, { kind: 'k', x: 2, y: 1 })).version).toBe(2);
      await second.records(Shape).delete(r.id);
      expect(second.records(Shape).get(r.id)).toBeUndefined();
    } finally {
      await second.close();
    }
  });
});
