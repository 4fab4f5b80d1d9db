import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { MAX_BIGINT_BYTES, checkWireValue } from '../../lib/codec/wire-check.js';
import { checkPackable, decodeBody, decodeFrame, defaultFrameLimits, encodeBody, pack, unpack } from '../../lib/codec/index.js';
import type { PeerId } from '../../lib/identity/peer-id.js';
import { ErrorCode, PeerChannelError } from '../../lib/errors/index.js';
import { mulberry32 } from '../../lib/transport/memory/memory-network.js';
import { deepNesting, hugeCount, manyEmpties, pointerBomb, withTrailing } from '../helpers/hostile-frames.js';

const limits = defaultFrameLimits;

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(PeerChannelError);
    return (error as PeerChannelError).code;
  }
}

describe('the bounded wire decoder', () => {
  it('round-trips every type of the wire schema', () => {
    const value = [
      null, true, false, 0, 127, -32, 255, -129, 65_536, 2 ** 40, -(2 ** 40), 0.5, 1e300, 'x', 'é'.repeat(300),
      Buffer.from([1, 2, 3]), new Uint8Array([4, 5]), new Float32Array([1.5]), new Float64Array([2.5]), new BigInt64Array([-3n]),
      new Date(1_700_000_000_123), 2n ** 70n, -(2n ** 63n), undefined, { a: 1, b: [1, { c: 'd' }] }, { 1: 'numeric key' }, [], {},
    ];
    expect(unpack(pack(value))).toEqual(value);
  });

  it('refuses structured-clone pointer bombs before allocating anything, with or without trailing bytes', () => {
    for (const bomb of [pointerBomb(60), pointerBomb(60, false), pointerBomb(1, false)]) {
      expect(codeOf(() => unpack(bomb))).toBe(ErrorCode.FRAME_DECODE);
      expect(codeOf(() => decodeFrame(bomb))).toBe(ErrorCode.FRAME_DECODE);
    }
    expect(pointerBomb(60).length).toBeLessThan(1300);
  });

  it.each([
    ['0x65 error', new Packr({ useRecords: false, moreTypes: true }).pack(new Error('x'))],
    ['0x73 set', new Packr({ useRecords: false, moreTypes: true }).pack(new Set([1]))],
    ['0x78 regexp', new Packr({ useRecords: false, moreTypes: true }).pack(/a+/)],
    ['0x72 record definition', new Packr({ useRecords: true }).pack([{ a: 1 }, { a: 2 }])],
    ['0x62 bundled strings', new Packr({ bundleStrings: true, useRecords: false }).pack(['a long enough string to bundle', 'another one of those too'])],
  ])('refuses the %s extension', (_name, bytes) => {
    expect(codeOf(() => unpack(bytes))).toBe(ErrorCode.FRAME_DECODE);
  });

  it('bounds nesting depth', () => {
    expect(unpack(deepNesting(limits.maxDepth))).toBeDefined();
    expect(codeOf(() => unpack(deepNesting(limits.maxDepth + 1)))).toBe(ErrorCode.FRAME_TOO_COMPLEX);
    // 60,000 levels would overflow msgpackr's recursive reader; the check stops at the bound.
    expect(codeOf(() => unpack(deepNesting(60_000)))).toBe(ErrorCode.FRAME_TOO_COMPLEX);
  });

  it('bounds the number of values, over every level', () => {
    expect((unpack(manyEmpties(limits.maxElements)) as unknown[]).length).toBe(limits.maxElements);
    expect(codeOf(() => unpack(manyEmpties(limits.maxElements + 1)))).toBe(ErrorCode.FRAME_TOO_COMPLEX);
    const split = pack([Array.from({ length: limits.maxElements / 2 }, () => 0), Array.from({ length: limits.maxElements / 2 }, () => 0)]);
    expect(codeOf(() => unpack(split))).toBe(ErrorCode.FRAME_TOO_COMPLEX);
  });

  it('refuses counts and lengths that the bytes cannot hold', () => {
    expect(codeOf(() => unpack(hugeCount(1000)))).toBe(ErrorCode.FRAME_DECODE);
    expect(codeOf(() => unpack(hugeCount(0xffff_ffff)))).toBe(ErrorCode.FRAME_TOO_COMPLEX);
    expect(codeOf(() => unpack(hugeCount(5, true)))).toBe(ErrorCode.FRAME_DECODE);
    expect(codeOf(() => unpack(Uint8Array.from([0xc6, 0xff, 0xff, 0xff, 0xff, 1])))).toBe(ErrorCode.FRAME_DECODE);
    expect(codeOf(() => unpack(Uint8Array.from([0xc9, 0x7f, 0xff, 0xff, 0xff, 0x74])))).toBe(ErrorCode.FRAME_DECODE);
  });

  it('refuses trailing bytes without looking at the value', () => {
    const big = pack(Array.from({ length: 1000 }, (_, i) => ({ i, s: 'x'.repeat(20) })));
    const error = (() => {
      try {
        unpack(withTrailing(big));
      } catch (e) {
        return e as PeerChannelError;
      }
      return undefined;
    })();
    expect(error?.code).toBe(ErrorCode.FRAME_DECODE);
    expect(error?.message).not.toContain('xxxx');
    expect(error?.cause).toBeUndefined();
  });

  it('refuses map keys that are not strings or integers, and over-long big integers', () => {
    expect(codeOf(() => unpack(Uint8Array.from([0x81, 0x90, 0x01])))).toBe(ErrorCode.FRAME_DECODE);
    expect(codeOf(() => unpack(Uint8Array.from([0x81, 0xc0, 0x01])))).toBe(ErrorCode.FRAME_DECODE);
    expect(unpack(pack(2n ** BigInt(8 * MAX_BIGINT_BYTES - 8)))).toBe(2n ** BigInt(8 * MAX_BIGINT_BYTES - 8));
    expect(codeOf(() => unpack(pack(2n ** BigInt(8 * MAX_BIGINT_BYTES + 64))))).toBe(ErrorCode.FRAME_TOO_COMPLEX);
  });

  it('bounds message bodies as it bounds frames', () => {
    const body = encodeBody({ type: 'call', id: new Uint8Array(16), origin: 'a'.repeat(64) as PeerId, target: null, contract: 'c', operation: 'o', args: [JSON.parse('['.repeat(40) + ']'.repeat(40))], wantsReply: false });
    expect(codeOf(() => decodeBody(body))).toBe(ErrorCode.FRAME_TOO_COMPLEX);
    expect(decodeBody(body, { ...limits, maxDepth: 64 }).type).toBe('call');
  });

  it('agrees with msgpackr on 20,000 mutated values: whatever the check passes decodes, whatever fails is coded', () => {
    const rand = mulberry32(99);
    const plain = new Packr({ useRecords: false, moreTypes: true, int64AsType: 'bigint', useBigIntExtension: true, mapsAsObjects: true, structuredClone: false });
    const sample = (d: number): unknown => {
      const r = rand();
      if (d > 3 || r < 0.3) return [null, 1, -5, 300, 'str', 1.5, true, new Uint8Array([1]), new Date(0), undefined][Math.floor(rand() * 10)];
      if (r < 0.65) return Array.from({ length: Math.floor(rand() * 4) }, () => sample(d + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(rand() * 4) }, (_, i) => [`k${i}`, sample(d + 1)]));
    };
    let passed = 0;
    for (let i = 0; i < 20_000; i++) {
      const bytes = new Uint8Array(pack(sample(0)));
      for (let m = 0; m < 1 + Math.floor(rand() * 3); m++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      let ok = true;
      try {
        checkWireValue(bytes, limits);
      } catch (error) {
        ok = false;
        expect([ErrorCode.FRAME_DECODE, ErrorCode.FRAME_TOO_COMPLEX]).toContain((error as PeerChannelError).code);
      }
      if (!ok) continue;
      passed += 1;
      // The check guarantees one complete value with nothing after it: msgpackr's trailing-bytes
      // and end-of-data paths are unreachable (a typed array of a wrong length may still throw).
      try {
        plain.unpack(bytes);
      } catch (error) {
        expect(String((error as Error).message)).not.toMatch(/end of buffer not reached|Unexpected end|Structured clone/);
      }
    }
    expect(passed).toBeGreaterThan(2_000);
  });

  it('measures a value before packing it, at the cost of the bound, and refuses what receivers refuse', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    let shared: unknown = 'x';
    for (let i = 0; i < 60; i++) shared = [shared, shared];
    expect(codeOf(() => checkPackable(cyclic, 65_536, limits))).toBe(ErrorCode.FRAME_TOO_COMPLEX);
    expect(codeOf(() => checkPackable(shared, 1 << 30, limits))).toBe(ErrorCode.FRAME_TOO_COMPLEX);
    expect(codeOf(() => checkPackable(['y'.repeat(70_000)], 65_536, limits))).toBe(ErrorCode.FRAME_TOO_LARGE);
    expect(codeOf(() => checkPackable([new Set([1])], 65_536, limits))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => checkPackable(new Map([[[1], 2]]), 65_536, limits))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => checkPackable(deepArgs(limits.maxDepth), 65_536, limits))).toBeUndefined();
    expect(codeOf(() => checkPackable(deepArgs(limits.maxDepth + 1), 65_536, limits))).toBe(ErrorCode.FRAME_TOO_COMPLEX);
    // Whatever passes the measure fits the byte bound once packed, and decodes within the limits.
    const rand = mulberry32(5);
    for (let i = 0; i < 300; i++) {
      const value = Array.from({ length: Math.floor(rand() * 50) }, () => (rand() < 0.5 ? 'é'.repeat(Math.floor(rand() * 40)) : { n: rand(), b: new Uint8Array(Math.floor(rand() * 30)) }));
      checkPackable(value, 65_536, limits);
      expect(unpack(pack(value))).toEqual(value);
    }
  });
});

function deepArgs(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}
