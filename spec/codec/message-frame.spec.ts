import { describe, expect, it } from 'vitest';
import { FrameKind, MESSAGE_FRAME_HEADER_BYTES, MESSAGE_FRAME_TAG, decodeFrame, defaultFrameLimits, encodeBody, encodeFrame, floodHeader, rewriteHops } from '../../lib/codec/index.js';
import { ErrorCode } from '../../lib/errors/index.js';
import type { PeerId } from '../../lib/identity/peer-id.js';

const id = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
const body = encodeBody({ type: 'call', id, origin: 'c'.repeat(64) as PeerId, target: null, contract: 'c', operation: 'o', args: [new Uint8Array(100)], wantsReply: false });

describe('binary message frames (dedup before decode)', () => {
  it('a flood with its id takes the binary layout; id, hops, body and signature read back as views of the frame', () => {
    const sig = new Uint8Array(111).fill(5);
    const frame = encodeFrame({ kind: FrameKind.Flood, hops: 7, travelled: 3, id, body, sig });
    expect(frame[0]).toBe(MESSAGE_FRAME_TAG);
    expect(frame.length).toBe(MESSAGE_FRAME_HEADER_BYTES + sig.length + body.length);
    const back = decodeFrame(frame);
    expect(back).toMatchObject({ kind: FrameKind.Flood, hops: 7, travelled: 3 });
    const f = back as { id: Uint8Array; body: Uint8Array; sig: Uint8Array };
    expect([...f.id]).toEqual([...id]);
    expect([...f.body]).toEqual([...body]);
    expect([...f.sig]).toEqual([...sig]);
    expect(f.body.buffer).toBe(frame.buffer);
  });

  it('unlimited hops, no signature, and a directed frame round-trip', () => {
    expect(decodeFrame(encodeFrame({ kind: FrameKind.Flood, hops: null, travelled: 0, id, body, sig: null }))).toMatchObject({ hops: null, travelled: 0, sig: null });
    expect(decodeFrame(encodeFrame({ kind: FrameKind.Direct, ttl: 64, travelled: 65_535, id, body, sig: null }))).toMatchObject({ kind: FrameKind.Direct, ttl: 64, travelled: 65_535 });
  });

  it('without an id the frame stays a msgpack tuple, which receivers still take', () => {
    const frame = encodeFrame({ kind: FrameKind.Flood, hops: null, travelled: 1, body, sig: null });
    expect(frame[0]).not.toBe(MESSAGE_FRAME_TAG);
    expect(decodeFrame(frame)).toMatchObject({ kind: FrameKind.Flood, hops: null, travelled: 1 });
  });

  it('hostile headers fail with codes: truncated, a signature past the end or over the bound, bad hops, an unknown kind', () => {
    const good = encodeFrame({ kind: FrameKind.Flood, hops: 3, travelled: 1, id, body, sig: null });
    const code = (bytes: Uint8Array) => {
      try {
        decodeFrame(bytes, defaultFrameLimits);
        return 'decoded';
      } catch (e) {
        return (e as { code: string }).code;
      }
    };
    expect(code(good.subarray(0, MESSAGE_FRAME_HEADER_BYTES - 1))).toBe(ErrorCode.FRAME_DECODE);
    const longSig = Uint8Array.from(good);
    longSig[26] = 0x01; // 256 + body: past the end of this frame
    longSig[27] = 0xff;
    expect(code(longSig.subarray(0, MESSAGE_FRAME_HEADER_BYTES + 10))).toBe(ErrorCode.FRAME_DECODE);
    const hugeSig = Uint8Array.from(good);
    hugeSig[26] = 0xff;
    expect(code(hugeSig)).toBe(ErrorCode.FRAME_SHAPE);
    expect(code(encodeFrame({ kind: FrameKind.Flood, hops: 0, travelled: 1, id, body, sig: null }))).toBe(ErrorCode.BAD_HOP_COUNT);
    expect(code(encodeFrame({ kind: FrameKind.Flood, hops: 1, travelled: 70_000, id, body, sig: null }))).toBe(ErrorCode.BAD_HOP_COUNT);
    expect(code(encodeFrame({ kind: FrameKind.Direct, ttl: 1000, travelled: 1, id, body, sig: null }))).toBe(ErrorCode.BAD_HOP_COUNT);
    const kind = Uint8Array.from(good);
    kind[1] = FrameKind.Hello;
    expect(code(kind)).toBe(ErrorCode.FRAME_SHAPE);
  });

  it('floodHeader passes exactly the binary floods decodeFrame takes, and says whether their hops are unlimited', () => {
    const limits = { ...defaultFrameLimits, maxFrameBytes: 4_096 };
    const flood = (hops: number | null, travelled = 1, sig: Uint8Array | null = null) => encodeFrame({ kind: FrameKind.Flood, hops, travelled, id, body, sig });
    const patched = (f: Uint8Array, at: number, bytes: number[]) => {
      const c = f.slice();
      c.set(bytes, at);
      return c;
    };
    const cases: Uint8Array[] = [
      flood(null), flood(5), flood(limits.maxHops), flood(1, 65_535), flood(3, 1, new Uint8Array(512)),
      patched(flood(5), 2, [0, 0, 0, 0]), // hops 0
      patched(flood(5), 2, [0, 0, 0x7f, 0xff]), // hops over maxHops
      patched(flood(5), 2, [0xff, 0xff, 0xff, 0xff]), // hops -1
      patched(flood(5), 6, [0, 1, 0, 0]), // travelled over 65,535
      patched(flood(5), 26, [0x02, 0x01]), // a 513-byte signature
      patched(flood(5), 26, [0x0f, 0xff]), // a signature longer than the frame
      flood(5).subarray(0, MESSAGE_FRAME_HEADER_BYTES - 1), // shorter than the header
      encodeFrame({ kind: FrameKind.Flood, hops: 5, travelled: 1, id, body: new Uint8Array(5_000), sig: null }), // too large
      encodeFrame({ kind: FrameKind.Direct, ttl: 5, travelled: 1, id, body, sig: null }),
      encodeFrame({ kind: FrameKind.Flood, hops: 5, travelled: 1, body, sig: null }), // the tuple layout
    ];
    for (const [i, f] of cases.entries()) {
      let decoded: unknown;
      try {
        decoded = decodeFrame(f, limits);
      } catch {
        decoded = undefined;
      }
      const binaryFlood = decoded !== undefined && f[0] === MESSAGE_FRAME_TAG && (decoded as { kind: number }).kind === FrameKind.Flood;
      const expected = !binaryFlood ? -1 : (decoded as { hops: number | null }).hops === null ? 1 : 0;
      expect(floodHeader(f, limits), `case ${i}`).toBe(expected);
    }
    expect(floodHeader(flood(null), limits)).toBe(1);
    expect(floodHeader(flood(5), limits)).toBe(0);
  });

  it('rewriteHops changes the hop fields in place and nothing else', () => {
    const sig = new Uint8Array(64).fill(9);
    const frame = encodeFrame({ kind: FrameKind.Flood, hops: 7, travelled: 3, id, body, sig });
    const before = frame.slice();
    expect(rewriteHops(frame, 6, 4)).toBe(frame);
    expect(decodeFrame(frame)).toMatchObject({ hops: 6, travelled: 4 });
    expect([...frame.subarray(10)]).toEqual([...before.subarray(10)]);
    expect(decodeFrame(rewriteHops(frame, null, 60_000))).toMatchObject({ hops: null, travelled: 60_000 });
    expect([...rewriteHops(frame, 7, 3)]).toEqual([...before]);
  });
});
