import { describe, expect, it } from 'vitest';
import { levelOf, ringDistance } from '../../../lib/resolver/pnrp/pnrp-id.js';
import type { PnrpContact } from '../../../lib/resolver/pnrp/protocol.js';
import { RoutingCache } from '../../../lib/resolver/pnrp/routing-cache.js';
import { mulberry32 } from '../../../lib/transport/memory/memory-network.js';

let serial = 0;
const at = (position: number): PnrpContact => ({ peerId: `p${(serial += 1).toString().padStart(6, '0')}`, addresses: [`memory://${serial}`], position: ((position % 1) + 1) % 1 });
const self = at(0.3);

function bruteClosest(contacts: readonly PnrpContact[], position: number, n: number): string[] {
  return [...contacts]
    .sort((a, b) => ringDistance(position, a.position) - ringDistance(position, b.position) || (a.peerId < b.peerId ? -1 : 1))
    .slice(0, n)
    .map((c) => c.peerId);
}

describe('levels on the ring', () => {
  it('gives each level a tenth of the span of the one above', () => {
    expect(levelOf(0.5, 16)).toBe(0);
    expect(levelOf(0.051, 16)).toBe(0);
    expect(levelOf(0.049, 16)).toBe(1);
    expect(levelOf(0.0049, 16)).toBe(2);
    expect(levelOf(0.5e-9, 16)).toBe(9);
    expect(levelOf(1e-30, 16)).toBe(15);
    expect(ringDistance(0.95, 0.05)).toBeCloseTo(0.1, 12);
  });
});

describe('RoutingCache', () => {
  it('files contacts by level and never holds itself', () => {
    const cache = new RoutingCache(self, { neighboursPerSide: 1 });
    expect(cache.add(self, 0)).toBe(false);
    for (const d of [0.4, -0.3, 0.04, -0.02, 0.004]) cache.add(at(0.3 + d), 0);
    expect(cache.levelCounts().slice(0, 3)).toEqual([2, 2, 1]);
  });

  it('keeps about 20 entries a level, and the nearest contacts on each side as its neighbourhood', () => {
    const random = mulberry32(3);
    const cache = new RoutingCache(self);
    const all = Array.from({ length: 2000 }, () => at(random()));
    for (const c of all) cache.add(c, 0);
    const counts = cache.levelCounts();
    expect(counts.every((n) => n <= 20)).toBe(true);
    expect(counts[0]).toBe(20);
    expect(counts[1]).toBe(20);
    const clockwise = (c: PnrpContact) => (((c.position - self.position) % 1) + 1) % 1;
    const successors = [...all].filter((c) => clockwise(c) <= 0.5).sort((a, b) => clockwise(a) - clockwise(b)).slice(0, 5);
    const predecessors = [...all].filter((c) => clockwise(c) > 0.5).sort((a, b) => clockwise(b) - clockwise(a)).slice(0, 5);
    expect(cache.neighbours().map((c) => c.peerId)).toEqual([...successors, ...predecessors].map((c) => c.peerId));
    expect(cache.size).toBeLessThanOrEqual(20 * 16 + 10);
  });

  it('answers closest() exactly like a full sort of what it holds', () => {
    const random = mulberry32(9);
    const cache = new RoutingCache(self);
    for (let i = 0; i < 3000; i += 1) cache.add(at(random()), 0);
    const held = cache.contacts();
    for (let i = 0; i < 50; i += 1) {
      const target = random();
      expect(cache.closest(target, 8).map((c) => c.peerId)).toEqual(bruteClosest(held, target, 8));
    }
    const exclude = new Set(bruteClosest(held, 0.7, 2));
    expect(cache.closest(0.7, 3, exclude).map((c) => c.peerId)).toEqual(bruteClosest(held, 0.7, 5).slice(2));
  });

  it('evicts a contact that fails and promotes a remembered one into its level', () => {
    const cache = new RoutingCache(self, { neighboursPerSide: 1 });
    const far = Array.from({ length: 25 }, (_, i) => at(0.8 + i * 0.001));
    for (const c of far) cache.add(c, 0);
    expect(cache.levelCounts()[0]).toBe(20);
    const victim = far[3] as PnrpContact;
    expect(cache.markFailed(victim.peerId)).toBe(true);
    expect(cache.has(victim.peerId)).toBe(false);
    expect(cache.levelCounts()[0]).toBe(20);
    expect(cache.evictions).toBe(1);
    // The newest remembered contact took the place.
    expect(cache.has((far[24] as PnrpContact).peerId)).toBe(true);
  });

  it('tolerates failures up to maxFailures and forgets them when the contact answers', () => {
    const cache = new RoutingCache(self, { maxFailures: 2 });
    const c = at(0.9);
    cache.add(c, 0);
    expect(cache.markFailed(c.peerId)).toBe(false);
    cache.markAlive(c.peerId, 5);
    expect(cache.markFailed(c.peerId)).toBe(false);
    expect(cache.markFailed(c.peerId)).toBe(true);
  });

  it('refills its neighbourhood from what it holds when a neighbour goes', () => {
    const cache = new RoutingCache(self, { neighboursPerSide: 2 });
    const [n1, n2, n3, p1, far] = [at(0.3001), at(0.3002), at(0.3003), at(0.2999), at(0.31)] as PnrpContact[];
    for (const c of [n1, n2, n3, p1, far]) cache.add(c as PnrpContact, 0);
    const ids = () => cache.neighbours().map((c) => c.peerId);
    expect(ids()).toEqual([n1, n2, p1].map((c) => c?.peerId));
    cache.remove((n1 as PnrpContact).peerId);
    // n3 was outside the full neighbourhood but still held in its level: it moves up.
    expect(ids()).toEqual([n2, n3, p1].map((c) => c?.peerId));
    cache.remove((n2 as PnrpContact).peerId);
    expect(ids()).toEqual([n3, far, p1].map((c) => c?.peerId));
  });

  it('lists contacts not heard from since a time, oldest first', () => {
    const cache = new RoutingCache(self);
    const [a, b, c] = [at(0.9), at(0.1), at(0.6)];
    cache.add(a, 10, true);
    cache.add(b, 20, true);
    cache.add(c, 30, true);
    cache.markAlive(a.peerId, 40);
    expect(cache.staleContacts(35, 5).map((x) => x.peerId)).toEqual([b.peerId, c.peerId]);
  });
});
