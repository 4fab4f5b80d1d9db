import { createSocket } from 'node:dgram';
import makeMdns from 'multicast-dns';
import { filter, firstValueFrom, take, timeout, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/errors/index.js';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';
import { lanResolver, PeopleNearMe, type NearbyEvent, type PeopleNearMeOptions } from '../../lib/presence/index.js';
import { encodePresence, instanceName, PRESENCE_SERVICE, type PresenceRecord } from '../../lib/presence/presence-record.js';
import { MemoryNetwork, memoryTransport } from '../../lib/transport/memory/index.js';
import { waitFor } from '../helpers/wait.js';
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
    return { resolver, peerId: identity.peerId };
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

  /** Signed answers announcing `fields` for `who`'s peer id (signed by `signer`, normally `who`). */
  const announce = (who: PeerIdentity, fields: Partial<PresenceRecord> = {}, signer = who) =>
    encodePresence({ peerId: who.peerId, displayName: '', addresses: [], meshes: new Map(), validMs: 5000, timestamp: Date.now(), ...fields }, signer);

  beforeEach(async () => {
    options = await loopback();
  });
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
  });

  it('shows a published presence appearing, changing and leaving', async () => {
    const [alice, bob] = [await start(), await start()];
    const identity = PeerIdentity.generate();
    const id = identity.peerId;
    const appeared = next(bob, 'appeared', id);
    await alice.publish({ identity, displayName: 'Alice', addresses: ['wss://127.0.0.1:7000'], meshes: ['lobby'] });
    const seen = (await appeared).peer;
    expect(seen).toMatchObject({ displayName: 'Alice', meshes: ['lobby'], addresses: ['wss://127.0.0.1:7000'], from: '127.0.0.1' });
    expect(Buffer.from(seen.publicKeySpki).equals(Buffer.from(identity.publicKeySpki))).toBe(true);
    const updated = next(bob, 'updated', id);
    await alice.publish({ identity, displayName: 'Alice', addresses: ['wss://127.0.0.1:7000'], meshes: ['lobby', 'chess'] });
    expect([...(await updated).peer.meshes].sort()).toEqual(['chess', 'lobby']);
    expect(bob.offering('chess').map((p) => p.peerId)).toEqual([id]);
    const left = next(bob, 'left', id);
    await alice.unpublish(id);
    await left;
    expect(bob.nearby()).toEqual([]);
    expect(bob.stats).toMatchObject({ forged: 0, replayed: 0, unsigned: 0 });
  });

  it('announces the addresses of every node one peer registers (one node per mesh), and drops a node\'s with its mesh', async () => {
    const [alice, bob] = [await start(), await start()];
    const identity = PeerIdentity.generate();
    const id = identity.peerId;
    const appeared = next(bob, 'appeared', id);
    await alice.offerUntil(identity, ['wss://127.0.0.1:7001'], 'presence', Date.now() + 60_000);
    await appeared;
    const both = next(bob, 'updated', id);
    await alice.offerUntil(identity, ['wss://127.0.0.1:7002'], 'invitations', Date.now() + 60_000);
    expect((await both).peer.addresses).toEqual(['wss://127.0.0.1:7001', 'wss://127.0.0.1:7002']);
    const one = next(bob, 'updated', id);
    await alice.withdraw(id, 'invitations');
    expect((await one).peer).toMatchObject({ addresses: ['wss://127.0.0.1:7001'], meshes: ['presence'] });
  });

  it('finds presences published before it started, by querying', async () => {
    const alice = await start();
    await alice.publish({ identity: PeerIdentity.generate(), displayName: 'Alice', addresses: ['x://1'], meshes: ['lobby'] });
    const late = await start();
    await late.query();
    expect(late.nearby().map((p) => p.displayName)).toEqual(['Alice']);
  });

  it('forgets a peer that stops announcing once its presence expires', async () => {
    const bob = await start();
    const m = await raw();
    const crashed = PeerIdentity.generate();
    const appeared = next(bob, 'appeared', crashed.peerId);
    m.respond({ answers: announce(crashed, { displayName: 'Crashed', addresses: ['x://1'], meshes: new Map([['lobby', 150]]), validMs: 300 }) });
    await appeared;
    const left = await next(bob, 'left', crashed.peerId);
    expect(left.peer.displayName).toBe('Crashed');
    expect(bob.nearby()).toEqual([]);
  });

  it('drops and counts malformed, unsigned and oversize presences, and still takes valid ones', async () => {
    const bob = await start();
    const m = await raw();
    const txt = (peerId: string, strings: string[]) => ({ name: instanceName(peerId), type: 'TXT' as const, ttl: 60, data: strings });
    const t = `t=${Date.now()}`;
    const good = PeerIdentity.generate();
    const appeared = next(bob, 'appeared', good.peerId);
    m.respond({
      answers: [
        txt('p1', ['v=2', 'x=1000', t]), // no id
        txt('p2', ['v=2', 'id=p2', 'x=soon', t]),
        txt('p3', ['v=2', 'id=p3', 'x=1000', t, `n=${'n'.repeat(65)}`]),
        txt('p4', ['v=2', 'id=p4', 'x=1000', t, ...Array.from({ length: 17 }, (_, i) => `m=100,m${i}`)]),
        txt('p5', ['v=2', 'id=someone-else', 'x=1000', t]), // instance name does not match the id
        txt('p6', ['v=3', 'id=p6', 'x=1000', t]),
        txt('p7', ['v=2', 'id=p7', 'x=1000', t, 'm=100']),
        txt('p8', ['v=2', 'id=p8', 'x=1000', t, 'k=not*base64', 's=AAAA']),
        txt('p9', ['v=2', 'id=p9', 'x=1000']), // no time
        txt('u1', ['v=1', 'id=u1', 'x=1000']), // the unsigned version 1
        txt('u2', ['v=2', 'id=u2', 'x=1000', t]), // no key, no signature
        txt('o1', ['v=2', 'id=o1', ...Array.from({ length: 40 }, (_, i) => `a=x://${i}`)]),
        { name: `other.${PRESENCE_SERVICE}`, type: 'A' as const, ttl: 60, data: '127.0.0.1' },
        ...announce(good, { displayName: 'Good' }),
      ],
    });
    await appeared;
    expect(bob.stats).toMatchObject({ malformed: 9, unsigned: 2, oversized: 1, verified: 1 });
    expect(bob.nearby().map((p) => p.peerId)).toEqual([good.peerId]);
  });

  it('bounds the peers it remembers and the packets it handles', async () => {
    const bob = await start({ maxPeers: 2, maxPacketsPerSecond: 5 });
    const m = await raw();
    const ids = [PeerIdentity.generate(), PeerIdentity.generate(), PeerIdentity.generate()];
    const two = firstValueFrom(bob.nearby$.pipe(take(2), toArray(), timeout(5000)));
    m.respond({ answers: ids.flatMap((who) => announce(who)) });
    await two;
    expect(bob.stats.overflow).toBe(1);
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => m.query([{ name: 'nothing.local', type: 'A' }], () => r()));
    const deadline = Date.now() + 5000;
    while (bob.stats.packets < 21 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(bob.stats.dropped).toBeGreaterThanOrEqual(21 - 5);
  });

  it('refuses oversize presences of its own, and calls after close', async () => {
    const alice = await start();
    const identity = PeerIdentity.generate();
    await expect(alice.publish({ identity, addresses: Array(9).fill('x://1') })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(alice.publish({ identity, displayName: 'x'.repeat(65), addresses: [] })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(alice.publish({ identity, addresses: [], meshes: Array.from({ length: 17 }, (_, i) => `m${i}`) })).rejects.toMatchObject({ code: ErrorCode.LIMIT_EXCEEDED });
    await expect(alice.publish({ identity: { peerId: 'a' } as PeerIdentity, addresses: [] })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await alice.close();
    await alice.close();
    await expect(alice.publish({ identity, addresses: [] })).rejects.toMatchObject({ code: ErrorCode.CLOSED });
  });

  it('needs an interface name for IPv6 (multicast there is per interface), and a known family', async () => {
    await expect(PeopleNearMe.start({ ...options, family: 'IPv6' })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(PeopleNearMe.start({ ...options, interface: '::1' })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(PeopleNearMe.start({ ...options, family: 'IPX' as 'IPv4' })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(PeopleNearMe.start({ ...options, maxVerificationsPerSource: 0 })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
  });

  it('lets the LAN resolver share a presence that it does not close, and announce its own node only', async () => {
    const shared = await start();
    const watcher = await start();
    const identity = PeerIdentity.generate();
    const r = lanResolver({ presence: shared })({ identity, createTransport: () => memoryTransport(net)({ identity }) });
    await expect(r.register('lobby', { peerId: PeerIdentity.generate().peerId, addresses: ['x://2'] })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await shared.publish({ identity, displayName: 'Me', addresses: ['x://1'] });
    await r.register('lobby', { peerId: identity.peerId, addresses: ['x://1'] });
    await watcher.query();
    expect(watcher.offering('lobby').map((p) => p.displayName)).toEqual(['Me']);
    const updated = next(watcher, 'updated', identity.peerId);
    await r.close();
    expect((await updated).peer.meshes).toEqual([]);
    await shared.publish({ identity, displayName: 'Still here', addresses: ['x://1'] });
    await watcher.query();
    expect(watcher.nearby().map((p) => p.displayName)).toEqual(['Still here']);
  });
});

describe('People Near Me announcements are authenticated', () => {
  let options: PeopleNearMeOptions;
  const open: { close(): Promise<void> | void }[] = [];
  const start = async (extra: Partial<PeopleNearMeOptions> = {}) => {
    const pnm = await PeopleNearMe.start({ ...options, ...extra });
    open.push(pnm);
    return pnm;
  };
  const raw = () => {
    const m = makeMdns({ port: options.port, interface: '127.0.0.1', bind: '0.0.0.0', ttl: 1, loopback: true });
    open.push({ close: () => new Promise<void>((r) => m.destroy(() => r())) });
    return new Promise<typeof m>((resolve) => m.once('ready', () => resolve(m)));
  };
  const announce = (who: PeerIdentity, fields: Partial<PresenceRecord> = {}, signer = who) =>
    encodePresence({ peerId: who.peerId, displayName: '', addresses: [], meshes: new Map(), validMs: 5000, timestamp: Date.now(), ...fields }, signer);
  const stringsOf = (answers: ReturnType<typeof encodePresence>) => (answers[1] as unknown as { data: Buffer[] }).data.map((b) => b.toString('utf8'));
  const withStrings = (answers: ReturnType<typeof encodePresence>, strings: string[]) => [answers[0], { ...answers[1], data: strings.map((x) => Buffer.from(x)) }] as ReturnType<typeof encodePresence>;
  /** Sends `answers` then an honest sentinel in one packet, and waits for the sentinel: everything before it was handled. */
  const sendAndSettle = async (bob: PeopleNearMe, m: Awaited<ReturnType<typeof raw>>, answers: ReturnType<typeof encodePresence>) => {
    const sentinel = PeerIdentity.generate();
    const seen = firstValueFrom(bob.nearby$.pipe(filter((e) => e.peer.peerId === sentinel.peerId), take(1), timeout(5000)));
    m.respond({ answers: [...answers, ...announce(sentinel, { displayName: 'sentinel' })] });
    await seen;
  };
  const names = (pnm: PeopleNearMe) => pnm.nearby().filter((p) => p.displayName !== 'sentinel').map((p) => `${p.peerId.slice(0, 8)}:${p.displayName}`);

  beforeEach(async () => {
    options = await loopback();
  });
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
  });

  it('shows an honest announcement, and not one signed by a key that is not its peer id\'s', async () => {
    const bob = await start();
    const m = await raw();
    const [alice, mallory] = [PeerIdentity.generate(), PeerIdentity.generate()];
    await sendAndSettle(bob, m, announce(alice, { displayName: 'Alice' }, mallory));
    expect(bob.stats.forged).toBe(1);
    expect(names(bob)).toEqual([]);
    await sendAndSettle(bob, m, announce(alice, { displayName: 'Alice' }));
    expect(names(bob)).toEqual([`${alice.peerId.slice(0, 8)}:Alice`]);
    // Nor a goodbye (or a new name) for Alice signed by someone else.
    await sendAndSettle(bob, m, announce(alice, { displayName: 'Mallory', validMs: 0 }, mallory));
    expect(bob.stats.forged).toBe(2);
    expect(names(bob)).toEqual([`${alice.peerId.slice(0, 8)}:Alice`]);
  });

  it('does not show an announcement with an altered name or address, or a bad signature', async () => {
    const bob = await start();
    const m = await raw();
    const alice = PeerIdentity.generate();
    const honest = announce(alice, { displayName: 'Alice', addresses: ['wss://127.0.0.1:7000'] });
    const strings = stringsOf(honest);
    const renamed = withStrings(honest, strings.map((x) => (x === 'n=Alice' ? 'n=Alice (bank)' : x)));
    const moved = withStrings(honest, strings.map((x) => (x.startsWith('a=') ? 'a=wss://10.0.0.66:7000' : x)));
    const sig = strings.find((x) => x.startsWith('s=')) as string;
    const flipped = Buffer.from(sig.slice(2), 'base64');
    flipped[0] = (flipped[0] as number) ^ 1;
    const badSignature = withStrings(honest, strings.map((x) => (x === sig ? `s=${flipped.toString('base64')}` : x)));
    await sendAndSettle(bob, m, [...renamed, ...moved, ...badSignature]);
    expect(bob.stats.forged).toBe(3);
    expect(names(bob)).toEqual([]);
    await sendAndSettle(bob, m, honest);
    expect(bob.nearby().find((p) => p.peerId === alice.peerId)).toMatchObject({ displayName: 'Alice', addresses: ['wss://127.0.0.1:7000'] });
  });

  it('does not take a replayed announcement: an older one than the last taken, or one outside the clock window', async () => {
    const bob = await start({ maxClockSkewMs: 60_000 });
    const m = await raw();
    const alice = PeerIdentity.generate();
    const first = announce(alice, { displayName: 'Alice' });
    await sendAndSettle(bob, m, first);
    await sendAndSettle(bob, m, announce(alice, { displayName: 'Alice, later', timestamp: Date.now() + 1 }));
    const verified = bob.stats.verified;
    await sendAndSettle(bob, m, first); // the recording, played again
    expect(bob.stats.replayed).toBe(1);
    expect(bob.stats.verified).toBe(verified + 1); // the sentinel only: a replay costs no signature check
    expect(names(bob)).toEqual([`${alice.peerId.slice(0, 8)}:Alice, later`]);
    // A goodbye replayed after the peer came back is refused too.
    const carol = PeerIdentity.generate();
    const goodbye = announce(carol, { validMs: 0 });
    await sendAndSettle(bob, m, goodbye);
    await sendAndSettle(bob, m, announce(carol, { displayName: 'Carol', timestamp: Date.now() + 2 }));
    await sendAndSettle(bob, m, goodbye);
    expect(bob.nearby().some((p) => p.peerId === carol.peerId)).toBe(true);
    // Recorded ten minutes ago, never heard here: outside the window.
    const dave = PeerIdentity.generate();
    await sendAndSettle(bob, m, announce(dave, { displayName: 'Dave', timestamp: Date.now() - 600_000 }));
    expect(bob.nearby().some((p) => p.peerId === dave.peerId)).toBe(false);
    expect(bob.stats.replayed).toBe(3);
  });

  it('checks at most maxVerificationsPerSource signatures a second per source, and drops oversized packets', async () => {
    const bob = await start({ maxVerificationsPerSource: 3 });
    const m = await raw();
    const many = Array.from({ length: 6 }, () => PeerIdentity.generate());
    const three = firstValueFrom(bob.nearby$.pipe(take(3), toArray(), timeout(5000)));
    m.respond({ answers: many.flatMap((who) => announce(who)) });
    expect((await three).map((e) => e.peer.peerId)).toEqual(many.slice(0, 3).map((w) => w.peerId));
    await waitFor(() => bob.stats.rateLimited === 3, 'three checks refused by the rate');
    expect(bob.stats.verified).toBe(3);

    const small = await start({ maxPacketBytes: 600 });
    const big = PeerIdentity.generate();
    m.respond({ answers: announce(big, { addresses: Array.from({ length: 8 }, (_, i) => `wss://127.0.0.1:${7000 + i}/${'p'.repeat(40)}`) }) });
    await waitFor(() => small.stats.oversized === 1, 'the big packet dropped');
    expect(small.nearby()).toEqual([]);
    expect(small.stats.verified).toBe(0);
  });

  it('signs what it publishes with the identity, and a receiver shows it', async () => {
    const [alice, bob] = [await start(), await start()];
    const identity = PeerIdentity.generate();
    const seen = firstValueFrom(bob.nearby$.pipe(filter((e) => e.peer.peerId === identity.peerId), take(1), timeout(5000)));
    await alice.publish({ identity, displayName: 'Alice', addresses: ['x://1'] });
    expect((await seen).peer.displayName).toBe('Alice');
    expect(bob.stats.verified).toBeGreaterThanOrEqual(1);
    expect(bob.stats.forged + bob.stats.unsigned + bob.stats.replayed).toBe(0);
  });
});
