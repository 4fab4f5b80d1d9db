import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PeerIdentity } from '../../../lib/identity/peer-identity.js';
import { pnrpResolver, type PnrpResolver } from '../../../lib/resolver/pnrp/index.js';
import { webSocketTransport } from '../../../lib/transport/ws/index.js';
import { resolverCompliance } from '../../compliance/resolver-compliance.js';

// PNRP over real TLS WebSockets on 127.0.0.1, port 0: the transport authenticates each node's
// peer id, so a request's claimed sender is checked against the certificate.
function components() {
  const identity = PeerIdentity.generate();
  return { identity, createTransport: () => webSocketTransport()({ identity }) };
}

let seed: PnrpResolver;
let seeds: readonly string[] = [];
beforeAll(async () => {
  seed = pnrpResolver()(components()) as PnrpResolver;
  seeds = await seed.start();
});
afterAll(async () => {
  await seed.close();
});

resolverCompliance('pnrp (ws transport)', {
  make: ({ ttlMs }) => {
    const c = components();
    return { resolver: pnrpResolver({ seeds, ttlMs })(c), peerId: c.identity.peerId };
  },
  // Long enough that a loaded CI machine never stalls a refresh past expiry (the spec refreshes every quarter TTL).
  shortTtlMs: 2_000,
});

describe('pnrp over ws', () => {
  it('listens on wss://127.0.0.1 and is reachable by seed address only', async () => {
    expect(seeds[0]).toMatch(/^wss:\/\/127\.0\.0\.1:\d+/);
    const c = components();
    const joiner = pnrpResolver({ seeds })(c) as PnrpResolver;
    try {
      await joiner.register('ws-room', { peerId: c.identity.peerId, addresses: ['wss://127.0.0.1:1'] });
      expect((await seed.resolve('net.p2p://ws-room')).map((p) => p.peerId)).toEqual([c.identity.peerId]);
      expect(seed.node?.cache.has(c.identity.peerId)).toBe(true);
    } finally {
      await joiner.close();
    }
  });
});
