/**
 * Hand-made msgpack frames that attack the decoder rather than the protocol: each is small on
 * the wire and (before the bounded decoder) expensive to decode or to report.
 */

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/**
 * msgpackr's structured-clone id/pointer extensions describing `2^levels` shared leaves in about
 * 19 bytes a level: level k is `id(k): [ptr(k-1), ptr(k-1)]`. With `trailing`, the bytes after
 * the value send msgpackr down its error path, which `JSON.stringify`s the whole expanded tree.
 */
export function pointerBomb(levels: number, trailing = true): Uint8Array {
  const out: number[] = [0xdc, ...[(levels + 1) >> 8, (levels + 1) & 0xff]]; // array16 of the levels
  out.push(0xd6, 0x69, ...u32(0), 0x92, 0x01, 0x02); // id 0: [1, 2]
  for (let k = 1; k <= levels; k++) {
    out.push(0xd6, 0x69, ...u32(k), 0x92, 0xd6, 0x70, ...u32(k - 1), 0xd6, 0x70, ...u32(k - 1));
  }
  if (trailing) out.push(0xc0, 0xc0, 0xc0);
  return Uint8Array.from(out);
}

/** `depth` nested one-element arrays around a nil. */
export function deepNesting(depth: number): Uint8Array {
  const out = new Uint8Array(depth + 1).fill(0x91);
  out[depth] = 0xc0;
  return out;
}

/** An array32 header that claims `count` items and carries none. */
export function hugeCount(count = 0xffff_ffff, map = false): Uint8Array {
  return Uint8Array.from([map ? 0xdf : 0xdd, ...u32(count)]);
}

/** A flat array of `count` empty arrays: many objects from few bytes. */
export function manyEmpties(count: number): Uint8Array {
  const out = new Uint8Array(count + 3);
  out.set([0xdc, count >> 8, count & 0xff]);
  out.fill(0x90, 3);
  return out;
}

/** A valid value with junk after it. */
export function withTrailing(frame: Uint8Array, junk = 3): Uint8Array {
  const out = new Uint8Array(frame.length + junk);
  out.set(frame);
  out.fill(0xc0, frame.length);
  return out;
}
