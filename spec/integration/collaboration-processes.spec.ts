import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PeerProcess, type PeerEvent } from '../helpers/peer-process.js';

const FIXTURE = 'dist/spec/integration/fixtures/collab-user.js';
let dir: string;
let procs: PeerProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pc-collab-proc-'));
});
afterEach(async () => {
  await Promise.all(procs.map((p) => p.kill()));
  procs = [];
  rmSync(dir, { recursive: true, force: true });
});

function start(name: string): PeerProcess {
  const p = new PeerProcess(FIXTURE, [JSON.stringify({ name, home: dir })], { PEERCHANNEL_LOCAL_DIR: join(dir, 'resolver') });
  procs.push(p);
  return p;
}

/** Two users in their own processes who exchanged cards and watch each other's presence. */
async function friends(): Promise<{ alice: PeerProcess; bob: PeerProcess; aliceId: string; bobId: string }> {
  const alice = start('Alice');
  const bob = start('Bob');
  // Start-up (two nodes each: presence mesh and inbox) takes seconds on a loaded machine.
  const aliceId = (await alice.waitFor((e) => e.event === 'ready', 'alice ready', 60_000)).peerId as string;
  const bobId = (await bob.waitFor((e) => e.event === 'ready', 'bob ready', 60_000)).peerId as string;
  alice.send({ card: true });
  bob.send({ card: true });
  const aliceCard = (await alice.waitFor((e) => e.event === 'card', 'alice card')).vcf as string;
  const bobCard = (await bob.waitFor((e) => e.event === 'card', 'bob card')).vcf as string;
  expect(aliceCard).toMatch(/^BEGIN:VCARD\r\nVERSION:4.0\r\n/);
  alice.send({ add: bobCard });
  bob.send({ add: aliceCard });
  await alice.waitFor((e) => e.event === 'added' && e.peerId === bobId, 'alice added bob');
  await bob.waitFor((e) => e.event === 'added' && e.peerId === aliceId, 'bob added alice');
  alice.send({ watch: bobId });
  bob.send({ watch: aliceId });
  const online = (p: PeerProcess, id: string) => p.waitFor((e) => e.event === 'presence' && e.peerId === id && e.status === 'Online', 'online presence', 20_000);
  await Promise.all([online(alice, bobId), online(bob, aliceId)]);
  return { alice, bob, aliceId, bobId };
}

const isPresence = (id: string, status: string, note: string) => (e: PeerEvent) => e.event === 'presence' && e.peerId === id && e.status === status && e.note === note;

describe('two users in two processes over TLS', { timeout: 180_000 }, () => {
  it('exchange cards, see presence changes, invite, accept, and talk in a new password-protected mesh', async () => {
    const { alice, bob, aliceId, bobId } = await friends();
    alice.send({ status: 'Away', note: 'back in 5' });
    await bob.waitFor(isPresence(aliceId, 'Away', 'back in 5'), "alice's Away at bob", 15_000);
    bob.send({ status: 'Busy', note: 'on a call' });
    await alice.waitFor(isPresence(bobId, 'Busy', 'on a call'), "bob's Busy at alice", 15_000);

    const room = { mesh: `net.p2p://private-${randomBytes(6).toString('hex')}`, password: randomBytes(12).toString('hex') };
    alice.send({ invite: bobId, room });
    const invited = await bob.waitFor((e) => e.event === 'invited', 'the invitation at bob');
    expect(invited).toMatchObject({ from: aliceId, fromName: 'Alice', message: 'join me' });
    bob.send({ answer: invited.id, accept: true });
    expect((await alice.waitFor((e) => e.event === 'invite-outcome' || e.event === 'invite-failed', 'the outcome')).outcome).toBe('accepted');
    await alice.waitFor((e) => e.event === 'room-status' && e.status === 'online', 'alice in the room', 20_000);
    await bob.waitFor((e) => e.event === 'room-status' && e.status === 'online', 'bob in the room', 20_000);
    // A flood sent before the second link is up is lost: post until heard.
    for (let round = 0; !bob.events.some((e) => e.event === 'room-post' && e.text === 'hello bob'); round++) {
      expect(round).toBeLessThan(20);
      alice.send({ post: 'hello bob' });
      await bob.waitFor((e) => e.event === 'room-post', 'a post', 1000).catch(() => undefined);
    }
    bob.send({ post: 'hello alice' });
    expect((await alice.waitFor((e) => e.event === 'room-post', 'bob in the room')).text).toBe('hello alice');
    expect(alice.events.some((e) => e.event === 'room-error')).toBe(false);
  });

  it('a contact marked untrusted loses its presence link at once and reads no later presence; a removed one too', async () => {
    const { alice, bob, aliceId, bobId } = await friends();
    const carol = start('Carol'); // a witness Alice keeps trusting
    const carolId = (await carol.waitFor((e) => e.event === 'ready', 'carol ready', 60_000)).peerId as string;
    carol.send({ card: true });
    carol.send({ add: (await alice.waitFor((e) => e.event === 'card', 'alice card')).vcf as string });
    alice.send({ add: (await carol.waitFor((e) => e.event === 'card', 'carol card')).vcf as string });
    await alice.waitFor((e) => e.event === 'added' && e.peerId === carolId, 'alice added carol');
    carol.send({ watch: aliceId });
    await carol.waitFor((e) => e.event === 'presence' && e.peerId === aliceId && e.status === 'Online', 'carol sees alice', 20_000);

    alice.send({ untrust: bobId });
    const changed = await alice.waitFor((e) => e.event === 'trust-changed', 'bob untrusted');
    expect(changed.linked).not.toContain(bobId);
    expect(changed.linked).toContain(carolId);
    await bob.waitFor((e) => e.event === 'watch-status' && e.peerId === aliceId && e.status === 'offline' && e.cut === 1, "bob's link to alice cut, coded", 15_000);
    await bob.waitFor((e) => e.event === 'watch-error' && e.code === 'PC_ERR_UNTRUSTED_PEER', "bob's re-dial refused", 15_000);

    alice.send({ status: 'Busy', note: 'secret' });
    await carol.waitFor(isPresence(aliceId, 'Busy', 'secret'), 'the witness sees the change', 15_000);
    expect(bob.events.some(isPresence(aliceId, 'Busy', 'secret'))).toBe(false);

    alice.send({ remove: carolId });
    expect((await alice.waitFor((e) => e.event === 'trust-changed' && !(e.linked as string[]).includes(carolId), 'carol removed')).linked).toEqual([]);
    await carol.waitFor((e) => e.event === 'watch-status' && e.peerId === aliceId && e.status === 'offline' && e.cut === 1, "carol's link cut", 15_000);
  });

  it('a declined invitation ends declined, and one not answered ends expired on both sides', async () => {
    const { alice, bob, bobId } = await friends();
    const room = { mesh: 'net.p2p://never', password: 'x' };
    alice.send({ invite: bobId, room });
    const first = await bob.waitFor((e) => e.event === 'invited', 'first invitation');
    bob.send({ answer: first.id, accept: false });
    expect((await alice.waitFor((e) => e.event === 'invite-outcome', 'declined')).outcome).toBe('declined');
    expect(alice.events.some((e) => e.event === 'room-joined')).toBe(false);

    alice.send({ invite: bobId, room, ttlMs: 1500 });
    const second = await bob.waitFor((e) => e.event === 'invited' && e.id !== first.id, 'second invitation');
    expect((await alice.waitFor((e) => e.event === 'invite-outcome' && e.outcome !== 'declined', 'expired', 15_000)).outcome).toBe('expired');
    expect((await bob.waitFor((e) => e.event === 'invitation-ended' && e.id === second.id, 'ended at bob', 15_000)).how).toBe('expired');
    bob.send({ answer: second.id, accept: true });
    expect((await bob.waitFor((e) => e.event === 'answer-failed', 'late accept')).code).toBe('PC_ERR_INVITATION_EXPIRED');
  });
});
