import { type FrameLimits, MESSAGE_ID_BYTES } from '../codec/index.js';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import { MAX_REPORT_PEERS } from './observe-options.js';

/** What one node reported doing with a traced message. */
export interface TraceReport {
  /** Hex message id. */
  readonly id: string;
  /** The reporting node (as the mesh authenticated the report's sender). */
  readonly peerId: string;
  readonly kind: 'flood' | 'direct';
  /** Neighbour the first copy came from; `undefined` for the sender itself. */
  readonly via: string | undefined;
  /** Hops the first copy travelled. */
  readonly hops: number;
  readonly delivered: boolean;
  /** Why it was not delivered or not passed on: `filter`, `hop-limit`, or a `PC_ERR_*` routing code. */
  readonly reason: string | undefined;
  /** The code local delivery refused it with (e.g. `PC_ERR_UNKNOWN_CONTRACT`), if it did. */
  readonly refused: string | undefined;
  /** Neighbours it passed the message on to. */
  readonly forwardedTo: readonly string[];
  /** Neighbours whose copies arrived after the first one (dropped as duplicates). */
  readonly duplicatesFrom: readonly string[];
  /** The reporter's neighbours when it handled the message. */
  readonly neighbors: readonly string[];
  /** Peers the reporter knew of without a link (a sample of its passive view). */
  readonly known: readonly string[];
  /** When the reporter handled the first copy (its clock, ms since the epoch). */
  readonly at: number;
}

function shape(message: string): PeerChannelError {
  return new PeerChannelError(ErrorCode.FRAME_SHAPE, `trace report: ${message}`);
}

function peers(v: unknown, limits: FrameLimits, what: string): string[] {
  if (!Array.isArray(v) || v.length > MAX_REPORT_PEERS) throw shape(`${what} must be a list of at most ${MAX_REPORT_PEERS}`);
  for (const p of v) if (typeof p !== 'string' || p.length === 0 || p.length > limits.maxNameLength) throw shape(`${what} must hold peer ids`);
  return v as string[];
}

function optionalName(v: unknown, limits: FrameLimits, what: string): string | undefined {
  if (v === null) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > limits.maxNameLength) throw shape(`${what} must be null or a string of at most ${limits.maxNameLength}`);
  return v;
}

/** Encodes a report as the tuple its wire form is (the reporter's id is not in it: the mesh names the sender). */
export function encodeTraceReport(r: Omit<TraceReport, 'id' | 'peerId'> & { readonly id: Uint8Array }): unknown[] {
  return [r.id, r.kind === 'flood' ? 0 : 1, r.via ?? null, r.hops, r.delivered, r.reason ?? null, r.forwardedTo, r.duplicatesFrom, r.neighbors, r.known, r.at, r.refused ?? null];
}

/**
 * Decodes and bounds a report from an untrusted peer.
 * @throws PeerChannelError `PC_ERR_FRAME_SHAPE`.
 */
export function decodeTraceReport(raw: unknown, reporter: string, limits: FrameLimits): TraceReport {
  if (!Array.isArray(raw) || raw.length !== 12) throw shape('must be a tuple of 12');
  const [id, kind, via, hops, delivered, reason, forwardedTo, duplicatesFrom, neighbors, known, at, refused] = raw as unknown[];
  if (!(id instanceof Uint8Array) || id.length !== MESSAGE_ID_BYTES) throw shape(`id must be ${MESSAGE_ID_BYTES} bytes`);
  if (kind !== 0 && kind !== 1) throw shape('kind must be 0 or 1');
  if (typeof hops !== 'number' || !Number.isSafeInteger(hops) || hops < 0 || hops > 65_535) throw shape('hops must be an integer in 0..65535');
  if (typeof delivered !== 'boolean') throw shape('delivered must be a boolean');
  if (typeof at !== 'number' || !Number.isFinite(at)) throw shape('at must be a number');
  return {
    id: Buffer.from(id).toString('hex'),
    peerId: reporter,
    kind: kind === 0 ? 'flood' : 'direct',
    via: optionalName(via, limits, 'via'),
    hops,
    delivered,
    reason: optionalName(reason, limits, 'reason'),
    refused: optionalName(refused, limits, 'refused'),
    forwardedTo: peers(forwardedTo, limits, 'forwardedTo'),
    duplicatesFrom: peers(duplicatesFrom, limits, 'duplicatesFrom'),
    neighbors: peers(neighbors, limits, 'neighbors'),
    known: peers(known, limits, 'known'),
    at,
  };
}
