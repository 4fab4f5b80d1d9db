import { afterAll, beforeAll, expect, it } from 'vitest';
import { type HostPeer, flood, freeUdpPort, neighborsSatisfy, noteSet, notes, probeUntilConnected, report, startPeer } from './helpers/host-peers.js';
import { describeOnHosts } from './helpers/describe-hosts.js';
import { TestBed } from './helpers/test-bed.js';

/** Keepalive of every link: a link cut by the partition is noticed within two intervals. */
const KEEPALIVE_MS = 1000;

describeOnHosts('spec/hosts/partition', 'five hosts partitioned 2|3, then healed', () => {
  let bed: TestBed;
  let peers: HostPeer[] = [];
  beforeAll(async () => {
    bed = TestBed.create({ hosts: 5 });
    const port = await freeUdpPort();
    peers = await Promise.all(bed.hosts.map((h) => startPeer(bed, h.index, { mesh: 'net.p2p://split', keepaliveMs: KEEPALIVE_MS, resolver: { kind: 'lan', interface: h.ipv4, port }, records: true })));
  }, 180_000);
  afterAll(async () => {
    await bed?.destroyAsync();
  }, 60_000);

  /** Every peer of `side` gets each of the `count` posts under `prefix` exactly once. */
  async function allGot(side: readonly HostPeer[], sender: HostPeer, prefix: string, count: number): Promise<void> {
    for (const p of side) {
      if (p === sender) continue;
      await expect.poll(() => report(p, prefix).then((r) => r.distinct), { timeout: 30_000, interval: 200 }).toBe(count);
      expect(await report(p, prefix)).toEqual({ distinct: count, total: count, from: [sender.peerId] });
    }
  }

  it('each side floods only itself while cut; after the heal the mesh reconnects and floods reach all five', async () => {
    await probeUntilConnected(peers, 'before');
    const left = peers.slice(0, 2);
    const right = peers.slice(2);

    // Links across the cut go silent; keepalives end them.
    await cut(left, right);

    const [l, r] = await Promise.all([flood(left[0]!, 'left_only', 100), flood(right[0]!, 'right_only', 100)]);
    expect([l.sent, r.sent]).toEqual([100, 100]);
    await allGot(left, left[0]!, 'left_only', 100);
    await allGot(right, right[0]!, 'right_only', 100);

    bed.heal();
    const healedAt = Date.now();
    const rounds = await probeUntilConnected(peers, 'after', 30);
    console.info(`partition spec: mesh reconnected ${Date.now() - healedAt} ms after the heal (${rounds} probe rounds)`);

    const sent = await Promise.all(peers.map((p, i) => flood(p, `healed${i}`, 200)));
    for (const s of sent) expect(s).toMatchObject({ sent: 200, failed: {} });
    for (const [i, p] of peers.entries()) await allGot(peers, p, `healed${i}`, 200);

    // What each side flooded while cut stayed on that side (flood mode repairs nothing later).
    for (const p of right) expect((await report(p, 'left_only')).distinct).toBe(0);
    for (const p of left) expect((await report(p, 'right_only')).distinct).toBe(0);
  }, 150_000);

  /** Polls until every peer of `side` holds the same notes; returns them. */
  async function converged(side: readonly HostPeer[]): Promise<{ count: number; digest: string; ids: readonly string[] }> {
    await expect.poll(async () => new Set((await Promise.all(side.map(noteSet))).map((n) => n.digest)).size, { timeout: 60_000, interval: 250 }).toBe(1);
    return noteSet(side[0]!);
  }

  /** Cuts the bed 2|3 and waits until no link crosses the cut and each side is connected again. */
  async function cut(left: readonly HostPeer[], right: readonly HostPeer[]): Promise<void> {
    const ids = (side: readonly HostPeer[]) => new Set(side.map((p) => p.peerId));
    bed.partition([[0, 1], [2, 3, 4]]);
    for (const [side, other] of [[left, right], [right, left]] as const) {
      for (const p of side) await neighborsSatisfy(p, (n) => n.every((id) => !ids(other).has(id)), 'no neighbour across the cut');
    }
    await probeUntilConnected(left, 'left');
    await probeUntilConnected(right, 'right');
  }

  it('records added, updated and deleted on both sides of the cut converge after the heal, and no deleted record returns', async () => {
    await probeUntilConnected(peers, 'records before');
    for (const p of peers) await notes(p, 'put', `base${p.host}`, 10);
    const before = await converged(peers);
    expect(before.count).toBe(50);

    const left = peers.slice(0, 2);
    const right = peers.slice(2);
    await cut(left, right);
    const deleted = [
      ...((await notes(left[0]!, 'del', 'base0')).ids as string[]),
      ...((await notes(right[1]!, 'del', 'base3')).ids as string[]),
    ];
    expect(deleted).toHaveLength(20);
    await notes(left[1]!, 'put', 'left', 20);
    await notes(right[0]!, 'put', 'right', 20);
    await notes(right[0]!, 'update', 'base2');
    await notes(left[1]!, 'update', 'base1');
    // Each side converges on its own view, and the two views differ while cut.
    const [l, r] = [await converged(left), await converged(right)];
    expect([l.count, r.count]).toEqual([50 - 10 + 20, 50 - 10 + 20]);
    expect(l.digest).not.toBe(r.digest);

    bed.heal();
    await probeUntilConnected(peers, 'records after', 30);
    const after = await converged(peers);
    expect(after.count).toBe(50 - 20 + 40);
    for (const p of peers) {
      const held = new Set((await noteSet(p)).ids);
      for (const id of deleted) expect(held.has(id)).toBe(false);
    }
  }, 240_000);
});
