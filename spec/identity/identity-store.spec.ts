import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, unlink, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/errors/index.js';
import { certificateFor, peerIdFromCertificate } from '../../lib/identity/certificate.js';
import {
  IDENTITY_CERT_FILE,
  IDENTITY_KEY_FILE,
  loadIdentity,
  loadOrCreateIdentity,
  saveIdentity,
} from '../../lib/identity/identity-store.js';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'pc-identity-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const keyFile = (dir: string) => join(dir, IDENTITY_KEY_FILE);
const certFile = (dir: string) => join(dir, IDENTITY_CERT_FILE);

describe('identity store', () => {
  it('saves with a 0600 key file and loads the same identity and certificate', async () => {
    const dir = join(root, 'a', 'b');
    const identity = PeerIdentity.generate();
    await saveIdentity(identity, dir);
    expect((await stat(keyFile(dir))).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o077).toBe(0);
    const loaded = await loadIdentity(dir);
    expect(loaded.peerId).toBe(identity.peerId);
    const savedCert = await readFile(certFile(dir), 'utf8');
    expect((await certificateFor(loaded)).certPem).toBe(savedCert);
    expect(peerIdFromCertificate(new X509Certificate(savedCert))).toBe(identity.peerId);
    // Signatures made by the loaded key verify under the original public key.
    const data = new Uint8Array([1, 2, 3]);
    expect(PeerIdentity.verify(identity.publicKeySpki, data, loaded.sign(data))).toBe(true);
    expect((await readdir(dir)).sort()).toEqual([IDENTITY_CERT_FILE, IDENTITY_KEY_FILE].sort());
  });

  it('round-trips a P-256 identity', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const identity = new PeerIdentity(privateKey, publicKey);
    await saveIdentity(identity, root);
    expect((await loadIdentity(root)).peerId).toBe(identity.peerId);
  });

  it('creates an identity once and then keeps loading it', async () => {
    const dir = join(root, 'node');
    const first = await loadOrCreateIdentity(dir);
    const second = await loadOrCreateIdentity(dir);
    expect(second.peerId).toBe(first.peerId);
    expect((await stat(keyFile(dir))).mode & 0o777).toBe(0o600);
  });

  it('gives racing creators one identity', async () => {
    const ids = await Promise.all(Array.from({ length: 4 }, () => loadOrCreateIdentity(root)));
    expect(new Set(ids.map((i) => i.peerId)).size).toBe(1);
    expect((await loadIdentity(root)).peerId).toBe(ids[0]?.peerId);
    expect((await readdir(root)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('reports a missing identity as PC_ERR_IDENTITY_NOT_FOUND', async () => {
    await expect(loadIdentity(join(root, 'nothing'))).rejects.toMatchObject({ code: ErrorCode.IDENTITY_NOT_FOUND });
    await expect(loadOrCreateIdentity(root, { expectedPeerId: 'ab'.repeat(32) })).rejects.toMatchObject({ code: ErrorCode.IDENTITY_NOT_FOUND });
    expect(await readdir(root)).toEqual([]);
  });

  it.each([
    ['garbage', () => 'not a key at all'],
    ['a truncated PEM', (pem: string) => pem.slice(0, pem.length / 2)],
    ['an RSA key', () => generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()],
  ])('refuses %s in the key file without replacing it', async (_name, corrupt) => {
    await saveIdentity(PeerIdentity.generate(), root);
    const bad = corrupt(await readFile(keyFile(root), 'utf8'));
    await writeFile(keyFile(root), bad);
    await expect(loadIdentity(root)).rejects.toMatchObject({ code: ErrorCode.IDENTITY_CORRUPT });
    await expect(loadOrCreateIdentity(root)).rejects.toMatchObject({ code: ErrorCode.IDENTITY_CORRUPT });
    await expect(saveIdentity(PeerIdentity.generate(), root)).rejects.toMatchObject({ code: ErrorCode.IDENTITY_CORRUPT });
    expect(await readFile(keyFile(root), 'utf8')).toBe(bad);
  });

  it('refuses a certificate file that is not a certificate', async () => {
    await saveIdentity(PeerIdentity.generate(), root);
    await writeFile(certFile(root), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    await expect(loadOrCreateIdentity(root)).rejects.toMatchObject({ code: ErrorCode.IDENTITY_CORRUPT });
  });

  it('refuses a certificate whose signature was altered', async () => {
    await saveIdentity(PeerIdentity.generate(), root);
    const der = new X509Certificate(await readFile(certFile(root), 'utf8')).raw;
    // The signature value is the last field of the DER: flip its final byte.
    der[der.length - 1] = (der[der.length - 1] as number) ^ 0xff;
    const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
    await writeFile(certFile(root), pem);
    await expect(loadIdentity(root)).rejects.toMatchObject({ code: ErrorCode.IDENTITY_CORRUPT });
  });

  it('refuses a certificate that belongs to another key', async () => {
    await saveIdentity(PeerIdentity.generate(), root);
    await writeFile(certFile(root), (await certificateFor(PeerIdentity.generate())).certPem);
    await expect(loadIdentity(root)).rejects.toMatchObject({ code: ErrorCode.IDENTITY_MISMATCH });
    await expect(loadOrCreateIdentity(root)).rejects.toMatchObject({ code: ErrorCode.IDENTITY_MISMATCH });
  });

  it('refuses to invent a key next to an orphaned certificate', async () => {
    await saveIdentity(PeerIdentity.generate(), root);
    await unlink(keyFile(root));
    await expect(loadOrCreateIdentity(root)).rejects.toMatchObject({ code: ErrorCode.IDENTITY_CORRUPT });
    await expect(readFile(keyFile(root))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('re-issues a missing certificate from the key', async () => {
    const identity = PeerIdentity.generate();
    await saveIdentity(identity, root);
    await unlink(certFile(root));
    const loaded = await loadIdentity(root);
    const pem = await readFile(certFile(root), 'utf8');
    expect(peerIdFromCertificate(new X509Certificate(pem))).toBe(identity.peerId);
    expect((await certificateFor(loaded)).certPem).toBe(pem);
  });

  it('checks the expected peer id', async () => {
    const identity = PeerIdentity.generate();
    await saveIdentity(identity, root);
    expect((await loadIdentity(root, { expectedPeerId: identity.peerId })).peerId).toBe(identity.peerId);
    await expect(loadIdentity(root, { expectedPeerId: PeerIdentity.generate().peerId })).rejects.toMatchObject({ code: ErrorCode.IDENTITY_MISMATCH });
  });

  it('never overwrites another identity unless told to', async () => {
    const first = PeerIdentity.generate();
    const second = PeerIdentity.generate();
    await saveIdentity(first, root);
    await saveIdentity(first, root);
    await expect(saveIdentity(second, root)).rejects.toMatchObject({ code: ErrorCode.IDENTITY_MISMATCH });
    expect((await loadIdentity(root)).peerId).toBe(first.peerId);
    await saveIdentity(second, root, { overwrite: true });
    expect((await loadIdentity(root)).peerId).toBe(second.peerId);
    expect((await stat(keyFile(root))).mode & 0o777).toBe(0o600);
  });
});
