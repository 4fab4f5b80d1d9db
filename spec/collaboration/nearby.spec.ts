import { createSocket } from 'node:dgram';
import makeMdns from 'multicast-dns';
import { afterEach, describe, expect, it } from 'vitest';
import { filter, firstValueFrom } from 'rxjs';
import { ErrorCode, PeerIdentity, PresenceStatus, type PeerChannelError, lanResolver } from '../../lib/index.js';
import { inboxMeshAddress } from '../../lib/collaboration/people-meshes.js';
import { PeopleNearMe } from '../../lib/presence/index.js';
import { encodePresence } from '../../lib/presence/presence-record.js';
import { People, type User } from './fixtures.js';

/** A UDP port free right now, so no test ever touches the real mDNS port 5353. */
async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

let people: People;
const pnms: PeopleNearMe[] = [];
afterEach(async () => {
  await people?.close();
  await Promise.allSettled(pnms.splice(0).map((p) => p.close()));
});

const APP = { id: 'test.room', description: 'a room' };
const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: PeerChannelError) => e.code);

/** A user with People Near Me of its own, multicasting on loopback only, one hop, on `port`. */
async function nearbyUser(name: string, port: number, options: { lan: boolean; trustedInvitationsOnly?: boolean }): Promise<User> {
  const pnm = await PeopleNearMe.start({ interface: '127.0.0.1', port, multicastTtl: 1, queryWindowMs: 40 });
  pnms.push(pnm);
  return people.add(name, {
    peopleNearMe: pnm,
    trustedInvitationsOnly: options.trustedInvitationsOnly,
    node: { resolver: options.lan ? lanResolver({ presence: pnm }) : null },
  });
}

describe('People Near Me', () => {
  it("finds a contact's presence on the LAN, with no other resolver", async () => {
    people = new People();
    const port = await freeUdpPort();
    const alice = await nearbyUser('Alice', port, { lan: true });
    const bob = await nearbyUser('Bob', port, { lan: true });
    await people.befriend(alice, bob);
    const watched = bob.collab.presence$(alice.identity.peerId);
    expect((await firstValueFrom(watched.pipe(filter((p) => p.status === PresenceStatus.Online)))).status).toBe(PresenceStatus.Online);
    await alice.collab.setPresence(PresenceStatus.Away, 'near');
    expect(await firstValueFrom(watched.pipe(filter((p) => p.status === PresenceStatus.Away)))).toEqual({ peerId: alice.identity.peerId, status: PresenceStatus.Away, note: 'near' });
  });

  it('lists the people near me with their contact, and invites one who is not a contact: its stranger rules decide', async () => {
    people = new People();
    const port = await freeUdpPort();
    // No resolver at all: only the addresses People Near Me announced get an invitation there.
    const alice = await nearbyUser('Alice', port, { lan: false });
    const bob = await nearbyUser('Bob', port, { lan: false });
    const carol = await nearbyUser('Carol', port, { lan: false, trustedInvitationsOnly: false });
    const dora = await nearbyUser('Dora', port, { lan: false });
    await people.befriend(alice, bob);
    for (const u of [alice, bob, carol, dora]) u.collab.registerApplication(APP);

    const ids = (u: User) => u.identity.peerId;
    const all = await firstValueFrom(alice.collab.nearby$.pipe(filter((list) => list.length === 3)));
    expect(new Set(all.map((p) => p.peerId))).toEqual(new Set([bob, carol, dora].map(ids)));
    expect(all.find((p) => p.peerId === ids(bob))?.contact?.name).toBe('Bob');
    expect(all.find((p) => p.peerId === ids(carol))).toMatchObject({ displayName: 'Carol', contact: undefined });

    const nearCarol = all.find((p) => p.peerId === ids(carol))!;
    const got = firstValueFrom(carol.collab.invitations$);
    const outcome = alice.collab.inviteNearby(nearCarol, APP.id, { message: 'hello neighbour' });
    const inv = await got;
    expect(inv).toMatchObject({ from: ids(alice), fromName: undefined, message: 'hello neighbour' });
    await inv.accept();
    expect(await outcome).toBe('accepted');

    const nearDora = all.find((p) => p.peerId === ids(dora))!;
    expect(await codeOf(alice.collab.inviteNearby(nearDora, APP.id))).toBe(ErrorCode.INVITATION_UNTRUSTED);
    expect(dora.collab.invitationStats.refused[ErrorCode.INVITATION_UNTRUSTED]).toBe(1);
    expect(() => alice.collab.inviteNearby({ peerId: ids(dora), addresses: [] }, APP.id)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
  });

  it('lists only people whose announcement is signed by their own key: an impostor of a contact is not shown', async () => {
    people = new People();
    const port = await freeUdpPort();
    const alice = await nearbyUser('Alice', port, { lan: false });
    const bob = await nearbyUser('Bob', port, { lan: false });
    await people.befriend(alice, bob);
    const bobId = bob.identity.peerId;
    await firstValueFrom(alice.collab.nearby$.pipe(filter((list) => list.some((p) => p.peerId === bobId))));

    // Mallory, on the LAN, announces Bob's peer id with her own name and address, signed by her key.
    const mallory = PeerIdentity.generate();
    const neighbour = PeerIdentity.generate(); // an honest announcement after hers: when it shows, hers was handled
    const inbox = (id: string) => inboxMeshAddress(id).slice('net.p2p://'.length);
    const m = makeMdns({ port, interface: '127.0.0.1', bind: '0.0.0.0', ttl: 1, loopback: true });
    try {
      await new Promise<void>((resolve) => m.once('ready', () => resolve()));
      const now = Date.now() + 1_000; // later than anything Bob has sent
      const forged = encodePresence({ peerId: bobId, displayName: 'Bob (new laptop)', addresses: ['wss://127.0.0.1:1'], meshes: new Map([[inbox(bobId), 60_000]]), validMs: 60_000, timestamp: now }, mallory);
      const honest = encodePresence({ peerId: neighbour.peerId, displayName: 'Neighbour', addresses: ['wss://127.0.0.1:2'], meshes: new Map([[inbox(neighbour.peerId), 60_000]]), validMs: 60_000, timestamp: now }, neighbour);
      m.respond({ answers: [...forged, ...honest] });
      const list = await firstValueFrom(alice.collab.nearby$.pipe(filter((l) => l.some((p) => p.peerId === neighbour.peerId))));
      expect(list.find((p) => p.peerId === bobId)).toMatchObject({ displayName: 'Bob', contact: expect.objectContaining({ name: 'Bob' }) });
      expect(list.find((p) => p.peerId === bobId)?.addresses).not.toContain('wss://127.0.0.1:1');
      expect((pnms[0] as PeopleNearMe).stats.forged).toBeGreaterThanOrEqual(1);
    } finally {
      await new Promise<void>((resolve) => m.destroy(() => resolve()));
    }
  });
});
