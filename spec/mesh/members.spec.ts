import { afterEach, describe, expect, it } from 'vitest';
import { filter, firstValueFrom } from 'rxjs';
import { ErrorCode } from '../../lib/errors/index.js';
import { MEMBER_ANNOUNCE_KIND } from '../../lib/mesh/member-directory.js';
import type { PeerNode } from '../../lib/node/peer-node.js';
import { PeerNode as Node } from '../../lib/node/peer-node.js';
import type { Transport } from '../../lib/transport/transport.js';
import { MeshLab } from '../helpers/mesh-lab.js';
import { waitFor } from '../helpers/wait.js';

let nodes: PeerNode[] = [];
let lab: MeshLab | undefined;
afterEach(async () => {
  await Promise.allSettled(nodes.map((n) => n.close()));
  nodes = [];
  await lab?.close();
  lab = undefined;
});

const quick = { memberAnnounceMs: 150, memberTtlMs: 400 };
const ids = (n: PeerNode) => n.members.map((m) => m.peerId).sort();

/** a–b–c–d on TLS WebSockets, by hand: a and d are three hops apart. */
async function line(security: 'transport' | 'both', mesh: { memberAnnounceMs: number; memberTtlMs: number } = quick): Promise<PeerNode[]> {
  const open = () => Node.open('net.p2p://members', { resolver: null, topology: 'fixed', security, mesh });
  const ns = [await open(), await open(), await open(), await open()];
  nodes.push(...ns);
  for (let i = 1; i < ns.length; i++) await ns[i]!.connect(ns[i - 1]!.addresses[0] as string, ns[i - 1]!.peerId);
  return ns;
}

describe('the mesh-wide member list (TLS WebSockets)', () => {
  for (const security of ['transport', 'both'] as const) {
    it(`lists every member of a line, not only neighbours, with hop distances (security ${security})`, async () => {
      const [a, b, c, d] = await line(security);
      const all = [a, b, c, d].map((n) => n!.peerId).sort();
      await firstValueFrom(a!.members$.pipe(filter((ms) => ms.length === 4)));
      expect(ids(a!)).toEqual(all);
      expect(a!.members[0]).toMatchObject({ peerId: a!.peerId, hops: 0 });
      expect(a!.members.find((m) => m.peerId === d!.peerId)?.hops).toBe(3);
      await waitFor(() => ids(d!).length === 4, 'd lists everyone');
      expect(a!.neighbors.map((n) => n.peerId)).toEqual([b!.peerId]);
      void c;
    });
  }

  it('a member that closes leaves every list at once, long before its entry would expire', async () => {
    // Announcements once a minute, kept two: only d's leaving announcement can remove it here.
    const [a, , , d] = await line('transport', { memberAnnounceMs: 60_000, memberTtlMs: 120_000 });
    await waitFor(() => ids(a!).length === 4, 'a lists everyone (handed over on each new link)');
    await d!.close();
    await firstValueFrom(a!.members$.pipe(filter((ms) => ms.length === 3 && !ms.some((m) => m.peerId === d!.peerId))));
  });

  it('a member that vanishes without a word leaves within memberTtlMs + memberAnnounceMs', async () => {
    const [a, , c, d] = await line('transport');
    await waitFor(() => ids(a!).length === 4, 'a lists everyone');
    // c's transport dies: its mesh never says goodbye, and d is cut off with it.
    await (Reflect.get(c!, 'transport') as Transport).close();
    await waitFor(() => !ids(a!).includes(c!.peerId) && !ids(a!).includes(d!.peerId), "c and d dropped from a's list after their TTL", 20_000);
    expect(ids(a!)).toHaveLength(2);
  });
});

describe('member announcements from a hostile neighbour (memory transport)', () => {
  it('a malformed announcement closes the link; forged members past maxMembers and over-rate repeats are dropped, counted', async () => {
    lab = new MeshLab();
    const [honest, hostile] = await lab.addMany(2, { neighbors: { min: 0, ideal: 0, max: 4 }, tuning: { memberAnnounceMs: 60_000, memberTtlMs: 120_000, maxMembers: 5 } });
    await lab.link(hostile!, honest!);
    const link = () => hostile!.mesh.neighbors.get(honest!.peerId)!;
    const now = Date.now();
    const forged = (i: number) => i.toString(16).padStart(64, 'f');
    for (let i = 0; i < 10; i++) hostile!.mesh.sendExtension(link(), MEMBER_ANNOUNCE_KIND, [forged(i), now, 1, 1, false, null]);
    await waitFor(() => (honest!.mesh.stats.dropped[ErrorCode.MEMBERS_LIMIT] ?? 0) >= 5, 'members past the bound dropped');
    // 5 entries: the hostile peer itself (its own announcement on linking) and 4 forged.
    expect(honest!.mesh.members.length).toBe(1 + 5);
    // The same member again, newer but far sooner than half the interval: dropped.
    const before = honest!.mesh.stats.dropped[ErrorCode.MEMBERS_LIMIT] ?? 0;
    hostile!.mesh.sendExtension(link(), MEMBER_ANNOUNCE_KIND, [forged(0), now + 1, 1, 1, false, null]);
    await waitFor(() => (honest!.mesh.stats.dropped[ErrorCode.MEMBERS_LIMIT] ?? 0) > before, 'over-rate repeat dropped');
    // A broken shape (a member id that is not a peer id): the link closes with PC_ERR_FRAME_SHAPE.
    const closed = honest!.mesh.neighbors.get(hostile!.peerId)!.link.closed;
    hostile!.mesh.sendExtension(link(), MEMBER_ANNOUNCE_KIND, ['forged-x', now + 2, 1, 1, false, null]);
    expect(await closed).toMatchObject({ code: ErrorCode.FRAME_SHAPE });
  });
});
