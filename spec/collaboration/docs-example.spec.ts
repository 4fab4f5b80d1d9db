import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { Collaboration, ContactStore, IdentityManager, type InvitationOutcome, PeerIdentity, PresenceStatus } from '../../lib/index.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

// docs:begin
async function alicesSide(home: string, bobCardFile: string, bobId: string, ticket: Uint8Array) {
  const ids = new IdentityManager(join(home, 'identities'));
  const me = await ids.create('Alice'); // key + self-signed certificate, mode 0600
  const contacts = await ContactStore.open(join(home, 'contacts.json'));
  const alice = await Collaboration.open({ identity: me.identity, name: me.name, contacts });

  await writeFile(join(home, 'alice.vcf'), await alice.card()); // give this to Bob
  await contacts.import(await readFile(bobCardFile, 'utf8')); // Bob is a trusted contact now

  alice.presence$(bobId).subscribe((p) => console.log(p.status, p.note));
  await alice.setPresence(PresenceStatus.Away, 'back in 5');

  alice.registerApplication({ id: 'chat.room', description: 'a private chat room' });
  const outcome = alice.invite(bobId, 'chat.room', { message: 'join me?', data: ticket });
  return { alice, contacts, outcome }; // outcome: 'accepted' | 'declined' | 'expired', or a coded rejection
}

function bobsSide(bob: Collaboration): void {
  bob.registerApplication({ id: 'chat.room', description: 'a private chat room' });
  bob.invitations$.subscribe((inv) => {
    if (inv.application === 'chat.room') void inv.accept(); // or inv.decline()
  });
}
// docs:end

describe('docs/collaboration.md', () => {
  it('shows the example of this spec verbatim', () => {
    const source = readFileSync(new URL(import.meta.url), 'utf8');
    const code = source.slice(source.indexOf('// docs:begin\n') + 14, source.indexOf('// docs:end'));
    expect(readFileSync('docs/collaboration.md', 'utf8')).toContain(code.trim());
  });

  it('the example runs: bob trusts alice, sees her Away, and accepts her invitation', async () => {
    const home = await mkdtemp(join(tmpdir(), 'pc-collab-docs-'));
    closers.push(() => rm(home, { recursive: true, force: true }));
    const bobContacts = await ContactStore.open(join(home, 'bob-contacts.json'));
    const bob = await Collaboration.open({ identity: PeerIdentity.generate(), name: 'Bob', contacts: bobContacts });
    closers.push(() => bobContacts.close(), () => bob.close());
    await writeFile(join(home, 'bob.vcf'), await bob.card());
    bobsSide(bob);
    const log = console.log;
    console.log = () => undefined;
    closers.push(async () => void (console.log = log));
    const { alice, contacts, outcome } = await alicesSide(home, join(home, 'bob.vcf'), bob.peerId, new Uint8Array([1]));
    closers.push(() => contacts.close(), () => alice.close());
    // Bob trusts Alice only once he imports her card; until then her invitation is refused.
    expect(await outcome.catch((e: { code: string }) => e.code)).toBe('PC_ERR_INVITATION_UNTRUSTED');
    await bobContacts.import(await readFile(join(home, 'alice.vcf'), 'utf8'));
    const away = await firstValueFrom(bob.presence$(alice.peerId).pipe(filter((p) => p.status === PresenceStatus.Away)));
    expect(away.note).toBe('back in 5');
    const again: InvitationOutcome = await alice.invite(bob.peerId, 'chat.room', { message: 'now?' });
    expect(again).toBe('accepted');
  });
});
