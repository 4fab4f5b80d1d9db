import { ErrorCode, PeerChannelError } from '../errors/index.js';

/** Bounds {@link checkWireValue} applies; the frame limits carry the same fields. */
export interface WireValueLimits {
  /** Deepest nesting of arrays and maps. */
  readonly maxDepth: number;
  /** Most values (array items, map keys and map values) over all nesting levels. */
  readonly maxElements: number;
}

/**
 * Largest payload of a msgpackr big-integer extension, in bytes (8,192 bits).
 *
 * @remarks Decoding a big integer costs more than linear time in its length (a 60 KB one takes
 * about 14 ms), so a frame full of one is work amplification; integers this long are not data
 * a contract exchanges.
 */
export const MAX_BIGINT_BYTES = 1024;

/**
 * msgpack extension types the wire schema allows: 0x00 `undefined`, 0x42 big integer,
 * 0x74 typed array, 0xff timestamp (`Date`). Each is decoded from its own payload bytes alone.
 * Everything else msgpackr knows — 0x69/0x70 structured-clone ids and pointers (shared and
 * cyclic graphs), 0x72 records, 0x62 bundled strings, 0x65 errors, 0x73 sets, 0x78 regular
 * expressions — is refused before msgpackr sees the bytes.
 */
const ALLOWED_EXT = new Uint8Array(256);
ALLOWED_EXT[0x00] = 1;
ALLOWED_EXT[0x42] = 1;
ALLOWED_EXT[0x74] = 1;
ALLOWED_EXT[0xff] = 1;

function decodeError(message: string): PeerChannelError {
  return new PeerChannelError(ErrorCode.FRAME_DECODE, message);
}

function tooComplex(message: string): PeerChannelError {
  return new PeerChannelError(ErrorCode.FRAME_TOO_COMPLEX, message);
}

let sharedStack = new Uint32Array(64);
let sharedMapKeys = new Uint8Array(64);

/**
 * Checks that `bytes` hold exactly one msgpack value made only of the wire schema's types,
 * within the depth and element bounds, before anything is allocated for it.
 *
 * @remarks
 * One pass over the bytes with no allocation: string, binary and extension payloads are
 * skipped by their length, so the cost is proportional to the number of values, not to the
 * bytes. This is what makes decoding peer bytes safe: after it passes, msgpackr builds a
 * plain tree of at most `maxElements` values from at most `bytes.length` bytes, and its own
 * error paths (which stringify the decoded value) are never reached. Error messages name
 * offsets and byte values only, never the peer's data.
 *
 * @throws PeerChannelError `PC_ERR_FRAME_DECODE` for malformed, truncated or trailing bytes, a
 * map key that is not a string or integer, or an extension type outside the schema;
 * `PC_ERR_FRAME_TOO_COMPLEX` when nesting or the element count exceeds its bound.
 */
export function checkWireValue(bytes: Uint8Array, limits: WireValueLimits): void {
  const end = bytes.length;
  const maxDepth = limits.maxDepth;
  if (sharedStack.length <= maxDepth) {
    sharedStack = new Uint32Array(maxDepth + 1);
    sharedMapKeys = new Uint8Array(maxDepth + 1);
  }
  const stack = sharedStack;
  const mapKeys = sharedMapKeys;
  let budget = limits.maxElements;
  let pos = 0;
  let depth = 0;
  let left = 1;
  let inMap = false;
  for (;;) {
    while (left === 0) {
      if (depth === 0) {
        if (pos !== end) throw decodeError(`${end - pos} trailing bytes after the value`);
        return;
      }
      depth -= 1;
      left = stack[depth] as number;
      inMap = mapKeys[depth] === 1;
    }
    const isKey = inMap && (left & 1) === 0;
    left -= 1;
    if (pos >= end) throw decodeError(`value truncated at byte ${pos}`);
    const t = bytes[pos++] as number;
    if (t < 0x80 || t >= 0xe0) continue;
    let skip: number;
    if (t >= 0xa0) {
      if (t <= 0xbf) {
        skip = t - 0xa0;
      } else {
        if (isKey && !(t >= 0xcc && t <= 0xd3) && !(t >= 0xd9 && t <= 0xdb)) throw decodeError(`map key at byte ${pos - 1} is not a string or an integer`);
        switch (t) {
          case 0xc0: case 0xc2: case 0xc3:
            continue;
          case 0xc4: case 0xd9:
            if (pos >= end) throw decodeError(`length at byte ${pos} truncated`);
            skip = bytes[pos++] as number;
            break;
          case 0xcc: case 0xd0: skip = 1; break;
          case 0xcd: case 0xd1: skip = 2; break;
          case 0xca: case 0xce: case 0xd2: skip = 4; break;
          case 0xcb: case 0xcf: case 0xd3: skip = 8; break;
          case 0xc5: case 0xda: skip = length(bytes, pos, 2); pos += 2; break;
          case 0xc6: case 0xdb: skip = length(bytes, pos, 4); pos += 4; break;
          case 0xd4: skip = ext(bytes, pos, 1); pos += 1; break;
          case 0xd5: skip = ext(bytes, pos, 2); pos += 1; break;
          case 0xd6: skip = ext(bytes, pos, 4); pos += 1; break;
          case 0xd7: skip = ext(bytes, pos, 8); pos += 1; break;
          case 0xd8: skip = ext(bytes, pos, 16); pos += 1; break;
          case 0xc7: skip = ext(bytes, pos + 1, length(bytes, pos, 1)); pos += 2; break;
          case 0xc8: skip = ext(bytes, pos + 2, length(bytes, pos, 2)); pos += 3; break;
          case 0xc9: skip = ext(bytes, pos + 4, length(bytes, pos, 4)); pos += 5; break;
          case 0xdc: case 0xdd: case 0xde: case 0xdf: {
            const wide = t === 0xdd || t === 0xdf;
            let items = length(bytes, pos, wide ? 4 : 2);
            pos += wide ? 4 : 2;
            if (t >= 0xde) items *= 2;
            if (items === 0) continue;
            stack[depth] = left;
            depth = open(depth, items, (budget -= items), end - pos, limits);
            left = items;
            inMap = t >= 0xde;
            mapKeys[depth] = inMap ? 1 : 0;
            continue;
          }
          default:
            throw decodeError(`byte 0x${t.toString(16)} at ${pos - 1} is not a msgpack type`);
        }
      }
    } else {
      if (isKey) throw decodeError(`map key at byte ${pos - 1} is not a string or an integer`);
      const items = t <= 0x8f ? (t - 0x80) * 2 : t - 0x90;
      if (items === 0) continue;
      stack[depth] = left;
      depth = open(depth, items, (budget -= items), end - pos, limits);
      left = items;
      inMap = t <= 0x8f;
      mapKeys[depth] = inMap ? 1 : 0;
      continue;
    }
    if (skip > end - pos) throw decodeError(`value at byte ${pos} runs past the end`);
    pos += skip;
  }
}

/** Checks the bounds for a container of `items` values; returns the new depth. */
function open(depth: number, items: number, budget: number, bytesLeft: number, limits: WireValueLimits): number {
  if (budget < 0) throw tooComplex(`more than ${limits.maxElements} values`);
  // Every value takes at least one byte: a count beyond the bytes left is a lie.
  if (items > bytesLeft) throw decodeError(`container claims ${items} values in ${bytesLeft} bytes`);
  if (depth + 1 > limits.maxDepth) throw tooComplex(`nesting deeper than ${limits.maxDepth}`);
  return depth + 1;
}

function length(bytes: Uint8Array, pos: number, width: number): number {
  if (pos + width > bytes.length) throw decodeError(`length at byte ${pos} truncated`);
  if (width === 1) return bytes[pos] as number;
  if (width === 2) return ((bytes[pos] as number) << 8) | (bytes[pos + 1] as number);
  return (bytes[pos] as number) * 0x1000000 + (((bytes[pos + 1] as number) << 16) | ((bytes[pos + 2] as number) << 8) | (bytes[pos + 3] as number));
}

/** Checks the extension type at `typeAt`; returns the payload length plus the type byte's place. */
function ext(bytes: Uint8Array, typeAt: number, size: number): number {
  if (typeAt >= bytes.length) throw decodeError(`extension type at byte ${typeAt} truncated`);
  const type = bytes[typeAt] as number;
  if (ALLOWED_EXT[type] !== 1) throw decodeError(`extension type 0x${type.toString(16)} at byte ${typeAt} is not part of the wire schema`);
  if (type === 0x42 && size > MAX_BIGINT_BYTES) throw tooComplex(`big integer of ${size} bytes exceeds ${MAX_BIGINT_BYTES}`);
  return size;
}
