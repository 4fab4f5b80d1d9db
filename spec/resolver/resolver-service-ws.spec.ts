import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/errors/index.js';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';
import { RegistrationKeeper } from '../../lib/resolver/registration-keeper.js';
import { resolverServer, resolverService, type ResolverServer } from '../../lib/resolver/service/index.js';
import { webSocketTransport } from '../../lib/transport/ws/index.js';
import { resolverCompliance } from '../compliance/resolver-compliance.js';

function client(address: string, options: { ttlMs?: number; peerId?: string } = {}, identity = PeerIdentity.generate()) {
  return resolverService({ address, ...options })({ identity, createTransport: () => webSocketTransport()({ identity }) });
}

let shared: ResolverServer;
beforeAll(async () => {
  shared = await resolverServer({ transport: webSocketTransport(), minTtlMs: 10 });
});
afterAll(async () => {
  await shared.close();
});

resolverCompliance('service (TLS WebSockets)', {
  // Long enough that a loaded CI machine never stalls a refresh past expiry (the spec refreshes every quarter TTL).
  shortTtlMs: 1_500,
  make: ({ ttlMs }) => {
    const identity = PeerIdentity.generate();
    return { resolver: client(shared.addresses[0] as string, { ttlMs, peerId: shared.peerId }, identity), peerId: identity.peerId };
  },
});

describe('resolver service over TLS WebSockets', () => {
  it('keeps a peer registered across a restart of the service at the same address', async () => {
    const identity = PeerIdentity.generate();
    let server = await resolverServer({ transport: webSocketTransport(), identity, ttlMs: 400, minTtlMs: 10 });
    const address = server.addresses[0] as string;
    const port = Number(new URL(address).port);
    const id = PeerIdentity.generate();
    const c = client(address, { peerId: identity.peerId }, id);
    const observer = client(address, { peerId: identity.peerId });
    const keeper = new RegistrationKeeper(c, 'room', { peerId: id.peerId, addresses: ['wss://127.0.0.1:1'] }, { retryDelayMs: 20 });
    const errors: string[] = [];
    keeper.errors$.subscribe((e) => errors.push(e.code));
    try {
      const reg = await keeper.start();
      expect((await observer.resolve('room')).map((p) => p.peerId)).toEqual([id.peerId]);
      await server.close();
      // Same identity and port: a restart, as with `peerchannel-resolver --identity-dir … --port …`.
      server = await resolverServer({ transport: webSocketTransport({ port }), identity, ttlMs: 400, minTtlMs: 10 });
      expect(server.addresses[0]).toBe(address);
      const deadline = Date.now() + 10_000;
      for (;;) {
        const found = await observer.resolve('room').catch(() => []);
        if (found.some((p) => p.peerId === id.peerId)) break;
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(keeper.registration?.id).not.toBe(reg.id);
      expect(errors).toContain(ErrorCode.NOT_REGISTERED);
    } finally {
      await keeper.close();
      await Promise.all([c.close(), observer.close()]);
      await server.close();
    }
  });

  it('refuses a server that cannot prove the pinned peer id', async () => {
    const c = client(shared.addresses[0] as string, { peerId: PeerIdentity.generate().peerId });
    try {
      await expect(c.resolve('room')).rejects.toMatchObject({ code: ErrorCode.RESOLVER_FAILED });
    } finally {
      await c.close();
    }
  });
});
