import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import makeMdns from 'multicast-dns';
import { filter, firstValueFrom, take, timeout, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/errors/index.js';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';
import { lanResolver, PeopleNearMe, type NearbyEvent, type PeopleNearMeOptions } from '../../lib/presence/index.js';
import { encodePresence, instanceName, PRESENCE_SERVICE } from '../../lib/presence/presence-record.js';
import { MemoryNetwork, memoryTransport } from '../../lib/transport/memory/index.js';
import { resolverCompliance } from '../compliance/resolver-compliance.js';

/** A UDP port free right now, so no test ever touches the real mDNS port 5353. */
async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

// Multicast only on the loopback interface, one hop, on a random port.
const loopback = async (): Promise<PeopleNearMeOptions> => ({ interface: '127.0.0.1', port: await freeUdpPort(), multicastTtl: 1, queryWindowMs: 40 });

const net = new MemoryNetwork();
const compliancePort = await freeUdpPort();
resolverCompliance('lan (multicast DNS on loopback)', {
  shortTtlMs: 500,
  make: ({ ttlMs }) => {
    const identity = PeerIdentity.generate();
    const resolver = lanResolver({ interface: '127.0.0.1', port: compliancePort, multicastTtl: 1, queryWindowMs: 40, ttlMs })({
      identity,
      createTransport: () => memoryTransport(net)({ identity }),
    });
    return { resolver, peerId: randomBytes(32).toString('hex') };
  },
});

describe('People Near Me', () => {
  let options: PeopleNearMeOptions;
  const open: { close(): Promise<void> | void }[] = [];
  const start = async (extra: Partial<PeopleNearMeOptions> = {}) => {
    const pnm = await PeopleNearMe.start({ ...options, ...extra });
    open.push(pnm);
    return pnm;
  };
  /** A bare multicast-dns socket on the same group, to send what no well-behaved peer would. */
  const raw = () => {
    const m = makeMdns({ port: options.port, interface: '127.0.0.1', bind: '0.0.0.0', ttl: 1, loopback: true });
    open.push({ close: () => new Promise<void>((r) => m.destroy(() => r())) });
    return new Promise<typeof m>((resolve) => m.once('ready', () => resolve(m)));
  };
  const next = (pnm: PeopleNearMe, type: NearbyEvent['type'], peerId: string) =>
    firstValueFrom(pnm.nearby$.pipe(filter((e) => e.type === type && e.peer.peerId === peerId), take(1), timeout(5000)));

  beforeEach(async () => {
    options = await loopback();
  });
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
  });

  it('shows a published presence appearing, changing and leaving', async () => {
    const [alice, bob] = [await start(), await start()];
    const id = 'a'.repeat(64);
    const appeared = next(bob, 'appeared', id);
    await alice.publish({ peerId: id, displayName: 'Alice', addresses: ['wss://127.0.0.1:7000'], meshes: ['lobby'] });
    expect((await appeared).peer).toMatchObject({ displayName: 'Alice', meshes: ['lobby'], addresses: ['wss://127.0.0.1:7000'], from: '127.0.0.1' });
    const updated = next(bob, 'updated', id);
    await alice.publish({ peerId: id, displayName: 'Alice', addresses: ['wss://127.0.0.1:7000'], meshes: ['lobby', 'chess'] });
    expect([...(await updated).peer.meshes].sort()).toEqual(['chess', 'lobby']);
    expect(bob.offering('chess').map((p) => p.peerId)).toEqual([id]);
    const left = next(bob, 'left', id);
    await alice.unpublish(id);
    await left;
    expect(bob.nearby()).toEqual([]);
  });

  it('announces the addresses of every node one peer registers (one node per mesh), and drops a node\'s with its mesh', async () => {
    const [alice, bob] = [await start(), await start()];
    const id = 'e'.repeat(64);
    const appeared = next(bob, 'appeared', id);
    await alice.offerUntil(id, ['wss://127.0.0.1:7001'], 'presence', Date.now() + 60_000);
    await appeared;
    const both = next(bob, 'updated', id);
    await alice.offerUntil(id, ['wss://127.0.0.1:7002'], 'invitations', Date.now() + 60_000);
    expect((await both).peer.addresses).toEqual(['wss://127.0.0.1:7001', 'wss://127.0.0.1:7002']);
    const one = next(bob, 'updated', id);
    await alice.withdraw(id, 'invitations');
    expect((await one).peer).toMatchObject({ addresses: ['wss://127.0.0.1:7001'], meshes: ['presence'] });
  });

  it('finds presences published before it started, by querying', async () => {
    const alice = await start();
    await alice.publish({ peerId: 'a'.repeat(64), displayName: 'Alice', addresses: ['x://1'], meshes: ['lobby'] });
    const late = await start();
    await late.query();
    expect(late.nearby().map((p) => p.displayName)).toEqual(['Alice']);
  });

  it('forgets a peer that stops announcing once its presence expires', async () => {
    const bob = await start();
    const m = await raw();
    const id = 'c'.repeat(64);
    const appeared = next(bob, 'appeared', id);
    m.respond({ answers: encodePresence({ peerId: id, displayName: 'Crashed', addresses: ['x://1'], meshes: new Map([['lobby', 150]]), validMs: 300 }) });
    await appeared;
    const left = await next(bob, 'left', id);
    expect(left.peer.displayName).toBe('Crashed');
    expect(bob.nearby()).toEqual([]);
  });

  it('drops and counts malformed or oversize presences, and still takes valid ones', async () => {
    const bob = await start();
    const m = await raw();
    const txt = (peerId: string, strings: string[]) => ({ name: instanceName(peerId), type: 'TXT' as const, ttl: 60, data: strings });
    const good = 'g'.repeat(64);
    const appeared = next(bob, 'appeared', good);
    m.respond({
      answers: [
        txt('p1', ['v=1', 'x=1000']), // no id
        txt('p2', ['v=1', 'id=p2', 'x=soon']),
        txt('p3', ['v=1', 'id=p3', 'x=1000', `n=${'n'.repeat(65)}`]),
        txt('p4', ['v=1', 'id=p4', 'x=1000', ...Array.from({ length: 17 }, (_, i) => `m=100,m${i}`)]),
        txt('p5', ['v=1', 'id=someone-else', 'x=1000']), // instance name does not match the id
        txt('p6', ['v=2', 'id=p6', 'x=1000']),
        txt('p7', ['v=1', 'id=p7', 'x=1000', 'm=100']),
        { name: `other.${PRESENCE_SERVICE}`, type: 'A' as const, ttl: 60, data: '127.0.0.1' },
        ...encodePresence({ peerId: good, displayName: 'Good', addresses: [], meshes: new Map(), validMs: 5000 }),
      ],
    });
    await appeared;
    expect(bob.stats.malformed).toBe(7);
    expect(bob.nearby().map((p) => p.peerId)).toEqual([good]);
  });

  it('bounds the peers it remembers and the packets it handles', async () => {
    const bob = await start({ maxPeers: 2, maxPacketsPerSecond: 5 });
    const m = await raw();
    const ids = ['1', '2', '3'].map((c) => c.repeat(64));
    const two = firstValueFrom(bob.nearby$.pipe(take(2), toArray(), timeout(5000)));
    m.respond({ answers: ids.flatMap((peerId) => encodePresence({ peerId, displayName: '', addresses: [], meshes: new Map(), validMs: 5000 })) });
    await two;
    expect(bob.stats.overflow).toBe(1);
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => m.query([{ name: 'nothing.local', type: 'A' }], () => r()));
    const deadline = Date.now() + 5000;
    while (bob.stats.packets < 21 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(bob.stats.dropped).toBeGreaterThanOrEqual(21 - 5);
  });

  it('refuses oversize presences of its own, and calls after close', async () => {
    const alice = await start();
    await expect(alice.publish({ peerId: 'a', addresses: Array(9).fill('x://1') })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(alice.publish({ peerId: 'a', displayName: 'x'.repeat(65), addresses: [] })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(alice.publish({ peerId: 'a', addresses: [], meshes: Array.from({ length: 17 }, (_, i) => `m${i}`) })).rejects.toMatchObject({ code: ErrorCode.LIMIT_EXCEEDED });
    await alice.close();
    await alice.close();
    await expect(alice.publish({ peerId: 'a', addresses: [] })).rejects.toMatchObject({ code: ErrorCode.CLOSED });
  });

  it('needs an interface name for IPv6 (multicast there is per interface), and a known family', async () => {
    await expect(PeopleNearMe.start({ ...options, family: 'IPv6' })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(PeopleNearMe.start({ ...options, interface: '::1' })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(PeopleNearMe.start({ ...options, family: 'IPX' as 'IPv4' })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
  });

  it('lets the LAN resolver share a presence that it does not close', async () => {
    const shared = await start();
    const watcher = await start();
    const identity = PeerIdentity.generate();
    const r = lanResolver({ presence: shared })({ identity, createTransport: () => memoryTransport(net)({ identity }) });
    await shared.publish({ peerId: identity.peerId, displayName: 'Me', addresses: ['x://1'] });
    await r.register('lobby', { peerId: identity.peerId, addresses: ['x://1'] });
    await watcher.query();
    expect(watcher.offering('lobby').map((p) => p.displayName)).toEqual(['Me']);
    const updated = next(watcher, 'updated', identity.peerId);
    await r.close();
    expect((await updated).peer.meshes).toEqual([]);
    await shared.publish({ peerId: identity.peerId, displayName: 'Still here', addresses: ['x://1'] });
    await watcher.query();
    expect(watcher.nearby().map((p) => p.displayName)).toEqual(['Still here']);
  });
});
