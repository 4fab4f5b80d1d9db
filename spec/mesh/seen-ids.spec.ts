import { describe, expect, it } from 'vitest';
import { SeenIds } from '../../lib/mesh/seen-ids.js';
import { idKey } from '../../lib/mesh/seen-cache.js';

const ids = (n: number, seed = 1) => Array.from({ length: n }, (_, i) => {
  const id = new Uint8Array(16);
  new DataView(id.buffer).setUint32(0, i);
  new DataView(id.buffer).setUint32(12, seed);
  return id;
});

describe('SeenIds (the mesh seen cache: 16-byte ids as words in typed arrays)', () => {
  it('remembers an id for at least ttlMs and forgets it by twice that, as ids are recorded', () => {
    let now = 0;
    const seen = new SeenIds(1_000, 100, () => now);
    const [a, b, c, d, e] = ids(5).map(idKey) as [string, string, string, string, string];
    expect(seen.add(a)).toBe(true);
    expect(seen.add(a)).toBe(false);
    now = 999;
    seen.add(b);
    expect(seen.has(a)).toBe(true);
    now = 1_000;
    seen.add(c);
    expect(seen.has(a) && seen.has(b) && seen.has(c)).toBe(true);
    now = 2_000;
    seen.add(d);
    expect(seen.has(a) || seen.has(b)).toBe(false);
    expect(seen.has(c) && seen.has(d)).toBe(true);
    now = 10_000;
    seen.add(e);
    expect(seen.has(c) || seen.has(d)).toBe(false);
    expect(seen.size).toBe(1);
  });

  it('holds at most maxEntries ids: past half of it in one generation, the older generation goes early', () => {
    const seen = new SeenIds(60_000, 10, () => 0);
    const keys = ids(100).map(idKey);
    for (const k of keys) seen.add(k);
    expect(seen.size).toBeLessThanOrEqual(10);
    expect(seen.has(keys[99] as string)).toBe(true);
    expect(seen.has(keys[0] as string)).toBe(false);
  });

  it('grows past its first table and finds every id it holds, and none it does not, by key and from bytes at an offset', () => {
    const seen = new SeenIds(60_000, 100_000, () => 0);
    const held = ids(20_000, 1);
    const other = ids(20_000, 2);
    for (const id of held) expect(seen.add(idKey(id))).toBe(true);
    expect(seen.size).toBe(20_000);
    const frame = new Uint8Array(40);
    for (let i = 0; i < held.length; i++) {
      expect(seen.has(idKey(held[i] as Uint8Array))).toBe(true);
      frame.set(held[i] as Uint8Array, 10);
      expect(seen.hasAt(frame, 10)).toBe(true);
      frame.set(other[i] as Uint8Array, 10);
      expect(seen.hasAt(frame, 10)).toBe(false);
      expect(seen.has(idKey(other[i] as Uint8Array))).toBe(false);
    }
  });

  it('ids differing in one bit are different ids', () => {
    const seen = new SeenIds();
    const a = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
    seen.add(idKey(a));
    for (let bit = 0; bit < 128; bit++) {
      const b = a.slice();
      b[bit >> 3] = (b[bit >> 3] as number) ^ (1 << (bit & 7));
      expect(seen.hasAt(b, 0)).toBe(false);
    }
    expect(seen.hasAt(a, 0)).toBe(true);
  });

  it('takes a key that is not of a 16-byte id, beside the tables', () => {
    const seen = new SeenIds(60_000, 100, () => 0);
    expect(seen.add('odd')).toBe(true);
    expect(seen.add('odd')).toBe(false);
    expect(seen.has('odd')).toBe(true);
    seen.clear();
    expect(seen.has('odd')).toBe(false);
    expect(seen.size).toBe(0);
  });
});
