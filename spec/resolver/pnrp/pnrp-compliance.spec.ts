import { afterAll, beforeAll } from 'vitest';
import { PeerIdentity } from '../../../lib/identity/peer-identity.js';
import { pnrpResolver, type PnrpResolver } from '../../../lib/resolver/pnrp/index.js';
import { MemoryNetwork, memoryTransport } from '../../../lib/transport/memory/index.js';
import { resolverCompliance } from '../../compliance/resolver-compliance.js';

const net = new MemoryNetwork();
let seed: PnrpResolver;
let seeds: readonly string[] = [];

function components() {
  const identity = PeerIdentity.generate();
  return { identity, createTransport: () => memoryTransport(net)({ identity }) };
}

// One long-lived node is the cloud's seed; every instance the suite makes joins through it only.
beforeAll(async () => {
  seed = pnrpResolver()(components()) as PnrpResolver;
  seeds = await seed.start();
});
afterAll(async () => {
  await seed.close();
});

resolverCompliance('pnrp (memory transport)', {
  make: ({ ttlMs }) => {
    const c = components();
    return { resolver: pnrpResolver({ seeds, ttlMs })(c), peerId: c.identity.peerId };
  },
});
