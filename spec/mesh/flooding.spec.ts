import { afterEach, describe, expect, it } from 'vitest';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { type PeerCall, type PeerNode, type PropagationAction, PeerChannelError, ErrorCode, currentCall } from '../../lib/index.js';
import { Chat } from '../helpers/contracts.js';
import { MemoryMesh } from '../helpers/memory-mesh.js';
import { settle, waitFor } from '../helpers/wait.js';

/** Records every call of Chat delivered to a node. */
function record(node: PeerNode): PeerCall[] {
  const got: PeerCall[] = [];
  node.calls$(Chat).subscribe((c) => got.push(c));
  return got;
}

class ChatService implements Chat {
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
  async fail(code: string): Promise<void> {
    throw new PeerChannelError(code as ErrorCode, 'asked to fail');
  }
}

let mesh: MemoryMesh;
afterEach(async () => {
  await mesh.close();
});

describe('flooding on explicit topologies', () => {
  it('on a line A–B–C–D a flood with hops 2 reaches B and C and not D', async () => {
    mesh = new MemoryMesh();
    const [a, b, c, d] = await mesh.add(4);
    await mesh.line([a!, b!, c!, d!]);
    const seen = [a!, b!, c!, d!].map(record);
    await a!.proxy(Chat).withHops(2).say('a', 'two hops');
    await waitFor(() => seen[2]!.length === 1, 'C to receive');
    await settle();
    expect(seen.map((s) => s.length)).toEqual([1, 1, 1, 0]);
    expect(seen[1]![0]).toMatchObject({ hops: 1, remainingHops: 1, from: a!.peerId });
    expect(seen[2]![0]).toMatchObject({ hops: 2, remainingHops: 0 });
    expect(seen[0]![0]).toMatchObject({ local: true, hops: 0 });
  });

  it('on a ring each peer gets each message exactly once', async () => {
    mesh = new MemoryMesh();
    const ring = await mesh.add(6);
    await mesh.line(ring);
    await mesh.link(ring[5]!, ring[0]!);
    const seen = ring.map(record);
    for (const [i, n] of ring.entries()) await n.proxy(Chat).say(`n${i}`, 'around');
    await waitFor(() => seen.every((s) => s.length === 6), 'every node to get 6 messages');
    await settle();
    for (const s of seen) {
      expect(s).toHaveLength(6);
      expect(new Set(s.map((c) => c.id)).size).toBe(6);
    }
    expect(ring.reduce((sum, n) => sum + n.stats().duplicates, 0)).toBeGreaterThan(0);
  });

  it('delivers to the sender its own echo by default', async () => {
    mesh = new MemoryMesh();
    const [a] = await mesh.add(1);
    const got = firstValueFrom(a!.calls$(Chat, 'say'));
    await a!.proxy(Chat).say('a', 'alone');
    expect(await got).toMatchObject({ local: true, from: a!.peerId, args: ['a', 'alone'] });
  });

  it('a sender hop value of 0 delivers locally only', async () => {
    mesh = new MemoryMesh();
    const [a, b] = await mesh.add(2);
    await mesh.link(a!, b!);
    const sa = record(a!);
    const sb = record(b!);
    await a!.proxy(Chat).withHops(0).say('a', 'me only');
    await waitFor(() => sa.length === 1, 'local delivery');
    await settle();
    expect(sb).toHaveLength(0);
  });

  it("a hop-count argument overrides the operation's default and withHops()", async () => {
    mesh = new MemoryMesh();
    const nodes = await mesh.add(4);
    await mesh.line(nodes);
    const seen = nodes.map(record);
    const chat = nodes[0]!.proxy(Chat);
    await chat.nudge('a'); // default hops: 1
    await chat.withHops(1).ping('a', 3); // argument 3 wins
    await waitFor(() => seen[3]!.length === 1, 'D to get the ping');
    await settle();
    expect(seen.map((s) => s.map((c) => c.operation))).toEqual([['nudge', 'ping'], ['nudge', 'ping'], ['ping'], ['ping']]);
  });

  it('is online after the first neighbour and offline at zero', async () => {
    mesh = new MemoryMesh();
    const [a, b, c] = await mesh.add(3);
    const states: string[] = [];
    a!.status$.subscribe((s) => states.push(s));
    expect(a!.status).toBe('offline');
    await mesh.link(a!, b!);
    await mesh.link(c!, a!);
    expect(a!.status).toBe('online');
    await b!.close();
    await waitFor(() => a!.stats().delivered >= 0 && states.length >= 2, 'status');
    expect(a!.status).toBe('online');
    await c!.close();
    await waitFor(() => a!.status === 'offline', 'offline at zero neighbours');
    expect(states).toEqual(['offline', 'online', 'offline']);
  });

  it('forwards before delivering locally', async () => {
    mesh = new MemoryMesh();
    const [a, b, c] = await mesh.add(3);
    await mesh.line([a!, b!, c!]);
    let relayedAtDelivery = -1;
    const before = b!.stats().relayed;
    b!.calls$(Chat, 'say').pipe(take(1)).subscribe(() => (relayedAtDelivery = b!.stats().relayed - before));
    await a!.proxy(Chat).say('a', 'x');
    await waitFor(() => relayedAtDelivery >= 0, 'delivery at B');
    expect(relayedAtDelivery).toBe(1);
  });
});

describe('propagation filter', () => {
  it('is called once per send and once per new message, never for a duplicate', async () => {
    mesh = new MemoryMesh();
    const calls = new Map<string, { local: number; remote: number }>();
    const filterFor = (name: string) => (_m: unknown, origin: 'local' | 'remote'): PropagationAction => {
      const c = calls.get(name) ?? { local: 0, remote: 0 };
      c[origin] += 1;
      calls.set(name, c);
      return 'localAndRemote';
    };
    const nodes = await Promise.all(['a', 'b', 'c', 'd'].map(async (n) => (await mesh.add(1, { propagationFilter: filterFor(n) }))[0]!));
    // A square with a diagonal: plenty of duplicates.
    await mesh.line(nodes);
    await mesh.link(nodes[3]!, nodes[0]!);
    await mesh.link(nodes[0]!, nodes[2]!);
    const seen = nodes.map(record);
    await nodes[0]!.proxy(Chat).say('a', 'x');
    await waitFor(() => seen.every((s) => s.length === 1), 'all delivered');
    await settle();
    expect(calls.get('a')).toEqual({ local: 1, remote: 0 });
    for (const n of ['b', 'c', 'd']) expect(calls.get(n)).toEqual({ local: 0, remote: 1 });
    expect(nodes.reduce((s, n) => s + n.stats().duplicates, 0)).toBeGreaterThan(0);
  });

  it.each([
    ['none', false, false],
    ['local', true, false],
    ['remote', false, true],
    ['localAndRemote', true, true],
  ] as const)("answer '%s' at a middle node: delivered=%s, forwarded=%s", async (action, delivered, forwarded) => {
    mesh = new MemoryMesh();
    const [a] = await mesh.add(1);
    const [b] = await mesh.add(1, { propagationFilter: (_m, origin) => (origin === 'remote' ? action : 'localAndRemote') });
    const [c] = await mesh.add(1);
    await mesh.line([a!, b!, c!]);
    const sb = record(b!);
    const sc = record(c!);
    const decisions = firstValueFrom(b!.decisions$.pipe(take(1)));
    await a!.proxy(Chat).say('a', 'x');
    const d = await decisions;
    await settle(40);
    expect(sb.length).toBe(delivered ? 1 : 0);
    expect(sc.length).toBe(forwarded ? 1 : 0);
    expect(d).toMatchObject({ delivered, relayedTo: forwarded ? 1 : 0 });
  });

  it("a sender's filter answering 'remote' suppresses its echo but still sends", async () => {
    mesh = new MemoryMesh();
    const [a] = await mesh.add(1, { propagationFilter: (_m, origin) => (origin === 'local' ? 'remote' : 'localAndRemote') });
    const [b] = await mesh.add(1);
    await mesh.link(a!, b!);
    const sa = record(a!);
    const sb = record(b!);
    await a!.proxy(Chat).say('a', 'x');
    await waitFor(() => sb.length === 1, 'B gets it');
    await settle();
    expect(sa).toHaveLength(0);
  });
});

describe('directed calls and replies', () => {
  it('a directed call reaches only its target, across the mesh', async () => {
    mesh = new MemoryMesh();
    const nodes = await mesh.add(4);
    await mesh.line(nodes);
    const seen = nodes.map(record);
    await nodes[0]!.proxy(Chat).to(nodes[3]!.peerId).say('a', 'psst');
    await waitFor(() => seen[3]!.length === 1, 'D to get it');
    await settle();
    expect(seen.map((s) => s.length)).toEqual([0, 0, 0, 1]);
    expect(seen[3]![0]).toMatchObject({ directed: true, hops: 3, from: nodes[0]!.peerId });
  });

  it('a directed reply operation resolves with the value; a remote fault rejects with its code', async () => {
    mesh = new MemoryMesh();
    const nodes = await mesh.add(3);
    await mesh.line(nodes);
    nodes[2]!.host(Chat, new ChatService('carol'));
    const chat = nodes[0]!.proxy(Chat).to(nodes[2]!.peerId);
    expect(await chat.add(2, 40)).toBe(42);
    expect(await chat.whois()).toBe('carol@2');
    await expect(chat.fail(ErrorCode.LIMIT_EXCEEDED)).rejects.toMatchObject({ code: ErrorCode.LIMIT_EXCEEDED, message: 'asked to fail' });
  });

  it('a directed reply operation rejects with PC_ERR_TIMEOUT when nobody answers', async () => {
    mesh = new MemoryMesh();
    const [a, b] = await mesh.add(2);
    await mesh.link(a!, b!);
    await expect(a!.proxy(Chat).to(b!.peerId).withTimeout(100).whois()).rejects.toMatchObject({ code: ErrorCode.TIMEOUT });
  });

  it('gathers one reply per hosting peer, ended by count or timeout', async () => {
    mesh = new MemoryMesh();
    const nodes = await mesh.add(5);
    await mesh.line(nodes);
    nodes.forEach((n, i) => n.host(Chat, new ChatService(`n${i}`)));
    const replies = await firstValueFrom(nodes[0]!.proxy(Chat).gather({ count: 5 }).whois().pipe(toArray()));
    expect(replies.map((r) => (r.ok ? r.value.split('@')[0] : 'error')).sort()).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    const viaTimeout = await firstValueFrom(nodes[0]!.proxy(Chat).withHops(1).gather({ timeoutMs: 200 }).whois().pipe(toArray()));
    expect(viaTimeout.map((r) => r.from).sort()).toEqual([nodes[0]!.peerId, nodes[1]!.peerId].sort());
  });

  it('a flooded reply operation resolves with the first reply', async () => {
    mesh = new MemoryMesh();
    const [a, b] = await mesh.add(2);
    await mesh.link(a!, b!);
    b!.host(Chat, new ChatService('bob'));
    expect(await a!.proxy(Chat).whois()).toBe('bob@1');
  });

  it('the implementation reads the call context', async () => {
    mesh = new MemoryMesh();
    const [a, b] = await mesh.add(2);
    await mesh.link(a!, b!);
    const contexts: PeerCall[] = [];
    b!.host(Chat, {
      say: () => void contexts.push(currentCall()),
      nudge: () => undefined, ping: () => undefined,
      whois: async () => 'b', add: async () => 0, fail: async () => undefined,
    });
    await a!.proxy(Chat).say('a', 'ctx');
    await waitFor(() => contexts.length === 1, 'handler');
    expect(contexts[0]).toMatchObject({ from: a!.peerId, hops: 1, operation: 'say', contract: 'chat' });
    expect(contexts[0]!.id).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('streams', () => {
  it('decisions$ reports duplicates and hop-limit stops', async () => {
    mesh = new MemoryMesh();
    const nodes = await mesh.add(3);
    await mesh.line(nodes);
    await mesh.link(nodes[2]!, nodes[0]!);
    const reasons = nodes[1]!.decisions$.pipe(filter((d) => d.via !== undefined), take(2), toArray());
    const p = firstValueFrom(reasons);
    await nodes[0]!.proxy(Chat).withHops(1).say('a', 'x');
    await nodes[0]!.proxy(Chat).say('a', 'y');
    const got = await p;
    expect(got[0]).toMatchObject({ reason: 'hop-limit', delivered: true, relayedTo: 0 });
    expect(got.some((d) => d.reason === 'duplicate') || got[1]?.delivered).toBe(true);
  });

  it('close() completes every stream and rejects waiting calls', async () => {
    mesh = new MemoryMesh();
    const [a, b] = await mesh.add(2);
    await mesh.link(a!, b!);
    const done: string[] = [];
    a!.status$.subscribe({ complete: () => done.push('status') });
    a!.neighbors$.subscribe({ complete: () => done.push('neighbors') });
    a!.decisions$.subscribe({ complete: () => done.push('decisions') });
    a!.errors$.subscribe({ complete: () => done.push('errors') });
    a!.calls$(Chat).subscribe({ complete: () => done.push('calls') });
    const pending = a!.proxy(Chat).to(b!.peerId).whois();
    await a!.close();
    await a!.close();
    await expect(pending).rejects.toMatchObject({ code: ErrorCode.CLOSED });
    expect(done.sort()).toEqual(['calls', 'decisions', 'errors', 'neighbors', 'status']);
    expect(() => a!.proxy(Chat)).toThrow(expect.objectContaining({ code: ErrorCode.CLOSED }));
  });
});
