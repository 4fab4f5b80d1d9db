import { createHash, randomBytes } from 'node:crypto';
import { promises as fs, readlinkSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, PeerChannelError } from '../../errors/index.js';
import type { PeerResolver, Registration, ResolvedPeer, ResolveOptions, ResolverComponents } from '../resolver.js';
import {
  checkMax,
  checkMesh,
  checkPeer,
  checkTtl,
  closedError,
  isBoundedString,
  notRegistered,
  parsePeer,
  shuffle,
  throwIfAborted,
} from '../resolver-limits.js';

/** Options for {@link localResolver}; each falls back to an environment variable, then a default. */
export interface LocalResolverOptions {
  /**
   * Directory shared by every peer of this user on this machine. Env: `PEERCHANNEL_LOCAL_DIR`.
   * @defaultValue `<os.tmpdir()>/peerchannel-local-<uid>`
   */
  readonly directory?: string;
  /**
   * Lifetime of a registration; a peer that dies without unregistering vanishes after it.
   * Env: `PEERCHANNEL_LOCAL_TTL_MS`.
   * @defaultValue 30_000
   */
  readonly ttlMs?: number;
  /**
   * Most registration files read by one resolve.
   * @defaultValue 256
   */
  readonly maxFiles?: number;
  /**
   * Most directory entries looked at by one resolve.
   * @defaultValue 4096
   */
  readonly maxScan?: number;
  /**
   * Largest registration file read; bigger ones are skipped and counted.
   * @defaultValue 4096
   */
  readonly maxFileBytes?: number;
  /**
   * How long after expiry a resolve deletes a registration file. Expired files are never
   * returned; the grace only keeps a resolve from deleting a file that its owner is rewriting.
   * @defaultValue 2000
   */
  readonly gcGraceMs?: number;
  /**
   * Most live registrations made through one resolver instance.
   * @defaultValue 64
   */
  readonly maxRegistrations?: number;
}

/** What a {@link LocalResolver} has skipped or cleaned up since it was made. */
export interface LocalResolverStats {
  /** Registration files read by resolves. */
  filesRead: number;
  /** Files skipped because they did not parse or validate. */
  malformed: number;
  /** Files skipped because they exceeded `maxFileBytes`. */
  oversize: number;
  /** Expired files deleted. */
  deleted: number;
  /** Live registrations skipped because they were made in another network namespace. */
  otherNetwork: number;
}

/** The default directory of {@link localResolver}: per user, under the OS temporary directory. */
export function defaultLocalDirectory(): string {
  const who = typeof process.getuid === 'function' ? String(process.getuid()) : userInfo().username.replace(/[^A-Za-z0-9_-]/g, '_');
  return join(tmpdir(), `peerchannel-local-${who}`);
}

/**
 * The embedded zero-config resolver for one machine: peers of one user started with no options
 * find each other through small files in a shared directory.
 *
 * @remarks
 * Each registration is one file `<directory>/<sha256(mesh)[0..32]>/<registrationId>.json` holding
 * peer id, addresses, expiry time, the writer's pid and (on Linux) its network namespace, written atomically (temporary file, then
 * rename) so a reader never sees half a file. Resolve reads at most `maxFiles` files of the mesh in
 * random order, skips (and counts in {@link LocalResolver.stats}) malformed and oversize files,
 * never returns an expired registration, and deletes files expired for longer than `gcGraceMs`.
 * A peer killed without unregistering disappears once its registration expires. On Linux a
 * resolve returns only registrations made in its own network namespace (its "host": addresses
 * like 127.0.0.1 mean nothing in another), counting the others in `stats.otherNetwork`. The directory is
 * created with mode 0700 and refused when another user owns it. Closing the resolver does not
 * withdraw registrations: unregister (the {@link RegistrationKeeper} does) or let them expire.
 *
 * @example
 * ```ts
 * const node = await PeerNode.open('net.p2p://room'); // localResolver() is the default
 * const fast = await PeerNode.open('net.p2p://room', { resolver: localResolver({ ttlMs: 5000 }) });
 * ```
 */
export function localResolver(options: LocalResolverOptions = {}): (components: ResolverComponents) => LocalResolver {
  const env = process.env;
  const directory = options.directory ?? (env['PEERCHANNEL_LOCAL_DIR'] || defaultLocalDirectory());
  const envTtl = env['PEERCHANNEL_LOCAL_TTL_MS'];
  const ttlMs = checkTtl(options.ttlMs ?? (envTtl ? Number(envTtl) : 30_000), options.ttlMs === undefined && envTtl ? 'PEERCHANNEL_LOCAL_TTL_MS' : 'ttlMs');
  const settings: LocalSettings = {
    directory,
    ttlMs,
    maxFiles: positive(options.maxFiles ?? 256, 'maxFiles'),
    maxScan: positive(options.maxScan ?? 4096, 'maxScan'),
    maxFileBytes: positive(options.maxFileBytes ?? 4096, 'maxFileBytes'),
    gcGraceMs: positive(options.gcGraceMs ?? 2000, 'gcGraceMs', 0),
    maxRegistrations: positive(options.maxRegistrations ?? 64, 'maxRegistrations'),
    network: networkNamespace(),
  };
  return () => new LocalResolver(settings);
}

function positive(v: number, what: string, min = 1): number {
  if (!Number.isInteger(v) || v < min) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `${what} must be an integer >= ${min}`);
  return v;
}

interface LocalSettings {
  readonly directory: string;
  readonly ttlMs: number;
  readonly maxFiles: number;
  readonly maxScan: number;
  readonly maxFileBytes: number;
  readonly gcGraceMs: number;
  readonly maxRegistrations: number;
  /** This process's network namespace (`net:[inode]`), when the OS tells. */
  readonly network: string | undefined;
}

/**
 * The network namespace this process runs in, on Linux. Addresses such as 127.0.0.1 mean
 * something only inside one network stack, so a registration is only handed to processes that
 * share it: containers and `ip netns` hosts on one machine each have their own.
 */
function networkNamespace(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return readlinkSync('/proc/self/ns/net');
  } catch {
    // No procfs (a sandbox): registrations are then not scoped, as on other systems.
    return undefined;
  }
}

interface Held {
  readonly mesh: string;
  readonly peer: ResolvedPeer;
  readonly file: string;
  expiresAt: number;
}

interface FileRecord extends ResolvedPeer {
  readonly expiresAt: number;
  readonly network: string | undefined;
}

const FILE_NAME = /^[0-9a-f]{32}\.json$/;

/** The resolver {@link localResolver} makes: one machine, registrations as files in a shared directory. */
export class LocalResolver implements PeerResolver {
  readonly name = 'local';
  /** Counters of what resolves skipped or cleaned up. */
  readonly stats: LocalResolverStats = { filesRead: 0, malformed: 0, oversize: 0, deleted: 0, otherNetwork: 0 };
  private readonly held = new Map<string, Held>();
  private closed = false;
  private ready: Promise<void> | undefined;

  /** @internal Made by {@link localResolver}. */
  constructor(private readonly settings: LocalSettings) {}

  /** The shared directory in use. */
  get directory(): string {
    return this.settings.directory;
  }

  register(mesh: string, peer: ResolvedPeer, options: { signal?: AbortSignal } = {}): Promise<Registration> {
    const m = checkMesh(mesh);
    const p = checkPeer(peer);
    return this.guard(async () => {
      throwIfAborted(options.signal, 'register');
      this.forgetExpired();
      if (this.held.size >= this.settings.maxRegistrations) {
        throw new PeerChannelError(ErrorCode.LIMIT_EXCEEDED, `more than ${this.settings.maxRegistrations} registrations on one local resolver`);
      }
      await this.ensureDirectory();
      const dir = this.meshDir(m);
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      const id = randomBytes(16).toString('hex');
      const held: Held = { mesh: m, peer: p, file: join(dir, `${id}.json`), expiresAt: Date.now() + this.settings.ttlMs };
      await this.write(held);
      throwIfAborted(options.signal, 'register');
      this.held.set(id, held);
      return { id, ttlMs: this.settings.ttlMs };
    }, options.signal);
  }

  refresh(registrationId: string): Promise<Registration> {
    return this.guard(async () => {
      const id = String(registrationId);
      const held = this.held.get(id);
      if (held === undefined) throw notRegistered(id);
      const onDisk = await this.readRecord(held.file);
      if (Date.now() >= held.expiresAt || onDisk === undefined || onDisk.expiresAt <= Date.now()) {
        this.held.delete(id);
        await unlinkQuietly(held.file);
        throw notRegistered(id);
      }
      held.expiresAt = Date.now() + this.settings.ttlMs;
      await this.write(held);
      return { id, ttlMs: this.settings.ttlMs };
    });
  }

  unregister(registrationId: string): Promise<void> {
    return this.guard(async () => {
      const held = this.held.get(String(registrationId));
      if (held === undefined) return;
      this.held.delete(String(registrationId));
      await unlinkQuietly(held.file);
    });
  }

  resolve(mesh: string, options: ResolveOptions = {}): Promise<readonly ResolvedPeer[]> {
    const m = checkMesh(mesh);
    const max = checkMax(options.max);
    return this.guard(async () => {
      throwIfAborted(options.signal, 'resolve');
      const dir = this.meshDir(m);
      const names = shuffle(await this.scan(dir));
      const byPeer = new Map<string, FileRecord>();
      for (const name of names.slice(0, this.settings.maxFiles)) {
        if (byPeer.size >= max) break;
        throwIfAborted(options.signal, 'resolve');
        const file = join(dir, name);
        const record = await this.readRecord(file, m);
        if (record === undefined) continue;
        const now = Date.now();
        if (record.expiresAt <= now) {
          if (record.expiresAt + this.settings.gcGraceMs <= now && (await unlinkQuietly(file))) this.stats.deleted += 1;
          continue;
        }
        if (record.network !== undefined && this.settings.network !== undefined && record.network !== this.settings.network) {
          this.stats.otherNetwork += 1;
          continue;
        }
        const seen = byPeer.get(record.peerId);
        if (seen === undefined || seen.expiresAt < record.expiresAt) byPeer.set(record.peerId, record);
      }
      return [...byPeer.values()].map(({ peerId, addresses }) => ({ peerId, addresses }));
    }, options.signal);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private async guard<T>(op: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.closed) throw closedError(this.name);
    throwIfAborted(signal, 'resolver call');
    try {
      return await op();
    } catch (error) {
      if (error instanceof PeerChannelError) throw error;
      throw new PeerChannelError(ErrorCode.RESOLVER_FAILED, `local resolver: ${(error as Error).message}`, { cause: error });
    }
  }

  private meshDir(mesh: string): string {
    return join(this.settings.directory, createHash('sha256').update(mesh).digest('hex').slice(0, 32));
  }

  private ensureDirectory(): Promise<void> {
    this.ready ??= (async () => {
      const dir = this.settings.directory;
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      const st = await fs.stat(dir);
      // Another user's directory could feed us forged peers: refuse it rather than trust it.
      if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
        throw new PeerChannelError(ErrorCode.RESOLVER_FAILED, `local resolver directory ${dir} belongs to another user`);
      }
    })();
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }

  private async scan(dir: string): Promise<string[]> {
    let handle;
    try {
      handle = await fs.opendir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const names: string[] = [];
    let looked = 0;
    try {
      for await (const entry of handle) {
        if (++looked > this.settings.maxScan) break;
        if (entry.isFile() && FILE_NAME.test(entry.name)) names.push(entry.name);
      }
    } finally {
      // Breaking out of the loop closes the handle already; closing twice throws, and is harmless.
      await handle.close().catch(() => undefined);
    }
    return names;
  }

  private async write(held: Held): Promise<void> {
    const body = JSON.stringify({ v: 1, mesh: held.mesh, peerId: held.peer.peerId, addresses: held.peer.addresses, expiresAt: held.expiresAt, pid: process.pid, ...(this.settings.network === undefined ? {} : { net: this.settings.network }) });
    const temp = join(held.file, '..', `.${randomBytes(8).toString('hex')}.tmp`);
    try {
      await fs.writeFile(temp, body, { mode: 0o600 });
      await fs.rename(temp, held.file);
    } catch (error) {
      await unlinkQuietly(temp);
      throw error;
    }
  }

  /** Reads one registration file; `undefined` (and counted) when missing, oversize or malformed. */
  private async readRecord(file: string, mesh?: string): Promise<FileRecord | undefined> {
    let text: string;
    try {
      const handle = await fs.open(file, 'r');
      try {
        const { size } = await handle.stat();
        if (size > this.settings.maxFileBytes) {
          this.stats.oversize += 1;
          return undefined;
        }
        const buf = Buffer.alloc(size);
        const { bytesRead } = await handle.read(buf, 0, size, 0);
        text = buf.toString('utf8', 0, bytesRead);
      } finally {
        await handle.close();
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    this.stats.filesRead += 1;
    const record = parseRecord(text, mesh);
    if (record === undefined) this.stats.malformed += 1;
    return record;
  }

  private forgetExpired(): void {
    const now = Date.now();
    for (const [id, held] of this.held) if (held.expiresAt <= now) this.held.delete(id);
  }
}

function parseRecord(text: string, mesh: string | undefined): FileRecord | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // Counted as malformed by the caller.
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (r['v'] !== 1 || typeof r['expiresAt'] !== 'number' || !Number.isFinite(r['expiresAt'])) return undefined;
  if (!isBoundedString(r['mesh'], 256) || (mesh !== undefined && r['mesh'] !== mesh)) return undefined;
  const peer = parsePeer(r);
  const network = isBoundedString(r['net'], 64) ? r['net'] : undefined;
  return peer === undefined ? undefined : { ...peer, expiresAt: r['expiresAt'], network };
}

async function unlinkQuietly(file: string): Promise<boolean> {
  try {
    await fs.unlink(file);
    return true;
  } catch (error) {
    // Someone else removed it first: the outcome we wanted.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
