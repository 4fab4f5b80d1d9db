import { unpack } from '../codec/packr.js';
import { ErrorCode, PeerChannelError, toPeerChannelError } from '../errors/index.js';
import type { GatewayLimits } from './gateway-limits.js';
import type { PageCallStyle, PageRequest } from './page-protocol.js';

const MAX_NAME = 256;
const RECORD_ID = /^[0-9a-f]{32}$/;
const MAX_TTL_MS = 10 * 365 * 24 * 3_600_000;

function bad(message: string): PeerChannelError {
  return new PeerChannelError(ErrorCode.GATEWAY_BAD_MESSAGE, message);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Date);
}

function name(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_NAME) throw bad(`${what} must be a string of 1..${MAX_NAME} characters`);
  return v;
}

function onlyKeys(m: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(m)) if (!allowed.includes(k)) throw bad(`unexpected field '${k.slice(0, 32)}'`);
}

function optionalInteger(v: unknown, what: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad(`${what} must be an integer in ${min}..${max}`);
  return v;
}

function style(v: unknown): PageCallStyle {
  if (!isMap(v)) throw bad('call style must be a map');
  onlyKeys(v, ['to', 'hops', 'timeoutMs', 'gather']);
  const to = v.to === undefined ? undefined : name(v.to, 'to');
  const hops = optionalInteger(v.hops, 'hops', 0, 255);
  const timeoutMs = optionalInteger(v.timeoutMs, 'timeoutMs', 1, 600_000);
  let gather: PageCallStyle['gather'];
  if (v.gather !== undefined) {
    if (!isMap(v.gather)) throw bad('gather must be a map');
    onlyKeys(v.gather, ['count', 'timeoutMs']);
    gather = { count: optionalInteger(v.gather.count, 'gather count', 1, 100_000), timeoutMs: optionalInteger(v.gather.timeoutMs, 'gather timeoutMs', 1, 600_000) };
  }
  return { to, hops, timeoutMs, gather };
}

/**
 * Decodes and checks one message from a page, as a peer frame is checked: bounded decode (only
 * the wire schema's types, nesting and value counts within `limits`), then the exact shape of
 * one {@link PageRequest}.
 *
 * @remarks Whether the named contract, operation or record type is exposed, and whether the
 * arguments fit the operation, is checked by the session, which knows what the gateway exposes.
 * @throws PeerChannelError `PC_ERR_GATEWAY_BAD_MESSAGE` for anything else than one valid request.
 */
export function decodePageRequest(bytes: Uint8Array, limits: GatewayLimits): PageRequest {
  let m: unknown;
  try {
    m = unpack(bytes, limits);
  } catch (error) {
    throw bad(`undecodable message: ${toPeerChannelError(error).message}`);
  }
  if (!isMap(m)) throw bad('a request must be a map');
  const id = m.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) throw bad('id must be a positive integer');
  switch (m.t) {
    case 'call':
      onlyKeys(m, ['t', 'id', 'c', 'o', 'a', 's']);
      if (!Array.isArray(m.a)) throw bad('a (arguments) must be an array');
      return { t: 'call', id, c: name(m.c, 'c (contract)'), o: name(m.o, 'o (operation)'), a: m.a, s: style(m.s ?? {}) };
    case 'calls':
      onlyKeys(m, ['t', 'id', 'c', 'o']);
      return { t: 'calls', id, c: name(m.c, 'c (contract)'), o: m.o === undefined ? undefined : name(m.o, 'o (operation)') };
    case 'records':
      onlyKeys(m, ['t', 'id', 'r']);
      return { t: 'records', id, r: name(m.r, 'r (record type)') };
    case 'add':
      onlyKeys(m, ['t', 'id', 'r', 'v', 'ttlMs']);
      return { t: 'add', id, r: name(m.r, 'r (record type)'), v: m.v, ttlMs: optionalInteger(m.ttlMs, 'ttlMs', 1, MAX_TTL_MS) };
    case 'update':
      onlyKeys(m, ['t', 'id', 'r', 'k', 'v', 'ttlMs']);
      if (typeof m.k !== 'string' || !RECORD_ID.test(m.k)) throw bad('k must be a record id (32 hex digits)');
      return { t: 'update', id, r: name(m.r, 'r (record type)'), k: m.k, v: m.v, ttlMs: optionalInteger(m.ttlMs, 'ttlMs', 1, MAX_TTL_MS) };
    case 'delete':
      onlyKeys(m, ['t', 'id', 'r', 'k']);
      if (typeof m.k !== 'string' || !RECORD_ID.test(m.k)) throw bad('k must be a record id (32 hex digits)');
      return { t: 'delete', id, r: name(m.r, 'r (record type)'), k: m.k };
    case 'end':
      onlyKeys(m, ['t', 'id']);
      return { t: 'end', id };
    default:
      throw bad('unknown request type');
  }
}
