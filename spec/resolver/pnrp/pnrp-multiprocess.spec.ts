import { afterEach, describe, expect, it } from 'vitest';
import { PeerProcess, type PeerEvent } from '../../helpers/peer-process.js';

const FIXTURE = 'dist/spec/integration/fixtures/pnrp-node.js';
let procs: PeerProcess[] = [];

afterEach(async () => {
  await Promise.all(procs.map((p) => p.kill()));
  procs = [];
});

function start(config: Record<string, unknown>): PeerProcess {
  const p = new PeerProcess(FIXTURE, [JSON.stringify(config)]);
  procs.push(p);
  return p;
}

let query = 0;
/** Asks `p` to resolve `mesh` and returns the peer ids it answered with. */
async function resolveIn(p: PeerProcess, mesh: string): Promise<string[]> {
  const id = (query += 1);
  p.send({ resolve: mesh, id });
  const answer = await p.waitFor((e) => (e.event === 'resolved' && e.id === id) || e.event === 'error', `resolve ${id}`);
  expect(answer.event).toBe('resolved');
  return (answer.peers as { peerId: string }[]).map((x) => x.peerId).sort();
}

/**
 * Resolves again and again until `done` holds for the answer: joining and expiry are states of
 * the cloud, with no event to wait on; each resolve is itself a network round trip.
 */
async function resolveUntil(p: PeerProcess, mesh: string, done: (ids: string[]) => boolean, what: string, giveUpMs = 20_000): Promise<string[]> {
  const giveUp = Date.now() + giveUpMs;
  let ids: string[] = [];
  while (Date.now() < giveUp) {
    ids = await resolveIn(p, mesh);
    if (done(ids)) return ids;
  }
  throw new Error(`${what}: not reached; last answer ${JSON.stringify(ids)}`);
}

describe('PNRP across processes (TLS WebSockets on 127.0.0.1)', () => {
  it('members that know only a seed address find each other, and a killed one expires', async () => {
    const seed = start({});
    const ready = await seed.waitFor((e) => e.event === 'ready', 'seed ready');
    const seeds = ready.addresses as string[];
    expect(seeds[0]).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    const members = Array.from({ length: 3 }, () => start({ seeds, register: 'room', ttlMs: 1500 }));
    const ids = (await Promise.all(members.map((m) => m.waitFor((e: PeerEvent) => e.event === 'registered', 'registered').then(() => m.waitFor((e) => e.event === 'ready', 'ready'))))).map((e) => e.peerId as string).sort();
    for (const m of [seed, ...members]) {
      expect(await resolveUntil(m, 'net.p2p://room', (found) => found.length === 3, 'all members')).toEqual(ids);
    }
    const victim = members[0] as PeerProcess;
    const victimId = (await victim.waitFor((e) => e.event === 'ready', 'ready')).peerId as string;
    await victim.kill();
    const rest = ids.filter((id) => id !== victimId);
    expect(await resolveUntil(members[1] as PeerProcess, 'room', (found) => !found.includes(victimId), 'expiry of the killed member')).toEqual(rest);
    expect(await resolveIn(seed, 'room')).toEqual(rest);
    expect(seed.events.filter((e) => e.event === 'error')).toEqual([]);
  }, 60_000);
});
