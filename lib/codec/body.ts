import { type PeerId, isPeerId } from '../identity/peer-id.js';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import { type FrameLimits, defaultFrameLimits } from './limits.js';
import { pack, unpack } from './packr.js';

/** Length of a message id in bytes. */
export const MESSAGE_ID_BYTES = 16;

/** The signed part of a call message: everything but the hop count. */
export interface CallBody {
  readonly type: 'call';
  /** Random 16-byte message id. */
  readonly id: Uint8Array;
  /** Peer id of the original sender. */
  readonly origin: PeerId;
  /** Peer id of the one recipient of a directed call, or `null` for a flood. */
  readonly target: PeerId | null;
  readonly contract: string;
  readonly operation: string;
  readonly args: readonly unknown[];
  /** True when the sender waits for replies. */
  readonly wantsReply: boolean;
  /**
   * The sender asked every node that handles this message to report what it did (a message
   * trace). Part of the signed body, so in signing modes only the origin can set it.
   */
  readonly trace?: boolean;
}

/** The signed part of a reply to a call. */
export interface ReplyBody {
  readonly type: 'reply';
  readonly id: Uint8Array;
  readonly origin: PeerId;
  readonly target: PeerId;
  /** Id of the call this answers. */
  readonly inReplyTo: Uint8Array;
  readonly ok: boolean;
  /** The returned value when `ok`, else `{ code, message }`. */
  readonly value: unknown;
}

export type MessageBody = CallBody | ReplyBody;

function shape(message: string): PeerChannelError {
  return new PeerChannelError(ErrorCode.FRAME_SHAPE, message);
}

/**
 * An id as msgpack binary: a plain Uint8Array would be packed as a typed-array extension, which
 * msgpackr decodes into a fresh copy; binary decodes as a view of the received bytes.
 */
function bin(id: Uint8Array): Uint8Array {
  return Buffer.isBuffer(id) ? id : Buffer.from(id.buffer, id.byteOffset, id.byteLength);
}

/**
 * Call arguments with each top-level plain `Uint8Array` packed as msgpack binary, so that the
 * receiver gets a view of the frame instead of a copy (the typed-array extension msgpackr
 * writes for them copies on decode; deeper ones still travel that way).
 */
function binArgs(args: readonly unknown[]): readonly unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a instanceof Uint8Array && a.constructor === Uint8Array) {
      out ??= args.slice();
      out[i] = bin(a);
    }
  }
  return out ?? args;
}

function binValue(value: unknown): unknown {
  return value instanceof Uint8Array && value.constructor === Uint8Array ? bin(value) : value;
}

/**
 * Encodes a body; its bytes are what message security signs.
 *
 * @remarks Ids and top-level `Uint8Array` arguments (and a `Uint8Array` reply value) are packed
 * as msgpack binary, which {@link decodeBody} returns as views of the received bytes, not copies.
 */
export function encodeBody(body: MessageBody): Uint8Array {
  if (body.type === 'call') {
    if (body.trace === true) return pack([0, bin(body.id), body.origin, body.target, body.contract, body.operation, binArgs(body.args), body.wantsReply, 1]);
    return pack([0, bin(body.id), body.origin, body.target, body.contract, body.operation, binArgs(body.args), body.wantsReply]);
  }
  return pack([1, bin(body.id), body.origin, body.target, bin(body.inReplyTo), body.ok, binValue(body.value)]);
}

function id(v: unknown, what: string): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== MESSAGE_ID_BYTES) throw shape(`${what} must be ${MESSAGE_ID_BYTES} bytes`);
  return v;
}

function peer(v: unknown, what: string): PeerId {
  if (!isPeerId(v)) throw shape(`${what} must be a peer id (64 lowercase hex digits)`);
  return v;
}

function name(v: unknown, what: string, limits: FrameLimits): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > limits.maxNameLength) throw shape(`${what} must be a non-empty string of at most ${limits.maxNameLength} characters`);
  return v;
}

/**
 * Decodes and validates a message body from an untrusted peer.
 *
 * @throws PeerChannelError `PC_ERR_FRAME_DECODE` or `PC_ERR_FRAME_SHAPE`.
 */
export function decodeBody(data: Uint8Array, limits: FrameLimits = defaultFrameLimits): MessageBody {
  let raw: unknown;
  try {
    raw = unpack(data, limits);
  } catch (cause) {
    if (cause instanceof PeerChannelError) throw cause;
    throw new PeerChannelError(ErrorCode.FRAME_DECODE, 'message body is not valid msgpack', { cause });
  }
  if (!Array.isArray(raw)) throw shape('message body must be a tuple');
  if (raw[0] === 0) {
    // A ninth field is the trace mark; it must be exactly 1.
    if (raw.length !== 8 && (raw.length !== 9 || raw[8] !== 1)) throw shape('call body must have 8 fields, or 9 with the trace mark 1');
    const args = raw[6];
    if (!Array.isArray(args) || args.length > limits.maxArgs) throw shape(`call arguments must be a list of at most ${limits.maxArgs}`);
    if (typeof raw[7] !== 'boolean') throw shape('wantsReply must be a boolean');
    return {
      type: 'call',
      id: id(raw[1], 'message id'),
      origin: peer(raw[2], 'origin'),
      target: raw[3] === null ? null : peer(raw[3], 'target'),
      contract: name(raw[4], 'contract', limits),
      operation: name(raw[5], 'operation', limits),
      args,
      wantsReply: raw[7],
      trace: raw.length === 9,
    };
  }
  if (raw[0] === 1) {
    if (raw.length !== 7) throw shape('reply body must have 7 fields');
    if (typeof raw[5] !== 'boolean') throw shape('reply ok flag must be a boolean');
    return {
      type: 'reply',
      id: id(raw[1], 'message id'),
      origin: peer(raw[2], 'origin'),
      target: peer(raw[3], 'target'),
      inReplyTo: id(raw[4], 'reply-to id'),
      ok: raw[5],
      value: raw[6],
    };
  }
  throw shape('unknown message body type');
}
