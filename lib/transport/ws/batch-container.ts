import { ErrorCode, PeerChannelError } from '../../errors/index.js';

/**
 * First byte of a batch container, version 1.
 *
 * @remarks
 * Wire format of every binary WebSocket message on a PeerChannel link:
 *
 * ```
 * 0x01                       container tag (version 1)
 * ( uvarint length, bytes )+ one or more frames, in send order
 * ```
 *
 * `length` is an unsigned LEB128 varint of at most 4 bytes (7 bits a byte, low bits first) and
 * must not exceed the receiver's `maxFrameBytes`; frames may be empty. The whole message is bounded
 * by `maxBatchBytes` (ws `maxPayload`). Any other first byte, a truncated length or frame, or a
 * container without frames is malformed.
 */
export const BATCH_TAG_V1 = 0x01;

/** Largest frame length a 4-byte varint can carry. */
export const MAX_VARINT_FRAME = 2 ** 28 - 1;

/** Bytes the varint length prefix of a frame of `length` bytes takes. */
export function varintSize(length: number): number {
  return length < 0x80 ? 1 : length < 0x4000 ? 2 : length < 0x200000 ? 3 : 4;
}

/** Bytes a container holding one frame of `length` bytes takes. */
export function containerSizeFor(length: number): number {
  return 1 + varintSize(length) + length;
}

/**
 * Packs as many frames from `frames[start..end)` as fit in `maxBatchBytes` into one container.
 *
 * @remarks
 * At least one frame is always packed; the caller guarantees a single frame fits (each frame is at
 * most `maxFrameBytes` and `maxBatchBytes >= containerSizeFor(maxFrameBytes)`).
 *
 * @returns the container and how many frames it holds.
 */
export function encodeBatch(frames: readonly Uint8Array[], start: number, end: number, maxBatchBytes: number): { data: Buffer; count: number } {
  let size = 1;
  let stop = start;
  while (stop < end) {
    const length = (frames[stop] as Uint8Array).byteLength;
    const next = size + varintSize(length) + length;
    if (next > maxBatchBytes && stop > start) break;
    size = next;
    stop += 1;
  }
  const data = Buffer.allocUnsafe(size);
  data[0] = BATCH_TAG_V1;
  let at = 1;
  for (let i = start; i < stop; i++) {
    const frame = frames[i] as Uint8Array;
    let length = frame.byteLength;
    while (length >= 0x80) {
      data[at++] = (length & 0x7f) | 0x80;
      length >>>= 7;
    }
    data[at++] = length;
    data.set(frame, at);
    at += frame.byteLength;
  }
  return { data, count: stop - start };
}

/**
 * Unpacks a container into its frames, validating all of it before returning any.
 *
 * @remarks
 * The frames are views into `data` (no copy).
 *
 * @throws PeerChannelError `PC_ERR_FRAME_DECODE` for a malformed container;
 * `PC_ERR_FRAME_TOO_LARGE` for a frame longer than `maxFrameBytes`.
 */
export function decodeBatch(data: Uint8Array, maxFrameBytes: number): Uint8Array[] {
  if (data.byteLength === 0 || data[0] !== BATCH_TAG_V1) {
    throw new PeerChannelError(ErrorCode.FRAME_DECODE, data.byteLength === 0 ? 'empty message' : `unknown container tag 0x${(data[0] as number).toString(16)}`);
  }
  const frames: Uint8Array[] = [];
  const end = data.byteLength;
  let at = 1;
  while (at < end) {
    let length = 0;
    let shift = 0;
    for (;;) {
      if (at >= end) throw new PeerChannelError(ErrorCode.FRAME_DECODE, 'truncated frame length');
      if (shift > 21) throw new PeerChannelError(ErrorCode.FRAME_DECODE, 'frame length varint longer than 4 bytes');
      const byte = data[at++] as number;
      length += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
      shift += 7;
    }
    if (length > maxFrameBytes) {
      throw new PeerChannelError(ErrorCode.FRAME_TOO_LARGE, `frame of ${length} bytes exceeds maxFrameBytes ${maxFrameBytes}`);
    }
    if (at + length > end) throw new PeerChannelError(ErrorCode.FRAME_DECODE, 'truncated frame');
    frames.push(data.subarray(at, at + length));
    at += length;
  }
  if (frames.length === 0) throw new PeerChannelError(ErrorCode.FRAME_DECODE, 'container without frames');
  return frames;
}
