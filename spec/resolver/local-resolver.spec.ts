import { randomBytes } from 'node:crypto';
import { chown, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/errors/index.js';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';
import { defaultLocalDirectory, localResolver, type LocalResolver, type LocalResolverOptions } from '../../lib/resolver/local/index.js';
import { MemoryNetwork, memoryTransport } from '../../lib/transport/memory/index.js';
import { resolverCompliance } from '../compliance/resolver-compliance.js';

const net = new MemoryNetwork();
function components() {
  const identity = PeerIdentity.generate();
  return { identity, createTransport: () => memoryTransport(net)({ identity }) };
}

let shared: string;
beforeAll(async () => {
  shared = await mkdtemp(join(tmpdir(), 'pc-local-compliance-'));
});
afterAll(async () => {
  await rm(shared, { recursive: true, force: true });
});

resolverCompliance('local', {
  make: ({ ttlMs }) => ({ resolver: localResolver({ directory: shared, ttlMs })(components()), peerId: randomBytes(32).toString('hex') }),
});

describe('localResolver', () => {
  let dir: string;
  const open: LocalResolver[] = [];
  const make = (options: LocalResolverOptions = {}) => {
    const r = localResolver({ directory: dir, ...options })(components());
    open.push(r);
    return r;
  };
  const peer = (id = randomBytes(32).toString('hex')) => ({ peerId: id, addresses: [`wss://127.0.0.1:${1000 + (id.charCodeAt(0) % 50)}`] });
  const meshDir = async () => {
    const [sub] = await readdir(dir);
    return join(dir, sub as string);
  };

  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pc-local-'));
  });

  it('lets two instances with separate state share one directory', async () => {
    const [a, b] = [make(), make()];
    const pa = peer();
    const reg = await a.register('room', pa);
    expect(await b.resolve('room')).toEqual([pa]);
    // b holds no state about a's registration: it cannot refresh or withdraw it.
    await expect(b.refresh(reg.id)).rejects.toMatchObject({ code: ErrorCode.NOT_REGISTERED });
    await b.unregister(reg.id);
    expect(await b.resolve('room')).toEqual([pa]);
    await a.unregister(reg.id);
    expect(await b.resolve('room')).toEqual([]);
  });

  it('writes one small file per registration, atomically, with no temporary file left', async () => {
    const r = make();
    const reg = await r.register('room', peer());
    await r.refresh(reg.id);
    const files = await readdir(await meshDir());
    expect(files).toEqual([`${reg.id}.json`]);
    const record = JSON.parse(await readFile(join(await meshDir(), files[0] as string), 'utf8'));
    expect(record).toMatchObject({ v: 1, mesh: 'room', pid: process.pid });
    expect(record.expiresAt).toBeGreaterThan(Date.now());
  });

  it('skips and counts malformed and oversize files, and still returns the valid ones', async () => {
    const r = make({ maxFileBytes: 1024 });
    const good = peer();
    await r.register('room', good);
    const d = await meshDir();
    const hex = () => `${randomBytes(16).toString('hex')}.json`;
    const valid = { v: 1, mesh: 'room', peerId: 'x'.repeat(64), addresses: ['a://1'], expiresAt: Date.now() + 60_000, pid: 1 };
    await writeFile(join(d, hex()), 'not json{');
    await writeFile(join(d, hex()), JSON.stringify({ ...valid, addresses: 'a://1' }));
    await writeFile(join(d, hex()), JSON.stringify({ ...valid, mesh: 'other' }));
    await writeFile(join(d, hex()), JSON.stringify({ ...valid, expiresAt: 'soon' }));
    await writeFile(join(d, hex()), JSON.stringify({ ...valid, addresses: Array.from({ length: 40 }, () => 'a://1') }));
    await writeFile(join(d, hex()), JSON.stringify({ ...valid, pad: 'x'.repeat(2000) }));
    await writeFile(join(d, 'ignored-name.json'), JSON.stringify(valid));
    expect(await r.resolve('room')).toEqual([good]);
    expect(r.stats.malformed).toBe(5);
    expect(r.stats.oversize).toBe(1);
  });

  it('reads at most maxFiles files per resolve', async () => {
    const writer = make();
    for (let i = 0; i < 20; i++) await writer.register('room', peer());
    const reader = make({ maxFiles: 5 });
    const found = await reader.resolve('room', { max: 100 });
    expect(found).toHaveLength(5);
    expect(reader.stats.filesRead).toBe(5);
  });

  it('deletes files expired for longer than the grace, never returns expired ones', async () => {
    const writer = make({ ttlMs: 50 });
    const reader = make({ gcGraceMs: 60_000 });
    const reg = await writer.register('room', peer());
    const by = Date.now();
    await new Promise((r) => setTimeout(r, Math.max(0, by + 55 - Date.now())));
    expect(await reader.resolve('room')).toEqual([]);
    expect(await readdir(await meshDir())).toEqual([`${reg.id}.json`]);
    const sweeper = make({ gcGraceMs: 0 });
    expect(await sweeper.resolve('room')).toEqual([]);
    expect(sweeper.stats.deleted).toBe(1);
    expect(await readdir(await meshDir())).toEqual([]);
  });

  it('takes its directory and TTL from the environment when no option is given', async () => {
    const saved = { dir: process.env['PEERCHANNEL_LOCAL_DIR'], ttl: process.env['PEERCHANNEL_LOCAL_TTL_MS'] };
    process.env['PEERCHANNEL_LOCAL_DIR'] = dir;
    process.env['PEERCHANNEL_LOCAL_TTL_MS'] = '1234';
    try {
      const r = localResolver()(components());
      open.push(r);
      expect(r.directory).toBe(dir);
      expect((await r.register('room', peer())).ttlMs).toBe(1234);
      process.env['PEERCHANNEL_LOCAL_TTL_MS'] = 'soon';
      expect(() => localResolver()).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    } finally {
      for (const [k, v] of [['PEERCHANNEL_LOCAL_DIR', saved.dir], ['PEERCHANNEL_LOCAL_TTL_MS', saved.ttl]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    expect(defaultLocalDirectory()).toContain('peerchannel-local-');
  });

  // Only root can hand the directory to another user.
  it.skipIf(process.getuid?.() !== 0)('refuses a directory owned by another user', async () => {
    await chown(dir, 65534, 65534);
    const r = make();
    await expect(r.register('room', peer())).rejects.toMatchObject({ code: ErrorCode.RESOLVER_FAILED });
  });

  it('bounds the registrations of one instance', async () => {
    const r = make({ maxRegistrations: 2 });
    await r.register('room', peer());
    await r.register('room', peer());
    await expect(r.register('room', peer())).rejects.toMatchObject({ code: ErrorCode.LIMIT_EXCEEDED });
  });
});
