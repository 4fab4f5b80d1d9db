import { ErrorCode, PeerChannelError } from '../../errors/index.js';
import { MAX_SIGNATURE_BYTES } from '../../codec/index.js';
import { type Bound, END_BOUND, START_BOUND, compareBounds } from './bound.js';
import { RangeMode, type SyncRange } from './sync-range.js';
import { type RecordAbstract, VERSION_HASH_BYTES } from './sync-source.js';
import { FINGERPRINT_BYTES } from './sum256.js';

const H = VERSION_HASH_BYTES;

/**
 * Extension frame kinds of record synchronisation (40–43; the record store's live changes use
 * 44–47). Each is `[kind, payload]`; every payload starts with the session id.
 */
export const SyncFrameKind = {
  /** `[session, ranges]`, initiator → responder: a reconciliation round (the first opens the session). */
  Query: 40,
  /** `[session, ranges]`, responder → initiator: the answer to a round. */
  Answer: 41,
  /**
   * `[session, fromInitiator, abstracts, hashes]`: from the initiator, abstracts of versions the responder lacks and
   * hashes of versions it wants abstracts of; the responder answers with the asked abstracts (in
   * order, `null` for one no longer held, possibly cut short) and the hashes it wants pushed.
   */
  Exchange: 42,
  /**
   * `[session, fromInitiator, records, hashes]`: from the initiator, records pushed (asked for by the responder)
   * and hashes it pulls; the responder answers with the pulled records (in order, `null` for one
   * no longer held, possibly cut short) and no hashes. Empty lists from the initiator end the session.
   */
  Transfer: 43,
} as const;

/** Most ranges in one reconciliation message. */
export const MAX_RANGES = 4_096;
/** Most abstracts, hashes or records in one exchange or transfer message. */
export const MAX_ITEMS_PER_MESSAGE = 1_024;
/** Largest session id. */
export const MAX_SESSION_ID = 0xffff_ffff;
/** Longest peer id accepted in an abstract. */
export const MAX_PEER_ID_LENGTH = 256;

function bad(message: string): PeerChannelError {
  return new PeerChannelError(ErrorCode.SYNC_FRAME, message);
}

function tuple(v: unknown, n: number, what: string): unknown[] {
  if (!Array.isArray(v) || v.length !== n) throw bad(`${what} must be a tuple of ${n}`);
  return v;
}

function list(v: unknown, max: number, what: string): unknown[] {
  if (!Array.isArray(v) || v.length > max) throw bad(`${what} must be a list of at most ${max}`);
  return v;
}

function uint(v: unknown, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) throw bad(`${what} must be an integer in 0..${max}`);
  return v;
}

function bytes(v: unknown, what: string, exact?: number, max = exact ?? 0): Uint8Array {
  if (!(v instanceof Uint8Array) || (exact !== undefined ? v.length !== exact : v.length > max)) {
    throw bad(exact !== undefined ? `${what} must be ${exact} bytes` : `${what} must be at most ${max} bytes`);
  }
  return v;
}

/** Reads the session id of any sync payload (the first element). */
export function sessionOf(payload: unknown): number {
  if (!Array.isArray(payload) || payload.length === 0) throw bad('sync payload must be a tuple starting with the session id');
  return uint(payload[0], 'session id', MAX_SESSION_ID);
}

// ---- ranges: a flat list [dt, prefix, mode, ...fields] ----

/**
 * Encodes ranges flat: per range the time as a delta from the previous bound plus one (0 for
 * the end bound), the id prefix, the mode, then the mode's fields.
 */
export function encodeRanges(session: number, ranges: readonly SyncRange[]): unknown {
  const flat: unknown[] = [];
  let prev = 0;
  for (const r of ranges) {
    if (r.upper.modified === Number.POSITIVE_INFINITY) flat.push(0);
    else {
      flat.push(r.upper.modified - prev + 1);
      prev = r.upper.modified;
    }
    flat.push(r.upper.prefix, r.mode);
    if (r.mode === RangeMode.Fingerprint) flat.push(r.count, r.fingerprint);
    else if (r.mode === RangeMode.Ids) flat.push(r.ids);
    else if (r.mode === RangeMode.IdsReply) flat.push(r.ids, r.lacking);
  }
  return [session, flat];
}

/**
 * Decodes and checks a reconciliation payload: bounds strictly increasing and ending at the
 * end bound, every field of its type and size.
 * @throws PeerChannelError `PC_ERR_SYNC_FRAME`.
 */
export function decodeRanges(payload: unknown, maxFrameBytes: number): { session: number; ranges: SyncRange[] } {
  const [s, f] = tuple(payload, 2, 'reconciliation payload');
  const session = uint(s, 'session id', MAX_SESSION_ID);
  const flat = list(f, MAX_RANGES * 5, 'ranges');
  const ranges: SyncRange[] = [];
  let prev = 0;
  let lastBound: Bound = START_BOUND;
  let i = 0;
  const next = (): unknown => {
    if (i >= flat.length) throw bad('range list ends inside a range');
    return flat[i++];
  };
  while (i < flat.length) {
    if (ranges.length >= MAX_RANGES) throw bad(`more than ${MAX_RANGES} ranges`);
    if (lastBound === END_BOUND) throw bad('ranges go on past the end bound');
    const dt = uint(next(), 'bound time delta');
    let modified = Number.POSITIVE_INFINITY;
    if (dt > 0) {
      modified = prev + dt - 1;
      if (!Number.isSafeInteger(modified)) throw bad('bound time out of range');
      prev = modified;
    }
    const prefix = bytes(next(), 'bound prefix', undefined, H);
    if (dt === 0 && prefix.length > 0) throw bad('the end bound carries no prefix');
    const upper: Bound = dt === 0 ? END_BOUND : { modified, prefix };
    if (compareBounds(lastBound, upper) >= 0) throw bad('range bounds must increase');
    const mode = next();
    if (mode === RangeMode.Skip) ranges.push({ mode, upper });
    else if (mode === RangeMode.Fingerprint) ranges.push({ mode, upper, count: uint(next(), 'range count'), fingerprint: bytes(next(), 'fingerprint', FINGERPRINT_BYTES) });
    else if (mode === RangeMode.Ids) {
      const ids = bytes(next(), 'id list', undefined, maxFrameBytes);
      if (ids.length % H !== 0) throw bad(`an id list must be a multiple of ${H} bytes`);
      ranges.push({ mode, upper, ids });
    } else if (mode === RangeMode.IdsReply) {
      const ids = bytes(next(), 'id list', undefined, maxFrameBytes);
      if (ids.length % H !== 0) throw bad(`an id list must be a multiple of ${H} bytes`);
      ranges.push({ mode, upper, ids, lacking: bytes(next(), 'lacking bitmap', undefined, Math.ceil(maxFrameBytes / H / 8)) });
    } else throw bad('unknown range mode');
    lastBound = upper;
  }
  if (lastBound !== END_BOUND) throw bad('ranges must end at the end bound');
  return { session, ranges };
}

// ---- abstracts ----

export function encodeAbstract(a: RecordAbstract): unknown {
  return [a.hash, a.recordId, a.version, a.created, a.modified, a.expires, a.lastModifier, a.deleted, a.signature];
}

function decodeAbstract(v: unknown): RecordAbstract {
  const t = tuple(v, 9, 'record abstract');
  const lastModifier = t[6];
  if (typeof lastModifier !== 'string' || lastModifier.length === 0 || lastModifier.length > MAX_PEER_ID_LENGTH) throw bad('abstract last modifier must be a peer id');
  if (typeof t[7] !== 'boolean') throw bad('abstract deleted flag must be a boolean');
  return {
    hash: bytes(t[0], 'abstract hash', H),
    recordId: bytes(t[1], 'abstract record id', 16),
    version: uint(t[2], 'abstract version'),
    created: uint(t[3], 'abstract created'),
    modified: uint(t[4], 'abstract modified'),
    expires: uint(t[5], 'abstract expires'),
    lastModifier,
    deleted: t[7],
    signature: bytes(t[8], 'abstract signature', undefined, MAX_SIGNATURE_BYTES),
  };
}

/** Worst-case encoded bytes of one abstract. */
export function abstractCost(a: RecordAbstract): number {
  return 2 + (H + 2) + (16 + 2) + 5 * 9 + (a.lastModifier.length * 3 + 3) + 1 + (a.signature.length + 3);
}

export interface ExchangeMessage {
  readonly session: number;
  readonly fromInitiator: boolean;
  /** Offered abstracts (from the initiator) or answered ones, `null` for versions gone (from the responder). */
  readonly abstracts: readonly (RecordAbstract | null)[];
  /** Hashes asked about (initiator) or wanted pushed (responder). */
  readonly hashes: readonly Uint8Array[];
}

export function encodeExchange(m: ExchangeMessage): unknown {
  return [m.session, m.fromInitiator, m.abstracts.map((a) => (a === null ? null : encodeAbstract(a))), m.hashes];
}

function flag(v: unknown): boolean {
  if (typeof v !== 'boolean') throw bad('the direction flag must be a boolean');
  return v;
}

/** @throws PeerChannelError `PC_ERR_SYNC_FRAME`. */
export function decodeExchange(payload: unknown): ExchangeMessage {
  const [s, f, a, h] = tuple(payload, 4, 'exchange payload');
  const fromInitiator = flag(f);
  return {
    session: uint(s, 'session id', MAX_SESSION_ID),
    fromInitiator,
    abstracts: list(a, MAX_ITEMS_PER_MESSAGE, 'abstracts').map((x) => {
      if (x === null && !fromInitiator) return null;
      return decodeAbstract(x);
    }),
    hashes: list(h, MAX_ITEMS_PER_MESSAGE, 'hashes').map((x) => bytes(x, 'hash', H)),
  };
}

export interface TransferMessage {
  readonly session: number;
  readonly fromInitiator: boolean;
  /** Pushed records (initiator) or pulled ones in order, `null` for versions gone (responder). */
  readonly records: readonly (Uint8Array | null)[];
  /** Hashes pulled (initiator only). */
  readonly hashes: readonly Uint8Array[];
}

export function encodeTransfer(m: TransferMessage): unknown {
  return [m.session, m.fromInitiator, m.records, m.hashes];
}

/** @throws PeerChannelError `PC_ERR_SYNC_FRAME`. */
export function decodeTransfer(payload: unknown, maxFrameBytes: number): TransferMessage {
  const [s, f, r, h] = tuple(payload, 4, 'transfer payload');
  const fromInitiator = flag(f);
  const hashes = list(h, MAX_ITEMS_PER_MESSAGE, 'hashes').map((x) => bytes(x, 'hash', H));
  if (!fromInitiator && hashes.length > 0) throw bad('a responder pulls nothing');
  return {
    session: uint(s, 'session id', MAX_SESSION_ID),
    fromInitiator,
    records: list(r, MAX_ITEMS_PER_MESSAGE, 'records').map((x) => {
      if (x === null && !fromInitiator) return null;
      return bytes(x, 'record', undefined, maxFrameBytes);
    }),
    hashes,
  };
}
