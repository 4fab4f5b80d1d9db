import { ErrorCode, PeerChannelError } from '../errors/index.js';
import { type FrameLimits, defaultFrameLimits } from './limits.js';
import { pack, unpack } from './packr.js';
import { type PeerId, isPeerId } from '../identity/peer-id.js';

/** Wire protocol version carried in every handshake. */
export const PROTOCOL_VERSION = 1;

/** Frame type tags: the first element of every frame tuple. */
export const FrameKind = {
  Hello: 1,
  Welcome: 2,
  Refuse: 3,
  Disconnect: 4,
  Auth: 5,
  Flood: 10,
  Direct: 11,
  /** First tag owned by an extension (tree broadcast, utility, resolver, records). */
  FirstExtension: 16,
  LastExtension: 127,
} as const;

/** A peer known by id and where it can be reached; used in referrals. */
export interface PeerRef {
  readonly peerId: string;
  readonly addresses: readonly string[];
}

/** Free-form handshake extension fields (security material), validated by their owner. */
export type HandshakeExt = Readonly<Record<string, unknown>>;

export interface HelloFrame {
  readonly kind: typeof FrameKind.Hello;
  readonly version: number;
  /** Checked to have the form of a peer id when decoded. */
  readonly peerId: PeerId;
  readonly mesh: string;
  readonly addresses: readonly string[];
  readonly ext: HandshakeExt;
}
export interface WelcomeFrame {
  readonly kind: typeof FrameKind.Welcome;
  readonly version: number;
  readonly peerId: PeerId;
  readonly addresses: readonly string[];
  readonly ext: HandshakeExt;
}
export interface RefuseFrame {
  readonly kind: typeof FrameKind.Refuse;
  readonly code: string;
  readonly message: string;
  readonly referrals: readonly PeerRef[];
}
export interface DisconnectFrame {
  readonly kind: typeof FrameKind.Disconnect;
  readonly code: string;
  readonly message: string;
  readonly referrals: readonly PeerRef[];
}
export interface AuthFrame {
  readonly kind: typeof FrameKind.Auth;
  readonly payload: HandshakeExt;
}
/** A flooded message: the hop count travels outside the signed body. */
export interface FloodFrame {
  readonly kind: typeof FrameKind.Flood;
  /**
   * The body's message id, repeated in the frame header so that a receiver recognises a
   * duplicate without decoding the body (see {@link MESSAGE_FRAME_TAG}). Absent on a frame in the
   * msgpack tuple layout. A receiver that accepts the message checks it equals the body's id.
   */
  readonly id?: Uint8Array;
  /** Remaining hops, or `null` for unlimited. */
  readonly hops: number | null;
  /** Hops travelled so far (0 on the sender's links). */
  readonly travelled: number;
  readonly body: Uint8Array;
  readonly sig: Uint8Array | null;
  /**
   * The received frame's own bytes, when it came in the binary layout: a relay rewrites their
   * hop fields in place ({@link rewriteHops}) and forwards them, instead of encoding a copy.
   */
  readonly raw?: Uint8Array;
}
/** A directed message routed toward `target` (in the body); `ttl` bounds its path length. */
export interface DirectFrame {
  readonly kind: typeof FrameKind.Direct;
  /** The body's message id in the header, as in {@link FloodFrame.id}. */
  readonly id?: Uint8Array;
  readonly ttl: number;
  /** Hops travelled so far (0 on the sender's links). */
  readonly travelled: number;
  readonly body: Uint8Array;
  readonly sig: Uint8Array | null;
}
/** A frame owned by an extension protocol; its payload is validated by that protocol. */
export interface ExtensionFrame {
  readonly kind: number;
  readonly payload: unknown;
}

export type Frame =
  | HelloFrame
  | WelcomeFrame
  | RefuseFrame
  | DisconnectFrame
  | AuthFrame
  | FloodFrame
  | DirectFrame;

function shape(message: string): PeerChannelError {
  return new PeerChannelError(ErrorCode.FRAME_SHAPE, message);
}

function peer(v: unknown, what: string): PeerId {
  if (!isPeerId(v)) throw shape(`${what} must be a peer id (64 lowercase hex digits)`);
  return v;
}

function str(v: unknown, what: string, limits: FrameLimits): string {
  if (typeof v !== 'string' || v.length > limits.maxNameLength) throw shape(`${what} must be a string of at most ${limits.maxNameLength} characters`);
  return v;
}

function bytes(v: unknown, what: string, max: number): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length > max) throw shape(`${what} must be bytes (at most ${max})`);
  return v;
}

function strList(v: unknown, what: string, limits: FrameLimits): string[] {
  if (!Array.isArray(v) || v.length > limits.maxAddresses) throw shape(`${what} must be a list of at most ${limits.maxAddresses}`);
  return v.map((s, i) => str(s, `${what}[${i}]`, limits));
}

function ext(v: unknown, what: string): HandshakeExt {
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) throw shape(`${what} must be a map`);
  return v as HandshakeExt;
}

function refs(v: unknown, limits: FrameLimits): PeerRef[] {
  if (!Array.isArray(v) || v.length > limits.maxAddresses) throw shape(`referrals must be a list of at most ${limits.maxAddresses}`);
  return v.map((r, i) => {
    if (!Array.isArray(r) || r.length !== 2) throw shape(`referral ${i} must be [peerId, addresses]`);
    return { peerId: peer(r[0], 'referral peer id'), addresses: strList(r[1], 'referral addresses', limits) };
  });
}

function hopValue(v: unknown, limits: FrameLimits): number | null {
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > limits.maxHops) {
    throw new PeerChannelError(ErrorCode.BAD_HOP_COUNT, `hop count must be null or an integer in 1..${limits.maxHops}`);
  }
  return v;
}

/** Largest signature blob a message may carry. */
export const MAX_SIGNATURE_BYTES = 512;

/** Most hops a message may record as travelled; a message that far is not forwarded. */
export const MAX_TRAVELLED = 65_535;

function travelled(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_TRAVELLED) {
    throw new PeerChannelError(ErrorCode.BAD_HOP_COUNT, `travelled hops must be an integer in 0..${MAX_TRAVELLED}`);
  }
  return v;
}

/**
 * First byte of a flood or directed frame in the binary layout. msgpack never uses 0xc1, so no
 * tuple frame starts with it.
 *
 * @remarks
 * ```
 * 0      0xc1
 * 1      kind (10 flood, 11 direct)
 * 2..5   hops (flood; -2^31 = unlimited) or ttl (direct), int32 big-endian
 * 6..9   travelled, uint32 big-endian
 * 10..25 message id (16 bytes, the body's own id)
 * 26..27 signature length n, uint16 big-endian (0 = no signature)
 * 28..   n signature bytes, then the body (the rest of the frame)
 * ```
 * Everything a relay reads or rewrites sits at a fixed offset, so a duplicate costs one lookup
 * of the id and the body is decoded only for a message this node has not seen; the body and
 * signature are views into the received bytes, never copies. The id in the header is not
 * trusted on its own: a receiver that accepts a message checks that it equals the body's id
 * (the bytes the signature covers), so no copy can claim another message's id and be taken.
 */
export const MESSAGE_FRAME_TAG = 0xc1;

/** Bytes of the binary message frame header before the signature. */
export const MESSAGE_FRAME_HEADER_BYTES = 28;

/** Where the message id sits in the binary message frame. */
export const MESSAGE_ID_OFFSET = 10;

/** The header's hop field for "unlimited". */
const UNLIMITED_HOPS = -0x8000_0000;

function uint32(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;
}

function int32(v: number | null): boolean {
  return v === null || (Number.isInteger(v) && v > UNLIMITED_HOPS && v <= 0x7fff_ffff);
}

function encodeMessageFrame(kind: number, hops: number | null, travelledHops: number, id: Uint8Array, body: Uint8Array, sig: Uint8Array | null): Uint8Array {
  const sigBytes = sig === null ? 0 : sig.length;
  const out = new Uint8Array(MESSAGE_FRAME_HEADER_BYTES + sigBytes + body.length);
  out[0] = MESSAGE_FRAME_TAG;
  out[1] = kind;
  rewriteHops(out, hops, travelledHops);
  out.set(id, MESSAGE_ID_OFFSET);
  out[26] = sigBytes >>> 8;
  out[27] = sigBytes;
  if (sig !== null) out.set(sig, MESSAGE_FRAME_HEADER_BYTES);
  out.set(body, MESSAGE_FRAME_HEADER_BYTES + sigBytes);
  return out;
}

function headerHops(data: Uint8Array): number {
  return ((data[2] as number) << 24) | ((data[3] as number) << 16) | ((data[4] as number) << 8) | (data[5] as number);
}

function headerTravelled(data: Uint8Array): number {
  return (data[6] as number) * 0x100_0000 + (((data[7] as number) << 16) | ((data[8] as number) << 8) | (data[9] as number));
}

function headerSignatureBytes(data: Uint8Array): number {
  return ((data[26] as number) << 8) | (data[27] as number);
}

/**
 * For a binary-layout flood frame that {@link decodeFrame} would accept as far as its header
 * goes (size, hop fields, signature length): 1 when its hops are unlimited, 0 when limited.
 * -1 for any other frame, which is then decoded in full (and refused there if it is wrong).
 *
 * @remarks The seen-check of the relay's fast path: with it, a duplicate is counted from its
 * header alone, and costs no view, no object and no body decode.
 */
export function floodHeader(data: Uint8Array, limits: FrameLimits): -1 | 0 | 1 {
  if (data.length < MESSAGE_FRAME_HEADER_BYTES || data.length > limits.maxFrameBytes || data[0] !== MESSAGE_FRAME_TAG || data[1] !== FrameKind.Flood) return -1;
  const sigBytes = headerSignatureBytes(data);
  if (sigBytes > MAX_SIGNATURE_BYTES || MESSAGE_FRAME_HEADER_BYTES + sigBytes > data.length || headerTravelled(data) > MAX_TRAVELLED) return -1;
  const h = headerHops(data);
  if (h === UNLIMITED_HOPS) return 1;
  return h >= 1 && h <= limits.maxHops ? 0 : -1;
}

/**
 * Rewrites the hop fields of a binary-layout message frame in place and returns it: what a
 * relay forwards. The id, signature and body bytes are untouched.
 */
export function rewriteHops(raw: Uint8Array, hops: number | null, travelledHops: number): Uint8Array {
  const h = hops === null ? UNLIMITED_HOPS : hops;
  raw[2] = h >>> 24;
  raw[3] = h >>> 16;
  raw[4] = h >>> 8;
  raw[5] = h;
  raw[6] = travelledHops >>> 24;
  raw[7] = travelledHops >>> 16;
  raw[8] = travelledHops >>> 8;
  raw[9] = travelledHops;
  return raw;
}

function decodeMessageFrame(data: Uint8Array, limits: FrameLimits): FloodFrame | DirectFrame {
  if (data.length < MESSAGE_FRAME_HEADER_BYTES) throw new PeerChannelError(ErrorCode.FRAME_DECODE, `message frame of ${data.length} bytes is shorter than its header`);
  const kind = data[1];
  const h = headerHops(data);
  const t = headerTravelled(data);
  const sigBytes = headerSignatureBytes(data);
  if (sigBytes > MAX_SIGNATURE_BYTES) throw shape(`signature must be at most ${MAX_SIGNATURE_BYTES} bytes`);
  const bodyAt = MESSAGE_FRAME_HEADER_BYTES + sigBytes;
  if (bodyAt > data.length) throw new PeerChannelError(ErrorCode.FRAME_DECODE, 'message frame truncated in its signature');
  const base = data.byteOffset;
  const id = new Uint8Array(data.buffer, base + MESSAGE_ID_OFFSET, 16);
  const sig = sigBytes === 0 ? null : new Uint8Array(data.buffer, base + MESSAGE_FRAME_HEADER_BYTES, sigBytes);
  const body = new Uint8Array(data.buffer, base + bodyAt, data.length - bodyAt);
  if (kind === FrameKind.Flood) {
    return { kind, hops: h === UNLIMITED_HOPS ? null : hopValue(h, limits), travelled: travelled(t), id, body, sig, raw: data };
  }
  if (kind === FrameKind.Direct) {
    if (h < 1 || h > limits.maxHops) throw new PeerChannelError(ErrorCode.BAD_HOP_COUNT, `direct ttl must be an integer in 1..${limits.maxHops}`);
    return { kind, ttl: h, travelled: travelled(t), id, body, sig };
  }
  throw shape(`message frame of kind ${String(kind)}: only floods and directed messages use it`);
}

/**
 * Encodes a core frame. A flood or directed frame that carries its {@link FloodFrame.id} (and
 * hop fields that fit 32 bits) takes the binary layout of {@link MESSAGE_FRAME_TAG}; every other
 * frame is its msgpack tagged tuple.
 */
export function encodeFrame(frame: Frame): Uint8Array {
  switch (frame.kind) {
    case FrameKind.Hello:
      return pack([frame.kind, frame.version, frame.peerId, frame.mesh, frame.addresses, frame.ext]);
    case FrameKind.Welcome:
      return pack([frame.kind, frame.version, frame.peerId, frame.addresses, frame.ext]);
    case FrameKind.Refuse:
    case FrameKind.Disconnect:
      return pack([frame.kind, frame.code, frame.message, frame.referrals.map((r) => [r.peerId, r.addresses])]);
    case FrameKind.Auth:
      return pack([frame.kind, frame.payload]);
    case FrameKind.Flood:
      if (frame.id !== undefined && frame.id.length === 16 && int32(frame.hops) && uint32(frame.travelled)) {
        return encodeMessageFrame(frame.kind, frame.hops, frame.travelled, frame.id, frame.body, frame.sig);
      }
      return pack([frame.kind, frame.hops, frame.travelled, frame.body, frame.sig]);
    case FrameKind.Direct:
      if (frame.id !== undefined && frame.id.length === 16 && frame.ttl !== null && int32(frame.ttl) && uint32(frame.travelled)) {
        return encodeMessageFrame(frame.kind, frame.ttl, frame.travelled, frame.id, frame.body, frame.sig);
      }
      return pack([frame.kind, frame.ttl, frame.travelled, frame.body, frame.sig]);
  }
}

/** Encodes an extension frame `[kind, payload]`. */
export function encodeExtensionFrame(kind: number, payload: unknown): Uint8Array {
  if (!Number.isInteger(kind) || kind < FrameKind.FirstExtension || kind > FrameKind.LastExtension) {
    throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `extension frame kind ${kind} is outside ${FrameKind.FirstExtension}..${FrameKind.LastExtension}`);
  }
  return pack([kind, payload]);
}

/**
 * Decodes and validates one frame from an untrusted peer.
 *
 * @throws PeerChannelError `PC_ERR_FRAME_TOO_LARGE`, `PC_ERR_FRAME_DECODE`, `PC_ERR_FRAME_SHAPE`
 * or `PC_ERR_BAD_HOP_COUNT`; the caller closes the link with that code.
 */
export function decodeFrame(data: Uint8Array, limits: FrameLimits = defaultFrameLimits): Frame | ExtensionFrame {
  if (data.length > limits.maxFrameBytes) {
    throw new PeerChannelError(ErrorCode.FRAME_TOO_LARGE, `frame of ${data.length} bytes exceeds ${limits.maxFrameBytes}`);
  }
  if (data[0] === MESSAGE_FRAME_TAG) return decodeMessageFrame(data, limits);
  let raw: unknown;
  try {
    raw = unpack(data, limits);
  } catch (cause) {
    if (cause instanceof PeerChannelError) throw cause;
    throw new PeerChannelError(ErrorCode.FRAME_DECODE, 'frame is not valid msgpack', { cause });
  }
  if (!Array.isArray(raw) || raw.length < 2 || typeof raw[0] !== 'number') throw shape('frame must be a tagged tuple');
  const kind = raw[0];
  switch (kind) {
    case FrameKind.Hello:
      if (raw.length !== 6 || typeof raw[1] !== 'number') throw shape('hello must be [1, version, peerId, mesh, addresses, ext]');
      return { kind, version: raw[1], peerId: peer(raw[2], 'peer id'), mesh: str(raw[3], 'mesh', limits), addresses: strList(raw[4], 'addresses', limits), ext: ext(raw[5], 'hello ext') };
    case FrameKind.Welcome:
      if (raw.length !== 5 || typeof raw[1] !== 'number') throw shape('welcome must be [2, version, peerId, addresses, ext]');
      return { kind, version: raw[1], peerId: peer(raw[2], 'peer id'), addresses: strList(raw[3], 'addresses', limits), ext: ext(raw[4], 'welcome ext') };
    case FrameKind.Refuse:
    case FrameKind.Disconnect: {
      if (raw.length !== 4) throw shape('refuse/disconnect must be [kind, code, message, referrals]');
      const fields = { code: str(raw[1], 'code', limits), message: typeof raw[2] === 'string' ? raw[2].slice(0, 1024) : '', referrals: refs(raw[3], limits) };
      return kind === FrameKind.Refuse ? { kind, ...fields } : { kind, ...fields };
    }
    case FrameKind.Auth:
      if (raw.length !== 2) throw shape('auth must be [5, payload]');
      return { kind, payload: ext(raw[1], 'auth payload') };
    case FrameKind.Flood:
      if (raw.length !== 5) throw shape('flood must be [10, hops, travelled, body, sig]');
      return { kind, hops: hopValue(raw[1], limits), travelled: travelled(raw[2]), body: bytes(raw[3], 'body', limits.maxFrameBytes), sig: raw[4] === null ? null : bytes(raw[4], 'signature', MAX_SIGNATURE_BYTES) };
    case FrameKind.Direct: {
      if (raw.length !== 5) throw shape('direct must be [11, ttl, travelled, body, sig]');
      const ttl = raw[1];
      if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > limits.maxHops) {
        throw new PeerChannelError(ErrorCode.BAD_HOP_COUNT, `direct ttl must be an integer in 1..${limits.maxHops}`);
      }
      return { kind, ttl, travelled: travelled(raw[2]), body: bytes(raw[3], 'body', limits.maxFrameBytes), sig: raw[4] === null ? null : bytes(raw[4], 'signature', MAX_SIGNATURE_BYTES) };
    }
    default:
      if (kind >= FrameKind.FirstExtension && kind <= FrameKind.LastExtension && raw.length === 2) {
        return { kind, payload: raw[1] };
      }
      throw shape(`unknown frame kind ${String(kind)}`);
  }
}

/** Narrows a decoded frame to the core union. */
export function isCoreFrame(frame: Frame | ExtensionFrame): frame is Frame {
  return frame.kind < FrameKind.FirstExtension;
}
