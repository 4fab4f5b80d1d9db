import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ICAL from 'ical.js';
import { firstValueFrom, skip } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContactStore, ErrorCode, IdentityManager, PEER_ID_PROPERTY, PeerIdentity, contactCardFor, parseContactCard } from '../../lib/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pc-people-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('identities', () => {
  it('create, list, rename, delete; keys are mode 0600 in 0700 directories', async () => {
    const ids = new IdentityManager(join(dir, 'identities'));
    const work = await ids.create('Alice at work');
    const home = await ids.create('Alice at home');
    expect((await ids.list()).map((i) => i.name)).toEqual(['Alice at home', 'Alice at work']);
    expect((await stat(join(dir, 'identities', work.peerId, 'peer-key.pem'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'identities'))).mode & 0o777).toBe(0o700);
    expect((await ids.get('alice at work')).peerId).toBe(work.peerId);
    await ids.rename(work.peerId, 'Alice (office)');
    expect((await ids.get(work.peerId)).name).toBe('Alice (office)');
    await expect(ids.rename(home.peerId, 'alice (OFFICE)')).rejects.toMatchObject({ code: ErrorCode.COLLAB_NAME_INVALID });
    await expect(ids.create('')).rejects.toMatchObject({ code: ErrorCode.COLLAB_NAME_INVALID });
    await expect(ids.create('x'.repeat(65))).rejects.toMatchObject({ code: ErrorCode.COLLAB_NAME_INVALID });
    await ids.delete('Alice (office)');
    expect((await ids.list()).map((i) => i.peerId)).toEqual([home.peerId]);
    await expect(ids.get(work.peerId)).rejects.toMatchObject({ code: ErrorCode.COLLAB_IDENTITY_UNKNOWN });
    // The key survives a reload: the same peer id signs.
    const again = await new IdentityManager(join(dir, 'identities')).get(home.peerId);
    const data = new Uint8Array([1, 2, 3]);
    expect(PeerIdentity.verify(home.identity.publicKeySpki, data, again.identity.sign(data))).toBe(true);
  });

  it('a password-sealed export imports elsewhere with the same key; a wrong password or a changed byte is refused', async () => {
    const mine = new IdentityManager(join(dir, 'a'));
    const alice = await mine.create('Alice');
    const sealed = await mine.export(alice.peerId, 'correct horse');
    expect(sealed).not.toContain(alice.identity.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64').slice(0, 40));
    const other = new IdentityManager(join(dir, 'b'));
    await expect(other.import(sealed, 'wrong horse')).rejects.toMatchObject({ code: ErrorCode.COLLAB_EXPORT_INVALID });
    const env = JSON.parse(sealed) as { data: string };
    const flipped = Buffer.from(env.data, 'base64');
    flipped[0]! ^= 1;
    await expect(other.import(JSON.stringify({ ...env, data: flipped.toString('base64') }), 'correct horse')).rejects.toMatchObject({ code: ErrorCode.COLLAB_EXPORT_INVALID });
    await expect(other.import(JSON.stringify({ ...JSON.parse(sealed), kdf: { ...JSON.parse(sealed).kdf, N: 1 << 24 } }), 'correct horse')).rejects.toMatchObject({ code: ErrorCode.COLLAB_EXPORT_INVALID });
    const imported = await other.import(sealed, 'correct horse');
    expect(imported).toMatchObject({ name: 'Alice', peerId: alice.peerId });
    await expect(other.import(sealed, 'correct horse')).rejects.toMatchObject({ code: ErrorCode.IDENTITY_MISMATCH });
  });
});

describe('contact cards (vCard 4.0)', () => {
  it('my card is a vCard 4.0 with FN, peer id, the certificate in KEY and endpoints, and reads back', async () => {
    const id = PeerIdentity.generate();
    const vcf = await contactCardFor(id, 'Alice, Example', ['wss://127.0.0.1:4000']);
    const parsed = new ICAL.Component(ICAL.parse(vcf) as unknown[]);
    expect(parsed.getFirstPropertyValue('version')).toBe('4.0');
    expect(parsed.getFirstPropertyValue('fn')).toBe('Alice, Example');
    expect(parsed.getFirstPropertyValue(PEER_ID_PROPERTY)).toBe(id.peerId);
    expect(String(parsed.getFirstPropertyValue('key'))).toMatch(/^data:application\/pkix-cert;base64,/);
    const card = parseContactCard(vcf);
    expect(card).toMatchObject({ name: 'Alice, Example', peerId: id.peerId, endpoints: ['wss://127.0.0.1:4000'] });
    expect(Buffer.from(card.publicKeySpki)).toEqual(Buffer.from(id.publicKeySpki));
  });

  it('a card whose key does not hash to its peer id is refused with PC_ERR_CARD_KEY_MISMATCH', async () => {
    const alice = PeerIdentity.generate();
    const mallory = PeerIdentity.generate();
    const vcf = await contactCardFor(mallory, 'Alice');
    const card = new ICAL.Component(ICAL.parse(vcf) as unknown[]);
    card.updatePropertyWithValue(PEER_ID_PROPERTY, alice.peerId);
    const lying = card.toString();
    expect(lying).toContain('X-PEERCHANNEL-PEER-ID');
    expect(() => parseContactCard(lying)).toThrow(expect.objectContaining({ code: ErrorCode.CARD_KEY_MISMATCH }));
  });

  it('malformed, oversized or incomplete cards are refused with PC_ERR_CARD_INVALID', async () => {
    const vcf = await contactCardFor(PeerIdentity.generate(), 'Bob');
    const bad = [
      'not a card',
      vcf.replace('VERSION:4.0', 'VERSION:3.0'),
      vcf.replace(/FN:.*\r\n/, ''),
      vcf.replace(/X-PEERCHANNEL-PEER-ID:.*\r\n/, ''),
      vcf.replace(/KEY:.*(\r\n .*)*\r\n/, ''),
      vcf.replace('base64', 'base32'),
      vcf + ' '.repeat(16_384),
    ];
    for (const card of bad) expect(() => parseContactCard(card), card.slice(0, 40)).toThrow(expect.objectContaining({ code: ErrorCode.CARD_INVALID }));
  });
});

describe('contact store', () => {
  it('import → trusted contact; watch, mark untrusted, remove; persisted (0600) and re-read', async () => {
    const path = join(dir, 'contacts.json');
    const store = await ContactStore.open(path);
    const bob = PeerIdentity.generate();
    const changed = firstValueFrom(store.contacts$.pipe(skip(1)));
    const contact = await store.import(await contactCardFor(bob, 'Bob'));
    expect(contact).toMatchObject({ name: 'Bob', peerId: bob.peerId, trusted: true });
    expect((await changed).map((c) => c.name)).toEqual(['Bob']);
    await store.setTrusted(bob.peerId, false);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const reopened = await ContactStore.open(path);
    expect(reopened.get(bob.peerId)).toMatchObject({ name: 'Bob', trusted: false });
    await reopened.remove(bob.peerId);
    expect(reopened.list()).toEqual([]);
    await expect(reopened.remove(bob.peerId)).rejects.toMatchObject({ code: ErrorCode.CONTACT_UNKNOWN });
    await expect(reopened.import('BEGIN:VCARD\r\nEND:VCARD\r\n')).rejects.toMatchObject({ code: ErrorCode.CARD_INVALID });
    await store.close();
    await reopened.close();
  });

  it('a full store refuses a new contact; a hand-edited file with a swapped key is refused on open', async () => {
    const path = join(dir, 'contacts.json');
    const store = await ContactStore.open(path, { maxContacts: 1 });
    const a = PeerIdentity.generate();
    await store.import(await contactCardFor(a, 'A'));
    await expect(store.import(await contactCardFor(PeerIdentity.generate(), 'B'))).rejects.toMatchObject({ code: ErrorCode.CONTACT_LIMIT });
    await store.import(await contactCardFor(a, 'A again')); // the same peer id replaces, not adds
    expect(store.list().map((c) => c.name)).toEqual(['A again']);
    await store.close();
    const saved = JSON.parse(await readFile(path, 'utf8')) as { contacts: { peerId: string }[] };
    saved.contacts[0]!.peerId = PeerIdentity.generate().peerId;
    await writeFile(path, JSON.stringify(saved));
    await expect(ContactStore.open(path)).rejects.toMatchObject({ code: ErrorCode.CARD_KEY_MISMATCH });
  });
});
