import { describe, expect, it } from 'vitest';
import { SeenCache, idKey, sameId } from '../../lib/mesh/seen-cache.js';

describe('SeenCache (two generations, no clock read on lookup)', () => {
  it('remembers an id for at least ttlMs and forgets it by twice that, as ids are recorded', () => {
    let now = 0;
    const seen = new SeenCache(1_000, 100, () => now);
    expect(seen.add('a')).toBe(true);
    expect(seen.add('a')).toBe(false);
    now = 999;
    seen.add('b');
    expect(seen.has('a')).toBe(true);
    now = 1_000; // a generation turns: 'a' and 'b' are in the previous one, still remembered
    seen.add('c');
    expect(seen.has('a') && seen.has('b') && seen.has('c')).toBe(true);
    now = 2_000; // the next turn forgets the generation of 'a' and 'b' (both at least 1,000 ms old)
    seen.add('d');
    expect(seen.has('a') || seen.has('b')).toBe(false);
    expect(seen.has('c') && seen.has('d')).toBe(true);
    now = 10_000; // long silence: everything is past its time at the next record
    seen.add('e');
    expect(seen.has('c') || seen.has('d')).toBe(false);
    expect(seen.size).toBe(1);
  });

  it('holds at most maxEntries ids: past half of it in one generation, the older generation goes early', () => {
    const seen = new SeenCache(60_000, 10, () => 0);
    for (let i = 0; i < 100; i++) seen.add(`id${i}`);
    expect(seen.size).toBeLessThanOrEqual(10);
    expect(seen.has('id99')).toBe(true);
    expect(seen.has('id0')).toBe(false);
  });

  it('keys are exact: ids differing in any byte never share a key', () => {
    const a = Uint8Array.from({ length: 16 }, (_, i) => i);
    const keys = new Set([idKey(a)]);
    for (let i = 0; i < 16; i++) {
      const b = a.slice();
      b[i] = (b[i] as number) ^ 0x80;
      keys.add(idKey(b));
      expect(sameId(a, b)).toBe(false);
    }
    expect(keys.size).toBe(17);
    expect(idKey(a.slice())).toBe(idKey(a));
    const wider = new Uint8Array(17);
    wider.set(a, 1);
    expect(idKey(new Uint8Array(wider.buffer, 1, 16))).toBe(idKey(a));
  });
});
