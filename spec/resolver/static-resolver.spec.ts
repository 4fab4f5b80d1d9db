import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/errors/index.js';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';
import type { ResolverFactory } from '../../lib/resolver/resolver.js';
import { isUnpinnedPeer, staticResolver } from '../../lib/resolver/static/index.js';
import { MemoryNetwork, memoryTransport } from '../../lib/transport/memory/index.js';
import { resolverCompliance } from '../compliance/resolver-compliance.js';

const net = new MemoryNetwork();
const components = () => {
  const identity = PeerIdentity.generate();
  return { identity, createTransport: () => memoryTransport(net)({ identity }) };
};

const factories = new Map<number, ResolverFactory>();
resolverCompliance('static', {
  make: ({ ttlMs }) => {
    // Instances made from one factory share registrations; one factory per TTL keeps that true.
    let factory = factories.get(ttlMs);
    if (factory === undefined) factories.set(ttlMs, (factory = staticResolver([], { ttlMs })));
    const peerId = randomBytes(32).toString('hex');
    return { resolver: factory(components()), peerId };
  },
});

describe('staticResolver', () => {
  const bob = { peerId: 'b'.repeat(64), addresses: ['wss://127.0.0.1:7001'] };

  it('returns the fixed list for every mesh, address-only entries unpinned', async () => {
    const r = staticResolver(['wss://127.0.0.1:7000', bob])(components());
    const found = await r.resolve('any-mesh');
    expect(found).toHaveLength(2);
    const unpinned = found.find(isUnpinnedPeer);
    expect(unpinned?.addresses).toEqual(['wss://127.0.0.1:7000']);
    expect(found.filter((p) => !isUnpinnedPeer(p))).toEqual([bob]);
    await r.close();
  });

  it('returns per-mesh lists when given a record, and nothing for other meshes', async () => {
    const r = staticResolver({ lobby: [bob] })(components());
    expect(await r.resolve('lobby')).toEqual([bob]);
    expect(await r.resolve('other')).toEqual([]);
    await r.close();
  });

  it('deduplicates a fixed peer that also registered', async () => {
    const factory = staticResolver([bob, bob]);
    const r = factory(components());
    await r.register('lobby', { peerId: bob.peerId, addresses: ['wss://127.0.0.1:9999'] });
    const found = await r.resolve('lobby');
    expect(found.map((p) => p.peerId)).toEqual([bob.peerId]);
    await r.close();
  });

  it('does not share registrations between separate factories', async () => {
    const a = staticResolver([])(components());
    const b = staticResolver([])(components());
    await a.register('lobby', bob);
    expect(await b.resolve('lobby')).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  it('rejects malformed lists with PC_ERR_INVALID_ARGUMENT', () => {
    expect(() => staticResolver([{ peerId: '', addresses: [] }])).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    expect(() => staticResolver({ lobby: 'x' as never })).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    expect(() => staticResolver([], { ttlMs: -1 })).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
  });
});
