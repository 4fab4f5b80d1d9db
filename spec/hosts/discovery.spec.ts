import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostPeer, freeUdpPort, probeUntilConnected, startPeer, startResolverService } from './helpers/host-peers.js';
import { TestBed } from './helpers/test-bed.js';

const unavailable = TestBed.unavailableReason();
if (unavailable !== undefined) console.warn(`spec/hosts/discovery: SKIPPED — ${unavailable}`);

describe.skipIf(unavailable !== undefined)(`five hosts find each other${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let bed: TestBed;
  beforeAll(() => {
    bed = TestBed.create({ hosts: 5 });
  });
  afterAll(async () => {
    await bed?.destroyAsync();
  });

  async function quitAll(peers: readonly HostPeer[]): Promise<void> {
    await Promise.all(peers.map((p) => p.proc.kill()));
  }

  it('through People Near Me alone (IPv4 multicast on the switch)', async () => {
    const port = await freeUdpPort();
    const peers = await Promise.all(bed.hosts.map((h) => startPeer(bed, h.index, { mesh: 'net.p2p://lan4', resolver: { kind: 'lan', interface: h.ipv4, port } })));
    try {
      for (const [i, p] of peers.entries()) expect(p.addresses).toEqual([`wss://${bed.hosts[i]!.ipv4}:${new URL(p.addresses[0]!).port}`]);
      await probeUntilConnected(peers, 'lan4');
    } finally {
      await quitAll(peers);
    }
  }, 90_000);
});
