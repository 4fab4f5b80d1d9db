import { describe, expect, it } from 'vitest';
import { ErrorCode, PeerChannelError } from '../../../lib/errors/index.js';
import { PeerIdentity } from '../../../lib/identity/peer-identity.js';
import { newServiceLocation } from '../../../lib/resolver/pnrp/pnrp-id.js';
import { defaultPnrpLimits, pnrpLimits, type PnrpLimits } from '../../../lib/resolver/pnrp/pnrp-limits.js';
import type { PnrpNode } from '../../../lib/resolver/pnrp/pnrp-node.js';
import { RecordStore } from '../../../lib/resolver/pnrp/record-store.js';
import { signRecord, verifyRecord, type PnrpRecord } from '../../../lib/resolver/pnrp/record.js';
import { PnrpSimNetwork } from '../../../lib/resolver/pnrp/sim-network.js';

const HOURS_23 = 23 * 3_600_000;

function recordOf(identity: PeerIdentity, node: PnrpNode, name: string): PnrpRecord {
  return signRecord(identity, {
    cloud: node.cloud, name, serviceLocation: newServiceLocation(),
    endpoint: { peerId: identity.peerId, addresses: ['wss://127.0.0.1:1'] }, version: node.now(), expiresAt: node.now() + HOURS_23,
  }, node.limits);
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as PeerChannelError).code;
  }
}

describe('PNRP storage cannot be exhausted by one key', () => {
  it('a flooding identity gets maxRecordsPerPublisher records into each node it floods; an honest record still goes in and resolves', async () => {
    const sim = new PnrpSimNetwork({ seed: 3 });
    const nodes = await sim.grow(40);
    const [mallory, alice, reader] = nodes as [PnrpNode, PnrpNode, PnrpNode];
    const honest = recordOf(alice.identity, alice, '0.lobby');
    const { pnrpId } = verifyRecord(honest, { cloud: alice.cloud, now: alice.now(), limits: alice.limits });
    const victims = (await mallory.lookup(pnrpId)).closest.filter((c) => c.peerId !== mallory.contact.peerId);
    expect(victims.length).toBeGreaterThanOrEqual(5);
    // One identity, valid 23-hour records: as many as a node's whole store at the closest node,
    // twice its quota at the others (signed once, replayed to each node).
    const spam = Array.from({ length: defaultPnrpLimits.maxStoredRecords }, (_, i) => recordOf(mallory.identity, mallory, `0.spam-${i}`));
    const refusals: Record<string, number> = {};
    let attempts = 0;
    victims.forEach((victim, v) => {
      const node = nodes.find((n) => n.contact.peerId === victim.peerId) as PnrpNode;
      for (const record of v === 0 ? spam : spam.slice(0, 2 * defaultPnrpLimits.maxRecordsPerPublisher)) {
        attempts += 1;
        const code = codeOf(() => node.handleRequest(mallory.contact, mallory.cloud, { op: 'store', record }));
        if (code !== undefined) refusals[code] = (refusals[code] ?? 0) + 1;
      }
      expect(node.store.heldFor(mallory.identity.peerId)).toBe(defaultPnrpLimits.maxRecordsPerPublisher);
    });
    expect(refusals).toEqual({ [ErrorCode.STORE_QUOTA]: attempts - victims.length * defaultPnrpLimits.maxRecordsPerPublisher });

    const published = await alice.publish(honest);
    expect(published.stored).toBe(6);
    const found = await reader.resolve('0.lobby');
    expect(found.records.map((r) => r.record.endpoint.peerId)).toEqual([alice.identity.peerId]);
  });

  it('throwaway keys behind one link stop at maxRecordsPerSource; a full store evicts the most represented publisher, never the newcomer', () => {
    const limits: PnrpLimits = pnrpLimits({ maxStoredRecords: 32, maxRecordsPerPublisher: 8, maxRecordsPerSource: 16 });
    const store = new RecordStore(limits);
    const sim = new PnrpSimNetwork({ seed: 1 });
    const node = sim.addNode();
    const now = node.now();
    const put = (identity: PeerIdentity, source: string, name: string) =>
      codeOf(() => store.put(verifyRecord(recordOf(identity, node, name), { cloud: node.cloud, now, limits }), now, source));

    // One link, many keys: 16 records at most, whatever the keys.
    const sybils = Array.from({ length: 6 }, () => PeerIdentity.generate());
    const viaOneLink = sybils.flatMap((k, i) => Array.from({ length: 4 }, (_, j) => put(k, 'link-1', `0.s${i}-${j}`)));
    expect(viaOneLink.filter((c) => c === undefined)).toHaveLength(16);
    expect(new Set(viaOneLink.filter((c) => c !== undefined))).toEqual(new Set([ErrorCode.STORE_QUOTA]));

    // Two more links fill the store with two publishers at their quota.
    const [p, q] = [PeerIdentity.generate(), PeerIdentity.generate()];
    for (let i = 0; i < 8; i++) expect(put(p, 'link-2', `0.p${i}`)).toBeUndefined();
    for (let i = 0; i < 8; i++) expect(put(q, 'link-3', `0.q${i}`)).toBeUndefined();
    expect(store.size).toBe(32);

    // An honest newcomer gets in: the oldest record of the most represented publisher makes room.
    const honest = PeerIdentity.generate();
    expect(put(honest, 'link-4', '0.lobby')).toBeUndefined();
    expect(store.size).toBe(32);
    expect(store.evicted).toBe(1);
    expect(store.find(verifyRecord(recordOf(honest, node, '0.lobby'), { cloud: node.cloud, now, limits }).nameId, now, 10)).toHaveLength(1);

    // A publisher cannot evict its way past the others: once it holds as many as the most
    // represented publisher, the full store refuses it.
    const greedy = PeerIdentity.generate();
    const results = Array.from({ length: 8 }, (_, i) => put(greedy, `link-g${i}`, `0.g${i}`));
    expect(results).toContain(ErrorCode.STORE_QUOTA);
    expect(store.heldFor(greedy.peerId)).toBeLessThan(8);
    expect(store.heldFor(honest.peerId)).toBe(1);
  });

  it('a publisher whose closest nodes refuse with PC_ERR_STORE_QUOTA stores on the next closest ones instead', async () => {
    const sim = new PnrpSimNetwork({ seed: 8 });
    const nodes = await sim.grow(40);
    const [alice, reader] = nodes as [PnrpNode, PnrpNode];
    const honest = recordOf(alice.identity, alice, '0.crowded');
    const { pnrpId } = verifyRecord(honest, { cloud: alice.cloud, now: alice.now(), limits: alice.limits });
    const full = (await reader.lookup(pnrpId)).closest.filter((c) => c.peerId !== alice.contact.peerId).slice(0, 3);
    for (const c of full) {
      const node = nodes.find((n) => n.contact.peerId === c.peerId) as PnrpNode;
      sim.setHandler(c.peerId, {
        handleRequest: (from, cloud, request) => {
          if (request.op === 'store') throw new PeerChannelError(ErrorCode.STORE_QUOTA, 'flooded');
          return node.handleRequest(from, cloud, request);
        },
      });
    }
    const published = await alice.publish(honest);
    expect(published.stored).toBe(6);
    expect(published.attempted).toBe(6 + full.length);
    const holders = nodes.filter((n) => n.store.heldFor(alice.identity.peerId) > 0).map((n) => n.contact.peerId);
    expect(holders).toHaveLength(6);
    for (const c of full) expect(holders).not.toContain(c.peerId);
    const found = await reader.resolve('0.crowded');
    expect(found.records.map((r) => r.record.endpoint.peerId)).toEqual([alice.identity.peerId]);
  });
});
