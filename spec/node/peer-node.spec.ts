import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, PeerNode, staticResolver } from '../../lib/index.js';
import { MemoryNetwork, memoryTransport } from '../../lib/entries/testing.js';
import { Chat } from '../helpers/contracts.js';
import { waitFor } from '../helpers/wait.js';

const nodes: PeerNode[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});

async function open(net: MemoryNetwork, options: Parameters<typeof PeerNode.open>[1] = {}): Promise<PeerNode> {
  const n = await PeerNode.open('net.p2p://node', { transport: memoryTransport(net), resolver: null, ...options });
  nodes.push(n);
  return n;
}

describe('PeerNode', () => {
  it('rejects a bad mesh address with a code', async () => {
    await expect(PeerNode.open('http://lobby')).rejects.toMatchObject({ code: ErrorCode.INVALID_MESH_ADDRESS });
    await expect(PeerNode.open('net.p2p://no spaces')).rejects.toMatchObject({ code: ErrorCode.INVALID_MESH_ADDRESS });
  });

  it('joins a peer listed by address only in a static resolver (unpinned)', async () => {
    const net = new MemoryNetwork();
    const b = await open(net);
    const a = await open(net, { resolver: staticResolver([b.addresses[0] as string]), maintenanceIntervalMs: 50 });
    await waitFor(() => a.status === 'online' && b.status === 'online', 'a to find b by address', 5000);
  });

  it('reports a neighbour online before delivering anything it sent', async () => {
    const net = new MemoryNetwork();
    const a = await open(net);
    const b = await open(net);
    // b dials; a (the acceptor) speaks the moment it is online, so its call travels right behind
    // its welcome and reaches b before b has finished registering a.
    const statusAtDelivery: string[] = [];
    b.calls$(Chat, 'say').subscribe((call) => {
      if (!call.local) statusAtDelivery.push(b.status);
    });
    const aSends = a.status$.subscribe((s) => {
      if (s === 'online') void a.proxy(Chat).say('a', 'first thing');
    });
    await b.connect(a.addresses[0] as string, a.peerId);
    await waitFor(() => statusAtDelivery.length === 1, 'delivery');
    aSends.unsubscribe();
    expect(statusAtDelivery).toEqual(['online']);
  });

  it('host resolves a service class in the node container and rejects a second host', async () => {
    const net = new MemoryNetwork();
    const a = await open(net);
    class Impl {
      say() {}
      nudge() {}
      ping() {}
      async whois() {
        return 'impl';
      }
      async add(x: number, y: number) {
        return x + y;
      }
      async fail() {}
    }
    a.host(Chat, Impl);
    expect(() => a.host(Chat, Impl)).toThrow(expect.objectContaining({ code: ErrorCode.CONTRACT_ALREADY_HOSTED }));
    expect(await a.proxy(Chat).to(a.peerId).add(1, 2)).toBe(3);
  });
});
