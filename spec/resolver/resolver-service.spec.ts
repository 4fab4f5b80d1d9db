import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeExtensionFrame, pack } from '../../lib/codec/index.js';
import { ErrorCode } from '../../lib/errors/index.js';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';
import { RegistrationKeeper } from '../../lib/resolver/registration-keeper.js';
import { RESOLVER_SERVICE_FRAME_KIND, resolverServer, resolverService, type ResolverServer, type ResolverServerOptions, type ResolverServiceClient, type ResolverServiceOptions } from '../../lib/resolver/service/index.js';
import { MemoryNetwork, memoryTransport } from '../../lib/transport/memory/index.js';
import type { Link } from '../../lib/transport/transport.js';
import { resolverCompliance } from '../compliance/resolver-compliance.js';

const net = new MemoryNetwork();
function client(options: Partial<ResolverServiceOptions> & { address: ResolverServiceOptions['address'] }, identity = PeerIdentity.generate()): ResolverServiceClient {
  return resolverService(options)({ identity, createTransport: () => memoryTransport(net)({ identity }) });
}

let shared: ResolverServer;
beforeAll(async () => {
  shared = await resolverServer({ transport: memoryTransport(net), minTtlMs: 10 });
});
afterAll(async () => {
  await shared.close();
});

resolverCompliance('service (memory transport)', {
  make: ({ ttlMs }) => {
    const identity = PeerIdentity.generate();
    return { resolver: client({ address: shared.addresses[0] as string, ttlMs }, identity), peerId: identity.peerId };
  },
});

describe('resolver service', () => {
  const servers: ResolverServer[] = [];
  const clients: ResolverServiceClient[] = [];
  const links: Link[] = [];
  const start = async (options: Partial<ResolverServerOptions> = {}) => {
    const s = await resolverServer({ transport: memoryTransport(net), minTtlMs: 10, ...options });
    servers.push(s);
    return s;
  };
  const connect = (options: Partial<ResolverServiceOptions> & { address: ResolverServiceOptions['address'] }, identity?: PeerIdentity) => {
    const c = client(options, identity);
    clients.push(c);
    return c;
  };
  /** A raw link to the server, for sending frames no client would. */
  const raw = async (server: ResolverServer) => {
    const t = memoryTransport(net)({ identity: PeerIdentity.generate() });
    const link = await t.dial(server.addresses[0] as string);
    links.push(link);
    return link;
  };
  const reply = (link: Link) =>
    new Promise<unknown>((resolve) => link.setReceiver((f) => resolve(f)));

  afterEach(async () => {
    for (const l of links.splice(0)) l.close('PC_OK', 'test over');
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('lets a client register only its own peer id when the transport authenticates it', async () => {
    const s = await start();
    const c = connect({ address: s.addresses[0] as string });
    await expect(c.register('room', { peerId: PeerIdentity.generate().peerId, addresses: ['x://1'] })).rejects.toMatchObject({ code: ErrorCode.PEER_ID_MISMATCH });
    expect(s.registrations).toBe(0);
  });

  it('grants TTLs within its bounds', async () => {
    const s = await start({ ttlMs: 5000, minTtlMs: 500 });
    const id = PeerIdentity.generate();
    const me = { peerId: id.peerId, addresses: ['x://1'] };
    expect((await connect({ address: s.addresses[0] as string }, id).register('a', me)).ttlMs).toBe(5000);
    expect((await connect({ address: s.addresses[0] as string, ttlMs: 60_000 }, id).register('b', me)).ttlMs).toBe(5000);
    expect((await connect({ address: s.addresses[0] as string, ttlMs: 1 }, id).register('c', me)).ttlMs).toBe(500);
  });

  it.each([
    ['not msgpack', new Uint8Array([0xc1, 0xc1]), ErrorCode.FRAME_DECODE],
    ['a core frame', pack([1, 1, 'a'.repeat(64), 'm', [], {}]), ErrorCode.FRAME_UNEXPECTED],
    ['another extension kind', encodeExtensionFrame(41, [4, 1, 'room', 10]), ErrorCode.FRAME_UNEXPECTED],
    ['an unknown op', encodeExtensionFrame(RESOLVER_SERVICE_FRAME_KIND, [9, 1]), ErrorCode.FRAME_SHAPE],
    ['a register with 1000 addresses', encodeExtensionFrame(RESOLVER_SERVICE_FRAME_KIND, [1, 1, 'room', 'p', Array(1000).fill('a'), null]), ErrorCode.FRAME_SHAPE],
    ['a negative request id', encodeExtensionFrame(RESOLVER_SERVICE_FRAME_KIND, [4, -1, 'room', 10]), ErrorCode.FRAME_SHAPE],
    ['an oversize frame', encodeExtensionFrame(RESOLVER_SERVICE_FRAME_KIND, [4, 1, 'x'.repeat(70_000), 10]), ErrorCode.FRAME_TOO_LARGE],
  ])('closes a link that sends %s with its coded reason, and keeps serving others', async (_what, frame, code) => {
    const s = await start();
    const id = PeerIdentity.generate();
    const good = connect({ address: s.addresses[0] as string }, id);
    await good.register('room', { peerId: id.peerId, addresses: ['x://1'] });
    const bad = await raw(s);
    bad.send(frame);
    expect(await bad.closed).toMatchObject({ code, remote: true });
    expect(s.stats.badFrames).toBe(1);
    expect((await good.resolve('room')).map((p) => p.peerId)).toEqual([id.peerId]);
  });

  it('answers a well-formed request on a raw link', async () => {
    const s = await start();
    const link = await raw(s);
    const answer = reply(link);
    link.send(encodeExtensionFrame(RESOLVER_SERVICE_FRAME_KIND, [4, 7, 'room', 10]));
    expect(await answer).toEqual(encodeExtensionFrame(RESOLVER_SERVICE_FRAME_KIND, [16, 7, []]));
  });

  it('bounds registrations per link, links, and idle links', async () => {
    const s = await start({ maxRegistrationsPerLink: 2, maxLinks: 2, idleTimeoutMs: 200 });
    const id = PeerIdentity.generate();
    const c = connect({ address: s.addresses[0] as string }, id);
    const me = { peerId: id.peerId, addresses: ['x://1'] };
    const first = await c.register('a', me);
    await c.register('b', me);
    await expect(c.register('c', me)).rejects.toMatchObject({ code: ErrorCode.LIMIT_EXCEEDED });
    await c.unregister(first.id);
    await c.register('c', me);
    await raw(s);
    const third = await raw(s);
    expect(await third.closed).toMatchObject({ code: ErrorCode.BUSY });
    expect(s.stats.refusedLinks).toBe(1);
    const quiet = links[0] as Link;
    expect(await quiet.closed).toMatchObject({ code: ErrorCode.TIMEOUT });
    expect(s.stats.idleClosed).toBeGreaterThanOrEqual(1);
  });

  it('closes a link that makes requests faster than its bound', async () => {
    const s = await start({ maxRequestsPerSecond: 5 });
    const link = await raw(s);
    link.setReceiver(() => undefined);
    for (let i = 0; i < 20; i++) link.send(encodeExtensionFrame(RESOLVER_SERVICE_FRAME_KIND, [4, i, 'room', 10]));
    expect(await link.closed).toMatchObject({ code: ErrorCode.LIMIT_EXCEEDED, remote: true });
    expect(s.stats.rateClosed).toBe(1);
  });

  it('cuts a resolve answer short to fit its frame bound', async () => {
    const s = await start({ maxFrameBytes: 8192 });
    for (let i = 0; i < 30; i++) {
      const id = PeerIdentity.generate();
      await connect({ address: s.addresses[0] as string }, id).register('big', { peerId: id.peerId, addresses: Array.from({ length: 8 }, (_, j) => `x://${'a'.repeat(40)}/${j}`) });
    }
    const found = await connect({ address: s.addresses[0] as string }).resolve('big', { max: 100 });
    expect(found.length).toBeGreaterThan(0);
    expect(found.length).toBeLessThan(30);
  });

  it('fails requests to an unreachable service with PC_ERR_RESOLVER_FAILED, then connects once it is up', async () => {
    const s = await start();
    const address = s.addresses[0] as string;
    const c = connect({ address: ['memory://987654', address] });
    expect(await c.resolve('room')).toEqual([]);
    const lone = connect({ address: 'memory://987654' });
    await expect(lone.resolve('room')).rejects.toMatchObject({ code: ErrorCode.RESOLVER_FAILED });
  });

  it('refuses a service that is not the pinned peer id', async () => {
    const s = await start();
    const c = connect({ address: s.addresses[0] as string, peerId: PeerIdentity.generate().peerId });
    await expect(c.resolve('room')).rejects.toMatchObject({ code: ErrorCode.RESOLVER_FAILED });
    const pinned = connect({ address: s.addresses[0] as string, peerId: s.peerId });
    expect(await pinned.resolve('room')).toEqual([]);
  });

  it('times out a request the service never answers', async () => {
    const mute = memoryTransport(net)({ identity: PeerIdentity.generate() });
    const [address] = await mute.listen();
    try {
      const c = connect({ address: address as string, requestTimeoutMs: 100 });
      await expect(c.resolve('room')).rejects.toMatchObject({ code: ErrorCode.TIMEOUT });
    } finally {
      await mute.close();
    }
  });

  it('keeps a peer registered across a service restart, at the address it is given', async () => {
    // On the memory transport a restarted service gets a new address, so the client is given a
    // function that names the current one; over WebSockets the service keeps its port and one
    // fixed address suffices (resolver-service-ws.spec.ts).
    let current = await start({ ttlMs: 300 });
    const id = PeerIdentity.generate();
    const me = { peerId: id.peerId, addresses: ['x://me'] };
    const c = connect({ address: () => current.addresses[0] as string }, id);
    const observer = connect({ address: () => current.addresses[0] as string });
    const keeper = new RegistrationKeeper(c, 'room', me, { retryDelayMs: 20 });
    const errors: string[] = [];
    keeper.errors$.subscribe((e) => errors.push(e.code));
    try {
      const reg = await keeper.start();
      expect((await observer.resolve('room')).map((p) => p.peerId)).toEqual([id.peerId]);
      await current.close(); // every registration is lost with it
      current = await start({ ttlMs: 300 });
      // The observer's first request may still meet the old link as it closes; the retry dials anew.
      expect(await observer.resolve('room').catch(() => observer.resolve('room'))).toEqual([]);
      const deadline = Date.now() + 5000;
      while (!(await observer.resolve('room')).some((p) => p.peerId === id.peerId)) {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(keeper.registration?.id).not.toBe(reg.id);
      expect(errors).toContain(ErrorCode.NOT_REGISTERED);
    } finally {
      await keeper.close();
    }
    expect(await observer.resolve('room')).toEqual([]);
  });
});
