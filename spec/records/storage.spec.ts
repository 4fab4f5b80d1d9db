import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/errors/index.js';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';
import { LevelRecordStorage } from '../../lib/records/storage/level-record-storage.js';
import { MemoryRecordStorage } from '../../lib/records/storage/memory-record-storage.js';
import type { RecordStorage } from '../../lib/records/storage/record-storage.js';
import type { RecordStore } from '../../lib/records/record-store.js';
import { Clock, openStore } from './helpers/store-fixture.js';

const dirs: string[] = [];
const stores: RecordStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'pc-records-'));
  dirs.push(d);
  return d;
}

const kinds: [string, () => Promise<() => RecordStorage>][] = [
  ['memory', async () => {
    const s = new MemoryRecordStorage();
    return () => s; // the same instance "reopens"
  }],
  ['LevelDB (classic-level)', async () => {
    const dir = join(await tempDir(), 'db');
    return () => new LevelRecordStorage(dir);
  }],
];

describe.each(kinds)('record storage: %s', (_name, make) => {
  it('atomic batches of puts and removes, read back in id order', async () => {
    const storage = (await make())();
    await storage.open();
    const id = (n: number) => Uint8Array.from({ length: 16 }, () => n);
    await storage.write([
      { kind: 'put', id: id(2), encoded: Uint8Array.of(2) },
      { kind: 'put', id: id(1), encoded: Uint8Array.of(1) },
      { kind: 'put', id: id(3), encoded: Uint8Array.of(3) },
    ]);
    await storage.write([{ kind: 'remove', id: id(3) }, { kind: 'put', id: id(1), encoded: Uint8Array.of(11) }]);
    const seen: number[][] = [];
    for await (const e of storage.entries()) seen.push([e.id[0] as number, ...e.encoded]);
    expect(seen).toEqual([[1, 11], [2, 2]]);
    expect(await storage.get(id(2))).toEqual(Uint8Array.of(2));
    expect(await storage.get(id(3))).toBeUndefined();
    await storage.close();
    await storage.close();
  });

  it('a store reopened on the same storage holds every change whose promise resolved, and its creator can still update and delete', async () => {
    const factory = await make();
    const identity = PeerIdentity.generate();
    const clock = new Clock();
    const first = await openStore({ identity, storage: factory(), clock });
    const kept = await first.store.add('note', { data: Uint8Array.of(1) });
    const updated = await first.store.add('note', {});
    clock.t += 1;
    await first.store.update(updated.idHex, { data: Uint8Array.of(9) });
    const deleted = await first.store.add('note', {});
    clock.t += 1;
    await first.store.delete(deleted.idHex);
    const short = await first.store.add('note', { ttlMs: 10 });
    await first.store.close();

    clock.t += 20; // `short` expired while closed
    const second = await openStore({ identity, storage: factory(), clock });
    stores.push(second.store);
    expect(second.store.size).toBe(3);
    expect(second.store.getByIdHex(kept.idHex)?.data).toEqual(Uint8Array.of(1));
    expect(second.store.getByIdHex(updated.idHex)?.version).toBe(2);
    expect(second.store.getByIdHex(deleted.idHex)?.deleted).toBe(true);
    expect(second.store.getByIdHex(short.idHex)).toBeUndefined();
    expect(second.index.size).toBe(3);
    clock.t += 1;
    expect((await second.store.update(kept.idHex, { data: Uint8Array.of(2) })).version).toBe(2);
    await second.store.delete(kept.idHex);
  });
});

describe('LevelDB record storage', () => {
  it('a second open of the same directory fails with PC_ERR_RECORD_STORAGE (one process per store)', async () => {
    const dir = join(await tempDir(), 'db');
    const one = new LevelRecordStorage(dir);
    await one.open();
    try {
      await expect(new LevelRecordStorage(dir).open()).rejects.toMatchObject({ code: ErrorCode.RECORD_STORAGE });
    } finally {
      await one.close();
    }
  });
});
