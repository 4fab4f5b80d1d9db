import { afterEach, describe, expect, it } from 'vitest';
import { filter, firstValueFrom } from 'rxjs';
import { ErrorCode, PeerNode, PresenceStatus, type PeerChannelError, type ReceivedInvitation, sealInvitation } from '../../lib/index.js';
import { CollaborationContract } from '../../lib/collaboration/collaboration-contract.js';
import { newInvitationId } from '../../lib/collaboration/invitation-envelope.js';
import { presenceMeshAddress } from '../../lib/collaboration/people-meshes.js';
import { PresenceRecord } from '../../lib/collaboration/presence-status.js';
import { SenderRate } from '../../lib/internal/sender-rate.js';
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

describe('losing trust cuts a live link', () => {
  it('a contact marked untrusted or removed loses its presence link at once, is refused on re-dial, and reads no later presence', async () => {
    people = new People();
    const alice = await people.add('Alice');
    const bob = await people.add('Bob');
    const carol = await people.add('Carol');
    const dave = await people.add('Dave');
    await people.befriend(alice, bob);
    await people.befriend(alice, carol);
    await people.befriend(alice, dave); // the witness, trusted throughout
    const aliceId = alice.identity.peerId;
    const notes = new Map<User, string[]>();
    for (const u of [bob, carol, dave]) {
      const seen: string[] = [];
      notes.set(u, seen);
      u.collab.presence$(aliceId).subscribe((p) => seen.push(`${p.status}:${p.note}`));
    }
    const nodes = new Map<User, PeerNode>();
    const refused = new Map<User, Promise<unknown>>();
    for (const u of [bob, carol, dave]) {
      const node = await internals(u).join(aliceId);
      nodes.set(u, node);
      // Only bob and carol are cut. A promise for dave would reject with EmptyError when his node closes
      // at teardown, and nothing would be awaiting it, so the rejection would be unhandled.
      if (u === dave) continue;
      const refusal = firstValueFrom(node.errors$.pipe(filter((e) => e.code === ErrorCode.UNTRUSTED_PEER)));
      refusal.catch(() => undefined); // a failed test must not also leave a stray rejection behind
      refused.set(u, refusal);
    }
    await waitFor(() => alice.collab.node.neighbors.length === 3, 'three watchers linked to alice', 15_000);
    await waitFor(() => [bob, carol, dave].every((u) => notes.get(u)?.includes('Online:')), 'every watcher to see alice online', 15_000);

    const linkedTo = () => alice.collab.node.neighbors.map((n) => n.peerId);
    await alice.contacts.setTrusted(bob.identity.peerId, false);
    // Cut when the contact store has changed, not at the next link.
    expect(linkedTo()).not.toContain(bob.identity.peerId);
    await alice.contacts.remove(carol.identity.peerId);
    expect(linkedTo()).toEqual([dave.identity.peerId]);
    for (const u of [bob, carol]) {
      const node = nodes.get(u) as PeerNode;
      await waitFor(() => node.status === 'offline', `${u.name}'s node to see the cut`);
      expect(node.stats().dropped[ErrorCode.DISCONNECTED]).toBe(1);
      await refused.get(u); // its own re-dial met admission
    }

    await alice.collab.setPresence(PresenceStatus.Busy, 'after the cut');
    await waitFor(() => notes.get(dave)?.includes('Busy:after the cut') === true, 'the trusted witness to see the change');
    for (const u of [bob, carol]) {
      expect(notes.get(u)).not.toContain('Busy:after the cut');
      expect((nodes.get(u) as PeerNode).records(PresenceRecord).query().map((r) => r.value.note)).not.toContain('after the cut');
    }

    // Trusted again: the next re-dial gets in and reads the presence as it is now.
    await alice.contacts.setTrusted(bob.identity.peerId, true);
    await waitFor(() => notes.get(bob)?.includes('Busy:after the cut') === true, 'bob, trusted again, to read the presence', 20_000);
    expect(notes.get(carol)).not.toContain('Busy:after the cut');
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
