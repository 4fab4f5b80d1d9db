import { type FrameLimits, MESSAGE_ID_BYTES } from '../../codec/index.js';
import { ErrorCode, PeerChannelError } from '../../errors/index.js';

/**
 * Extension frame kinds of large messages, sent in chunks over one link.
 *
 * @remarks A stream id is the sender's, unique per link while the stream lives.
 */
export const ChunkFrameKind = {
  /** `[stream, totalBytes, messageId, origin]`: a large frame of `totalBytes` follows on this link. */
  Start: 29,
  /** `[stream, offset, bytes]`: the next piece, at exactly the offset received so far. */
  Data: 30,
  /** `[stream]`, receiver to sender: stop, this node has the message already (or will not take it). */
  Cancel: 31,
} as const;

/** Room a chunk frame needs around its bytes: tags, stream id, offset. */
export const CHUNK_OVERHEAD_BYTES = 64;

export interface ChunkStart {
  readonly stream: number;
  readonly total: number;
  readonly id: Uint8Array;
  readonly origin: string;
}

export interface ChunkData {
  readonly stream: number;
  readonly offset: number;
  readonly bytes: Uint8Array;
}

function invalid(message: string): PeerChannelError {
  return new PeerChannelError(ErrorCode.CHUNK_INVALID, message);
}

function uint(v: unknown, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) throw invalid(`${what} must be an integer in 0..${max}`);
  return v;
}

function tuple(v: unknown, n: number, what: string): unknown[] {
  if (!Array.isArray(v) || v.length !== n) throw invalid(`${what} must be a tuple of ${n}`);
  return v;
}

export function decodeChunkStart(payload: unknown, limits: FrameLimits): ChunkStart {
  const [stream, total, id, origin] = tuple(payload, 4, 'chunk start');
  if (!(id instanceof Uint8Array) || id.length !== MESSAGE_ID_BYTES) throw invalid(`chunk message id must be ${MESSAGE_ID_BYTES} bytes`);
  if (typeof origin !== 'string' || origin.length === 0 || origin.length > limits.maxNameLength) throw invalid('chunk origin must be a short non-empty string');
  return { stream: uint(stream, 'chunk stream', 0xffff_ffff), total: uint(total, 'chunk total'), id, origin };
}

export function decodeChunkData(payload: unknown): ChunkData {
  const [stream, offset, bytes] = tuple(payload, 3, 'chunk');
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw invalid('chunk bytes must be a non-empty byte string');
  return { stream: uint(stream, 'chunk stream', 0xffff_ffff), offset: uint(offset, 'chunk offset'), bytes };
}

export function decodeChunkCancel(payload: unknown): number {
  const [stream] = tuple(payload, 1, 'chunk cancel');
  return uint(stream, 'chunk stream', 0xffff_ffff);
}
