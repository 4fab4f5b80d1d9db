import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/errors/index.js';
import { HandshakeRefused } from '../../lib/mesh/handshake.js';
import { type LabPeer, MeshLab } from '../helpers/mesh-lab.js';
import { SlowLinks } from '../helpers/slow-links.js';
import { settle, waitFor } from '../helpers/wait.js';

let lab: MeshLab;
afterEach(async () => {
  await lab.close();
});

const ids = (p: LabPeer) => [...p.mesh.neighbors.keys()].sort();
/** Maintenance stays out of the way: no top-up (ideal 0 would prune, so ideal = current), no timers soon. */
const quiet = { maintenanceIntervalMs: 60_000 };

describe('busy refusal and referrals', () => {
  it('a peer at its maximum refuses with PC_ERR_BUSY and hands back at most 10 referrals, all its neighbours', async () => {
    lab = new MeshLab();
    const hub = await lab.add({ ...quiet, neighbors: { min: 0, ideal: 12, max: 12 } });
    const spokes = await lab.addMany(12, { ...quiet, neighbors: { min: 0, ideal: 1, max: 7 } });
    for (const s of spokes) await lab.link(s, hub);
    const late = await lab.add(quiet);
    const refusal = await late.mesh.connect(hub.address, { expectedPeerId: hub.peerId }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(HandshakeRefused);
    expect(refusal).toMatchObject({ code: ErrorCode.BUSY });
    const referred = (refusal as HandshakeRefused).referrals.map((r) => r.peerId);
    expect(referred).toHaveLength(10);
    expect(new Set(referred).size).toBe(10);
    for (const id of referred) expect(spokes.map((s) => s.peerId)).toContain(id);
    expect(hub.mesh.stats.dropped[ErrorCode.BUSY]).toBe(1);
    expect(late.mesh.referrals.size).toBe(10);
  });

  it('referrals are tried before the resolver: a refused peer reaches its ideal count without asking it', async () => {
    lab = new MeshLab();
    const hub = await lab.add({ ...quiet, neighbors: { min: 0, ideal: 2, max: 2 } });
    const [b, c] = await lab.addMany(2, { ...quiet, neighbors: { min: 0, ideal: 1, max: 7 } });
    await lab.link(b!, hub);
    await lab.link(c!, hub);
    // The resolver only knows the busy hub, so any other neighbour must come from a referral.
    const late = await lab.add({ neighbors: { min: 1, ideal: 2, max: 7 }, candidates: () => [{ peerId: hub.peerId, addresses: [hub.address] }] });
    await waitFor(() => late.mesh.neighbors.size === 2, 'the refused peer to reach its ideal count', 10_000);
    expect(ids(late)).toEqual([b!.peerId, c!.peerId].sort());
    expect(hub.mesh.stats.dropped[ErrorCode.BUSY]).toBeGreaterThanOrEqual(1);
    // One resolve found the hub; the refusal's referrals were enough from then on.
    const resolvesAtIdeal = late.resolves;
    await late.mesh.maintain();
    expect(late.resolves).toBe(resolvesAtIdeal);
    expect(late.mesh.maintenanceStats.dials).toBeGreaterThanOrEqual(3);
  });
});

describe('top-up and fast repair from the passive view', () => {
  it('a new peer learns its neighbour’s neighbours by shuffle, tops up from them, and after a neighbour dies repairs from them with no resolver', async () => {
    lab = new MeshLab();
    const hub = await lab.add({ ...quiet, neighbors: { min: 0, ideal: 5, max: 7 } });
    const others = await lab.addMany(4, { ...quiet, neighbors: { min: 0, ideal: 1, max: 7 } });
    for (const o of others) await lab.link(o, hub);
    const x = await lab.add({ neighbors: { min: 2, ideal: 3, max: 7 } });
    await lab.link(x, hub);
    await waitFor(() => x.mesh.neighbors.size === 3, 'top-up to the ideal count from shuffled peers');
    expect(x.mesh.passiveView.size).toBeGreaterThan(0);
    await lab.kill(hub);
    await waitFor(() => x.mesh.neighbors.size === 3 && !x.mesh.neighbors.has(hub.peerId), 'repair to the ideal count', 10_000);
    // The resolver is empty here: X knew the others only from the hub's shuffle answer.
    for (const id of ids(x)) expect(others.map((o) => o.peerId)).toContain(id);
    expect(x.mesh.maintenanceStats.shuffles).toBeGreaterThan(0);
  });
});

describe('prune by exchanged utility', () => {
  it('above its ideal count a peer closes the link that brought only duplicates, and both sides agree on its usefulness', async () => {
    lab = new MeshLab();
    const keep = { pruneMinAgeMs: 3_600_000 };
    const a = await lab.add({ neighbors: { min: 0, ideal: 3, max: 7 }, tuning: { pruneMinAgeMs: 1_000, exploreIntervalMs: 0 } });
    const [b, c] = await lab.addMany(2, { neighbors: { min: 0, ideal: 1, max: 7 }, tuning: { ...keep, exploreIntervalMs: 0 } });
    const [d, e] = await lab.addMany(2, { neighbors: { min: 0, ideal: 1, max: 7 }, tuning: { ...keep, exploreIntervalMs: 0 } });
    for (const p of [b!, c!, d!, e!]) await lab.link(p, a);
    await lab.link(e!, d!);
    // Everything comes from E: through A–E it is new, through A–D (either way) a duplicate.
    for (let i = 0; i < 30; i++) lab.flood(e!);
    await waitFor(() => lab.peers.every((p) => p.delivered.length === 30), 'all floods delivered');
    const ad = () => a.mesh.neighbors.get(d!.peerId);
    const da = () => d!.mesh.neighbors.get(a.peerId);
    await waitFor(() => ad()?.remote !== undefined && da()?.remote !== undefined && ad()!.remote!.received > 0, 'utility reports on A–D');
    expect(ad()!.linkUsefulness).toBe(0);
    expect(da()!.linkUsefulness).toBe(0);
    expect(a.mesh.neighbors.get(e!.peerId)!.linkUsefulness).toBe(1);
    await waitFor(() => !a.mesh.neighbors.has(d!.peerId), 'the prune', 10_000);
    await waitFor(() => !d!.mesh.neighbors.has(a.peerId), 'the prune seen by D');
    expect(ids(a)).toEqual([b!.peerId, c!.peerId, e!.peerId].sort());
    expect(a.mesh.stats.dropped[ErrorCode.NOT_USEFUL]).toBe(1);
    expect(d!.mesh.stats.dropped[ErrorCode.NOT_USEFUL]).toBe(1);
    // The pruned peer stays a repair candidate; nobody was pushed below its ideal count.
    expect(a.mesh.passiveView.has(d!.peerId)).toBe(true);
    for (const p of [b!, c!, d!, e!]) expect(p.mesh.neighbors.size).toBeGreaterThanOrEqual(1);
  });

  it('never prunes a link whose other side is at or below its own ideal count', async () => {
    lab = new MeshLab();
    const a = await lab.add({ neighbors: { min: 0, ideal: 1, max: 7 }, tuning: { pruneMinAgeMs: 0, exploreIntervalMs: 0 } });
    const leaves = await lab.addMany(3, { ...quiet, neighbors: { min: 0, ideal: 1, max: 7 } });
    for (const l of leaves) await lab.link(l, a);
    const rounds = a.mesh.maintenanceStats.rounds;
    await waitFor(() => a.mesh.maintenanceStats.rounds >= rounds + 5, 'five maintenance rounds');
    expect(a.mesh.neighbors.size).toBe(3);
    expect(a.mesh.maintenanceStats.pruned).toBe(0);
  });
});

describe('slow neighbours', () => {
  it('a neighbour whose send queue stays over the bound is cut with PC_ERR_TOO_SLOW; the others stay', async () => {
    lab = new MeshLab();
    const slow = new Set<string>();
    let links: SlowLinks | undefined;
    const a = await lab.add({
      neighbors: { min: 0, ideal: 3, max: 7 },
      tuning: { slowQueueBound: 5, slowGraceMs: 100, exploreIntervalMs: 0 },
      wrap: (t) => (links = new SlowLinks(t, slow)),
    });
    const [b, c, d] = await lab.addMany(3, { ...quiet, neighbors: { min: 0, ideal: 1, max: 7 } });
    slow.add(d!.peerId);
    for (const p of [b!, c!, d!]) await lab.link(p, a);
    for (let i = 0; i < 20; i++) lab.flood(a);
    await waitFor(() => !a.mesh.neighbors.has(d!.peerId), 'the slow neighbour cut', 10_000);
    expect(ids(a)).toEqual([b!.peerId, c!.peerId].sort());
    expect(a.mesh.stats.dropped[ErrorCode.TOO_SLOW]).toBe(1);
    expect(a.mesh.maintenanceStats.cutSlow).toBe(1);
    expect(links).toBeDefined();
  });

  it('never cuts the last neighbour, however slow', async () => {
    lab = new MeshLab();
    const slow = new Set<string>();
    const a = await lab.add({
      neighbors: { min: 0, ideal: 1, max: 7 },
      tuning: { slowQueueBound: 5, slowGraceMs: 0, exploreIntervalMs: 0, idleTimeoutMs: 0 },
      wrap: (t) => new SlowLinks(t, slow),
    });
    const d = await lab.add({ ...quiet, neighbors: { min: 0, ideal: 1, max: 7 } });
    slow.add(d.peerId);
    await lab.link(d, a);
    for (let i = 0; i < 20; i++) lab.flood(a);
    const rounds = a.mesh.maintenanceStats.rounds;
    await waitFor(() => a.mesh.maintenanceStats.rounds >= rounds + 5, 'five maintenance rounds');
    expect(a.mesh.neighbors.get(d.peerId)?.link.pendingSends).toBeGreaterThan(5);
    expect(a.mesh.neighbors.has(d.peerId)).toBe(true);
    expect(a.mesh.maintenanceStats.cutSlow).toBe(0);
  });
});

describe('duplicate links', () => {
  it('when two peers dial each other at once, both keep the one link dialled by the lower peer id', async () => {
    lab = new MeshLab();
    for (let trial = 0; trial < 5; trial++) {
      const [a, b] = await lab.addMany(2, { ...quiet, neighbors: { min: 0, ideal: 1, max: 7 } });
      const results = await Promise.allSettled([
        a!.mesh.connect(b!.address, { expectedPeerId: b!.peerId }),
        b!.mesh.connect(a!.address, { expectedPeerId: a!.peerId }),
      ]);
      expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
      await settle(40);
      const ab = a!.mesh.neighbors.get(b!.peerId);
      const ba = b!.mesh.neighbors.get(a!.peerId);
      expect(ab?.link.isOpen).toBe(true);
      expect(ba?.link.isOpen).toBe(true);
      const lower = a!.peerId < b!.peerId ? a! : b!;
      const kept = lower === a ? ab! : ba!;
      expect(kept.direction).toBe('outbound');
      expect((lower === a ? ba! : ab!).direction).toBe('inbound');
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: ErrorCode.DUPLICATE_LINK });
    }
  });
});

describe('graceful leave', () => {
  it('a leaving peer tells its neighbours and hands them referrals, which they use to reconnect without a resolver', async () => {
    lab = new MeshLab();
    const b = await lab.add({ ...quiet, neighbors: { min: 0, ideal: 4, max: 7 } });
    const [a, c, d] = await lab.addMany(3, { neighbors: { min: 1, ideal: 1, max: 7 }, tuning: { exploreIntervalMs: 0, shuffleEveryRounds: 1_000 } });
    for (const p of [a!, c!, d!]) await lab.link(p, b);
    const closed = a!.mesh.neighbors.get(b.peerId)!.link.closed;
    await b.mesh.close();
    expect(await closed).toMatchObject({ code: 'PC_OK' });
    const referred = a!.mesh.referrals.values().map((r) => r.peerId);
    expect(referred).toEqual(expect.arrayContaining([c!.peerId, d!.peerId]));
    expect(referred).not.toContain(b.peerId);
    await waitFor(() => a!.mesh.neighbors.size === 1, 'A to reconnect from referrals', 10_000);
    expect([c!.peerId, d!.peerId]).toContain(ids(a!)[0]);
    expect(a!.mesh.stats.dropped['PC_OK']).toBeUndefined();
  });
});
