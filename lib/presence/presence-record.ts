import { createHash } from 'node:crypto';
import type { Answer } from 'dns-packet';
import type { PeerIdentity } from '../identity/peer-identity.js';
import { isBoundedString } from '../resolver/resolver-limits.js';

/** The DNS-SD service type every PeerChannel presence is published under. */
export const PRESENCE_SERVICE = '_peerchannel._udp.local';

/** Bounds on a presence, applied to what is published and to every packet received. */
export interface PresenceLimits {
  /**
   * Longest display name, in characters.
   * @defaultValue 64
   */
  readonly maxDisplayNameLength: number;
  /**
   * Most meshes one presence offers.
   * @defaultValue 16
   */
  readonly maxMeshes: number;
  /**
   * Most addresses one presence lists.
   * @defaultValue 8
   */
  readonly maxAddresses: number;
  /**
   * Longest mesh name, peer id or address: each must fit one TXT string of 255 bytes.
   * @defaultValue 240
   */
  readonly maxFieldLength: number;
}

/** Defaults for {@link PresenceLimits}. */
export const defaultPresenceLimits: PresenceLimits = Object.freeze({
  maxDisplayNameLength: 64,
  maxMeshes: 16,
  maxAddresses: 8,
  maxFieldLength: 240,
});

/** What one announcement says about one peer. */
export interface PresenceRecord {
  readonly peerId: string;
  readonly displayName: string;
  readonly addresses: readonly string[];
  /** Mesh name → milliseconds it stays offered, counted from the announcement. */
  readonly meshes: ReadonlyMap<string, number>;
  /** Milliseconds the whole presence stays valid, counted from the announcement; 0 is a goodbye. */
  readonly validMs: number;
  /**
   * When it was announced, ms since the epoch by the announcer's clock; strictly increasing for
   * one peer, so a receiver takes each announcement once and never an older one (replay).
   */
  readonly timestamp: number;
}

/** A presence as received: the record, and what its signature covers and is checked with. */
export interface SignedPresence {
  readonly record: PresenceRecord;
  /** The announcer's public key (DER SubjectPublicKeyInfo): it must hash to `record.peerId`. */
  readonly spki: Buffer;
  readonly signature: Buffer;
  /** The bytes the signature covers. */
  readonly signed: Buffer;
}

/** Domain separation: a presence signature can never be taken for a signature of anything else. */
const SIGNING_DOMAIN = Buffer.from('peerchannel people-near-me v2\n', 'utf8');

/** Longest public key (SPKI) and signature taken, in bytes: Ed25519 and ECDSA P-256 fit well within. */
const MAX_KEY_BYTES = 128;
const MAX_SIGNATURE_BYTES = 128;

/**
 * The bytes a presence signature covers: the domain, the instance name, then every TXT string
 * but the signature, each length-prefixed, in the order sent (unknown keys are covered too).
 */
function signingBytes(name: string, strings: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [SIGNING_DOMAIN, Buffer.from(`${name}\n`, 'utf8')];
  for (const s of strings) {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(s.byteLength);
    parts.push(len, s);
  }
  return Buffer.concat(parts);
}

/** The DNS-SD instance name of a peer: a DNS label must stay under 64 bytes, so it is hashed. */
export function instanceName(peerId: string): string {
  return `${createHash('sha256').update(peerId).digest('hex').slice(0, 32)}.${PRESENCE_SERVICE}`;
}

/**
 * The PTR and TXT answers that announce `record`, signed by `signer` (normally the identity whose
 * peer id `record.peerId` is: a receiver refuses a key that does not hash to it).
 */
export function encodePresence(record: PresenceRecord, signer: PeerIdentity): Answer[] {
  const name = instanceName(record.peerId);
  const ttl = Math.ceil(record.validMs / 1000);
  const txt = [
    'v=2',
    `id=${record.peerId}`,
    `n=${record.displayName}`,
    `x=${Math.max(0, Math.floor(record.validMs))}`,
    `t=${Math.floor(record.timestamp)}`,
    ...[...record.meshes].map(([mesh, ms]) => `m=${Math.max(0, Math.floor(ms))},${mesh}`),
    ...record.addresses.map((a) => `a=${a}`),
    `k=${Buffer.from(signer.publicKeySpki).toString('base64')}`,
  ].map((s) => Buffer.from(s, 'utf8'));
  const signature = Buffer.from(signer.sign(signingBytes(name, txt)));
  txt.push(Buffer.from(`s=${signature.toString('base64')}`, 'utf8'));
  return [
    { name: PRESENCE_SERVICE, type: 'PTR', ttl, data: name },
    { name, type: 'TXT', ttl, data: txt },
  ];
}

const MAX_MS = 2 ** 31 - 1;
/** Latest timestamp taken (year 2286): anything longer is not a time. */
const MAX_TIMESTAMP = 9_999_999_999_999;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function base64(text: string, maxBytes: number): Buffer | undefined {
  if (text.length === 0 || text.length > Math.ceil(maxBytes / 3) * 4 || !BASE64.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

function ms(text: string): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= MAX_MS ? n : undefined;
}

/**
 * Reads one TXT answer from an untrusted packet, without checking its signature (the receiver
 * does, with its key cache and rate bounds).
 * @returns the presence and its signature, `undefined` when the answer is not a PeerChannel
 * presence at all, `'oversized'` when it has more strings than any presence within `limits`,
 * `'unsigned'` when it carries no key or signature (or is the unsigned version 1), or
 * `'malformed'` when it breaks the format or a bound.
 */
export function decodePresence(
  answer: { name?: unknown; type?: unknown; data?: unknown },
  limits: PresenceLimits = defaultPresenceLimits,
): SignedPresence | 'malformed' | 'oversized' | 'unsigned' | undefined {
  if (answer.type !== 'TXT' || typeof answer.name !== 'string' || !answer.name.endsWith(`.${PRESENCE_SERVICE}`)) return undefined;
  const data = answer.data;
  const strings = Array.isArray(data) ? data : [data];
  // version + id + name + validity + time + key + signature + meshes + addresses, and a few
  // keys of later versions: anything longer is not ours to parse.
  if (strings.length > 11 + limits.maxMeshes + limits.maxAddresses) return 'oversized';
  let version: string | undefined;
  let timestamp: number | undefined;
  let spki: Buffer | undefined;
  let signature: Buffer | undefined;
  const covered: Buffer[] = [];
  let peerId: string | undefined;
  let displayName = '';
  let validMs: number | undefined;
  const meshes = new Map<string, number>();
  const addresses: string[] = [];
  for (const s of strings) {
    if (!Buffer.isBuffer(s) && typeof s !== 'string') return 'malformed';
    const text = Buffer.isBuffer(s) ? s.toString('utf8') : s;
    const eq = text.indexOf('=');
    if (eq < 1) return 'malformed';
    const key = text.slice(0, eq);
    const value = text.slice(eq + 1);
    if (key !== 's') covered.push(Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8'));
    switch (key) {
      case 'v':
        version = value;
        break;
      case 'id':
        if (!isBoundedString(value, limits.maxFieldLength)) return 'malformed';
        peerId = value;
        break;
      case 'n':
        if (value.length > limits.maxDisplayNameLength) return 'malformed';
        displayName = value;
        break;
      case 'x':
        validMs = ms(value);
        if (validMs === undefined) return 'malformed';
        break;
      case 't':
        if (!/^\d{1,13}$/.test(value) || Number(value) > MAX_TIMESTAMP) return 'malformed';
        timestamp = Number(value);
        break;
      case 'k':
        if (spki !== undefined) return 'malformed';
        spki = base64(value, MAX_KEY_BYTES);
        if (spki === undefined) return 'malformed';
        break;
      case 's':
        if (signature !== undefined) return 'malformed';
        signature = base64(value, MAX_SIGNATURE_BYTES);
        if (signature === undefined) return 'malformed';
        break;
      case 'm': {
        const comma = value.indexOf(',');
        const left = comma < 0 ? undefined : ms(value.slice(0, comma));
        const mesh = value.slice(comma + 1);
        if (left === undefined || !isBoundedString(mesh, limits.maxFieldLength) || meshes.size >= limits.maxMeshes) return 'malformed';
        meshes.set(mesh, left);
        break;
      }
      case 'a':
        if (!isBoundedString(value, limits.maxFieldLength) || addresses.length >= limits.maxAddresses) return 'malformed';
        addresses.push(value);
        break;
      default:
        // Keys added by later versions are skipped, so old peers still read new announcements.
        break;
    }
  }
  if (version === '1') return 'unsigned';
  if (version !== '2' || peerId === undefined || validMs === undefined || timestamp === undefined) return 'malformed';
  if (answer.name !== instanceName(peerId)) return 'malformed';
  if (spki === undefined || signature === undefined) return 'unsigned';
  return { record: { peerId, displayName, addresses, meshes, validMs, timestamp }, spki, signature, signed: signingBytes(answer.name, covered) };
}
