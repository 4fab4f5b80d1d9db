import { sha256 } from '@noble/hashes/sha2.js';

/**
 * 256-bit sums of version hashes, the additive accumulator behind range fingerprints.
 *
 * @remarks
 * A sum is 8 little-endian 32-bit words (a `Uint32Array(8)`); a hash is read as a little-endian
 * 256-bit number. Addition mod 2^256 is associative and invertible, so a tree can keep one sum
 * per subtree and any range's sum is `prefix(upper) - prefix(lower)`, in O(log n).
 * Like Negentropy's, an additive fingerprint can in principle be matched by a crafted set of
 * hashes; version hashes are SHA-256 of signed encodings, so crafting one costs a signature each.
 *
 * @packageDocumentation
 */

/** Words in a sum. */
export const SUM_WORDS = 8;

/** Bytes of a range fingerprint on the wire. */
export const FINGERPRINT_BYTES = 16;

/** A fresh zero sum. */
export function zeroSum(): Uint32Array {
  return new Uint32Array(SUM_WORDS);
}

/** `acc += hash` where `hash` is the 32 bytes at `bytes[offset..]`. */
export function addHash(acc: Uint32Array, bytes: Uint8Array, offset: number): void {
  let carry = 0;
  for (let w = 0; w < SUM_WORDS; w++) {
    const o = offset + w * 4;
    const word = ((bytes[o] as number) | ((bytes[o + 1] as number) << 8) | ((bytes[o + 2] as number) << 16) | ((bytes[o + 3] as number) << 24)) >>> 0;
    const s = (acc[w] as number) + word + carry;
    acc[w] = s >>> 0;
    carry = s > 0xffffffff ? 1 : 0;
  }
}

/** `acc -= hash` (the 32 bytes at `bytes[offset..]`), mod 2^256. */
export function subHash(acc: Uint32Array, bytes: Uint8Array, offset: number): void {
  let borrow = 0;
  for (let w = 0; w < SUM_WORDS; w++) {
    const o = offset + w * 4;
    const word = ((bytes[o] as number) | ((bytes[o + 1] as number) << 8) | ((bytes[o + 2] as number) << 16) | ((bytes[o + 3] as number) << 24)) >>> 0;
    const s = (acc[w] as number) - word - borrow;
    acc[w] = s >>> 0;
    borrow = s < 0 ? 1 : 0;
  }
}

/** `acc += other`, mod 2^256. */
export function addSum(acc: Uint32Array, other: Uint32Array): void {
  let carry = 0;
  for (let w = 0; w < SUM_WORDS; w++) {
    const s = (acc[w] as number) + (other[w] as number) + carry;
    acc[w] = s >>> 0;
    carry = s > 0xffffffff ? 1 : 0;
  }
}

/** `acc -= other`, mod 2^256. */
export function subSum(acc: Uint32Array, other: Uint32Array): void {
  let borrow = 0;
  for (let w = 0; w < SUM_WORDS; w++) {
    const s = (acc[w] as number) - (other[w] as number) - borrow;
    acc[w] = s >>> 0;
    borrow = s < 0 ? 1 : 0;
  }
}

/**
 * The fingerprint of a range: the first {@link FINGERPRINT_BYTES} bytes of
 * SHA-256(sum as 32 little-endian bytes ‖ count as 8 little-endian bytes).
 */
export function fingerprint(sum: Uint32Array, count: number): Uint8Array {
  const input = new Uint8Array(40);
  const view = new DataView(input.buffer);
  for (let w = 0; w < SUM_WORDS; w++) view.setUint32(w * 4, sum[w] as number, true);
  view.setUint32(32, count >>> 0, true);
  view.setUint32(36, Math.floor(count / 2 ** 32), true);
  return sha256(input).subarray(0, FINGERPRINT_BYTES);
}
