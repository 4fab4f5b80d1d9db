import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { type HostPeer, flood, freeUdpPort, gather, probeUntilConnected, report, resolve, startPeer, startResolverService } from './helpers/host-peers.js';
import { describeOnHosts } from './helpers/describe-hosts.js';
import { TestBed } from './helpers/test-bed.js';

describeOnHosts('spec/hosts/discovery', 'five hosts, one peer each', () => {
  let bed: TestBed;
  let peers: HostPeer[] = [];
  beforeAll(() => {
    bed = TestBed.create({ hosts: 5 });
  });
  afterEach(async () => {
    await Promise.all(peers.map((p) => p.proc.kill()));
    peers = [];
  });
  afterAll(async () => {
    await bed?.destroyAsync();
  }, 60_000);

  /** Each peer floods `perPeer` posts; every other peer must get every one exactly once. */
  async function floodAll(prefix: string, perPeer: number): Promise<void> {
    const sent = await Promise.all(peers.map((p, i) => flood(p, `${prefix}${i}`, perPeer)));
    for (const s of sent) expect(s).toMatchObject({ sent: perPeer, failed: {} });
    for (const [i, p] of peers.entries()) {
      for (const [j, q] of peers.entries()) {
        if (i === j) continue;
        await expect.poll(() => report(p, `${prefix}${j}`).then((r) => r.distinct), { timeout: 30_000, interval: 200 }).toBe(perPeer);
        const r = await report(p, `${prefix}${j}`);
        expect(r).toEqual({ distinct: perPeer, total: perPeer, from: [q.peerId] });
      }
    }
  }

  it('the zero-config local resolver stays per host, even when hosts share its directory', async () => {
    // One directory for two hosts (as containers sharing /tmp would): what a peer registered
    // with 127.0.0.1 addresses on host 0 must never be handed to a peer on host 1.
    const shared = { PEERCHANNEL_LOCAL_DIR: bed.hosts[0]!.dir };
    const config = { mesh: 'net.p2p://local', host: '127.0.0.1', resolver: { kind: 'local' } };
    const a = await startPeer(bed, 0, config, undefined, shared);
    const b = await startPeer(bed, 0, config, undefined, shared);
    const c = await startPeer(bed, 1, config, undefined, shared);
    peers = [a, b, c];
    await probeUntilConnected([a, b], 'local');
    expect((await resolve(a)).map((p) => p.peerId).sort()).toEqual([a.peerId, b.peerId].sort());
    expect((await resolve(c)).map((p) => p.peerId)).toEqual([c.peerId]);
  }, 60_000);

  it('find each other through People Near Me alone, over IPv4 multicast on the switch', async () => {
    const port = await freeUdpPort();
    peers = await Promise.all(bed.hosts.map((h) => startPeer(bed, h.index, { mesh: 'net.p2p://lan4', resolver: { kind: 'lan', interface: h.ipv4, port } })));
    // A wildcard bind announces the host's own address, never loopback (which would send
    // another host to itself).
    for (const [i, p] of peers.entries()) expect(p.addresses).toEqual([expect.stringMatching(new RegExp(`^wss://${bed.hosts[i]!.ipv4.replace(/\./g, '\\.')}:\\d+$`))]);
    await probeUntilConnected(peers, 'lan4');
  }, 90_000);

  it('find each other through People Near Me alone, over IPv6 multicast (ff02::fb), and link over IPv6', async () => {
    const port = await freeUdpPort();
    peers = await Promise.all(bed.hosts.map((h) => startPeer(bed, h.index, { mesh: 'net.p2p://lan6', host: h.ipv6, resolver: { kind: 'lan', interface: '::%eth0', port } })));
    for (const [i, p] of peers.entries()) expect(p.addresses).toEqual([expect.stringContaining(`wss://[${bed.hosts[i]!.ipv6}]:`)]);
    await probeUntilConnected(peers, 'lan6');
  }, 90_000);

  it('find each other through PNRP seeds alone, and every flood of 1,000 reaches every peer exactly once', async () => {
    const first = await startPeer(bed, 0, { mesh: 'net.p2p://pnrp', resolver: { kind: 'pnrp' } });
    expect(first.pnrpAddresses).toEqual([expect.stringContaining(`wss://${bed.hosts[0]!.ipv4}:`)]);
    const rest = await Promise.all(bed.hosts.slice(1).map((h) => startPeer(bed, h.index, { mesh: 'net.p2p://pnrp', resolver: { kind: 'pnrp', seeds: first.pnrpAddresses } })));
    peers = [first, ...rest];
    await probeUntilConnected(peers, 'pnrp');
    await floodAll('pnrp', 200);
  }, 120_000);

  it('find each other through the resolver service on another host, over IPv4 and IPv6, and gather every name', async () => {
    const service = await startResolverService(bed, 0);
    try {
      // Bound to '::' (dual-stack): it announces the host's IPv4 and IPv6 addresses, not loopback.
      expect([...service.addresses].sort()).toEqual([`wss://${bed.hosts[0]!.ipv4}:`, `wss://[${bed.hosts[0]!.ipv6}]:`].map((a) => expect.stringContaining(a)).sort());
      peers = await Promise.all(
        bed.hosts.map((h) => startPeer(bed, h.index, { mesh: 'net.p2p://svc', host: '::', name: `host${h.index}`, resolver: { kind: 'service', address: service.addresses, peerId: service.peerId } })),
      );
      await probeUntilConnected(peers, 'svc');
      await floodAll('svc', 200);
      expect((await gather(peers[2]!)).sort()).toEqual(bed.hosts.map((h) => `host${h.index}`).sort());
    } finally {
      await service.proc.kill();
    }
  }, 120_000);
});
