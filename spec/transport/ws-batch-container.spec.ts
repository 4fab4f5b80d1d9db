import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/errors/index.js';
import { BATCH_TAG_V1, containerSizeFor, decodeBatch, encodeBatch } from '../../lib/transport/ws/batch-container.js';
import { decodeClose, encodeClose, PC_CLOSE_CODE } from '../../lib/transport/ws/close-reason.js';

const bytes = (...b: number[]) => new Uint8Array(b);

describe('batch container', () => {
  it('round-trips frames of every varint width, in order, including empty ones', () => {
    const frames = [0, 1, 127, 128, 16_383, 16_384, 70_000].map((n) => new Uint8Array(n).map((_, i) => (i * 7 + n) % 256));
    const { data, count } = encodeBatch(frames, 0, frames.length, 1 << 20);
    expect(count).toBe(frames.length);
    expect(data[0]).toBe(BATCH_TAG_V1);
    expect(data.byteLength).toBe(1 + frames.reduce((s, f) => s + containerSizeFor(f.byteLength) - 1, 0));
    const decoded = decodeBatch(data, 70_000);
    expect(decoded.map((f) => Buffer.from(f).toString('hex'))).toEqual(frames.map((f) => Buffer.from(f).toString('hex')));
  });

  it('splits at maxBatchBytes but always packs at least one frame', () => {
    const frames = Array.from({ length: 10 }, (_, i) => new Uint8Array(100).fill(i));
    const first = encodeBatch(frames, 0, 10, 1 + 3 * 101);
    expect(first.count).toBe(3);
    expect(first.data.byteLength).toBe(1 + 3 * 101);
    const rest = encodeBatch(frames, 3, 10, 1 + 3 * 101);
    expect(decodeBatch(rest.data, 100)[0]?.[0]).toBe(3);
    expect(encodeBatch(frames, 0, 10, 10).count).toBe(1);
  });

  it.each([
    ['an empty message', bytes(), ErrorCode.FRAME_DECODE],
    ['an unknown tag', bytes(0x02, 1, 0), ErrorCode.FRAME_DECODE],
    ['a container without frames', bytes(BATCH_TAG_V1), ErrorCode.FRAME_DECODE],
    ['a truncated length', bytes(BATCH_TAG_V1, 0x80), ErrorCode.FRAME_DECODE],
    ['a truncated frame', bytes(BATCH_TAG_V1, 3, 1, 2), ErrorCode.FRAME_DECODE],
    ['a trailing partial frame', bytes(BATCH_TAG_V1, 1, 9, 2, 1), ErrorCode.FRAME_DECODE],
    ['a five-byte varint', bytes(BATCH_TAG_V1, 0x80, 0x80, 0x80, 0x80, 0x01), ErrorCode.FRAME_DECODE],
    ['a frame over maxFrameBytes', bytes(BATCH_TAG_V1, 0x81, 0x01, ...new Array(129).fill(0)), ErrorCode.FRAME_TOO_LARGE],
  ])('rejects %s', (_name, data, code) => {
    expect(() => decodeBatch(data, 128)).toThrow(expect.objectContaining({ code }));
  });
});

describe('close reasons', () => {
  it('carries PeerChannel codes through a WebSocket close', () => {
    const { wsCode, text } = encodeClose(ErrorCode.BUSY, 'at maximum');
    expect(wsCode).toBe(PC_CLOSE_CODE);
    expect(decodeClose(wsCode, Buffer.from(text))).toEqual({ code: ErrorCode.BUSY, reason: 'at maximum' });
    const ok = encodeClose('PC_OK', 'bye');
    expect(decodeClose(ok.wsCode, Buffer.from(ok.text))).toEqual({ code: 'PC_OK', reason: 'bye' });
  });

  it('cuts long reasons to 123 bytes without splitting a character', () => {
    const { text } = encodeClose(ErrorCode.FRAME_DECODE, 'é'.repeat(200));
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(123);
    expect(text).not.toContain('\uFFFD');
    expect(decodeClose(PC_CLOSE_CODE, Buffer.from(text)).code).toBe(ErrorCode.FRAME_DECODE);
  });

  it('maps ws and unknown codes to coded reasons', () => {
    expect(decodeClose(1009, Buffer.alloc(0)).code).toBe(ErrorCode.FRAME_TOO_LARGE);
    expect(decodeClose(1002, Buffer.alloc(0)).code).toBe(ErrorCode.FRAME_DECODE);
    expect(decodeClose(1006, Buffer.alloc(0)).code).toBe(ErrorCode.LINK_CLOSED);
    expect(decodeClose(PC_CLOSE_CODE, Buffer.from('PC_ERR_MADE_UP nope')).code).toBe(ErrorCode.LINK_CLOSED);
  });
});
