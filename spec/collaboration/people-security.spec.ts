import { afterEach, describe, expect, it } from 'vitest';
import { filter, firstValueFrom } from 'rxjs';
import { ErrorCode, PeerNode, PresenceStatus, type PeerChannelError, type ReceivedInvitation, sealInvitation } from '../../lib/index.js';
import { CollaborationContract } from '../../lib/collaboration/collaboration-contract.js';
import { newInvitationId } from '../../lib/collaboration/invitation-envelope.js';
import { presenceMeshAddress } from '../../lib/collaboration/people-meshes.js';
import { PresenceRecord } from '../../lib/collaboration/presence-status.js';
import { SenderRate } from '../../lib/collaboration/sender-rate.js';
import { waitFor } from '../helpers/wait.js';
import { People, type User } from './fixtures.js';

let people: People;
const extra: PeerNode[] = [];
afterEach(async () => {
  await Promise.allSettled(extra.splice(0).map((n) => n.close()));
  await people?.close();
});

const APP = { id: 'test.room', description: 'a room' };
const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: PeerChannelError) => e.code);
type Internals = { join: (p: string) => Promise<PeerNode>; joinInbox: (p: string, a: string[]) => Promise<PeerNode> };
const internals = (u: User) => u.collab as unknown as Internals;

describe('the presence mesh is readable by trusted contacts only', () => {
  it('a trusted contact reads it; a stranger holding the card is refused at every link and reads nothing, until trusted', async () => {
    people = new People();
    const alice = await people.add('Alice');
    const bob = await people.add('Bob');
    const carol = await people.add('Carol');
    await people.befriend(alice, bob);
    await carol.contacts.import(await alice.collab.card()); // Carol has Alice's card; Alice does not trust Carol
    const aliceId = alice.identity.peerId;

    expect((await firstValueFrom(bob.collab.presence$(aliceId).pipe(filter((p) => p.status === PresenceStatus.Online)))).status).toBe(PresenceStatus.Online);

    const seenByCarol: string[] = [];
    carol.collab.presence$(aliceId).subscribe((p) => seenByCarol.push(p.status));
    const carolInAlice = await internals(carol).join(aliceId);
    const refusal = firstValueFrom(carolInAlice.errors$.pipe(filter((e) => e.code === ErrorCode.UNTRUSTED_PEER)));
    expect((await refusal).code).toBe(ErrorCode.UNTRUSTED_PEER);
    await alice.collab.setPresence(PresenceStatus.Busy, 'secret');
    await firstValueFrom(bob.collab.presence$(aliceId).pipe(filter((p) => p.note === 'secret')));
    expect(carolInAlice.status).toBe('offline');
    expect(carolInAlice.records(PresenceRecord).query()).toEqual([]);
    expect(seenByCarol).toEqual([PresenceStatus.Offline]);

    // A node of her own, without the collaboration's admission, dialling Alice's presence node directly.
    const raw = await PeerNode.open(presenceMeshAddress(aliceId), { resolver: null, identity: carol.identity, records: { storage: 'memory', types: [PresenceRecord] } });
    extra.push(raw);
    const address = alice.collab.node.addresses[0] as string;
    expect(await codeOf(raw.connect(address, aliceId))).not.toBe('ok');
    expect(raw.records(PresenceRecord).query()).toEqual([]);

    // Trust is checked at each new link: once Alice trusts Carol, Carol's next attempt gets in.
    await alice.contacts.import(await carol.collab.card());
    const seen = await firstValueFrom(carol.collab.presence$(aliceId).pipe(filter((p) => p.status !== PresenceStatus.Offline)));
    expect(seen).toEqual({ peerId: aliceId, status: PresenceStatus.Busy, note: 'secret' });
  });

  it("a watcher's node admits only the owner: another trusted watcher cannot link to it", async () => {
    people = new People();
    const alice = await people.add('Alice');
    const bob = await people.add('Bob');
    const carol = await people.add('Carol');
    await people.befriend(alice, bob);
    await people.befriend(alice, carol);
    const aliceId = alice.identity.peerId;
    const bobInAlice = await internals(bob).join(aliceId);
    const carolInAlice = await internals(carol).join(aliceId);
    await firstValueFrom(bobInAlice.status$.pipe(filter((s) => s === 'online')));
    await firstValueFrom(carolInAlice.status$.pipe(filter((s) => s === 'online')));
    expect(await codeOf(carolInAlice.connect(bobInAlice.addresses[0] as string, bob.identity.peerId))).toBe(ErrorCode.UNTRUSTED_PEER);
    expect((await firstValueFrom(bobInAlice.neighbors$)).map((n) => n.peerId)).toEqual([aliceId]);
  });
});

describe('invitation envelopes: rate and pending bound per sender', () => {
  it('a flood from one sender is refused RATE_LIMITED (and at most 4 of its invitations wait) while an honest sender gets through', async () => {
    people = new People();
    // Refill so slow that the flood's outcome does not depend on how long it takes on a loaded machine.
    const bob = await people.add('Bob', { limits: { senderPerSecond: 0.0001 } });
    const alice = await people.add('Alice');
    const mallory = await people.add('Mallory');
    await people.befriend(alice, bob);
    await people.befriend(mallory, bob); // a trusted contact gone rogue: trust does not lift the rate
    for (const u of [alice, bob, mallory]) u.collab.registerApplication(APP);
    const waiting: ReceivedInvitation[] = [];
    bob.collab.invitations$.subscribe((i) => waiting.push(i));

    const malloryInBob = await internals(mallory).joinInbox(bob.identity.peerId, []);
    await firstValueFrom(malloryInBob.status$.pipe(filter((s) => s === 'online')));
    const envelope = () => sealInvitation(mallory.identity, { kind: 'invite', id: newInvitationId(), to: bob.identity.peerId, app: APP.id, message: 'flood', data: new Uint8Array(0), ttlMs: 60_000, response: '' });
    const outcomes = await Promise.all(Array.from({ length: 40 }, () => codeOf(malloryInBob.proxy(CollaborationContract).to(bob.identity.peerId).deliver(envelope()))));
    const count = (code: string) => outcomes.filter((o) => o === code).length;
    expect(count(ErrorCode.INVITATION_RATE_LIMITED)).toBe(32); // the burst of 8 passes, nothing refills meanwhile
    expect(count('ok')).toBe(4); // of those 8, maxPendingPerSender wait
    expect(count(ErrorCode.INVITATION_LIMIT)).toBe(4);
    expect(waiting).toHaveLength(4);
    expect(bob.collab.invitationStats.refused).toEqual({ [ErrorCode.INVITATION_RATE_LIMITED]: 32, [ErrorCode.INVITATION_LIMIT]: 4 });
    // Mallory's next one is still refused by the rate.
    expect(await codeOf(malloryInBob.proxy(CollaborationContract).to(bob.identity.peerId).deliver(envelope()))).toBe(ErrorCode.INVITATION_RATE_LIMITED);

    const got = firstValueFrom(bob.collab.invitations$.pipe(filter((i) => i.from === alice.identity.peerId)));
    const outcome = alice.collab.invite(bob.identity.peerId, APP.id, { message: 'honest' });
    const inv = await got;
    expect(inv.message).toBe('honest');
    await inv.accept();
    expect(await outcome).toBe('accepted');
    expect(bob.collab.invitationStats.delivered).toBeGreaterThanOrEqual(5);
    await waitFor(() => bob.collab.invitationStats.refused[ErrorCode.INVITATION_RATE_LIMITED] === 33, 'the 33rd refusal counted');
  });

  it('the rate refills with time, and tracks a bounded number of senders', () => {
    let now = 0;
    const rate = new SenderRate(2, 1, 3, () => now);
    expect([rate.take('a'), rate.take('a'), rate.take('a')]).toEqual([true, true, false]);
    now += 999;
    expect(rate.take('a')).toBe(false);
    now += 1;
    expect([rate.take('a'), rate.take('a')]).toEqual([true, false]);
    for (const s of ['b', 'c', 'd', 'e']) rate.take(s);
    expect(rate.size).toBe(3);
  });
});
