import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../lib/errors/index.js';
import { peerNameId } from '../../../lib/resolver/pnrp/peer-name.js';
import { newServiceLocation, nodeIdFor, positionOf, ringDistance } from '../../../lib/resolver/pnrp/pnrp-id.js';
import type { PnrpNode } from '../../../lib/resolver/pnrp/pnrp-node.js';
import type { PnrpContact, PnrpRequest, PnrpResponse } from '../../../lib/resolver/pnrp/protocol.js';
import { signRecord, signedBytes, type PnrpRecord } from '../../../lib/resolver/pnrp/record.js';
import { PnrpSimNetwork } from '../../../lib/resolver/pnrp/sim-network.js';
import { mulberry32 } from '../../../lib/transport/memory/memory-network.js';

const N = 500;
const random = mulberry32(11);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
let sim: PnrpSimNetwork;
let nodes: readonly PnrpNode[];

function recordBy(node: PnrpNode, name: string, over: { ttlMs?: number; addresses?: string[]; version?: number; serviceLocation?: string; withdrawn?: boolean } = {}): PnrpRecord {
  return signRecord(
    node.identity,
    {
      cloud: node.cloud,
      name,
      serviceLocation: over.serviceLocation ?? newServiceLocation(),
      endpoint: { peerId: node.identity.peerId, addresses: over.addresses ?? node.contact.addresses },
      version: over.version ?? node.now(),
      expiresAt: node.now() + (over.ttlMs ?? 3_600_000),
      withdrawn: over.withdrawn,
    },
    node.limits,
  );
}

function holders(record: PnrpRecord): PnrpNode[] {
  const nameId = peerNameId(record.name);
  return nodes.filter((n) => n.store.all().some((v) => v.nameId === nameId && v.record.serviceLocation === record.serviceLocation));
}

beforeAll(async () => {
  sim = new PnrpSimNetwork({ seed: 5 });
  nodes = await sim.grow(N);
});

describe(`PNRP simulation, ${N} nodes in one process`, () => {
  it('fills every node cache by level, top levels full, neighbourhood present', () => {
    for (const node of nodes.slice(50)) {
      const counts = node.cache.levelCounts();
      expect(counts[0]).toBe(20);
      expect(node.cache.neighbours().length).toBe(10);
    }
  });

  it('stores each publication on the nodes closest to its id, and every node resolves it', async () => {
    const published = [];
    for (let i = 0; i < 100; i += 1) {
      const publisher = pick(nodes);
      const record = recordBy(publisher, `0.sim-${i}`);
      const result = await publisher.publish(record);
      expect(result.stored).toBe(6);
      published.push({ record, key: `${result.pnrpId}:${publisher.identity.peerId}` });
    }
    for (const { record } of published.slice(0, 20)) {
      const position = positionOf(peerNameId(record.name));
      const expected = [...nodes].sort((a, b) => ringDistance(position, a.contact.position) - ringDistance(position, b.contact.position)).slice(0, 6);
      expect(new Set(holders(record))).toEqual(new Set(expected));
    }
    let found = 0;
    for (let i = 0; i < 300; i += 1) {
      const target = pick(published);
      const result = await pick(nodes).resolve(target.record.name);
      expect(result.records.map((v) => v.key)).toEqual([target.key]);
      expect(result.records[0]?.record.endpoint).toEqual(target.record.endpoint);
      found += 1;
    }
    expect(found).toBe(300);
  });

  it('returns every instance of a name published by many nodes', async () => {
    const publishers = new Set<PnrpNode>();
    while (publishers.size < 12) publishers.add(pick(nodes));
    for (const p of publishers) await p.publish(recordBy(p, '0.room'));
    const result = await pick(nodes).resolve('0.room');
    expect(new Set(result.records.map((v) => v.record.endpoint.peerId))).toEqual(new Set([...publishers].map((p) => p.identity.peerId)));
  });

  it('has every node reject a record for a secured name signed by another key', async () => {
    const [alice, mallory] = [nodes[10] as PnrpNode, nodes[20] as PnrpNode];
    const honest = recordBy(alice, `${alice.identity.peerId}.files`);
    await alice.publish(honest);
    const unowned = recordBy(mallory, '0.placeholder', { addresses: ['sim://evil'] });
    const body = { ...unowned, name: `${alice.identity.peerId}.files` };
    const spoof: PnrpRecord = { ...body, signature: mallory.identity.sign(signedBytes(body)) };
    await expect(mallory.publish(spoof)).rejects.toMatchObject({ code: ErrorCode.NAME_NOT_OWNED });
    // Mallory pushes it straight at every node, skipping her own checks.
    const refusals = await Promise.all(nodes.filter((n) => n !== mallory).map((n) => mallory.rpc.request(n.contact, { op: 'store', record: spoof }).then(() => 'stored', (e: { code: string }) => e.code)));
    expect(new Set(refusals)).toEqual(new Set([ErrorCode.NAME_NOT_OWNED]));
    expect(holders(spoof).filter((n) => n.store.all().some((v) => v.record.endpoint.addresses.includes('sim://evil')))).toEqual([]);
    const result = await pick(nodes).resolve(`${alice.identity.peerId}.files`);
    expect(result.records.map((v) => v.record.endpoint.addresses)).toEqual([alice.contact.addresses]);
  });

  it('drops records that liars altered, keeping the genuine copy from honest replicas', async () => {
    const publisher = nodes[30] as PnrpNode;
    const record = recordBy(publisher, '0.tampered');
    await publisher.publish(record);
    const replicas = holders(record);
    const liars = replicas.slice(0, replicas.length - 1);
    const lie = (node: PnrpNode) => ({
      handleRequest(from: PnrpContact, cloud: string, request: PnrpRequest): PnrpResponse {
        const answer = node.handleRequest(from, cloud, request);
        if (answer.op !== 'found') return answer;
        return { ...answer, records: answer.records.map((r) => ({ ...r, endpoint: { ...r.endpoint, addresses: ['sim://evil'] } })) };
      },
    });
    for (const liar of liars) sim.setHandler(liar.contact.peerId, lie(liar));
    try {
      const askers = nodes.filter((n) => !replicas.includes(n)).slice(0, 20);
      for (const asker of askers) {
        const result = await asker.resolve('0.tampered');
        expect(result.records.map((v) => v.record.endpoint.addresses)).toEqual([publisher.contact.addresses]);
      }
      const all = await askers[0]?.lookup(peerNameId('0.tampered').padEnd(64, '0'), { nameId: peerNameId('0.tampered') });
      expect(all?.rejected[ErrorCode.BAD_SIGNATURE]).toBeGreaterThan(0);
    } finally {
      for (const liar of liars) sim.setHandler(liar.contact.peerId, undefined);
    }
  });

  it('resolves with 20% of nodes dead, and evicts the dead from caches as it goes', async () => {
    const published = [];
    for (let i = 0; i < 60; i += 1) {
      const publisher = pick(nodes);
      const record = recordBy(publisher, `0.survive-${i}`);
      await publisher.publish(record);
      published.push(record);
    }
    const dead = [...nodes].sort(() => random() - 0.5).slice(0, N / 5);
    for (const d of dead) sim.kill(d.contact.peerId);
    const alive = nodes.filter((n) => sim.isAlive(n.contact.peerId));
    const deadEntries = () => alive.reduce((sum, n) => sum + n.cache.contacts().filter((c) => !sim.isAlive(c.peerId)).length, 0);
    try {
      const before = deadEntries();
      let ok = 0;
      for (let i = 0; i < 300; i += 1) {
        const record = pick(published);
        const lost = holders(record).every((h) => !sim.isAlive(h.contact.peerId));
        const result = await pick(alive).resolve(record.name);
        if (lost || result.records.some((v) => v.record.serviceLocation === record.serviceLocation)) ok += 1;
      }
      expect(ok).toBe(300);
      for (const node of alive) await node.maintain({ pings: 40 });
      expect(deadEntries()).toBeLessThan(before / 2);
      for (const node of alive) expect(node.cache.levelCounts()[0]).toBe(20);
    } finally {
      for (const d of dead) sim.revive(d.contact.peerId);
    }
  });

  it('never returns a record after its expiry, nor a withdrawn or superseded one', async () => {
    const publisher = nodes[40] as PnrpNode;
    const short = recordBy(publisher, '0.brief', { ttlMs: 60_000 });
    await publisher.publish(short);
    expect((await pick(nodes).resolve('0.brief')).records).toHaveLength(1);
    sim.advance(60_000);
    expect(holders(short).length).toBeGreaterThan(0);
    for (let i = 0; i < 20; i += 1) expect((await pick(nodes).resolve('0.brief')).records).toEqual([]);
    for (const n of holders(short)) n.store.sweep(sim.now());
    expect(holders(short)).toEqual([]);

    const location = newServiceLocation();
    const v1 = recordBy(publisher, '0.moving', { serviceLocation: location, addresses: ['sim://old'], version: sim.now() });
    await publisher.publish(v1);
    sim.advance(1);
    const v2 = recordBy(publisher, '0.moving', { serviceLocation: location, addresses: ['sim://new'], version: sim.now() });
    await publisher.publish(v2);
    const moved = await pick(nodes).resolve('0.moving');
    expect(moved.records.map((v) => v.record.endpoint.addresses)).toEqual([['sim://new']]);

    sim.advance(1);
    const gone = recordBy(publisher, '0.moving', { serviceLocation: location, version: sim.now(), withdrawn: true });
    await publisher.publish(gone);
    // A replayed older copy is refused as stale: the tombstone wins.
    for (const holder of holders(v1)) holder.handleRequest(publisher.contact, publisher.cloud, { op: 'store', record: v1 });
    expect((await pick(nodes).resolve('0.moving')).records).toEqual([]);
  });

  it('derives node positions from the cloud and the peer id only', () => {
    const node = nodes[0] as PnrpNode;
    expect(node.contact.position).toBe(positionOf(nodeIdFor(sim.cloud, node.identity.peerId)));
    expect(positionOf(nodeIdFor('other', node.identity.peerId))).not.toBe(node.contact.position);
  });
});
