import { type KeyObject, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { createRequire } from 'node:module';

/** The part of the `sodium-native` binding used here. */
interface Sodium {
  crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  crypto_sign_detached(signature: Uint8Array, message: Uint8Array, secretKey: Uint8Array): void;
  sodium_malloc(size: number): Buffer;
}

function loadSodium(): Sodium | undefined {
  if (process.env['PEERCHANNEL_ED25519'] === 'node') return undefined;
  try {
    const sodium = createRequire(import.meta.url)('sodium-native') as Sodium;
    return typeof sodium.crypto_sign_verify_detached === 'function' ? sodium : undefined;
  } catch {
    return undefined;
  }
}

const sodium = loadSodium();

/** Bytes of an Ed25519 signature. */
export const ED25519_SIGNATURE_BYTES = 64;
/** Bytes of a raw Ed25519 public key. */
export const ED25519_PUBLIC_KEY_BYTES = 32;

/**
 * Ed25519 on the message path is done by libsodium when it loads, else by `node:crypto`.
 *
 * @remarks
 * Every new message a node takes in a signing mesh costs one Ed25519 verification, and that
 * verification was most of a signed delivery's CPU. libsodium (the `sodium-native` binding,
 * prebuilt for the common platforms) verifies in well under half the time OpenSSL 3.0 takes
 * through `crypto.verify` on the same machine (37 against 82 CPU-µs for a 160-byte message on
 * the development VM; `docs/performance.md`) and signs in under half too. Both implement RFC
 * 8032 and verify each other's signatures; libsodium is the stricter verifier (it refuses
 * small-order keys and non-canonical encodings that no honest signer produces). When the binding
 * cannot load (a platform without a prebuild), `node:crypto` does the same work, slower.
 *
 * Which one runs here: `'libsodium'`, or `'node:crypto'` when the binding did not load or
 * `PEERCHANNEL_ED25519=node` asked for it.
 */
export const ed25519Backend: 'libsodium' | 'node:crypto' = sodium !== undefined ? 'libsodium' : 'node:crypto';

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the raw 32-byte key follows it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The raw 32-byte key of an Ed25519 SubjectPublicKeyInfo, or undefined for any other key. */
export function rawEd25519Key(spki: Uint8Array): Buffer | undefined {
  if (spki.length !== ED25519_SPKI_PREFIX.length + ED25519_PUBLIC_KEY_BYTES) return undefined;
  for (let i = 0; i < ED25519_SPKI_PREFIX.length; i++) if (spki[i] !== ED25519_SPKI_PREFIX[i]) return undefined;
  return Buffer.from(spki.subarray(ED25519_SPKI_PREFIX.length));
}

/**
 * Verifies an Ed25519 signature over `message` by the raw key `publicKey`, with `key` (the same
 * key parsed) for the `node:crypto` path. False for any malformed input; never throws.
 */
export function verifyEd25519(publicKey: Uint8Array, key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== ED25519_SIGNATURE_BYTES) return false;
  if (sodium !== undefined) return sodium.crypto_sign_verify_detached(signature, message, publicKey);
  try {
    return cryptoVerify(null, message, key, signature);
  } catch {
    return false;
  }
}

const secretKeys = new WeakMap<KeyObject, Buffer>();

/**
 * libsodium's 64-byte secret key (seed, then public key) for an Ed25519 private key, kept in
 * memory sodium guards (locked, with guard pages) and made once per key.
 */
function secretKeyFor(privateKey: KeyObject, s: Sodium): Buffer | undefined {
  let secret = secretKeys.get(privateKey);
  if (secret !== undefined) return secret;
  const jwk = privateKey.export({ format: 'jwk' });
  if (typeof jwk.d !== 'string' || typeof jwk.x !== 'string') return undefined;
  secret = s.sodium_malloc(64);
  const seed = Buffer.from(jwk.d, 'base64url');
  secret.set(seed, 0);
  secret.set(Buffer.from(jwk.x, 'base64url'), 32);
  seed.fill(0);
  secretKeys.set(privateKey, secret);
  return secret;
}

/** Signs `message` with an Ed25519 private key. */
export function signEd25519(privateKey: KeyObject, message: Uint8Array): Uint8Array {
  if (sodium !== undefined) {
    const secret = secretKeyFor(privateKey, sodium);
    if (secret !== undefined) {
      const signature = new Uint8Array(ED25519_SIGNATURE_BYTES);
      sodium.crypto_sign_detached(signature, message, secret);
      return signature;
    }
  }
  return new Uint8Array(cryptoSign(null, message, privateKey));
}
