import { type PeerId, isLowerHexCode, isPeerId } from '../identity/peer-id.js';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import { type FrameLimits, defaultFrameLimits } from './limits.js';
import { pack, packr } from './packr.js';
import { checkWireValue } from './wire-check.js';

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

/** The last peer id read at one place of a body, by its bytes: the same origin decodes to the same string. */
interface IdSlot {
  readonly bytes: Uint8Array;
  text: string;
}

const originSlot: IdSlot = { bytes: new Uint8Array(64), text: '' };
const targetSlot: IdSlot = { bytes: new Uint8Array(64), text: '' };

/** The peer id in `b[at..at+64]` (msgpack str8 payload), or undefined if those are not 64 lowercase hex digits. */
function peerIdAt(b: Uint8Array, at: number, slot: IdSlot): PeerId | undefined {
  const known = slot.bytes;
  let same = slot.text !== '';
  for (let i = 0; same && i < 64; i++) same = b[at + i] === known[i];
  if (same) return slot.text as PeerId;
  for (let i = 0; i < 64; i++) if (!isLowerHexCode(b[at + i] as number)) return undefined;
  const view = b.subarray(at, at + 64);
  known.set(view);
  slot.text = String.fromCharCode.apply(null, view as unknown as number[]);
  return slot.text as PeerId;
}

/** An ASCII name of `length` bytes at `at`, or undefined if a byte is not printable ASCII. */
function asciiAt(b: Uint8Array, at: number, length: number): string | undefined {
  for (let i = at; i < at + length; i++) {
    const c = b[i] as number;
    if (c < 0x20 || c > 0x7e) return undefined;
  }
  return String.fromCharCode.apply(null, b.subarray(at, at + length) as unknown as number[]);
}

/**
 * The common call body — [0, id as bin 16, origin as str8 64, target nil or str8 64, ASCII
 * contract and operation, args, wantsReply (, 1)] — read field by field, with msgpackr only for
 * the arguments; undefined for anything else, which {@link decodeBody} then reads in full.
 *
 * @remarks Runs only on bytes {@link checkWireValue} passed (one well-formed array, nothing
 * after it). The arguments end where the one-byte trailing fields begin; if they do not (the
 * fields are not what they must be), msgpackr finds bytes after the arguments and throws, and the
 * full decode gives the error. Equal origins decode to one string, so maps keyed by it do not
 * hash a new string per message.
 */
function decodeCallFast(b: Uint8Array, limits: FrameLimits): CallBody | undefined {
  const end = b.length;
  const fields = b[0];
  if ((fields !== 0x98 && fields !== 0x99) || b[1] !== 0x00 || b[2] !== 0xc4 || b[3] !== MESSAGE_ID_BYTES || b[20] !== 0xd9 || b[21] !== 64) return undefined;
  if (end < 90) return undefined;
  const origin = peerIdAt(b, 22, originSlot);
  if (origin === undefined) return undefined;
  let at = 86;
  let target: PeerId | null = null;
  if (b[at] === 0xc0) {
    at += 1;
  } else {
    if (b[at] !== 0xd9 || b[at + 1] !== 64 || at + 66 > end) return undefined;
    const t = peerIdAt(b, at + 2, targetSlot);
    if (t === undefined) return undefined;
    target = t;
    at += 66;
  }
  const names: string[] = [];
  for (let k = 0; k < 2; k++) {
    const tag = b[at] as number;
    let length: number;
    if (tag >= 0xa1 && tag <= 0xbf) {
      length = tag - 0xa0;
      at += 1;
    } else if (tag === 0xd9) {
      length = b[at + 1] as number;
      at += 2;
    } else {
      return undefined;
    }
    if (length === 0 || length > limits.maxNameLength || at + length > end) return undefined;
    const name = asciiAt(b, at, length);
    if (name === undefined) return undefined;
    names.push(name);
    at += length;
  }
  const argsEnd = end - (fields === 0x99 ? 2 : 1);
  const flag = b[argsEnd];
  if ((flag !== 0xc2 && flag !== 0xc3) || (fields === 0x99 && b[end - 1] !== 0x01)) return undefined;
  const tag = b[at] as number;
  if (!((tag >= 0x90 && tag <= 0x9f) || tag === 0xdc || tag === 0xdd) || at >= argsEnd) return undefined;
  let args: unknown;
  try {
    args = packr.unpack(b.subarray(at, argsEnd));
  } catch {
    return undefined;
  }
  if (!Array.isArray(args) || args.length > limits.maxArgs) return undefined;
  return {
    type: 'call', id: b.subarray(4, 4 + MESSAGE_ID_BYTES), origin, target, contract: names[0] as string, operation: names[1] as string,
    args, wantsReply: flag === 0xc3, trace: fields === 0x99,
  };
}

/**
 * Decodes and validates a message body from an untrusted peer.
 *
 * @throws PeerChannelError `PC_ERR_FRAME_DECODE` or `PC_ERR_FRAME_SHAPE`.
 */
export function decodeBody(data: Uint8Array, limits: FrameLimits = defaultFrameLimits): MessageBody {
  checkWireValue(data, limits);
  return decodeCallFast(data, limits) ?? decodeCheckedBody(data, limits);
}

/**
 * {@link decodeBody} without its fast path for the common call body: every field through
 * msgpackr, then validated. The reference the fast path is tested against.
 * @internal
 */
export function decodeBodyInFull(data: Uint8Array, limits: FrameLimits = defaultFrameLimits): MessageBody {
  checkWireValue(data, limits);
  return decodeCheckedBody(data, limits);
}

function decodeCheckedBody(data: Uint8Array, limits: FrameLimits): MessageBody {
  let raw: unknown;
  try {
    raw = packr.unpack(data);
  } catch (cause) {
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
