import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstValueFrom, toArray } from 'rxjs';
import { mulberry32 } from '../../lib/transport/memory/memory-network.js';
import type { PeerNode } from '../../lib/index.js';
import { Chat } from '../helpers/contracts.js';
import { MemoryMesh } from '../helpers/memory-mesh.js';
import { waitFor } from '../helpers/wait.js';

const PEERS = 200;
const MESSAGES = 1000;

describe(`${PEERS} peers on the memory transport with random links`, () => {
  const mesh = new MemoryMesh(7);
  let nodes: PeerNode[];
  const received: Map<string, number>[] = [];

  beforeAll(async () => {
    nodes = await mesh.add(PEERS, { neighbors: { min: 0, ideal: 0, max: 32 } });
    const rand = mulberry32(42);
    // A ring keeps the graph connected; random chords make it a mesh with many cycles.
    const links: Promise<unknown>[] = [];
    for (let i = 0; i < PEERS; i++) {
      const a = nodes[i] as PeerNode;
      links.push(a.connect(nodes[(i + 1) % PEERS]!.addresses[0] as string));
      for (let k = 0; k < 2; k++) {
        const j = Math.floor(rand() * PEERS);
        if (j !== i && j !== (i + 1) % PEERS && (j + 1) % PEERS !== i) links.push(a.connect(nodes[j]!.addresses[0] as string).catch(() => undefined));
      }
    }
    await Promise.all(links);
    nodes.forEach((n, i) => {
      const seen = new Map<string, number>();
      received.push(seen);
      n.calls$(Chat, 'say').subscribe((c) => seen.set(c.id, (seen.get(c.id) ?? 0) + 1));
      n.host(Chat, {
        say: () => undefined, nudge: () => undefined, ping: () => undefined,
        whois: async () => `peer-${i}`, add: async (a: number, b: number) => a + b, fail: async () => undefined,
      });
    });
  }, 120_000);

  afterAll(async () => {
    await mesh.close();
  });

  it('delivers each of 1,000 flooded messages to every peer exactly once', async () => {
    const rand = mulberry32(9);
    for (let m = 0; m < MESSAGES; m++) {
      const sender = nodes[Math.floor(rand() * PEERS)] as PeerNode;
      await sender.proxy(Chat).say(`p`, `message ${m}`);
      if (m % 50 === 49) await waitFor(() => received.every((r) => r.size >= m + 1), `batch up to ${m}`, 60_000);
    }
    await waitFor(() => received.every((r) => r.size === MESSAGES), 'all deliveries', 60_000);
    for (const r of received) {
      expect(r.size).toBe(MESSAGES);
      expect([...r.values()].every((count) => count === 1)).toBe(true);
    }
    const duplicates = nodes.reduce((s, n) => s + n.stats().duplicates, 0);
    expect(duplicates).toBeGreaterThan(0);
  }, 120_000);

  it('gathers one reply from every peer', async () => {
    const replies = await firstValueFrom(nodes[0]!.proxy(Chat).gather({ count: PEERS, timeoutMs: 30_000 }).whois().pipe(toArray()));
    expect(replies).toHaveLength(PEERS);
    expect(new Set(replies.map((r) => r.from)).size).toBe(PEERS);
    expect(replies.every((r) => r.ok)).toBe(true);
    expect(new Set(replies.map((r) => (r.ok ? r.value : ''))).size).toBe(PEERS);
  }, 60_000);
});
