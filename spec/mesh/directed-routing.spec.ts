import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/errors/index.js';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';
import { type LabPeer, MeshLab, got } from '../helpers/mesh-lab.js';
import { settle, waitFor } from '../helpers/wait.js';

let lab: MeshLab;
afterEach(async () => {
  await lab.close();
});

const fixed = { neighbors: { min: 0, ideal: 0, max: 16 }, maintenanceIntervalMs: 60_000, tuning: { routeHopTimeoutMs: 20, routeFirstRing: 1, routeMaxRing: 8 } };
const sum = (peers: LabPeer[], f: (p: LabPeer) => number) => peers.reduce((s, p) => s + f(p), 0);

describe('directed routing without flooding', () => {
  it('with no route known, a route request finds the target and the payload follows one path; side branches never see it', async () => {
    lab = new MeshLab();
    // A–B–C–D–E, with F and G off B and H off C.
    const [a, b, c, d, e, f, g, h] = await lab.addMany(8, fixed);
    for (const [x, y] of [[a, b], [b, c], [c, d], [d, e], [b, f], [b, g], [c, h]] as const) await lab.link(x!, y!);
    const all = [a!, b!, c!, d!, e!, f!, g!, h!];
    const m = lab.direct(a!, e!.peerId);
    await waitFor(() => got(e!, m), 'delivery at E');
    await settle(40);
    expect(e!.delivered[0]).toMatchObject({ kind: 'direct', hops: 4 });
    // Four payload frames: A→B→C→D→E. Nobody else delivered or relayed it.
    expect(sum(all, (p) => p.mesh.stats.relayed)).toBe(4);
    for (const p of [f!, g!, h!]) expect(p.mesh.stats.relayed + p.delivered.length).toBe(0);
    expect(sum(all, (p) => p.mesh.stats.duplicates)).toBe(0);
    expect(a!.mesh.stats.routeRequests).toBeGreaterThan(0);
    // The answer travels back along the path the call taught E, with no search.
    const back = lab.direct(e!, a!.peerId);
    await waitFor(() => got(a!, back), 'the reply at A');
    expect(e!.mesh.stats.routeRequests).toBe(0);
    expect(sum(all, (p) => p.mesh.stats.relayed)).toBe(8);
    // A second message to E finds the route known: no new request.
    const requests = sum(all, (p) => p.mesh.stats.routeRequests);
    const again = lab.direct(a!, e!.peerId);
    await waitFor(() => got(e!, again), 'the second delivery');
    expect(sum(all, (p) => p.mesh.stats.routeRequests)).toBe(requests);
  });

  it('a target nobody can reach is given up after the last ring with PC_ERR_NO_ROUTE; no payload leaves the sender', async () => {
    lab = new MeshLab();
    const peers = await lab.addMany(4, fixed);
    for (let i = 0; i + 1 < peers.length; i++) await lab.link(peers[i]!, peers[i + 1]!);
    lab.direct(peers[0]!, PeerIdentity.generate().peerId);
    await waitFor(() => peers[0]!.mesh.stats.dropped[ErrorCode.NO_ROUTE] === 1, 'the search to give up', 10_000);
    expect(sum(peers, (p) => p.mesh.stats.relayed)).toBe(0);
    expect(sum(peers, (p) => p.delivered.length)).toBe(0);
    // Each ring was a bounded request: at most one frame per link direction per ring (rings 1, 2, 4, 8).
    expect(sum(peers, (p) => p.mesh.stats.routeRequests)).toBeLessThanOrEqual(4 * 3 * 2);
  });

  it('when a path breaks, the relay drops the message, a route error clears the stale routes, and the next message finds a new path', async () => {
    lab = new MeshLab();
    // A–B–C–D, and a longer way round A–F–G–H–D.
    const ring = await lab.addMany(7, fixed);
    const [a, b, c, d, f, g, h] = ring;
    for (const [x, y] of [[a, b], [b, c], [c, d], [a, f], [f, g], [g, h], [h, d]] as const) await lab.link(x!, y!);
    const first = lab.direct(a!, d!.peerId);
    await waitFor(() => got(d!, first), 'first delivery');
    expect(d!.delivered[0]).toMatchObject({ via: c!.peerId, hops: 3 });
    expect(b!.mesh.stats.relayed).toBe(1);
    lab.net.cut(c!.peerId, d!.peerId);
    await waitFor(() => !d!.mesh.neighbors.has(c!.peerId), 'the cut');
    let delivered = false;
    for (let attempt = 0; attempt < 5 && !delivered; attempt++) {
      const m = lab.direct(a!, d!.peerId);
      delivered = await waitFor(() => got(d!, m), 'delivery', 1_000).then(() => true, () => false);
    }
    expect(delivered).toBe(true);
    expect(d!.delivered.at(-1)).toMatchObject({ via: h!.peerId, hops: 4 });
    expect(c!.mesh.stats.dropped[ErrorCode.NO_ROUTE]).toBe(1);
    expect(sum(ring, (p) => p.mesh.stats.duplicates)).toBe(0);
  });
});
