import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PeerProcess } from '../helpers/peer-process.js';

const FIXTURE = 'dist/spec/integration/fixtures/records-peer.js';
let dir: string;
let procs: PeerProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pc-records-procs-'));
});

afterEach(async () => {
  await Promise.all(procs.map((p) => p.kill()));
  procs = [];
  rmSync(dir, { recursive: true, force: true });
});

/** Starts a records peer whose home (identity + LevelDB) is `home` under the spec's directory. */
function start(home: string): PeerProcess {
  const p = new PeerProcess(FIXTURE, [JSON.stringify({ mesh: 'net.p2p://records', home: join(dir, home) })], { PEERCHANNEL_LOCAL_DIR: join(dir, 'resolver'), PEERCHANNEL_LOCAL_TTL_MS: '3000' });
  procs.push(p);
  return p;
}

async function ready(p: PeerProcess, what: string) {
  return p.waitFor((e) => e.event === 'ready', `${what} ready`, 30_000);
}

async function digestOf(p: PeerProcess): Promise<{ count: number; digest: string; ids: string[] }> {
  const before = p.events.length;
  p.send({ digest: true });
  const e = await p.waitFor((x) => x.event === 'digest' && p.events.indexOf(x) >= before, 'digest', 30_000);
  return e as unknown as { count: number; digest: string; ids: string[] };
}

async function holding(p: PeerProcess, n: number, what: string, timeoutMs = 90_000): Promise<void> {
  const before = p.events.length;
  p.send({ await: n });
  await p.waitFor((x) => x.event === 'holding' && p.events.indexOf(x) >= before, `${what} holding ${n}`, timeoutMs);
}

describe('records across processes over TLS WebSockets', () => {
  it('three processes add 1,000 records each and all hold the same 3,000; a fourth started later receives all of them', async () => {
    const peers = ['a', 'b', 'c'].map((h) => start(h));
    for (const [i, p] of peers.entries()) await ready(p, `peer ${i}`);
    for (const [i, p] of peers.entries()) await p.waitFor((e) => e.event === 'status' && e.status === 'online', `peer ${i} online`, 30_000);
    peers.forEach((p, i) => p.send({ add: 1_000, tag: `p${i}`, parallel: 8 }));
    for (const [i, p] of peers.entries()) await p.waitFor((e) => e.event === 'added-all', `peer ${i} added all`, 90_000);
    for (const [i, p] of peers.entries()) await holding(p, 3_000, `peer ${i}`);
    const digests = await Promise.all(peers.map(digestOf));
    expect(digests.map((d) => d.count)).toEqual([3_000, 3_000, 3_000]);
    expect(new Set(digests.map((d) => d.digest)).size).toBe(1);

    const late = start('d');
    expect((await ready(late, 'late peer')).holding).toBe(0);
    await holding(late, 3_000, 'late peer');
    await late.waitFor((e) => e.event === 'synchronized' && e.synchronized === true, 'late peer synchronized', 60_000);
    expect((await digestOf(late)).digest).toBe(digests[0]?.digest);
  }, 240_000);

  it('kill -9 during a burst of awaited adds: every add that resolved is there after restart, and it catches up with the rest', async () => {
    const a = start('a');
    const b = start('b');
    await ready(a, 'a');
    await ready(b, 'b');
    await a.waitFor((e) => e.event === 'status' && e.status === 'online', 'a online', 30_000);
    const before = await ready(a, 'a');
    a.send({ add: 5_000, tag: 'burst', parallel: 4 });
    await a.waitFor(() => a.events.filter((e) => e.event === 'added').length >= 300, '300 resolved adds', 60_000);
    await a.kill('SIGKILL');
    const resolved = a.events.filter((e) => e.event === 'added').map((e) => e.id as string);
    expect(resolved.length).toBeGreaterThanOrEqual(300);
    expect(a.events.some((e) => e.event === 'added-all')).toBe(false);

    // Meanwhile the mesh moves on without it.
    b.send({ add: 200, tag: 'while-down', parallel: 4 });
    await b.waitFor((e) => e.event === 'added-all', 'b added while a was down', 60_000);

    const again = start('a');
    const restarted = await ready(again, 'a restarted');
    expect(restarted.peerId).toBe(before.peerId);
    const held = new Set((await digestOf(again)).ids);
    const lost = resolved.filter((id) => !held.has(id));
    expect(lost).toEqual([]);
    // It catches up with what b added while it was down (and b with what a had before the kill).
    const bHeld = (await digestOf(b)).count;
    await holding(again, bHeld, 'a caught up');
    await holding(b, held.size, 'b caught up');
    const [da, db] = [await digestOf(again), await digestOf(b)];
    expect(da.digest).toBe(db.digest);
  }, 240_000);
});
