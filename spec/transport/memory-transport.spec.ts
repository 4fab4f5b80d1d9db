import { describe, expect, it } from 'vitest';
import { firstValueFrom, take } from 'rxjs';
import { ErrorCode } from '../../lib/errors/index.js';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';
import { MemoryNetwork, memoryTransport } from '../../lib/transport/memory/index.js';
import type { Link } from '../../lib/transport/transport.js';
import { transportCompliance } from '../compliance/transport-compliance.js';

const net = new MemoryNetwork();
transportCompliance('memory', { factory: () => memoryTransport(net), deadAddress: () => 'memory://999999' });

async function linked(network: MemoryNetwork) {
  const a = memoryTransport(network)({ identity: PeerIdentity.generate() });
  const ida = PeerIdentity.generate();
  const b = memoryTransport(network)({ identity: ida });
  const [addr] = await b.listen();
  await a.listen();
  const accepted = firstValueFrom(b.inbound$.pipe(take(1)));
  const ab = await a.dial(addr as string);
  const ba = await accepted;
  return { a, b, ab, ba, close: () => Promise.all([a.close(), b.close()]) };
}

function countFrames(link: Link): { n: number } {
  const c = { n: 0 };
  link.setReceiver(() => (c.n += 1));
  return c;
}

describe('memory network faults', () => {
  it('drops every frame at dropRate 1 and none at 0', async () => {
    const network = new MemoryNetwork({ seed: 1 });
    const { ab, ba, close } = await linked(network);
    const c = countFrames(ba);
    network.setFaults({ dropRate: 1 });
    for (let i = 0; i < 50; i++) ab.send(new Uint8Array([i]));
    await new Promise((r) => setTimeout(r, 20));
    expect(c.n).toBe(0);
    network.setFaults({ dropRate: 0 });
    for (let i = 0; i < 50; i++) ab.send(new Uint8Array([i]));
    await new Promise((r) => setTimeout(r, 20));
    expect(c.n).toBe(50);
    await close();
  });

  it('delays frames and keeps their order', async () => {
    const network = new MemoryNetwork();
    const { ab, ba, close } = await linked(network);
    network.setFaults({ delayMs: 30 });
    const got: number[] = [];
    ba.setReceiver((f) => got.push(f[0] as number));
    const t0 = Date.now();
    for (let i = 0; i < 5; i++) ab.send(new Uint8Array([i]));
    await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual([]);
    while (got.length < 5 && Date.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 5));
    expect(got).toEqual([0, 1, 2, 3, 4]);
    await close();
  });

  it('partitions without closing links, and heals', async () => {
    const network = new MemoryNetwork();
    const { a, b, ab, ba, close } = await linked(network);
    const c = countFrames(ba);
    const ids = [(a as unknown as { peerId: string }).peerId, (b as unknown as { peerId: string }).peerId];
    network.partition([ids[0] as string], [ids[1] as string]);
    ab.send(new Uint8Array([1]));
    await new Promise((r) => setTimeout(r, 20));
    expect(c.n).toBe(0);
    expect(ab.isOpen).toBe(true);
    network.heal();
    ab.send(new Uint8Array([1]));
    await new Promise((r) => setTimeout(r, 20));
    expect(c.n).toBe(1);
    await close();
  });

  it('cuts a link on both sides as a network failure', async () => {
    const network = new MemoryNetwork();
    const { a, b, ab, ba, close } = await linked(network);
    const n = network.cut((a as unknown as { peerId: string }).peerId, (b as unknown as { peerId: string }).peerId);
    expect(n).toBeGreaterThan(0);
    const [x, y] = await Promise.all([ab.closed, ba.closed]);
    expect(x).toMatchObject({ code: ErrorCode.LINK_CLOSED, remote: true });
    expect(y).toMatchObject({ code: ErrorCode.LINK_CLOSED, remote: true });
    await close();
  });

  it('fails a send past the pending bound with PC_ERR_LINK_QUEUE_FULL and closes the link', async () => {
    const network = new MemoryNetwork();
    const a = memoryTransport(network, { maxPendingSends: 3 })({ identity: PeerIdentity.generate() });
    const b = memoryTransport(network)({ identity: PeerIdentity.generate() });
    const [addr] = await b.listen();
    const ab = await a.dial(addr as string);
    for (let i = 0; i < 3; i++) ab.send(new Uint8Array([i]));
    expect(() => ab.send(new Uint8Array([9]))).toThrow(expect.objectContaining({ code: ErrorCode.LINK_QUEUE_FULL }));
    expect(ab.isOpen).toBe(false);
    await Promise.all([a.close(), b.close()]);
  });
});
