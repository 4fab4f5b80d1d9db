import { afterEach, describe, expect, it } from 'vitest';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { ErrorCode, type PeerChannelError, PeerIdentity, PresenceStatus, type ReceivedInvitation, sealInvitation } from '../../lib/index.js';
import { CollaborationContract } from '../../lib/collaboration/collaboration-contract.js';
import { inboxMeshAddress } from '../../lib/collaboration/people-meshes.js';
import { newInvitationId } from '../../lib/collaboration/invitation-envelope.js';
import { PresenceRecord } from '../../lib/collaboration/presence-status.js';
import type { PeerNode } from '../../lib/index.js';
import { waitFor } from '../helpers/wait.js';
import { People, type User } from './fixtures.js';

let people: People;
afterEach(async () => {
  await people?.close();
});

const APP = { id: 'test.room', description: 'a room' };

async function pair(options: Parameters<People['add']>[1] = {}): Promise<[User, User]> {
  people = new People();
  const alice = await people.add('Alice', options);
  const bob = await people.add('Bob', options);
  await people.befriend(alice, bob);
  alice.collab.registerApplication(APP);
  bob.collab.registerApplication(APP);
  return [alice, bob];
}

const nextInvitation = (u: User): Promise<ReceivedInvitation> => firstValueFrom(u.collab.invitations$);
const codeOf = (p: Promise<unknown>) => p.then(() => 'resolved', (e: PeerChannelError) => e.code);

describe('presence', () => {
  it("a contact's presence is seen as published, then each change", async () => {
    const [alice, bob] = await pair();
    const seen = firstValueFrom(bob.collab.presence$(alice.identity.peerId).pipe(filter((p) => p.status === PresenceStatus.Online)));
    expect((await seen).note).toBe('');
    const away = firstValueFrom(bob.collab.presence$(alice.identity.peerId).pipe(filter((p) => p.status === PresenceStatus.Away)));
    await alice.collab.setPresence(PresenceStatus.Away, 'back in 5');
    expect(await away).toEqual({ peerId: alice.identity.peerId, status: PresenceStatus.Away, note: 'back in 5' });
  });

  it('a user that closes is seen Offline', async () => {
    const [alice, bob] = await pair();
    await firstValueFrom(bob.collab.presence$(alice.identity.peerId).pipe(filter((p) => p.status === PresenceStatus.Online)));
    const offline = firstValueFrom(bob.collab.presence$(alice.identity.peerId).pipe(filter((p) => p.status === PresenceStatus.Offline)));
    await alice.collab.close();
    expect((await offline).status).toBe(PresenceStatus.Offline);
  });

  it('a presence record that is not refreshed expires, and the user is then Offline', async () => {
    people = new People();
    const alice = await people.add('Alice', { presenceTtlMs: 600 });
    const bob = await people.add('Bob');
    await people.befriend(alice, bob);
    const watched = bob.collab.presence$(alice.identity.peerId);
    await firstValueFrom(watched.pipe(filter((p) => p.status === PresenceStatus.Online)));
    // Stop Alice's refresher without publishing Offline: her record must expire by itself.
    clearInterval((alice.collab as unknown as { refresher: NodeJS.Timeout }).refresher);
    expect((await firstValueFrom(watched.pipe(filter((p) => p.status === PresenceStatus.Offline)), )).status).toBe(PresenceStatus.Offline);
  });

  it("only the owner's key publishes its presence: another member's presence record in the mesh is ignored", async () => {
    const [alice, bob] = await pair();
    const mallory = await people.add('Mallory');
    await people.befriend(alice, mallory); // a contact Alice trusts, who then lies
    const watched = bob.collab.presence$(alice.identity.peerId);
    await firstValueFrom(watched.pipe(filter((p) => p.status === PresenceStatus.Online)));
    const malloryInAlice = await (mallory.collab as unknown as { join: (p: string) => Promise<PeerNode> }).join(alice.identity.peerId);
    await firstValueFrom(malloryInAlice.status$.pipe(filter((s) => s === 'online')));
    const fake = await malloryInAlice.records(PresenceRecord).add({ status: PresenceStatus.Busy, note: 'I am Alice' });
    const bobInAlice = await (bob.collab as unknown as { join: (p: string) => Promise<PeerNode> }).join(alice.identity.peerId);
    await waitFor(() => bobInAlice.records(PresenceRecord).get(fake.id) !== undefined, "mallory's record at bob");
    await alice.collab.setPresence(PresenceStatus.Idle, 'real');
    const seen = await firstValueFrom(watched.pipe(filter((p) => p.status !== PresenceStatus.Online)));
    expect(seen).toEqual({ peerId: alice.identity.peerId, status: PresenceStatus.Idle, note: 'real' });
    await expect(bobInAlice.records(PresenceRecord).update(fake.id, { status: 'Online', note: '' })).rejects.toMatchObject({ code: ErrorCode.RECORD_FORBIDDEN });
  });

  it('note ≤ 255 characters and known statuses only', async () => {
    people = new People();
    const alice = await people.add('Alice');
    await alice.collab.setPresence(PresenceStatus.Busy, 'x'.repeat(255));
    expect(() => alice.collab.setPresence(PresenceStatus.Busy, 'x'.repeat(256))).toThrow(expect.objectContaining({ code: ErrorCode.PRESENCE_LIMIT }));
    expect(() => alice.collab.setPresence('Sleeping' as PresenceStatus)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    expect(alice.collab.presence.status).toBe(PresenceStatus.Busy);
  });

  it('published objects ≤ 16 KiB, at most 16, seen by contacts', async () => {
    const [alice, bob] = await pair();
    await alice.collab.publishObject('avatar', new Uint8Array(16_384).fill(7));
    expect(() => alice.collab.publishObject('big', new Uint8Array(16_385))).toThrow(expect.objectContaining({ code: ErrorCode.PRESENCE_LIMIT }));
    for (let i = 1; i < 16; i++) await alice.collab.publishObject(`o${i}`, new Uint8Array([i]));
    expect(() => alice.collab.publishObject('o16', new Uint8Array([1]))).toThrow(expect.objectContaining({ code: ErrorCode.PRESENCE_LIMIT }));
    await alice.collab.publishObject('avatar', new Uint8Array([1, 2, 3])); // replacing one is not a new one
    const objects = await firstValueFrom(bob.collab.objects$(alice.identity.peerId).pipe(filter((o) => o.length === 16 && o.some((x) => x.name === 'avatar' && x.data.length === 3))));
    expect(objects.find((o) => o.name === 'avatar')?.data).toEqual(new Uint8Array([1, 2, 3]));
  });
});

describe('applications', () => {
  it('at most 64 per user; ids and descriptions are checked', async () => {
    people = new People();
    const alice = await people.add('Alice');
    for (let i = 0; i < 64; i++) alice.collab.registerApplication({ id: `app.${i}`, description: '' });
    alice.collab.registerApplication({ id: 'app.0', description: 'again' });
    expect(() => alice.collab.registerApplication({ id: 'app.64', description: '' })).toThrow(expect.objectContaining({ code: ErrorCode.APPLICATION_INVALID }));
    expect(() => alice.collab.registerApplication({ id: 'bad id', description: '' })).toThrow(expect.objectContaining({ code: ErrorCode.APPLICATION_INVALID }));
    alice.collab.unregisterApplication('app.1');
    expect(() => alice.collab.registerApplication({ id: 'x', description: 'd'.repeat(256) })).toThrow(expect.objectContaining({ code: ErrorCode.APPLICATION_INVALID }));
    alice.collab.registerApplication({ id: 'x', description: 'd'.repeat(255) });
    expect(alice.collab.applications()).toHaveLength(64);
  });
});

describe('invitations', () => {
  it('accepted: the invitee sees message and data, the inviter resolves accepted', async () => {
    const [alice, bob] = await pair();
    const got = nextInvitation(bob);
    const outcome = alice.collab.invite(bob.identity.peerId, APP.id, { message: 'join me', data: new Uint8Array([1, 2]) });
    const inv = await got;
    expect(inv).toMatchObject({ from: alice.identity.peerId, fromName: 'Alice', application: APP.id, message: 'join me', data: new Uint8Array([1, 2]) });
    await inv.accept();
    expect(await outcome).toBe('accepted');
    expect(await inv.ended).toBe('accepted');
    expect(await codeOf(inv.decline())).toBe(ErrorCode.INVITATION_ANSWERED);
  });

  it('declined', async () => {
    const [alice, bob] = await pair();
    const got = nextInvitation(bob);
    const outcome = alice.collab.invite(bob.identity.peerId, APP.id);
    await (await got).decline();
    expect(await outcome).toBe('declined');
  });

  it('expired: the inviter resolves expired and the invitee can no longer accept', async () => {
    const [alice, bob] = await pair();
    const got = nextInvitation(bob);
    const outcome = alice.collab.invite(bob.identity.peerId, APP.id, { ttlMs: 300 });
    const inv = await got;
    expect(await outcome).toBe('expired');
    expect(await inv.ended).toBe('expired');
    expect(await codeOf(inv.accept())).toBe(ErrorCode.INVITATION_EXPIRED);
  });

  it('the default lifetime is 5 minutes', async () => {
    const [alice, bob] = await pair();
    const got = nextInvitation(bob);
    const before = Date.now();
    void alice.collab.invite(bob.identity.peerId, APP.id).catch(() => undefined);
    const inv = await got;
    expect(inv.expiresAt - before).toBeGreaterThanOrEqual(300_000);
    expect(inv.expiresAt - Date.now()).toBeLessThanOrEqual(300_000);
  });

  it('cancelled: the inviter rejects ABORTED and an accept after it is refused as withdrawn', async () => {
    const [alice, bob] = await pair();
    const got = nextInvitation(bob);
    const abort = new AbortController();
    const outcome = alice.collab.invite(bob.identity.peerId, APP.id, { signal: abort.signal });
    const inv = await got;
    abort.abort();
    expect(await codeOf(outcome)).toBe(ErrorCode.ABORTED);
    expect(await inv.ended).toBe('withdrawn');
    expect(await codeOf(inv.accept())).toBe(ErrorCode.INVITATION_WITHDRAWN);
  });

  it('an accept that reaches the inviter after it cancelled is refused there too', async () => {
    const [alice, bob] = await pair();
    const got = nextInvitation(bob);
    const abort = new AbortController();
    const outcome = alice.collab.invite(bob.identity.peerId, APP.id, { signal: abort.signal });
    const inv = await got;
    // Bob's side never hears the withdrawal: drop it at his desk.
    const desk = (bob.collab as unknown as { desk: { deliver: (via: string, e: Uint8Array) => void } }).desk;
    const deliver = desk.deliver.bind(desk);
    let dropped = 0;
    desk.deliver = (via, e) => {
      if (dropped === 0) return void dropped++;
      deliver(via, e);
    };
    abort.abort();
    expect(await codeOf(outcome)).toBe(ErrorCode.ABORTED);
    expect(dropped).toBe(1);
    expect(await codeOf(inv.accept())).toBe(ErrorCode.INVITATION_WITHDRAWN);
    expect(await inv.ended).toBe('withdrawn');
  });

  it('a stranger is refused by default, and accepted when the setting allows strangers', async () => {
    people = new People();
    const alice = await people.add('Alice');
    const bob = await people.add('Bob');
    const carol = await people.add('Carol', { trustedInvitationsOnly: false });
    for (const u of [alice, bob, carol]) u.collab.registerApplication(APP);
    expect(await codeOf(alice.collab.invite(bob.identity.peerId, APP.id))).toBe(ErrorCode.INVITATION_UNTRUSTED);
    const got = nextInvitation(carol);
    const outcome = alice.collab.invite(carol.identity.peerId, APP.id);
    expect((await got).fromName).toBeUndefined();
    await (await got).accept();
    expect(await outcome).toBe('accepted');
  });

  it('a contact marked untrusted is refused', async () => {
    const [alice, bob] = await pair();
    await bob.contacts.setTrusted(alice.identity.peerId, false);
    expect(await codeOf(alice.collab.invite(bob.identity.peerId, APP.id))).toBe(ErrorCode.INVITATION_UNTRUSTED);
  });

  it('an application the invitee has not registered is refused; one the inviter has not is thrown', async () => {
    const [alice, bob] = await pair();
    alice.collab.registerApplication({ id: 'only.alice', description: '' });
    expect(await codeOf(alice.collab.invite(bob.identity.peerId, 'only.alice'))).toBe(ErrorCode.APPLICATION_UNKNOWN);
    expect(() => alice.collab.invite(bob.identity.peerId, 'nobody')).toThrow(expect.objectContaining({ code: ErrorCode.APPLICATION_UNKNOWN }));
  });

  it('message ≤ 255 characters, data ≤ 16 KiB, lifetime ≤ 1 hour', async () => {
    const [alice, bob] = await pair();
    const to = bob.identity.peerId;
    expect(() => alice.collab.invite(to, APP.id, { message: 'm'.repeat(256) })).toThrow(expect.objectContaining({ code: ErrorCode.INVITATION_INVALID }));
    expect(() => alice.collab.invite(to, APP.id, { data: new Uint8Array(16_385) })).toThrow(expect.objectContaining({ code: ErrorCode.INVITATION_INVALID }));
    expect(() => alice.collab.invite(to, APP.id, { ttlMs: 3_600_001 })).toThrow(expect.objectContaining({ code: ErrorCode.INVITATION_INVALID }));
    const got = nextInvitation(bob);
    const outcome = alice.collab.invite(to, APP.id, { message: 'm'.repeat(255), data: new Uint8Array(16_384).fill(9) });
    const inv = await got;
    expect(inv.data.byteLength).toBe(16_384);
    await inv.decline();
    expect(await outcome).toBe('declined');
  });

  it('forged: an invitation signed by another key than its claimed sender is refused, and so is a replay', async () => {
    const [alice, bob] = await pair();
    const mallory = PeerIdentity.generate();
    const real = sealInvitation(alice.identity, { kind: 'invite', id: newInvitationId(), to: bob.identity.peerId, app: APP.id, message: 'hi', data: new Uint8Array(0), ttlMs: 60_000, response: '' });
    const forged = sealInvitation(mallory, { kind: 'invite', id: newInvitationId(), to: bob.identity.peerId, app: APP.id, message: 'hi', data: new Uint8Array(0), ttlMs: 60_000, response: '' });
    // Mallory claims to be Alice: swap the signer fields inside the signed body, keep her signature.
    const { pack, unpack } = await import('../../lib/codec/index.js');
    const [body, sig] = unpack(forged) as [Uint8Array, Uint8Array];
    const fields = unpack(body) as unknown[];
    fields[2] = alice.identity.peerId;
    fields[3] = alice.identity.publicKeySpki;
    const claimed = pack([pack(fields), sig]);
    // The node of Alice in Bob's inbox carries them, as a peer would.
    const aliceInBob = await (alice.collab as unknown as { joinInbox: (p: string, a: string[]) => Promise<import('../../lib/index.js').PeerNode> }).joinInbox(bob.identity.peerId, []);
    await firstValueFrom(aliceInBob.status$.pipe(filter((s) => s === 'online')));
    const send = (e: Uint8Array) => aliceInBob.proxy(CollaborationContract).to(bob.identity.peerId).deliver(e);
    const received: ReceivedInvitation[] = [];
    bob.collab.invitations$.subscribe((i) => received.push(i));
    expect(await codeOf(send(claimed))).toBe(ErrorCode.INVITATION_FORGED);
    expect(await codeOf(send(forged))).toBe(ErrorCode.INVITATION_UNTRUSTED); // Mallory's own, valid, but a stranger
    const tampered = new Uint8Array(real);
    tampered[tampered.length - 3]! ^= 1;
    expect(await codeOf(send(tampered))).toBe(ErrorCode.INVITATION_FORGED);
    expect(await send(real)).toBe('ok');
    expect(await codeOf(send(real))).toBe(ErrorCode.INVITATION_ANSWERED);
    expect(await codeOf(send(new Uint8Array([1, 2, 3])))).toBe(ErrorCode.INVITATION_INVALID);
    expect(received).toHaveLength(1);
    expect(inboxMeshAddress(bob.identity.peerId)).toBe(`net.p2p://${bob.identity.peerId}.invitations`);
  });

  it('at most 64 received invitations wait at once', async () => {
    const [alice, bob] = await pair({ limits: { maxPendingInvitations: 3 } });
    const pending = bob.collab.invitations$.pipe(take(3), toArray());
    const got = firstValueFrom(pending);
    const outcomes = [0, 1, 2].map(() => alice.collab.invite(bob.identity.peerId, APP.id));
    await got;
    expect(await codeOf(alice.collab.invite(bob.identity.peerId, APP.id))).toBe(ErrorCode.INVITATION_LIMIT);
    for (const inv of await got) await inv.decline();
    expect(await Promise.all(outcomes)).toEqual(['declined', 'declined', 'declined']);
  });

  it('this user waits on at most maxOutgoingInvitations it sent at once', async () => {
    const [alice, bob] = await pair({ limits: { maxOutgoingInvitations: 2 } });
    const got = firstValueFrom(bob.collab.invitations$.pipe(take(2), toArray()));
    const outcomes = [0, 1].map(() => alice.collab.invite(bob.identity.peerId, APP.id));
    const waiting = await got;
    expect(await codeOf(alice.collab.invite(bob.identity.peerId, APP.id))).toBe(ErrorCode.INVITATION_LIMIT);
    for (const inv of waiting) await inv.decline();
    expect(await Promise.all(outcomes)).toEqual(['declined', 'declined']);
    // Answered, they no longer count: the next one goes out.
    const third = nextInvitation(bob);
    const outcome = alice.collab.invite(bob.identity.peerId, APP.id);
    await (await third).accept();
    expect(await outcome).toBe('accepted');
  });
});

describe('presence meshes joined', () => {
  it('at most maxWatchedContacts other users are watched at once (PC_ERR_CONTACT_LIMIT)', async () => {
    people = new People();
    const alice = await people.add('Alice', { limits: { maxWatchedContacts: 1 } });
    const bob = await people.add('Bob');
    const carol = await people.add('Carol');
    await people.befriend(alice, bob);
    await people.befriend(alice, carol);
    await firstValueFrom(alice.collab.presence$(bob.identity.peerId).pipe(filter((p) => p.status === PresenceStatus.Online)));
    await expect(firstValueFrom(alice.collab.presence$(carol.identity.peerId))).rejects.toMatchObject({ code: ErrorCode.CONTACT_LIMIT });
    // My own presence is no visit, and watching Bob again reuses the mesh already joined.
    expect((await firstValueFrom(alice.collab.presence$(alice.identity.peerId))).status).toBe(PresenceStatus.Online);
    expect((await firstValueFrom(alice.collab.presence$(bob.identity.peerId))).status).toBe(PresenceStatus.Online);
  });
});
