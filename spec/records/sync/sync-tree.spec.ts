import { describe, expect, it } from 'vitest';
import { compareKeys } from '../../../lib/records/sync/bound.js';
import { fingerprint, zeroSum, addHash } from '../../../lib/records/sync/sum256.js';
import { SyncTree } from '../../../lib/records/sync/sync-tree.js';
import type { SyncItem } from '../../../lib/records/sync/sync-source.js';
import { Rng, randomItem } from './fixtures.js';

function sorted(items: SyncItem[]): SyncItem[] {
  return [...items].sort((a, b) => compareKeys(a.modified, a.hash, 0, b.modified, b.hash, 0));
}

function referenceFingerprint(items: SyncItem[]): Uint8Array {
  const acc = zeroSum();
  for (const i of items) addHash(acc, i.hash, 0);
  return fingerprint(acc, items.length);
}

describe('SyncTree', () => {
  it('keeps the (modified, hash) order, counts and fingerprints through random inserts and removes', () => {
    const rng = new Rng(7);
    const tree = new SyncTree();
    let ref: SyncItem[] = [];
    for (let step = 0; step < 30_000; step++) {
      if (ref.length > 0 && rng.next() < 0.3) {
        const victim = ref[rng.int(ref.length)] as SyncItem;
        tree.remove(victim);
        ref[ref.indexOf(victim)] = ref[ref.length - 1] as SyncItem;
        ref.pop();
      } else {
        // Few distinct times, so many items share a time and order falls to the hash bytes.
        const item = randomItem(rng, 1_000 + rng.int(50));
        tree.insert(item);
        ref.push(item);
      }
    }
    ref = sorted(ref);
    expect(tree.size).toBe(ref.length);
    for (let i = 0; i < ref.length; i += 37) {
      expect(tree.at(i).modified).toBe(ref[i]?.modified);
      expect(Buffer.from(tree.at(i).hash)).toEqual(Buffer.from(ref[i]?.hash as Uint8Array));
    }
    for (let t = 0; t < 40; t++) {
      const a = rng.int(ref.length + 1);
      const b = a + rng.int(ref.length + 1 - a);
      expect(Buffer.from(tree.fingerprint(a, b))).toEqual(Buffer.from(referenceFingerprint(ref.slice(a, b))));
      const seen: string[] = [];
      tree.forEachHash(a, b, (bytes, off) => {
        seen.push(Buffer.from(bytes.subarray(off, off + 32)).toString('hex'));
      });
      expect(seen).toEqual(ref.slice(a, b).map((i) => Buffer.from(i.hash).toString('hex')));
    }
    for (const item of ref.slice(0, 300)) expect(tree.has(item.hash)).toBe(true);
    expect(tree.has(randomItem(rng, 1).hash)).toBe(false);
  });

  it('ranks every bound between neighbours exactly at the item it separates', () => {
    const rng = new Rng(3);
    const tree = new SyncTree();
    for (let i = 0; i < 3000; i++) tree.insert(randomItem(rng, 500 + rng.int(20)));
    for (let i = 0; i <= tree.size; i += 11) expect(tree.rank(tree.boundAt(i))).toBe(i);
  });

  it('inserting twice and removing what is absent change nothing', () => {
    const rng = new Rng(5);
    const tree = new SyncTree();
    const a = randomItem(rng, 10);
    tree.insert(a);
    tree.insert({ modified: a.modified, hash: a.hash.slice() });
    tree.remove(randomItem(rng, 10));
    expect(tree.size).toBe(1);
    tree.remove(a);
    expect(tree.size).toBe(0);
    expect(tree.has(a.hash)).toBe(false);
  });

  it('refuses malformed items with a code', () => {
    const tree = new SyncTree();
    expect(() => tree.insert({ modified: 1, hash: new Uint8Array(31) })).toThrow(expect.objectContaining({ code: 'PC_ERR_INVALID_ARGUMENT' }));
    expect(() => tree.insert({ modified: -1, hash: new Uint8Array(32) })).toThrow(expect.objectContaining({ code: 'PC_ERR_INVALID_ARGUMENT' }));
  });

  it('time-ordered appends fill leaves: 100,000 items stay under 100 bytes each', () => {
    const rng = new Rng(9);
    const tree = new SyncTree();
    for (let i = 0; i < 100_000; i++) tree.insert(randomItem(rng, 1_700_000_000_000 + i));
    expect(tree.size).toBe(100_000);
    expect(tree.memoryBytes / 100_000).toBeLessThan(100);
  });
});
