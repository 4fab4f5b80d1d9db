import { randomBytes, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { chmod, link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import { adoptCertificate, certificateFor, parseCertificate } from './certificate.js';
import { PeerIdentity } from './peer-identity.js';

/** File name of the private key (PKCS#8 PEM, mode 0600) inside an identity directory. */
export const IDENTITY_KEY_FILE = 'peer-key.pem';
/** File name of the self-signed certificate (PEM) inside an identity directory. */
export const IDENTITY_CERT_FILE = 'peer-cert.pem';

/** Options for {@link loadIdentity} and {@link loadOrCreateIdentity}. */
export interface LoadIdentityOptions {
  /**
   * Fail with `PC_ERR_IDENTITY_MISMATCH` unless the stored identity has this peer id.
   * @defaultValue undefined (any identity)
   */
  readonly expectedPeerId?: string;
}

/** Options for {@link saveIdentity}. */
export interface SaveIdentityOptions {
  /**
   * Replace a different identity already stored in the directory. Without it, saving over another
   * identity fails with `PC_ERR_IDENTITY_MISMATCH`, so a key is never lost by accident.
   * @defaultValue false
   */
  readonly overwrite?: boolean;
}

/**
 * Stores `identity` in `dir`: its private key (mode 0600) and its self-signed certificate.
 *
 * @remarks
 * The directory is created (mode 0700) when missing. Each file is written to a temporary name and
 * renamed into place, so a crash never leaves a half-written key. Saving the identity that is
 * already stored only refreshes the certificate.
 *
 * @throws PeerChannelError `PC_ERR_IDENTITY_MISMATCH` when `dir` holds another identity and
 * `overwrite` is not set; `PC_ERR_IDENTITY_CORRUPT` when the stored key is unreadable and
 * `overwrite` is not set.
 *
 * @example
 * ```ts
 * await saveIdentity(PeerIdentity.generate(), './state/identity');
 * ```
 */
export async function saveIdentity(identity: PeerIdentity, dir: string, options: SaveIdentityOptions = {}): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keyPath = join(dir, IDENTITY_KEY_FILE);
  if (options.overwrite !== true) {
    const existing = await readKeyFile(keyPath);
    if (existing !== undefined && existing.peerId !== identity.peerId) {
      throw new PeerChannelError(ErrorCode.IDENTITY_MISMATCH, `${dir} already holds identity ${existing.peerId.slice(0, 12)}…; pass overwrite to replace it`);
    }
  }
  await writeAtomically(keyPath, keyPem(identity.privateKey), 0o600);
  await writeAtomically(join(dir, IDENTITY_CERT_FILE), (await certificateFor(identity)).certPem, 0o644);
}

/**
 * Loads the identity stored in `dir` by {@link saveIdentity}.
 *
 * @remarks
 * The certificate file is checked against the key (same public key, valid self-signature) and then
 * used on TLS links; a missing or expired certificate is re-issued from the key and written back.
 * A damaged file is never replaced by a fresh identity: the peer id is the key, and losing it
 * silently would make this node a stranger to everyone who knew it.
 *
 * @throws PeerChannelError `PC_ERR_IDENTITY_NOT_FOUND` when `dir` holds no key;
 * `PC_ERR_IDENTITY_CORRUPT` when a file cannot be parsed or the certificate's signature fails;
 * `PC_ERR_IDENTITY_MISMATCH` when the certificate carries another key or the peer id is not
 * `expectedPeerId`.
 */
export async function loadIdentity(dir: string, options: LoadIdentityOptions = {}): Promise<PeerIdentity> {
  const keyPath = join(dir, IDENTITY_KEY_FILE);
  const identity = await readKeyFile(keyPath);
  if (identity === undefined) {
    throw new PeerChannelError(ErrorCode.IDENTITY_NOT_FOUND, `no identity in ${dir} (missing ${IDENTITY_KEY_FILE})`);
  }
  if (options.expectedPeerId !== undefined && options.expectedPeerId !== identity.peerId) {
    throw new PeerChannelError(ErrorCode.IDENTITY_MISMATCH, `identity in ${dir} is ${identity.peerId.slice(0, 12)}…, expected ${options.expectedPeerId.slice(0, 12)}…`);
  }
  const certPath = join(dir, IDENTITY_CERT_FILE);
  const certPem = await readOptional(certPath);
  if (certPem === undefined || new Date(parseCertificate(certPem).validTo).getTime() <= Date.now()) {
    await writeAtomically(certPath, (await certificateFor(identity)).certPem, 0o644);
  } else {
    adoptCertificate(identity, certPem);
  }
  return identity;
}

/**
 * Loads the identity stored in `dir`, or creates and stores a new one when `dir` holds none.
 *
 * @remarks
 * Only a directory with no key file gets a new identity. A certificate without its key, an
 * unreadable key, or a mismatched certificate throws, as in {@link loadIdentity}. Two processes
 * racing on an empty directory end up with the same identity: the key file is linked into place
 * exclusively, and the loser loads the winner's key.
 *
 * @throws PeerChannelError `PC_ERR_IDENTITY_CORRUPT`, `PC_ERR_IDENTITY_MISMATCH` as {@link loadIdentity};
 * `PC_ERR_IDENTITY_NOT_FOUND` when `expectedPeerId` is given and `dir` holds no key (a new key could
 * never match it).
 *
 * @example
 * ```ts
 * const identity = await loadOrCreateIdentity(join(os.homedir(), '.peerchannel', 'identity'));
 * console.log(identity.peerId);
 * ```
 */
export async function loadOrCreateIdentity(dir: string, options: LoadIdentityOptions = {}): Promise<PeerIdentity> {
  const keyPath = join(dir, IDENTITY_KEY_FILE);
  if ((await readOptional(keyPath)) === undefined) {
    if ((await readOptional(join(dir, IDENTITY_CERT_FILE))) !== undefined) {
      throw new PeerChannelError(ErrorCode.IDENTITY_CORRUPT, `${dir} has a certificate but no private key; refusing to create a new identity over it`);
    }
    if (options.expectedPeerId !== undefined) {
      // A fresh key can never be the expected one.
      throw new PeerChannelError(ErrorCode.IDENTITY_NOT_FOUND, `no identity in ${dir}, expected ${options.expectedPeerId.slice(0, 12)}…`);
    }
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const fresh = PeerIdentity.generate();
    if (await writeExclusively(keyPath, keyPem(fresh.privateKey), 0o600)) {
      await writeAtomically(join(dir, IDENTITY_CERT_FILE), (await certificateFor(fresh)).certPem, 0o644);
      return fresh;
    }
  }
  return loadIdentity(dir, options);
}

function keyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PeerChannelError(ErrorCode.IDENTITY_CORRUPT, `cannot read ${path}`, { cause: error });
  }
}

async function readKeyFile(path: string): Promise<PeerIdentity | undefined> {
  const pem = await readOptional(path);
  if (pem === undefined) return undefined;
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new PeerChannelError(ErrorCode.IDENTITY_CORRUPT, `${path} is not a readable private key`, { cause: error });
  }
  const type = privateKey.asymmetricKeyType;
  const curve = privateKey.asymmetricKeyDetails?.namedCurve;
  if (type !== 'ed25519' && !(type === 'ec' && curve === 'prime256v1')) {
    throw new PeerChannelError(ErrorCode.IDENTITY_CORRUPT, `${path} holds a ${type ?? 'unknown'} key; identities are Ed25519 or P-256`);
  }
  return new PeerIdentity(privateKey, createPublicKey(privateKey));
}

function tempPath(path: string): string {
  return `${path}.${randomBytes(6).toString('hex')}.tmp`;
}

async function writeAtomically(path: string, content: string, mode: number): Promise<void> {
  const temp = tempPath(path);
  // 'wx' creates the file with `mode` already applied, so the key is never readable by others.
  await writeFile(temp, content, { mode, flag: 'wx' });
  try {
    await chmod(temp, mode); // the umask may have narrowed the mode of the certificate
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined); // best effort: the original error is the one to report
    throw error;
  }
}

/** Puts `content` at `path` only if nothing is there; false when another writer got there first. */
async function writeExclusively(path: string, content: string, mode: number): Promise<boolean> {
  const temp = tempPath(path);
  await writeFile(temp, content, { mode, flag: 'wx' });
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => undefined); // the temporary name is only a staging area
  }
}
