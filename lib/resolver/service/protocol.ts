import { decodeFrame, encodeExtensionFrame, type FrameLimits, defaultFrameLimits } from '../../codec/index.js';
import { ErrorCode, PeerChannelError } from '../../errors/index.js';
import type { ResolvedPeer } from '../resolver.js';
import { defaultResolverLimits, isBoundedString, parsePeer, type ResolverLimits } from '../resolver-limits.js';

/**
 * Extension frame kind of the resolver service protocol (inside the 16..127 extension range of
 * `codec/frames.ts`). Every frame on a resolver service link is `[40, payload]`.
 */
export const RESOLVER_SERVICE_FRAME_KIND = 40;

/** Operation tags: the first element of every payload tuple. */
export const ServiceOp = {
  Register: 1,
  Refresh: 2,
  Unregister: 3,
  Resolve: 4,
  Ok: 16,
  Fail: 17,
} as const;

/** Longest registration id accepted on the wire. */
export const MAX_REGISTRATION_ID_LENGTH = 64;

/** A request from a client; `req` correlates the response. */
export type ServiceRequest =
  | { readonly op: typeof ServiceOp.Register; readonly req: number; readonly mesh: string; readonly peer: ResolvedPeer; readonly ttlMs: number | null }
  | { readonly op: typeof ServiceOp.Refresh; readonly req: number; readonly id: string }
  | { readonly op: typeof ServiceOp.Unregister; readonly req: number; readonly id: string }
  | { readonly op: typeof ServiceOp.Resolve; readonly req: number; readonly mesh: string; readonly max: number };

/** A response from the server. */
export type ServiceResponse =
  | { readonly op: typeof ServiceOp.Ok; readonly req: number; readonly value: unknown }
  | { readonly op: typeof ServiceOp.Fail; readonly req: number; readonly code: string; readonly message: string };

function shape(message: string): PeerChannelError {
  return new PeerChannelError(ErrorCode.FRAME_SHAPE, `resolver service: ${message}`);
}

function isReq(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;
}

/** Encodes a request frame. */
export function encodeRequest(r: ServiceRequest): Uint8Array {
  switch (r.op) {
    case ServiceOp.Register:
      return encodeExtensionFrame(RESOLVER_SERVICE_FRAME_KIND, [r.op, r.req, r.mesh, r.peer.peerId, r.peer.addresses, r.ttlMs]);
    case ServiceOp.Refresh:
    case ServiceOp.Unregister:
      return encodeExtensionFrame(RESOLVER_SERVICE_FRAME_KIND, [r.op, r.req, r.id]);
    case ServiceOp.Resolve:
      return encodeExtensionFrame(RESOLVER_SERVICE_FRAME_KIND, [r.op, r.req, r.mesh, r.max]);
  }
}

/** Encodes a response frame. */
export function encodeResponse(r: ServiceResponse): Uint8Array {
  return r.op === ServiceOp.Ok
    ? encodeExtensionFrame(RESOLVER_SERVICE_FRAME_KIND, [r.op, r.req, r.value])
    : encodeExtensionFrame(RESOLVER_SERVICE_FRAME_KIND, [r.op, r.req, r.code, r.message]);
}

/** Decodes the payload tuple of a resolver service frame, checking size, msgpack and kind. */
function payloadOf(data: Uint8Array, frameLimits: FrameLimits): unknown[] {
  const frame = decodeFrame(data, frameLimits);
  if (frame.kind !== RESOLVER_SERVICE_FRAME_KIND) {
    throw new PeerChannelError(ErrorCode.FRAME_UNEXPECTED, `resolver service links carry only frames of kind ${RESOLVER_SERVICE_FRAME_KIND}, got ${frame.kind}`);
  }
  const payload = (frame as { payload?: unknown }).payload;
  if (!Array.isArray(payload) || payload.length < 2 || !isReq(payload[1])) throw shape('payload must be [op, req, ...]');
  return payload;
}

/**
 * Decodes and validates a request from an untrusted client.
 * @throws PeerChannelError `PC_ERR_FRAME_TOO_LARGE`, `PC_ERR_FRAME_DECODE`, `PC_ERR_FRAME_SHAPE`,
 * `PC_ERR_FRAME_UNEXPECTED`; the server closes the link with that code.
 */
export function decodeRequest(data: Uint8Array, limits: ResolverLimits = defaultResolverLimits, frameLimits: FrameLimits = defaultFrameLimits): ServiceRequest {
  const p = payloadOf(data, frameLimits);
  const req = p[1] as number;
  switch (p[0]) {
    case ServiceOp.Register: {
      if (p.length !== 6) throw shape('register must be [1, req, mesh, peerId, addresses, ttlMs]');
      if (!isBoundedString(p[2], limits.maxMeshLength)) throw shape('mesh out of bounds');
      const peer = parsePeer({ peerId: p[3], addresses: p[4] }, limits);
      if (peer === undefined) throw shape('peer out of bounds');
      const ttl = p[5];
      if (ttl !== null && !(typeof ttl === 'number' && Number.isInteger(ttl) && ttl >= 1 && ttl <= 2 ** 31 - 1)) throw shape('ttlMs must be null or a positive integer');
      return { op: ServiceOp.Register, req, mesh: p[2], peer, ttlMs: ttl };
    }
    case ServiceOp.Refresh:
    case ServiceOp.Unregister:
      if (p.length !== 3 || !isBoundedString(p[2], MAX_REGISTRATION_ID_LENGTH)) throw shape('refresh/unregister must be [op, req, registrationId]');
      return { op: p[0], req, id: p[2] };
    case ServiceOp.Resolve: {
      if (p.length !== 4 || !isBoundedString(p[2], limits.maxMeshLength)) throw shape('resolve must be [4, req, mesh, max]');
      const max = p[3];
      if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) throw shape('max must be a positive integer');
      return { op: ServiceOp.Resolve, req, mesh: p[2], max: Math.min(max, limits.maxResolve) };
    }
    default:
      throw shape(`unknown request op ${String(p[0])}`);
  }
}

/**
 * Decodes a response from the server (validated too: a client trusts no one).
 * @throws PeerChannelError as {@link decodeRequest}.
 */
export function decodeResponse(data: Uint8Array, frameLimits: FrameLimits = defaultFrameLimits): ServiceResponse {
  const p = payloadOf(data, frameLimits);
  const req = p[1] as number;
  if (p[0] === ServiceOp.Ok && p.length === 3) return { op: ServiceOp.Ok, req, value: p[2] };
  if (p[0] === ServiceOp.Fail && p.length === 4 && typeof p[2] === 'string' && typeof p[3] === 'string') {
    return { op: ServiceOp.Fail, req, code: p[2].slice(0, 64), message: p[3].slice(0, 1024) };
  }
  throw shape('response must be [16, req, value] or [17, req, code, message]');
}

/** Reads a `[id, ttlMs]` registration result. */
export function parseRegistration(value: unknown): { id: string; ttlMs: number } | undefined {
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [id, ttlMs] = value;
  if (!isBoundedString(id, MAX_REGISTRATION_ID_LENGTH) || typeof ttlMs !== 'number' || !Number.isInteger(ttlMs) || ttlMs < 1) return undefined;
  return { id, ttlMs };
}

/** Reads a resolve result: a list of `[peerId, addresses]`, at most `max` long. */
export function parsePeers(value: unknown, max: number, limits: ResolverLimits = defaultResolverLimits): ResolvedPeer[] | undefined {
  if (!Array.isArray(value) || value.length > max) return undefined;
  const out: ResolvedPeer[] = [];
  const seen = new Set<string>();
  for (const item of value) {
    if (!Array.isArray(item) || item.length !== 2) return undefined;
    const peer = parsePeer({ peerId: item[0], addresses: item[1] }, limits);
    if (peer === undefined || seen.has(peer.peerId)) return undefined;
    seen.add(peer.peerId);
    out.push(peer);
  }
  return out;
}

