import type { FrameLimits, PeerRef } from '../codec/index.js';
import { MAX_SIGNATURE_BYTES, MESSAGE_ID_BYTES, pack } from '../codec/index.js';
import { ErrorCode, PeerChannelError } from '../errors/index.js';

/**
 * Extension frame kinds the mesh itself owns (neighbour maintenance, tree broadcast, routing).
 *
 * @remarks Each is `[kind, payload]` on the wire; the payload shapes are below and every list
 * in them has a bound. A payload that breaks its shape closes the link with `PC_ERR_FRAME_SHAPE`.
 */
export const MeshFrameKind = {
  /** `[received, fresh, degree, ideal]`: what this side counted on the link, and its own load. */
  Utility: 20,
  /** `[isReply, refs]`: a sample of known peers, answered once with a sample of the receiver's. */
  Shuffle: 21,
  /**
   * `[[origin, entries], …]`: message ids the sender has, offered lazily (tree mode), grouped by
   * their origin; `entries` is binary, 18 bytes an entry: the 16-byte id, then the `travelled`
   * the payload would carry (uint16 big-endian).
   */
  IHave: 22,
  /** `[ids, resend]`: asks for these messages and makes the link eager for their senders. */
  Graft: 23,
  /** `[origins]`: stop pushing these senders' payloads on this link; ids only from now on. */
  Prune: 24,
  /** `[requestId, origin, target, ttl, travelled]`: a bounded route request (expanding ring). */
  RouteRequest: 25,
  /**
   * `[requestId, origin, target, travelled, sig]`: the answer, travelling back along the
   * request's path; `sig` is the target's signature in message-signing modes, else `null`.
   */
  RouteReply: 26,
  /** `[target, origin]`: the path to `target` broke here; travels back to `origin`, clearing stale routes. */
  RouteError: 27,
} as const;

/** Most entries in one IHAVE, GRAFT or PRUNE frame. */
export const MAX_IDS_PER_FRAME = 256;

/** Most peers in one shuffle frame. */
export const MAX_SHUFFLE_REFS = 16;

/** Length of a route request id in bytes. */
export const ROUTE_REQUEST_ID_BYTES = 8;

export interface UtilityReport {
  readonly received: number;
  readonly fresh: number;
  readonly degree: number;
  readonly ideal: number;
}

/** Bytes of one IHAVE entry: a message id and a uint16 `travelled`. */
export const IHAVE_ENTRY_BYTES = 18;

/** The ids one origin's messages offered in an IHAVE frame. */
export interface IHaveGroup {
  readonly origin: string;
  /** {@link IHAVE_ENTRY_BYTES} per entry: id, then `travelled` (uint16 big-endian). */
  readonly entries: Uint8Array;
}

export interface RouteRequest {
  readonly requestId: Uint8Array;
  readonly origin: string;
  readonly target: string;
  readonly ttl: number;
  readonly travelled: number;
}

export interface RouteReply {
  readonly requestId: Uint8Array;
  readonly origin: string;
  readonly target: string;
  readonly travelled: number;
  /** The target's signature over {@link routeReplySigned} in message-signing modes, else `null`. */
  readonly sig: Uint8Array | null;
}

function shape(message: string): PeerChannelError {
  return new PeerChannelError(ErrorCode.FRAME_SHAPE, message);
}

function count(v: unknown, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) throw shape(`${what} must be an integer in 0..${max}`);
  return v;
}

function tuple(v: unknown, length: number, what: string): unknown[] {
  if (!Array.isArray(v) || v.length !== length) throw shape(`${what} must be a tuple of ${length}`);
  return v;
}

function list(v: unknown, max: number, what: string): unknown[] {
  if (!Array.isArray(v) || v.length > max) throw shape(`${what} must be a list of at most ${max}`);
  return v;
}

function id(v: unknown, bytes: number, what: string): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== bytes) throw shape(`${what} must be ${bytes} bytes`);
  return v;
}

function name(v: unknown, limits: FrameLimits, what: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > limits.maxNameLength) throw shape(`${what} must be a non-empty string of at most ${limits.maxNameLength}`);
  return v;
}

export function decodeUtility(payload: unknown): UtilityReport {
  const [received, fresh, degree, ideal] = tuple(payload, 4, 'utility report');
  const r = count(received, 'received');
  const f = count(fresh, 'fresh', r);
  return { received: r, fresh: f, degree: count(degree, 'degree', 65_535), ideal: count(ideal, 'ideal', 65_535) };
}

export function encodeUtility(u: UtilityReport): unknown {
  return [u.received, u.fresh, u.degree, u.ideal];
}

export function decodeShuffle(payload: unknown, limits: FrameLimits): { reply: boolean; refs: PeerRef[] } {
  const [reply, refs] = tuple(payload, 2, 'shuffle');
  if (typeof reply !== 'boolean') throw shape('shuffle reply flag must be a boolean');
  return {
    reply,
    refs: list(refs, MAX_SHUFFLE_REFS, 'shuffle peers').map((r) => {
      const [peerId, addresses] = tuple(r, 2, 'shuffle peer');
      return {
        peerId: name(peerId, limits, 'shuffle peer id'),
        addresses: list(addresses, limits.maxAddresses, 'shuffle peer addresses').map((a) => name(a, limits, 'address')),
      };
    }),
  };
}

export function encodeShuffle(reply: boolean, refs: readonly PeerRef[]): unknown {
  return [reply, refs.map((r) => [r.peerId, r.addresses])];
}

/**
 * Decodes an IHAVE payload: at most {@link MAX_IDS_PER_FRAME} entries over all groups, each
 * group a non-empty whole number of entries (views of the frame, not copies).
 */
export function decodeIHave(payload: unknown, limits: FrameLimits): IHaveGroup[] {
  let total = 0;
  return list(payload, MAX_IDS_PER_FRAME, 'ihave').map((g) => {
    const [origin, entries] = tuple(g, 2, 'ihave group');
    if (!(entries instanceof Uint8Array) || entries.length === 0 || entries.length % IHAVE_ENTRY_BYTES !== 0) throw shape(`ihave entries must be a non-empty multiple of ${IHAVE_ENTRY_BYTES} bytes`);
    total += entries.length / IHAVE_ENTRY_BYTES;
    if (total > MAX_IDS_PER_FRAME) throw shape(`ihave must hold at most ${MAX_IDS_PER_FRAME} ids`);
    return { origin: name(origin, limits, 'ihave origin'), entries };
  });
}

export function decodeGraft(payload: unknown): { ids: Uint8Array[]; resend: boolean } {
  const [ids, resend] = tuple(payload, 2, 'graft');
  if (typeof resend !== 'boolean') throw shape('graft resend flag must be a boolean');
  return { ids: list(ids, MAX_IDS_PER_FRAME, 'graft ids').map((i) => id(i, MESSAGE_ID_BYTES, 'message id')), resend };
}

export function decodePrune(payload: unknown, limits: FrameLimits): string[] {
  return list(payload, MAX_IDS_PER_FRAME, 'prune').map((o) => name(o, limits, 'pruned origin'));
}

export function decodeRouteRequest(payload: unknown, limits: FrameLimits): RouteRequest {
  const [requestId, origin, target, ttl, travelled] = tuple(payload, 5, 'route request');
  return {
    requestId: id(requestId, ROUTE_REQUEST_ID_BYTES, 'route request id'),
    origin: name(origin, limits, 'route origin'),
    target: name(target, limits, 'route target'),
    ttl: count(ttl, 'route ttl', limits.maxHops),
    travelled: count(travelled, 'route travelled', 65_535),
  };
}

export function encodeRouteRequest(r: RouteRequest): unknown {
  return [r.requestId, r.origin, r.target, r.ttl, r.travelled];
}

export function decodeRouteReply(payload: unknown, limits: FrameLimits): RouteReply {
  const [requestId, origin, target, travelled, sig] = tuple(payload, 5, 'route reply');
  if (sig !== null && !(sig instanceof Uint8Array && sig.length <= MAX_SIGNATURE_BYTES)) throw shape(`route reply signature must be null or at most ${MAX_SIGNATURE_BYTES} bytes`);
  return {
    requestId: id(requestId, ROUTE_REQUEST_ID_BYTES, 'route request id'),
    origin: name(origin, limits, 'route origin'),
    target: name(target, limits, 'route target'),
    travelled: count(travelled, 'route travelled', 65_535),
    sig,
  };
}

export function encodeRouteReply(r: RouteReply): unknown {
  return [r.requestId, r.origin, r.target, r.travelled, r.sig];
}

/**
 * The bytes a target signs for a route reply: a tag, the request id, the requester and itself
 * (never `travelled`, which each hop rewrites). The leading string tag keeps it from ever
 * verifying as a message body (those are tuples tagged 0 or 1) and the other way round.
 */
export function routeReplySigned(r: Pick<RouteReply, 'requestId' | 'origin' | 'target'>): Uint8Array {
  return pack(['route-reply', r.requestId, r.origin, r.target]);
}

export function decodeRouteError(payload: unknown, limits: FrameLimits): { target: string; origin: string } {
  const [target, origin] = tuple(payload, 2, 'route error');
  return { target: name(target, limits, 'route target'), origin: name(origin, limits, 'route origin') };
}
