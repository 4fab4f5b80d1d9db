import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { filter, firstValueFrom } from 'rxjs';
import { ErrorCode, PresenceStatus, type PeerChannelError, lanResolver } from '../../lib/index.js';
import { PeopleNearMe } from '../../lib/presence/index.js';
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
  // Skipped on main, not deleted: it passes on the people branch alone and times out after the
  // merge with the refusal back-off / duplicate-link retirement / chunking branches (cause not
  // found yet; issue 13 stays open for it). The other LAN case below passes.
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
});
