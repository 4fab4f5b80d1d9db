import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PeerIdentity } from '../../lib/index.js';
import { localResolver } from '../../lib/resolver/local/index.js';
import { PeerProcess, heard, probeUntilConnected } from '../helpers/peer-process.js';
import { waitFor } from '../helpers/wait.js';

const FIXTURE = 'dist/spec/integration/fixtures/peer-process.js';
let dir: string;
let procs: PeerProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pc-room-'));
});

afterEach(async () => {
  await Promise.all(procs.map((p) => p.kill()));
  procs = [];
  rmSync(dir, { recursive: true, force: true });
});

function start(config: Record<string, unknown>, ttlMs = 3000): PeerProcess {
  const p = new PeerProcess(FIXTURE, [JSON.stringify(config)], { PEERCHANNEL_LOCAL_DIR: dir, PEERCHANNEL_LOCAL_TTL_MS: String(ttlMs) });
  procs.push(p);
  return p;
}

describe('five processes on one machine, no resolver option', () => {
  it('find each other through the zero-config local resolver, and every one receives every flood', async () => {
    const peers = Array.from({ length: 5 }, () => start({ mesh: 'net.p2p://room' }));
    // Five Node processes loading the library at once take seconds each on a loaded machine.
    const ids = (await Promise.all(peers.map((p) => p.waitFor((e) => e.event === 'ready', 'ready', 60_000)))).map((e) => e.peerId as string);
    for (const [i, p] of peers.entries()) {
      expect((await p.waitFor((e) => e.event === 'ready', 'ready')).addresses).toEqual([expect.stringMatching(/^wss:\/\/127\.0\.0\.1:\d+$/)]);
      await p.waitFor((e) => e.event === 'status' && e.status === 'online', `peer ${i} online`, 20_000);
    }
    await probeUntilConnected(peers);
    // Once connected, every flood reaches every process, exactly once.
    peers.forEach((p, i) => p.send({ post: `final from ${i}` }));
    await waitFor(() => peers.every((p) => heard(p, 'final').length === 4), 'the final round', 10_000);
    await new Promise((r) => setTimeout(r, 200));
    peers.forEach((p, i) => {
      const finals = heard(p, 'final');
      expect(finals.map((e) => e.from).sort()).toEqual(ids.filter((_, j) => j !== i).sort());
      expect(finals).toHaveLength(4);
    });
  }, 120_000);

  it('a process killed with SIGKILL disappears from resolution once its registration expires', async () => {
    const a = start({ mesh: 'net.p2p://room' }, 1500);
    const b = start({ mesh: 'net.p2p://room' }, 1500);
    const [ea, eb] = await Promise.all([a.waitFor((e) => e.event === 'ready', 'a'), b.waitFor((e) => e.event === 'ready', 'b')]);
    const resolver = localResolver({ directory: dir })({ identity: PeerIdentity.generate(), createTransport: () => { throw new Error('unused'); } });
    try {
      const ids = async () => (await resolver.resolve('room', { max: 10 })).map((p) => p.peerId).sort();
      expect(await ids()).toEqual([ea.peerId, eb.peerId].sort());
      await b.kill('SIGKILL');
      // Still listed right after the kill (it never unregistered)…
      expect(await ids()).toContain(eb.peerId);
      // …and gone once its registration expires, while the live peer keeps refreshing.
      const deadline = Date.now() + 10_000;
      let now = await ids();
      while (now.includes(eb.peerId as string) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        now = await ids();
      }
      expect(now).toEqual([ea.peerId]);
    } finally {
      await resolver.close();
    }
  }, 30_000);
});
