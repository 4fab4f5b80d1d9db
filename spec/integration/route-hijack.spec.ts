import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeExtensionFrame } from '../../lib/codec/index.js';
import { ErrorCode, type PeerChannelError, PeerNode, type SecurityMode, webSocketTransport } from '../../lib/index.js';
import type { Mesh } from '../../lib/mesh/mesh.js';
import { MeshFrameKind, ROUTE_REQUEST_ID_BYTES, decodeRouteRequest, encodeRouteReply } from '../../lib/mesh/mesh-frames.js';
import type { Neighbor } from '../../lib/mesh/neighbor.js';
import { Chat } from '../helpers/contracts.js';
import { waitFor } from '../helpers/wait.js';

const open: PeerNode[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((n) => n.close()));
});

/** The mesh inside a node: the attacker is a member running modified code. */
const internals = (n: PeerNode) => (n as unknown as { mesh: Mesh }).mesh as unknown as {
  limits: Mesh['limits'];
  extensions: Map<number, (from: Neighbor, payload: unknown) => void>;
  router: { receive: (...args: unknown[]) => void };
  neighborMap: Map<string, Neighbor>;
};

async function node(security: SecurityMode): Promise<PeerNode> {
  const n = await PeerNode.open('net.p2p://routes', {
    transport: webSocketTransport({ host: '127.0.0.1' }), resolver: null, security, password: 'correct horse',
    // A fixed topology: no top-ups, no shuffles that would add links behind the spec's back.
    neighbors: { min: 0, ideal: 0, max: 16 }, maintenanceIntervalMs: 600_000,
  });
  open.push(n);
  return n;
}

/**
 * A–B–C–T over TLS, with the attacker X (a member) linked to A and B. X answers every route
 * request at once with forged replies, sends replies for requests nobody made, and swallows
 * every directed message it is given. Before route replies were authenticated, X's instant
 * answer won at A and B and every directed message to T vanished without a count.
 */
async function hijack(security: SecurityMode, lies: readonly number[]) {
  const [a, b, c, t, x] = [await node(security), await node(security), await node(security), await node(security), await node(security)];
  for (const [from, to] of [[a, b], [b, c], [c, t], [a, x], [x, b]] as const) await from.connect(to.addresses[0] as string, to.peerId);
  const atT: unknown[] = [];
  t.calls$(Chat, 'say').subscribe((call) => call.from === a.peerId && atT.push(call.args));
  const heardX: string[] = [];
  for (const n of [a, b]) n.calls$(Chat, 'say').subscribe((call) => call.from === x.peerId && heardX.push(n.peerId));
  const reported: PeerChannelError[] = [];
  for (const n of [a, b]) n.errors$.subscribe((e) => e.code === ErrorCode.ROUTE_FORGED && reported.push(e));

  const evil = internals(x);
  let forged = 0;
  const forge = (to: Neighbor, requestId: Uint8Array, origin: string, target: string, travelled: number) => {
    // X has no key of T's: in signing modes a random blob stands in for T's signature.
    const sig = security === 'both' || security === 'message' ? randomBytes(111) : null;
    if (to.send(encodeExtensionFrame(MeshFrameKind.RouteReply, encodeRouteReply({ requestId, origin, target, travelled, sig })))) forged += 1;
  };
  evil.extensions.set(MeshFrameKind.RouteRequest, (from, payload) => {
    const req = decodeRouteRequest(payload, evil.limits);
    for (const travelled of lies) forge(from, req.requestId, req.origin, req.target, travelled);
  });
  evil.router.receive = () => undefined;

  // Replies for requests never made, to both of X's neighbours, before any traffic; X's flood
  // behind them on the same links proves they have been handled.
  for (const victim of evil.neighborMap.values()) {
    for (let i = 0; i < 10; i++) forge(victim, randomBytes(ROUTE_REQUEST_ID_BYTES), a.peerId, t.peerId, 1 + (i % 3));
  }
  await x.proxy(Chat).say('x', 'after the forgeries');
  await waitFor(() => heardX.length === 2, "X's flood at A and B", 10_000);

  const messages = 30;
  const chat = a.proxy(Chat).to(t.peerId);
  for (let i = 0; i < messages; i++) await chat.say('a', `to t ${i}`);
  await waitFor(() => atT.length === messages, `all ${messages} directed messages at T`, 20_000);
  const refused = () => a.stats().routeRepliesRefused + b.stats().routeRepliesRefused;
  await waitFor(() => refused() === forged, 'every forged reply to be counted', 10_000);
  return { a, atT, forged, reported, messages, refused: refused() };
}

describe('route replies are accepted only for requests pending here, from the neighbour asked', () => {
  it("security 'both': forged and unsolicited route replies are refused and counted; every directed message reaches T", async () => {
    // X claims to be T (travelled 1) and to neighbour T (travelled 2): neither is signed by T.
    const r = await hijack('both', [1, 2]);
    expect(r.atT).toHaveLength(r.messages);
    expect(r.forged).toBeGreaterThan(20);
    expect(r.refused).toBe(r.forged);
    expect(r.reported).toHaveLength(r.forged);
    expect(r.a.stats().dropped[ErrorCode.NO_ROUTE] ?? 0).toBe(0);
  }, 60_000);

  it("security 'transport': replies to requests never sent, and 'I am the target' over another link, are refused", async () => {
    // Without message signing a member that got a request can still claim to neighbour the
    // target (documented in docs/security.md); here X lies about being T and about requests.
    const r = await hijack('transport', [1]);
    expect(r.atT).toHaveLength(r.messages);
    expect(r.forged).toBeGreaterThan(20);
    expect(r.refused).toBe(r.forged);
  }, 60_000);
});
