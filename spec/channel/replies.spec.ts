import { afterEach, describe, expect, it } from 'vitest';
import { filter, firstValueFrom, toArray } from 'rxjs';
import { ErrorCode, type PeerCall, asPeerId, type PeerChannelError, type PeerNode, currentCall } from '../../lib/index.js';
import { Chat } from '../helpers/contracts.js';
import { MemoryMesh } from '../helpers/memory-mesh.js';
import { waitFor } from '../helpers/wait.js';

class Host implements Chat {
  constructor(readonly name: string) {}
  say(): void {}
  nudge(): void {}
  ping(): void {}
  async whois(): Promise<string> {
    return `${this.name}@${currentCall().hops}`;
  }
  async add(a: number, b: number): Promise<number> {
    return a + b;
  }
  async fail(): Promise<void> {}
}

function errorsOf(node: PeerNode): PeerChannelError[] {
  const got: PeerChannelError[] = [];
  node.errors$.subscribe((e) => got.push(e));
  return got;
}

let mesh: MemoryMesh;
afterEach(async () => {
  await mesh.close();
});

describe('late replies are counted apart, not reported as errors', () => {
  it('the replies after the first one of a plain flooded call', async () => {
    mesh = new MemoryMesh(11);
    const nodes = await mesh.add(5);
    await mesh.line(nodes);
    nodes.forEach((n, i) => n.host(Chat, new Host(`n${i}`)));
    const caller = nodes[0] as PeerNode;
    const errors = errorsOf(caller);
    // The caller hosts Chat too, so its own answer (hops 0) comes first; the other four are late.
    expect(await caller.proxy(Chat).whois()).toBe('n0@0');
    await waitFor(() => caller.stats().lateReplies === 4, 'four late replies');
    expect(errors.filter((e) => e.code === ErrorCode.FRAME_UNEXPECTED)).toEqual([]);
    expect(caller.stats().dropped[ErrorCode.FRAME_UNEXPECTED]).toBeUndefined();
  });

  it('the replies after a gather completed by its count', async () => {
    mesh = new MemoryMesh(12);
    const nodes = await mesh.add(4);
    await mesh.line(nodes);
    nodes.forEach((n, i) => n.host(Chat, new Host(`n${i}`)));
    const caller = nodes[0] as PeerNode;
    const errors = errorsOf(caller);
    const replies = await firstValueFrom(caller.proxy(Chat).gather({ count: 2 }).whois().pipe(toArray()));
    expect(replies).toHaveLength(2);
    await waitFor(() => caller.stats().lateReplies === 2, 'two late replies');
    expect(errors.filter((e) => e.code === ErrorCode.FRAME_UNEXPECTED)).toEqual([]);
    expect(caller.stats().dropped[ErrorCode.FRAME_UNEXPECTED]).toBeUndefined();
  });
});

describe("the caller's own answer", () => {
  it('is in a gather by default, and left out with includeSelf: false or withoutSelf()', async () => {
    mesh = new MemoryMesh(13);
    const nodes = await mesh.add(3);
    await mesh.line(nodes);
    nodes.forEach((n, i) => n.host(Chat, new Host(`n${i}`)));
    const caller = nodes[0] as PeerNode;
    const chat = caller.proxy(Chat);
    const all = await firstValueFrom(chat.gather({ count: 3 }).whois().pipe(toArray()));
    expect(all.map((r) => r.from).sort()).toEqual(nodes.map((n) => n.peerId).sort());
    expect(all.find((r) => r.from === caller.peerId)).toMatchObject({ ok: true, hops: 0, value: 'n0@0' });

    const echoes: PeerCall[] = [];
    caller.calls$(Chat, 'whois').subscribe((c) => echoes.push(c));
    const others = await firstValueFrom(chat.gather({ count: 2, includeSelf: false }).whois().pipe(toArray()));
    expect(others.map((r) => r.from).sort()).toEqual([nodes[1]!.peerId, nodes[2]!.peerId].sort());
    expect(echoes.filter((c) => c.local)).toHaveLength(1);

    // A plain flooded reply call resolves with the first answer: its own, unless withoutSelf().
    expect(await chat.whois()).toBe('n0@0');
    expect(await chat.withoutSelf().whois()).toBe('n1@1');
  });
});

describe('directed calls to nobody, and message ids', () => {
  const quickRoutes = { routeHopTimeoutMs: 20, routeFirstRing: 1, routeMaxRing: 4 };

  it('a directed reply call rejects with PC_ERR_NO_ROUTE when route discovery gives up, not PC_ERR_TIMEOUT', async () => {
    mesh = new MemoryMesh(14);
    const nodes = await mesh.add(3, { mesh: quickRoutes, replyTimeoutMs: 60_000 });
    await mesh.line(nodes);
    const absent = asPeerId('ab'.repeat(32));
    const { id, result } = nodes[0]!.proxy(Chat).to(absent).withId().whois();
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    await expect(result).rejects.toMatchObject({ code: ErrorCode.NO_ROUTE, messageId: id });
  }, 30_000);

  it('a directed one-way call to an absent peer rejects with PC_ERR_NO_ROUTE and its message id when discovery gives up', async () => {
    mesh = new MemoryMesh(15);
    const nodes = await mesh.add(2, { mesh: quickRoutes });
    await mesh.link(nodes[0]!, nodes[1]!);
    const dropped = firstValueFrom(nodes[0]!.errors$.pipe(filter((e) => e.code === ErrorCode.NO_ROUTE)));
    const { id, result } = nodes[0]!.proxy(Chat).to(asPeerId('cd'.repeat(32))).withId().say('a', 'anyone?');
    await expect(result).rejects.toMatchObject({ code: ErrorCode.NO_ROUTE, messageId: id });
    const error = await dropped;
    expect(error.messageId).toBe(id);
    expect(error.message).toContain(id);
  });

  it('a directed one-way call to a far peer with no known route resolves once discovery finds one, and arrives', async () => {
    mesh = new MemoryMesh(17);
    const nodes = await mesh.add(4, { mesh: quickRoutes });
    await mesh.line(nodes);
    const [a, , , d] = nodes as [PeerNode, PeerNode, PeerNode, PeerNode];
    d.host(Chat, new Host('d'));
    const heard = firstValueFrom(d.calls$(Chat, 'say'));
    const sent = a.proxy(Chat).to(d.peerId).withId().say('a', 'far away');
    // No route to d is known (a line teaches none before traffic): the call searches for one.
    expect(a.stats().routeRequests).toBeGreaterThan(0);
    await sent.result;
    expect((await heard).id).toBe(sent.id);
    expect(a.stats().dropped[ErrorCode.NO_ROUTE]).toBeUndefined();
  });

  it('a directed one-way call still waiting for a route rejects PC_ERR_CLOSED when its node closes', async () => {
    mesh = new MemoryMesh(18);
    const nodes = await mesh.add(2, { mesh: { routeHopTimeoutMs: 5_000, routeFirstRing: 1, routeMaxRing: 4 } });
    await mesh.link(nodes[0]!, nodes[1]!);
    const result = nodes[0]!.proxy(Chat).to(asPeerId('ef'.repeat(32))).say('a', 'anyone?');
    await nodes[0]!.close();
    await expect(result).rejects.toMatchObject({ code: ErrorCode.CLOSED });
  });

  it('withId() gives the id that hosts see as PeerCall.id and decisions$ report', async () => {
    mesh = new MemoryMesh(16);
    const nodes = await mesh.add(3);
    await mesh.line(nodes);
    const [a, , c] = nodes as [PeerNode, PeerNode, PeerNode];
    c.host(Chat, new Host('c'));
    const seen = firstValueFrom(c.calls$(Chat, 'add'));
    const decided = firstValueFrom(c.decisions$.pipe(filter((d) => d.delivered)));
    const sent = a.proxy(Chat).to(c.peerId).withId().add(2, 3);
    expect(await sent.result).toBe(5);
    expect((await seen).id).toBe(sent.id);
    expect((await decided).id).toBe(sent.id);
    const gathered = await firstValueFrom(a.proxy(Chat).gather({ count: 1, includeSelf: false }).whois());
    expect(gathered.request).toMatch(/^[0-9a-f]{32}$/);
  });
});
