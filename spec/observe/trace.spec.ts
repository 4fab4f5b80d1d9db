import { firstValueFrom, filter, last } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, type MessageTrace, type PeerNode, type PeerNodeOptions } from '../../lib/index.js';
import { Chat } from '../helpers/contracts.js';
import { MemoryMesh, neighborIds } from '../helpers/memory-mesh.js';
import { waitFor } from '../helpers/wait.js';

let mesh: MemoryMesh;
afterEach(async () => {
  await mesh?.close();
});

/** Nodes named by letter, in the order given. */
async function lettered(names: string, options: PeerNodeOptions = {}, per: Record<string, PeerNodeOptions> = {}): Promise<Record<string, PeerNode>> {
  const out: Record<string, PeerNode> = {};
  for (const name of names) out[name] = (await mesh.add(1, { ...options, ...per[name], observe: { ...options.observe, ...per[name]?.observe } }))[0]!;
  return out;
}

function completed(node: PeerNode, id: string): Promise<MessageTrace> {
  return firstValueFrom(node.trace(id).pipe(last()));
}

function hostChat(nodes: Record<string, PeerNode>): void {
  for (const node of Object.values(nodes)) node.host(Chat, { say() {}, nudge() {}, ping() {}, whois: async () => '', add: async () => 0, fail: async () => undefined });
}

const short = { observe: { traceTtlMs: 1_500, reportDelayMs: 20 } };

describe('message trace', () => {
  it('lists every receiver of a flood with its path and hop count on a known topology', async () => {
    mesh = new MemoryMesh(7);
    const n = await lettered('ABCDEF', short);
    // A - B - C - D, B - E - F, and C - E closes a cycle (so C and E each see one duplicate).
    for (const [a, b] of ['AB', 'BC', 'CD', 'BE', 'EF', 'CE']) await mesh.link(n[a!]!, n[b!]!);
    hostChat(n);
    const id = await n.A!.proxy(Chat).traced().say('a', 'hello');
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const t = await completed(n.A!, id);
    const name = new Map<string, string>(Object.entries(n).map(([k, v]) => [v.peerId, k]));
    const rows = t.receivers.map((r) => `${name.get(r.peerId)} ${r.hops} ${r.path.map((p) => name.get(p)).join('')} ${r.delivered}`);
    expect(rows.sort()).toEqual(['A 0 A true', 'B 1 AB true', 'C 2 ABC true', 'D 3 ABCD true', 'E 2 ABE true', 'F 3 ABEF true']);
    // The sender first, then by hop count.
    expect(t.receivers.map((r) => r.hops)).toEqual([0, 1, 2, 2, 3, 3]);
    expect(t.receivers.every((r) => r.pathComplete)).toBe(true);
    const c = t.receivers.find((r) => r.peerId === n.C!.peerId)!;
    expect(c.duplicatesFrom).toEqual([n.E!.peerId]);
    expect([...c.forwardedTo].sort()).toEqual([n.D!.peerId, n.E!.peerId].sort());
    expect(t.missed).toEqual([]);
    expect(t.complete).toBe(true);
    expect(t.contract).toBe('chat');
  });

  it('with a link cut and a filter at one node, names exactly the peers that missed it and why', async () => {
    mesh = new MemoryMesh(8);
    // A - B - C - D - E, and B - F - G; F delivers chat floods but does not pass them on.
    const n = await lettered('ABCDEFG', short, {
      F: { propagationFilter: (m, origin) => (m.contract === 'chat' && origin === 'remote' ? 'local' : 'localAndRemote') },
    });
    for (const [a, b] of ['AB', 'BC', 'CD', 'DE', 'BF', 'FG']) await mesh.link(n[a!]!, n[b!]!);
    hostChat(n);
    const view = await n.A!.meshView({ timeoutMs: 3_000, count: 6 });
    expect(view.nodes).toHaveLength(7);
    expect(view.links).toHaveLength(6);
    mesh.net.cut(n.C!.peerId, n.D!.peerId);
    await waitFor(() => !neighborIds(n.C!).includes(n.D!.peerId) && !neighborIds(n.D!).includes(n.C!.peerId), 'cut C-D');
    const id = await n.A!.proxy(Chat).traced().say('a', 'hello');
    const t = await completed(n.A!, id);
    const name = new Map<string, string>(Object.entries(n).map(([k, v]) => [v.peerId, k]));
    expect(t.receivers.map((r) => name.get(r.peerId)).sort()).toEqual(['A', 'B', 'C', 'F']);
    const f = t.receivers.find((r) => r.peerId === n.F!.peerId)!;
    expect(f).toMatchObject({ delivered: true, reason: 'filter', forwardedTo: [] });
    expect(t.missed.map((m) => `${name.get(m.peerId)} ${m.reason} ${m.lastNode === undefined ? '-' : name.get(m.lastNode)}`).sort()).toEqual([
      'D link-down C',
      'E unreachable -',
      'G filter F',
    ]);
  });

  it('reports a delivery refused by the receiver with its code', async () => {
    mesh = new MemoryMesh(9);
    const n = await lettered('AB', short);
    await mesh.link(n.A!, n.B!);
    // B has never bound the chat contract: the call reaches it and is refused.
    const id = await n.A!.proxy(Chat).traced().say('a', 'hello');
    const t = await completed(n.A!, id);
    expect(t.receivers.find((r) => r.peerId === n.B!.peerId)).toMatchObject({ delivered: false, refused: ErrorCode.UNKNOWN_CONTRACT, hops: 1 });
  });

  it('is bounded: traces in flight, reports per trace, and the reporter rate', async () => {
    mesh = new MemoryMesh(10);
    const n = await lettered('ABCDE', { observe: { traceTtlMs: 1_500, reportDelayMs: 20 } }, {
      A: { observe: { maxTracesInFlight: 2, maxReportsPerTrace: 3 } },
      B: { observe: { reportsPerSecond: 0.001, reportBurst: 1 } },
    });
    for (const [a, b] of ['AB', 'BC', 'CD', 'DE']) await mesh.link(n[a!]!, n[b!]!);
    const chat = n.A!.proxy(Chat).traced();
    const first = await chat.say('a', '1');
    await chat.say('a', '2');
    expect(() => chat.say('a', '3')).toThrow(expect.objectContaining({ code: ErrorCode.TRACE_LIMIT }));
    const t = await completed(n.A!, first);
    // A's own record, plus two reports; B's second report was over its rate.
    expect(t.receivers).toHaveLength(3);
    expect(t.reportsDropped).toBeGreaterThanOrEqual(1);
    expect(n.B!.stats().dropped[ErrorCode.RATE_LIMITED]).toBe(1);
    // Once a trace completes, a new one may start.
    await firstValueFrom(n.A!.trace(first).pipe(filter((x) => x.complete)));
    await waitFor(() => n.A!.traces().filter((x) => !x.complete).length < 2, 'second trace completes');
    await expect(chat.say('a', '4')).resolves.toMatch(/^[0-9a-f]{32}$/);
  });

  it('traces a flood in message security mode (signed bodies and signed reports)', async () => {
    mesh = new MemoryMesh(12);
    const n = await lettered('ABC', { ...short, security: 'message' });
    await mesh.line([n.A!, n.B!, n.C!]);
    hostChat(n);
    const id = await n.A!.proxy(Chat).traced().say('a', 'signed');
    const t = await completed(n.A!, id);
    expect(t.receivers.map((r) => r.hops)).toEqual([0, 1, 2]);
    expect(t.receivers[2]!.path).toEqual([n.A!.peerId, n.B!.peerId, n.C!.peerId]);
  });

  it('refuses traced() on reply operations and unknown trace ids', async () => {
    mesh = new MemoryMesh(11);
    const [a] = await mesh.add(1);
    const traced = a!.proxy(Chat).traced() as unknown as { whois: () => Promise<string> };
    expect(() => traced.whois()).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    expect(() => a!.trace('00'.repeat(16))).toThrow(expect.objectContaining({ code: ErrorCode.TRACE_UNKNOWN }));
  });
});
