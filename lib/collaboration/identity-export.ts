import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, randomBytes, scrypt as scryptCb } from 'node:crypto';
import { promisify } from 'node:util';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import { PeerIdentity } from '../identity/peer-identity.js';
import { isFriendlyName } from './collaboration-limits.js';

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

/** Format tag of an identity export. */
export const IDENTITY_EXPORT_FORMAT = 'peerchannel-identity-export/1';
/** scrypt cost of a new export (N = 2^15, r = 8, p = 1: about 32 MiB and 0.1 s). */
const COST = { N: 1 << 15, r: 8, p: 1 };
/** Costs above this are refused on import, so a crafted export cannot make us spend gigabytes. */
const MAX_N = 1 << 20;
/** Largest export accepted on import. */
const MAX_EXPORT_BYTES = 16_384;

interface ExportEnvelope {
  readonly format: string;
  readonly kdf: { readonly name: 'scrypt'; readonly N: number; readonly r: number; readonly p: number; readonly salt: string };
  readonly cipher: 'aes-256-gcm';
  readonly iv: string;
  readonly tag: string;
  /** base64 AES-256-GCM ciphertext of the JSON `{ name, key }` (key = PKCS#8 DER, base64). */
  readonly data: string;
}

/** What an identity export holds. */
export interface ExportedIdentity {
  /** The friendly name sealed with the key. */
  readonly name: string;
  /** The identity (key pair and peer id) recovered from the export. */
  readonly identity: PeerIdentity;
}

/**
 * Seals an identity and its friendly name under a password: scrypt derives a 256-bit key from the
 * password and a random salt, AES-256-GCM encrypts the PKCS#8 key (authenticated, the header as
 * associated data). The result is a small JSON text, safe to store or send.
 */
export async function exportIdentity(identity: PeerIdentity, name: string, password: string): Promise<string> {
  if (typeof password !== 'string' || password.length === 0) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'an identity export needs a password');
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const header = { format: IDENTITY_EXPORT_FORMAT, kdf: { name: 'scrypt' as const, ...COST, salt: salt.toString('base64') }, cipher: 'aes-256-gcm' as const };
  const key = await scrypt(password, salt, 32, { ...COST, maxmem: 128 * COST.N * COST.r * 2 });
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(JSON.stringify(header)));
  const plain = JSON.stringify({ name, key: identity.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64') });
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  const envelope: ExportEnvelope = { ...header, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
  return JSON.stringify(envelope);
}

/**
 * Opens an export made by {@link exportIdentity}.
 * @throws PeerChannelError `PC_ERR_COLLAB_EXPORT_INVALID` for a wrong password, a damaged or
 * oversized export, or costs above the bound.
 */
export async function importIdentity(exported: string, password: string): Promise<ExportedIdentity> {
  const invalid = (why: string, cause?: unknown) => new PeerChannelError(ErrorCode.COLLAB_EXPORT_INVALID, `cannot open the identity export: ${why}`, { cause });
  if (typeof exported !== 'string' || exported.length > MAX_EXPORT_BYTES) throw invalid('not an export, or too large');
  let env: ExportEnvelope;
  try {
    env = JSON.parse(exported) as ExportEnvelope;
  } catch (error) {
    throw invalid('not JSON', error);
  }
  const kdf = env?.kdf;
  if (env?.format !== IDENTITY_EXPORT_FORMAT || env.cipher !== 'aes-256-gcm' || kdf?.name !== 'scrypt') throw invalid('unknown format');
  if (![kdf.N, kdf.r, kdf.p].every((n) => Number.isInteger(n) && n > 0) || kdf.N > MAX_N || kdf.r > 16 || kdf.p > 4 || (kdf.N & (kdf.N - 1)) !== 0) throw invalid('scrypt costs out of bounds');
  const header = { format: env.format, kdf: { name: kdf.name, N: kdf.N, r: kdf.r, p: kdf.p, salt: kdf.salt }, cipher: env.cipher };
  let plain: string;
  try {
    const key = await scrypt(password, Buffer.from(kdf.salt, 'base64'), 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 128 * kdf.N * kdf.r * 2 });
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(env.iv, 'base64'));
    decipher.setAAD(Buffer.from(JSON.stringify(header)));
    decipher.setAuthTag(Buffer.from(env.tag, 'base64'));
    plain = Buffer.concat([decipher.update(Buffer.from(env.data, 'base64')), decipher.final()]).toString('utf8');
  } catch (error) {
    throw invalid('wrong password or damaged export', error);
  }
  try {
    const inner = JSON.parse(plain) as { name: unknown; key: string };
    if (!isFriendlyName(inner.name)) throw new Error('bad friendly name');
    const privateKey = createPrivateKey({ key: Buffer.from(inner.key, 'base64'), format: 'der', type: 'pkcs8' });
    return { name: inner.name, identity: new PeerIdentity(privateKey, createPublicKey(privateKey)) };
  } catch (error) {
    throw invalid('the sealed identity is malformed', error);
  }
}
