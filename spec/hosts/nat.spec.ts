import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { type HostPeer, call, dial, flood, gather, probeUntilConnected, report, resolve, startPeer, startResolverService } from './helpers/host-peers.js';
import { describeOnHosts } from './helpers/describe-hosts.js';
import { TestBed } from './helpers/test-bed.js';

const NAT = 4;

describeOnHosts('spec/hosts/nat', 'a host behind NAT', () => {
  let bed: TestBed;
  let peers: HostPeer[] = [];
  beforeAll(() => {
    bed = TestBed.create({ hosts: 5, nat: [NAT] });
  });
  afterEach(async () => {
    await Promise.all(peers.map((p) => p.proc.kill()));
    peers = [];
  });
  afterAll(async () => {
    await bed?.destroyAsync();
  }, 60_000);

  it('can dial out, and nobody can dial in — not its own address, not its router’s', async () => {
    const inside = await startPeer(bed, NAT, { mesh: 'net.p2p://probe', resolver: { kind: 'none' } });
    const outside = await startPeer(bed, 0, { mesh: 'net.p2p://probe', resolver: { kind: 'none' } });
    peers = [inside, outside];
    expect(inside.addresses).toEqual([expect.stringContaining(`wss://${bed.hosts[NAT]!.ipv4}:`)]);
    const port = new URL(inside.addresses[0]!).port;
    expect(await dial(outside, inside.addresses[0]!)).toMatchObject({ ok: false, code: 'PC_ERR_DIAL_FAILED' });
    expect(await dial(outside, `wss://10.77.0.${10 + NAT}:${port}`)).toMatchObject({ ok: false, code: 'PC_ERR_DIAL_FAILED' });
    expect(await dial(inside, outside.addresses[0]!)).toMatchObject({ ok: true, peerId: outside.peerId });
  }, 60_000);

  it('dial-out only, it registers nothing, receives every flood, answers directed calls from every host and gathers', async () => {
    const service = await startResolverService(bed, 0);
    try {
      const via = { kind: 'service', address: service.addresses, peerId: service.peerId };
      const open = await Promise.all(bed.hosts.filter((h) => !h.nat).map((h) => startPeer(bed, h.index, { mesh: 'net.p2p://nat', name: `host${h.index}`, resolver: via })));
      const natted = await startPeer(bed, NAT, { mesh: 'net.p2p://nat', name: `host${NAT}`, listen: false, resolver: via });
      peers = [...open, natted];
      expect(natted.addresses).toEqual([]);
      await probeUntilConnected(peers, 'nat');
      // What the resolver hands out sends nobody to the NATed host: it registered nothing.
      const listed = await resolve(open[0]!);
      expect(listed.map((p) => p.peerId).sort()).toEqual(open.map((p) => p.peerId).sort());
      expect(listed.every((p) => p.addresses.length > 0)).toBe(true);

      // 1,000 floods from the four reachable hosts: the NATed host gets 100%, each exactly once.
      const sent = await Promise.all(open.map((p, i) => flood(p, `to_nat${i}`, 250)));
      for (const s of sent) expect(s).toMatchObject({ sent: 250, failed: {} });
      for (const [i, p] of open.entries()) {
        await expect.poll(() => report(natted, `to_nat${i}`).then((r) => r.distinct), { timeout: 30_000, interval: 200 }).toBe(250);
        expect(await report(natted, `to_nat${i}`)).toEqual({ distinct: 250, total: 250, from: [p.peerId] });
      }
      // Directed calls from every other host reach it through the links it dialled.
      for (const p of open) expect(await call(p, natted.peerId, 5000)).toMatchObject({ ok: true, value: `host${NAT}` });
      // It answers gathers, and its own floods and calls reach everyone.
      expect((await gather(open[1]!)).sort()).toEqual(bed.hosts.map((h) => `host${h.index}`).sort());
      expect((await gather(natted)).sort()).toEqual(bed.hosts.map((h) => `host${h.index}`).sort());
      await flood(natted, 'from_nat', 100);
      for (const p of open) await expect.poll(() => report(p, 'from_nat'), { timeout: 30_000, interval: 200 }).toEqual({ distinct: 100, total: 100, from: [natted.peerId] });
      for (const p of open) expect(await call(natted, p.peerId, 5000)).toMatchObject({ ok: true, value: `host${p.host}` });
    } finally {
      await service.proc.kill();
    }
  }, 120_000);
}, { nat: true });
