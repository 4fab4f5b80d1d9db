import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPublicKey, generateKeyPairSync, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';

type Ed25519Module = typeof import('../../lib/identity/ed25519.js');

/** The module as loaded with `PEERCHANNEL_ED25519` set to `env` (or unset). */
async function load(env: string | undefined): Promise<Ed25519Module> {
  vi.resetModules();
  if (env === undefined) vi.unstubAllEnvs();
  else vi.stubEnv('PEERCHANNEL_ED25519', env);
  return import('../../lib/identity/ed25519.js');
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

const message = Buffer.from('peerchannel message v1\0 a body of some length, as a flood carries it');

describe('Ed25519 backends', () => {
  it('libsodium is the backend on this platform, and node:crypto when asked for', async () => {
    // sodium-native ships a prebuild for linux-x64, where the specs run: it must load, or every
    // signed mesh here silently runs at half speed.
    expect((await load(undefined)).ed25519Backend).toBe('libsodium');
    expect((await load('node')).ed25519Backend).toBe('node:crypto');
  });

  for (const backend of [undefined, 'node'] as const) {
    const name = backend === undefined ? 'libsodium' : 'node:crypto';

    it(`${name}: signatures verify across both implementations, and forgeries do not`, async () => {
      const ed = await load(backend);
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const spki = publicKey.export({ type: 'spki', format: 'der' });
      const raw = ed.rawEd25519Key(spki);
      expect(raw?.length).toBe(32);

      // Ours verifies by OpenSSL, OpenSSL's verifies by ours.
      const ours = ed.signEd25519(privateKey, message);
      expect(ours.length).toBe(64);
      expect(cryptoVerify(null, message, publicKey, ours)).toBe(true);
      const theirs = cryptoSign(null, message, privateKey);
      expect(ed.verifyEd25519(raw as Buffer, publicKey, message, theirs)).toBe(true);
      // Ed25519 is deterministic: both implementations make the same signature.
      expect(Buffer.from(ours).equals(theirs)).toBe(true);

      const flipped = Buffer.from(ours);
      flipped[10] = (flipped[10] as number) ^ 1;
      expect(ed.verifyEd25519(raw as Buffer, publicKey, message, flipped)).toBe(false);
      const altered = Buffer.from(message);
      altered[30] = (altered[30] as number) ^ 1;
      expect(ed.verifyEd25519(raw as Buffer, publicKey, altered, ours)).toBe(false);
      const other = generateKeyPairSync('ed25519').publicKey;
      const otherRaw = ed.rawEd25519Key(other.export({ type: 'spki', format: 'der' })) as Buffer;
      expect(ed.verifyEd25519(otherRaw, other, message, ours)).toBe(false);
    });

    it(`${name}: a signature of the wrong length is false, not a throw`, async () => {
      const ed = await load(backend);
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const raw = ed.rawEd25519Key(publicKey.export({ type: 'spki', format: 'der' })) as Buffer;
      const sig = ed.signEd25519(privateKey, message);
      for (const bad of [new Uint8Array(0), sig.subarray(0, 63), new Uint8Array([...sig, 0]), new Uint8Array(512)]) {
        expect(ed.verifyEd25519(raw, publicKey, message, bad)).toBe(false);
      }
    });
  }

  it('only an Ed25519 SubjectPublicKeyInfo yields a raw key', async () => {
    const ed = await load(undefined);
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
    expect(ed.rawEd25519Key(p256)).toBeUndefined();
    const spki = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' });
    const wrongOid = Buffer.from(spki);
    wrongOid[8] = 0x71; // 1.3.101.113 is Ed448's arc
    expect(ed.rawEd25519Key(wrongOid)).toBeUndefined();
    expect(ed.rawEd25519Key(spki.subarray(0, 40))).toBeUndefined();
    // The raw key is the one the SPKI names.
    const raw = ed.rawEd25519Key(spki) as Buffer;
    const jwk = createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ format: 'jwk' });
    expect(raw.toString('base64url')).toBe(jwk.x);
  });

  it('a P-256 identity still signs messages through node:crypto', async () => {
    const { signMessage, MessageVerifier } = await import('../../lib/security/message-signing.js');
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const identity = new PeerIdentity(privateKey, publicKey);
    const body = Buffer.from('a body');
    const blob = signMessage(identity, body);
    const verifier = new MessageVerifier();
    expect(verifier.verify(identity.peerId, body, blob)).toBe(true);
    expect(verifier.verify(identity.peerId, Buffer.from('a bodz'), blob)).toBe(false);
  });
});
