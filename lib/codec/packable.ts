import { ErrorCode, PeerChannelError } from '../errors/index.js';
import type { WireValueLimits } from './wire-check.js';

interface Walk {
  bytes: number;
  elements: number;
  readonly maxBytes: number;
  readonly limits: WireValueLimits;
}

function tooLarge(walk: Walk): PeerChannelError {
  return new PeerChannelError(ErrorCode.FRAME_TOO_LARGE, `value encodes to more than ${walk.maxBytes} bytes`);
}

function notWire(what: string): PeerChannelError {
  return new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `${what} cannot cross the wire (receivers refuse it)`);
}

function count(walk: Walk, items: number, depth: number): void {
  walk.elements += items;
  if (walk.elements > walk.limits.maxElements) throw new PeerChannelError(ErrorCode.FRAME_TOO_COMPLEX, `value holds more than ${walk.limits.maxElements} values`);
  if (depth > walk.limits.maxDepth) throw new PeerChannelError(ErrorCode.FRAME_TOO_COMPLEX, `value nests deeper than ${walk.limits.maxDepth}`);
}

function add(walk: Walk, bytes: number): void {
  walk.bytes += bytes;
  if (walk.bytes > walk.maxBytes) throw tooLarge(walk);
}

function visit(walk: Walk, value: unknown, depth: number): void {
  switch (typeof value) {
    case 'string':
      // UTF-8 takes at most 3 bytes per UTF-16 unit; a header of at most 5.
      return add(walk, 5 + value.length * 3);
    case 'number': case 'boolean': case 'undefined': case 'function': case 'symbol':
      return add(walk, 9);
    case 'bigint':
      return add(walk, 9 + Math.ceil(value.toString(16).length / 2));
    default:
  }
  if (value === null) return add(walk, 1);
  if (ArrayBuffer.isView(value)) return add(walk, 7 + value.byteLength);
  if (value instanceof ArrayBuffer) return add(walk, 7 + value.byteLength);
  if (value instanceof Date) return add(walk, 15);
  if (Array.isArray(value)) {
    add(walk, 5);
    count(walk, value.length, depth + 1);
    for (let i = 0; i < value.length; i++) visit(walk, value[i], depth + 1);
    return;
  }
  if (value instanceof Map) {
    add(walk, 5);
    count(walk, value.size * 2, depth + 1);
    for (const [k, v] of value) {
      if (typeof k !== 'string' && typeof k !== 'number') throw notWire('a Map key that is not a string or a number');
      visit(walk, k, depth + 1);
      visit(walk, v, depth + 1);
    }
    return;
  }
  if (value instanceof Set) throw notWire('a Set');
  if (value instanceof RegExp) throw notWire('a RegExp');
  if (value instanceof Error) throw notWire('an Error (send { code, message })');
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  add(walk, 5);
  count(walk, keys.length * 2, depth + 1);
  for (const key of keys) {
    add(walk, 5 + key.length * 3);
    visit(walk, object[key], depth + 1);
  }
}

/**
 * Checks, before anything is packed, that `value` encodes to at most `maxBytes` and stays within
 * the bounds a receiver's decoder applies.
 *
 * @remarks The walk stops as soon as a bound is crossed, so its cost is bounded by the limits,
 * not by the value: a reply that grew from peer input (a service echoing, repeating or nesting
 * its argument; a shared or cyclic structure) costs at most `maxElements` steps to refuse,
 * never a giant pack. The byte count is an upper bound of msgpackr's output.
 *
 * @throws PeerChannelError `PC_ERR_FRAME_TOO_LARGE`, `PC_ERR_FRAME_TOO_COMPLEX`, or
 * `PC_ERR_INVALID_ARGUMENT` for a type receivers refuse (Set, RegExp, Error, a Map with
 * non-scalar keys).
 * @param within - where `value` sits in the frame the receiver decodes: the depth of its parent
 * container and the values counted around it.
 */
export function checkPackable(value: unknown, maxBytes: number, limits: WireValueLimits, within: { depth: number; elements: number } = { depth: 0, elements: 0 }): void {
  visit({ bytes: 0, elements: within.elements, maxBytes, limits }, value, within.depth);
}
