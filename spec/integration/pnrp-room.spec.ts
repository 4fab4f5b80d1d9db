import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PeerProcess, heard, probeUntilConnected } from '../helpers/peer-process.js';
import { waitFor } from '../helpers/wait.js';

const FIXTURE = 'dist/spec/integration/fixtures/peer-process.js';
let procs: PeerProcess[] = [];
let dir: string;

afterEach(async () => {
  await Promise.all(procs.map((p) => p.kill()));
  procs = [];
  rmSync(dir, { recursive: true, force: true });
});

describe('peers in separate processes find net.p2p://room through PNRP seeds only', () => {
  it('every process hears every other, with no local resolver in play', async () => {
    // The local resolver's directory is an empty one of our own: nothing may be found through it.
    dir = mkdtempSync(join(tmpdir(), 'pc-pnrp-'));
    const env = { PEERCHANNEL_LOCAL_DIR: dir };
    const start = (seeds: string[]) => {
      const p = new PeerProcess(FIXTURE, [JSON.stringify({ mesh: 'net.p2p://room', pnrpSeeds: seeds })], env);
      procs.push(p);
      return p;
    };
    const seed = start([]);
    const seedReady = await seed.waitFor((e) => e.event === 'ready', 'seed ready');
    const seedAddresses = seedReady.pnrpAddresses as string[];
    expect(seedAddresses.length).toBeGreaterThan(0);
    const others = [start(seedAddresses), start(seedAddresses), start(seedAddresses)];
    const peers = [seed, ...others];
    const ids = (await Promise.all(peers.map((p) => p.waitFor((e) => e.event === 'ready', 'ready')))).map((e) => e.peerId as string);
    await Promise.all(peers.map((p, i) => p.waitFor((e) => e.event === 'status' && e.status === 'online', `peer ${i} online`, 30_000)));
    await probeUntilConnected(peers);
    // Once connected, every flood reaches every process, exactly once.
    peers.forEach((p, i) => p.send({ post: `final from ${i}` }));
    await waitFor(() => peers.every((p) => heard(p, 'final').length === 3), 'the final round', 10_000);
    peers.forEach((p, i) => expect(heard(p, 'final').map((e) => e.from).sort()).toEqual(ids.filter((_, j) => j !== i).sort()));
    expect(readdirSync(dir)).toEqual([]);
  }, 90_000);
});
