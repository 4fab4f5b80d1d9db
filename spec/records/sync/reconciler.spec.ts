import { describe, expect, it } from 'vitest';
import { SyncTree } from '../../../lib/records/sync/sync-tree.js';
import type { SyncItem } from '../../../lib/records/sync/sync-source.js';
import { Rng, randomItem } from './fixtures.js';
import { reconcilePair } from './reconcile-pair.js';

const hex = (i: SyncItem) => Buffer.from(i.hash).toString('hex');

/** Two stores sharing `shared` items, each with its own unique ones; times spread like real writes. */
function pair(seed: number, shared: number, onlyA: number, onlyB: number) {
  const rng = new Rng(seed);
  const t0 = 1_760_000_000_000;
  const make = () => randomItem(rng, t0 + rng.int(shared * 20 + 1000));
  const a = new SyncTree();
  const b = new SyncTree();
  for (let i = 0; i < shared; i++) {
    const item = make();
    a.insert(item);
    b.insert(item);
  }
  const uniqueA = Array.from({ length: onlyA }, make);
  const uniqueB = Array.from({ length: onlyB }, make);
  for (const i of uniqueA) a.insert(i);
  for (const i of uniqueB) b.insert(i);
  return { a, b, uniqueA: new Set(uniqueA.map(hex)), uniqueB: new Set(uniqueB.map(hex)) };
}

/** Bytes of sending every id once: a floor for "send the whole store". */
const idBytes = (n: number) => n * 32;

describe('range-based reconciliation', () => {
  it('0 differences in 10,000: one round trip, a few hundred bytes', () => {
    const { a, b } = pair(1, 10_000, 0, 0);
    const r = reconcilePair(a, b);
    expect(r.have.size).toBe(0);
    expect(r.need.size).toBe(0);
    expect(r.rounds).toBe(1);
    expect(r.bytes).toBeLessThan(1_000);
  });

  it('1 difference (theirs) in 10,000 is found as need', () => {
    const { a, b, uniqueB } = pair(2, 10_000, 0, 1);
    const r = reconcilePair(a, b);
    expect(r.need).toEqual(uniqueB);
    expect(r.have.size).toBe(0);
    expect(r.rounds).toBeLessThanOrEqual(3);
    expect(r.bytes).toBeLessThan(0.02 * idBytes(10_000));
  });

  it('1 difference (ours) in 10,000 is found as have', () => {
    const { a, b, uniqueA } = pair(3, 10_000, 1, 0);
    const r = reconcilePair(a, b);
    expect(r.have).toEqual(uniqueA);
    expect(r.need.size).toBe(0);
  });

  it('100 differences, unique items on both sides, give exact have and need', () => {
    const { a, b, uniqueA, uniqueB } = pair(4, 20_000, 50, 50);
    const r = reconcilePair(a, b);
    expect(r.have).toEqual(uniqueA);
    expect(r.need).toEqual(uniqueB);
    expect(r.rounds).toBeLessThanOrEqual(4);
    expect(r.bytes).toBeLessThan(0.2 * idBytes(20_000));
  });

  it('10,000 differences: exact sets, every frame inside the 64 KiB limit', () => {
    const { a, b, uniqueA, uniqueB } = pair(5, 20_000, 4_000, 6_000);
    const r = reconcilePair(a, b);
    expect(r.have).toEqual(uniqueA);
    expect(r.need).toEqual(uniqueB);
    expect(r.largest).toBeLessThanOrEqual(65_536);
    // A third of the union differs: still less than both sides listing every id.
    expect(r.bytes).toBeLessThan(idBytes(a.size + b.size));
  });

  it('an empty side learns everything; the other side being empty gives all as have', () => {
    const { a: full } = pair(6, 5_000, 0, 0);
    const empty = new SyncTree();
    const pulled = reconcilePair(empty, full);
    expect(pulled.need.size).toBe(5_000);
    expect(pulled.have.size).toBe(0);
    const pushed = reconcilePair(full, empty);
    expect(pushed.have.size).toBe(5_000);
    expect(pushed.need.size).toBe(0);
    expect(reconcilePair(new SyncTree(), new SyncTree()).rounds).toBe(1);
  });

  it('cost grows with the differences, not the store: 10 in 100,000 within 2 round trips and 2% of the ids', () => {
    const { a, b, uniqueA, uniqueB } = pair(7, 100_000, 5, 5);
    const r = reconcilePair(a, b);
    expect(r.have).toEqual(uniqueA);
    expect(r.need).toEqual(uniqueB);
    expect(r.rounds).toBeLessThanOrEqual(2);
    expect(r.bytes).toBeLessThan(0.02 * idBytes(100_000));
  });

  it('10 differences cost about the same in a store ten times larger', () => {
    const small = pair(9, 10_000, 5, 5);
    const large = pair(9, 100_000, 5, 5);
    const s = reconcilePair(small.a, small.b);
    const l = reconcilePair(large.a, large.b);
    expect(l.have).toEqual(large.uniqueA);
    expect(l.rounds - s.rounds).toBeLessThanOrEqual(1);
    expect(l.bytes).toBeLessThan(2.5 * s.bytes);
  });

  it('many items sharing one timestamp are told apart by hash prefixes', () => {
    const rng = new Rng(8);
    const a = new SyncTree();
    const b = new SyncTree();
    const onlyA = new Set<string>();
    for (let i = 0; i < 3_000; i++) {
      const item = randomItem(rng, 42);
      a.insert(item);
      if (i % 300 === 0) onlyA.add(hex(item));
      else b.insert(item);
    }
    const r = reconcilePair(a, b);
    expect(r.have).toEqual(onlyA);
    expect(r.need.size).toBe(0);
  });
});
