import { type PeerId, isPeerId } from '../identity/peer-id.js';
import { chmod, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import { loadIdentity, saveIdentity } from '../identity/identity-store.js';
import { PeerIdentity } from '../identity/peer-identity.js';
import { isFriendlyName } from './collaboration-limits.js';
import { exportIdentity, importIdentity } from './identity-export.js';

/** File holding an identity's friendly name, beside its key and certificate. */
const PROFILE_FILE = 'profile.json';

/** One stored identity, as {@link IdentityManager.list} shows it. */
export interface NamedIdentity {
  /** The friendly name (1–64 characters, unique per user, case-insensitive). */
  readonly name: string;
  /** The identity's peer id. */
  readonly peerId: PeerId;
  /** The key pair, to pass to `Collaboration.open` or `PeerNode.open`. */
  readonly identity: PeerIdentity;
}

/**
 * A user's named identities, one directory each under `<directory>/<peer id>/`: the key (mode
 * 0600) and certificate kept by the identity store, and the friendly name.
 *
 * @remarks
 * Friendly names are unique per user (compared case-insensitively). Nothing is cached: every call
 * reads the directory, so two processes of one user see each other's changes.
 *
 * @example
 * ```ts
 * const ids = new IdentityManager(join(home, 'identities'));
 * const alice = await ids.create('Alice at work');
 * const sealed = await ids.export(alice.peerId, 'pass phrase');
 * ```
 */
export class IdentityManager {
  /** Keeps identities under `directory` (one sub-directory per peer id). */
  constructor(
    /** The directory that holds one sub-directory per identity. */
    readonly directory: string,
  ) {}

  /**
   * Creates and stores a new identity named `name`.
   * @throws PeerChannelError `PC_ERR_COLLAB_NAME_INVALID` for a bad or taken name.
   */
  async create(name: string): Promise<NamedIdentity> {
    return this.store(name, PeerIdentity.generate());
  }

  /** Every stored identity, sorted by name. */
  async list(): Promise<NamedIdentity[]> {
    let entries: string[];
    try {
      entries = await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const out: NamedIdentity[] = [];
    for (const peerId of entries.filter(isPeerId)) {
      const dir = join(this.directory, peerId);
      const name = await readName(dir);
      if (name === undefined) continue; // a directory still being written or removed
      out.push({ name, peerId, identity: await loadIdentity(dir, { expectedPeerId: peerId }) });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * The identity with this peer id or friendly name.
   * @throws PeerChannelError `PC_ERR_COLLAB_IDENTITY_UNKNOWN` when there is none.
   */
  async get(peerIdOrName: string): Promise<NamedIdentity> {
    const all = await this.list();
    const found = all.find((i) => i.peerId === peerIdOrName) ?? all.find((i) => same(i.name, peerIdOrName));
    if (found === undefined) throw new PeerChannelError(ErrorCode.COLLAB_IDENTITY_UNKNOWN, `no identity '${peerIdOrName}'`);
    return found;
  }

  /**
   * Gives an identity a new friendly name.
   * @throws PeerChannelError `PC_ERR_COLLAB_IDENTITY_UNKNOWN`, `PC_ERR_COLLAB_NAME_INVALID`.
   */
  async rename(peerIdOrName: string, name: string): Promise<NamedIdentity> {
    const found = await this.get(peerIdOrName);
    await this.checkName(name, found.peerId);
    await writeName(join(this.directory, found.peerId), name);
    return { ...found, name };
  }

  /**
   * Deletes an identity and its key for good.
   * @throws PeerChannelError `PC_ERR_COLLAB_IDENTITY_UNKNOWN`.
   */
  async delete(peerIdOrName: string): Promise<void> {
    const found = await this.get(peerIdOrName);
    await rm(join(this.directory, found.peerId), { recursive: true, force: true });
  }

  /** A password-sealed export of an identity (see `exportIdentity`), for {@link IdentityManager.import} elsewhere. */
  async export(peerIdOrName: string, password: string): Promise<string> {
    const found = await this.get(peerIdOrName);
    return exportIdentity(found.identity, found.name, password);
  }

  /**
   * Stores the identity of an export; `name` overrides the exported friendly name.
   * @throws PeerChannelError `PC_ERR_COLLAB_EXPORT_INVALID` (wrong password, damaged),
   * `PC_ERR_COLLAB_NAME_INVALID` (name taken), `PC_ERR_IDENTITY_MISMATCH` (already stored).
   */
  async import(exported: string, password: string, name?: string): Promise<NamedIdentity> {
    const opened = await importIdentity(exported, password);
    if ((await this.list()).some((i) => i.peerId === opened.identity.peerId)) {
      throw new PeerChannelError(ErrorCode.IDENTITY_MISMATCH, `identity ${opened.identity.peerId.slice(0, 12)}… is already stored`);
    }
    return this.store(name ?? opened.name, opened.identity);
  }

  private async store(name: string, identity: PeerIdentity): Promise<NamedIdentity> {
    await this.checkName(name, identity.peerId);
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    await chmod(this.directory, 0o700);
    const dir = join(this.directory, identity.peerId);
    await saveIdentity(identity, dir);
    await writeName(dir, name);
    return { name, peerId: identity.peerId, identity };
  }

  private async checkName(name: string, owner: string): Promise<void> {
    if (!isFriendlyName(name)) throw new PeerChannelError(ErrorCode.COLLAB_NAME_INVALID, 'a friendly name has 1-64 characters and no control characters');
    const taken = (await this.list()).find((i) => same(i.name, name) && i.peerId !== owner);
    if (taken !== undefined) throw new PeerChannelError(ErrorCode.COLLAB_NAME_INVALID, `the name '${name}' is already used by ${taken.peerId.slice(0, 12)}…`);
  }
}

function same(a: string, b: string): boolean {
  return a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0;
}

async function readName(dir: string): Promise<string | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, PROFILE_FILE), 'utf8')) as { name?: unknown };
    return isFriendlyName(parsed.name) ? parsed.name : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PeerChannelError(ErrorCode.IDENTITY_CORRUPT, `${join(dir, PROFILE_FILE)} is unreadable`, { cause: error });
  }
}

async function writeName(dir: string, name: string): Promise<void> {
  const path = join(dir, PROFILE_FILE);
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temp, JSON.stringify({ name }), { mode: 0o600, flag: 'wx' });
  await rename(temp, path);
}
