import { ErrorCode, PeerChannelError } from '../../errors/index.js';
import { encodeExtensionFrame } from '../../codec/frames.js';
import type { PnrpLimits } from './pnrp-limits.js';
import type { PnrpRequest } from './protocol.js';
import type { PnrpRecord } from './record.js';

/**
 * Extension frame kind of PNRP messages: `[48, [type, requestId, body]]`.
 *
 * @remarks
 * Types: 0 request `[cloud, fromPeerId, fromAddresses, op, ...args]`; 1 reply `[op, ...]`;
 * 2 failure `[code, message]`. Ops: 1 ping / pong `[1, peerId, addresses]`; 2 find
 * `[target, nameId | null, maxRecords]` / found `[2, contacts, records]`; 3 store `[record]` /
 * stored `[3]`. A contact is `[peerId, addresses]`; a record is the tuple of {@link encodeRecord}.
 */
export const PNRP_FRAME_KIND = 48;

/** Message types in a PNRP frame's envelope. */
export const MessageType = { Request: 0, Reply: 1, Failure: 2 } as const;
/** Operation tags of requests and replies. */
export const Op = { Ping: 1, Find: 2, Store: 3 } as const;

/** Largest request id; ids wrap within it. */
export const MAX_REQUEST_ID = 0xffff_ffff;

/** A decoded message envelope, body not yet checked. */
export interface Envelope {
  readonly type: (typeof MessageType)[keyof typeof MessageType];
  readonly id: number;
  readonly body: readonly unknown[];
}

/** A contact as it travels: peer id and addresses (its position is recomputed by the receiver). */
export interface WireContact {
  readonly peerId: string;
  readonly addresses: readonly string[];
}

/** The error that closes a link for a malformed PNRP message. */
export function shape(message: string): PeerChannelError {
  return new PeerChannelError(ErrorCode.FRAME_SHAPE, `pnrp: ${message}`);
}

/** The tuple form of a record. */
export function encodeRecord(r: PnrpRecord): unknown[] {
  return [r.cloud, r.name, r.serviceLocation, r.endpoint.peerId, r.endpoint.addresses, r.version, r.expiresAt, r.payload, r.publicKey, r.withdrawn, r.signature];
}

/** Encodes a request frame. */
export function encodeRequest(id: number, cloud: string, from: WireContact, request: PnrpRequest): Uint8Array {
  const head = [cloud, from.peerId, from.addresses];
  switch (request.op) {
    case 'ping':
      return encodeExtensionFrame(PNRP_FRAME_KIND, [MessageType.Request, id, [...head, Op.Ping]]);
    case 'find':
      return encodeExtensionFrame(PNRP_FRAME_KIND, [MessageType.Request, id, [...head, Op.Find, request.target, request.nameId, request.maxRecords]]);
    case 'store':
      return encodeExtensionFrame(PNRP_FRAME_KIND, [MessageType.Request, id, [...head, Op.Store, encodeRecord(request.record)]]);
  }
}

/** Encodes a reply frame. */
export function encodeReply(id: number, body: unknown[]): Uint8Array {
  return encodeExtensionFrame(PNRP_FRAME_KIND, [MessageType.Reply, id, body]);
}

/** Encodes a failure reply: the remote code and a short message, never a stack. */
export function encodeFailure(id: number, code: string, message: string): Uint8Array {
  return encodeExtensionFrame(PNRP_FRAME_KIND, [MessageType.Failure, id, [code, message.slice(0, 512)]]);
}

/** Checks the outer `[type, id, body]` of a PNRP payload. @throws PeerChannelError `PC_ERR_FRAME_SHAPE` */
export function decodeEnvelope(payload: unknown): Envelope {
  if (!Array.isArray(payload) || payload.length !== 3) throw shape('message must be [type, id, body]');
  const [type, id, body] = payload as [unknown, unknown, unknown];
  if (type !== MessageType.Request && type !== MessageType.Reply && type !== MessageType.Failure) throw shape('unknown message type');
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_REQUEST_ID) throw shape('request id must be an integer in 0..2^32-1');
  if (!Array.isArray(body) || body.length > 8) throw shape('message body must be a short list');
  return { type, id, body };
}

/** Checks a bounded non-empty string. @throws PeerChannelError `PC_ERR_FRAME_SHAPE` */
export function str(v: unknown, what: string, max: number): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw shape(`${what} must be a string of 1..${max} characters`);
  return v;
}

/** Checks a lowercase hex string of exactly `digits` digits. @throws PeerChannelError `PC_ERR_FRAME_SHAPE` */
export function hex(v: unknown, what: string, digits: number): string {
  if (typeof v !== 'string' || v.length !== digits || !/^[0-9a-f]+$/.test(v)) throw shape(`${what} must be ${digits} lowercase hex digits`);
  return v;
}

function bin(v: unknown, what: string, max: number): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length > max) throw shape(`${what} must be at most ${max} bytes`);
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** Checks a bounded list of addresses. @throws PeerChannelError `PC_ERR_FRAME_SHAPE` */
export function addresses(v: unknown, limits: PnrpLimits): string[] {
  if (!Array.isArray(v) || v.length > limits.maxAddresses) throw shape(`addresses must be a list of at most ${limits.maxAddresses}`);
  return v.map((a) => str(a, 'address', limits.maxAddressLength));
}

/** Parses a contact `[peerId, addresses]`. @throws PeerChannelError `PC_ERR_FRAME_SHAPE` */
export function decodeContact(v: unknown, limits: PnrpLimits): WireContact {
  if (!Array.isArray(v) || v.length !== 2) throw shape('contact must be [peerId, addresses]');
  return { peerId: str(v[0], 'peer id', limits.maxPeerIdLength), addresses: addresses(v[1], limits) };
}

/** Parses a record tuple (shape and bounds only: the signature is checked by whoever stores or returns it). */
export function decodeRecord(v: unknown, limits: PnrpLimits): PnrpRecord {
  if (!Array.isArray(v) || v.length !== 11) throw shape('record must be an 11-field tuple');
  const version = v[5];
  const expiresAt = v[6];
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) throw shape('record version must be a non-negative integer');
  if (typeof expiresAt !== 'number' || !Number.isSafeInteger(expiresAt) || expiresAt < 0) throw shape('record expiry must be a non-negative integer');
  if (typeof v[9] !== 'boolean') throw shape('record withdrawn flag must be a boolean');
  return {
    cloud: str(v[0], 'record cloud', limits.maxCloudLength),
    name: str(v[1], 'record name', 64 + 1 + 149),
    serviceLocation: hex(v[2], 'service location', 32),
    endpoint: { peerId: str(v[3], 'endpoint peer id', limits.maxPeerIdLength), addresses: addresses(v[4], limits) },
    version,
    expiresAt,
    payload: bin(v[7], 'payload', limits.maxPayloadBytes),
    publicKey: bin(v[8], 'public key', limits.maxPublicKeyBytes),
    withdrawn: v[9],
    signature: bin(v[10], 'signature', limits.maxSignatureBytes),
  };
}

/** A request body after its shape was checked. */
export interface DecodedRequest {
  readonly cloud: string;
  readonly from: WireContact;
  readonly request: PnrpRequest;
}

/** Parses a request body. @throws PeerChannelError `PC_ERR_FRAME_SHAPE` */
export function decodeRequest(body: readonly unknown[], limits: PnrpLimits): DecodedRequest {
  if (body.length < 4) throw shape('request must be [cloud, peerId, addresses, op, ...]');
  const cloud = str(body[0], 'cloud', limits.maxCloudLength);
  const from = { peerId: str(body[1], 'sender peer id', limits.maxPeerIdLength), addresses: addresses(body[2], limits) };
  switch (body[3]) {
    case Op.Ping:
      if (body.length !== 4) throw shape('ping takes no arguments');
      return { cloud, from, request: { op: 'ping' } };
    case Op.Find: {
      if (body.length !== 7) throw shape('find must be [..., 2, target, nameId, maxRecords]');
      const maxRecords = body[6];
      if (typeof maxRecords !== 'number' || !Number.isInteger(maxRecords) || maxRecords < 0 || maxRecords > limits.maxRecordsPerReply) throw shape(`find maxRecords must be an integer in 0..${limits.maxRecordsPerReply}`);
      return { cloud, from, request: { op: 'find', target: hex(body[4], 'target', 64), nameId: body[5] === null ? null : hex(body[5], 'name id', 32), maxRecords } };
    }
    case Op.Store:
      if (body.length !== 5) throw shape('store must be [..., 3, record]');
      return { cloud, from, request: { op: 'store', record: decodeRecord(body[4], limits) } };
    default:
      throw shape('unknown request op');
  }
}
