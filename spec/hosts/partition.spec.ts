import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostPeer, flood, freeUdpPort, neighborsSatisfy, probeUntilConnected, report, startPeer } from './helpers/host-peers.js';
import { TestBed } from './helpers/test-bed.js';

const unavailable = TestBed.unavailableReason();
if (unavailable !== undefined) console.warn(`spec/hosts/partition: SKIPPED — ${unavailable}`);

/** Keepalive of every link: a link cut by the partition is noticed within two intervals. */
const KEEPALIVE_MS = 1000;

describe.skipIf(unavailable !== undefined)(`five hosts partitioned 2|3, then healed${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let bed: TestBed;
  let peers: HostPeer[] = [];
  beforeAll(async () => {
    bed = TestBed.create({ hosts: 5 });
    const port = await freeUdpPort();
    peers = await Promise.all(bed.hosts.map((h) => startPeer(bed, h.index, { mesh: 'net.p2p://split', keepaliveMs: KEEPALIVE_MS, resolver: { kind: 'lan', interface: h.ipv4, port } })));
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
    const ids = (side: readonly HostPeer[]) => new Set(side.map((p) => p.peerId));

    bed.partition([[0, 1], [2, 3, 4]]);
    // Links across the cut go silent; keepalives end them. Wait until no peer has a neighbour on
    // the other side, then until each side is connected within itself.
    for (const [side, other] of [[left, right], [right, left]] as const) {
      for (const p of side) await neighborsSatisfy(p, (n) => n.every((id) => !ids(other).has(id)), 'no neighbour across the cut');
    }
    await probeUntilConnected(left, 'left');
    await probeUntilConnected(right, 'right');

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

  // RECORDS (issue: lib/records, being built in /work/records): once it lands, write records on
  // both sides while cut and assert they converge after the heal — same bed, same peers; the
  // host-peer fixture needs `{"put"}`/`{"records"}` commands for it.
  it.todo('records changed on both sides of the cut converge after the heal (needs lib/records)');
});
