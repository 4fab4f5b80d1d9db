import { VERSION_HASH_BYTES } from './sync-source.js';

/**
 * A position in the `(modified, hash)` order: everything strictly below it lies before it.
 *
 * @remarks
 * `prefix` is compared as if padded with zero bytes to {@link VERSION_HASH_BYTES}; bounds carry
 * the shortest prefix that separates two neighbouring items, as in Negentropy. `modified` is
 * `Infinity` for the bound past every item.
 */
export interface Bound {
  readonly modified: number;
  readonly prefix: Uint8Array;
}

/** The bound after every item. */
export const END_BOUND: Bound = Object.freeze({ modified: Number.POSITIVE_INFINITY, prefix: new Uint8Array(0) });

/** The bound before every item. */
export const START_BOUND: Bound = Object.freeze({ modified: 0, prefix: new Uint8Array(0) });

/** Compares two keys: `(aMod, a[aOff..+32])` against `(bMod, b[bOff..+32])`. */
export function compareKeys(aMod: number, a: Uint8Array, aOff: number, bMod: number, b: Uint8Array, bOff: number): number {
  if (aMod !== bMod) return aMod < bMod ? -1 : 1;
  for (let i = 0; i < VERSION_HASH_BYTES; i++) {
    const d = (a[aOff + i] as number) - (b[bOff + i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

/** The bound's prefix padded with zeros to a full hash, for comparing with items. */
export function paddedPrefix(bound: Bound): Uint8Array {
  const out = new Uint8Array(VERSION_HASH_BYTES);
  out.set(bound.prefix.subarray(0, VERSION_HASH_BYTES));
  return out;
}

/** Orders two bounds. */
export function compareBounds(a: Bound, b: Bound): number {
  return compareKeys(a.modified, paddedPrefix(a), 0, b.modified, paddedPrefix(b), 0);
}

/**
 * The shortest bound `b` with `prev < b <= next`, for two items `prev < next`.
 */
export function boundBetween(prevMod: number, prev: Uint8Array, prevOff: number, nextMod: number, next: Uint8Array, nextOff: number): Bound {
  if (prevMod !== nextMod) return { modified: nextMod, prefix: new Uint8Array(0) };
  let shared = 0;
  while (shared < VERSION_HASH_BYTES && prev[prevOff + shared] === next[nextOff + shared]) shared++;
  return { modified: nextMod, prefix: next.slice(nextOff, nextOff + Math.min(shared + 1, VERSION_HASH_BYTES)) };
}
