import { createHash } from 'node:crypto';
import type { Answer } from 'dns-packet';
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
}

/** The DNS-SD instance name of a peer: a DNS label must stay under 64 bytes, so it is hashed. */
export function instanceName(peerId: string): string {
  return `${createHash('sha256').update(peerId).digest('hex').slice(0, 32)}.${PRESENCE_SERVICE}`;
}

/** The PTR and TXT answers that announce `record`. */
export function encodePresence(record: PresenceRecord): Answer[] {
  const name = instanceName(record.peerId);
  const ttl = Math.ceil(record.validMs / 1000);
  const txt = [
    'v=1',
    `id=${record.peerId}`,
    `n=${record.displayName}`,
    `x=${Math.max(0, Math.floor(record.validMs))}`,
    ...[...record.meshes].map(([mesh, ms]) => `m=${Math.max(0, Math.floor(ms))},${mesh}`),
    ...record.addresses.map((a) => `a=${a}`),
  ].map((s) => Buffer.from(s, 'utf8'));
  return [
    { name: PRESENCE_SERVICE, type: 'PTR', ttl, data: name },
    { name, type: 'TXT', ttl, data: txt },
  ];
}

const MAX_MS = 2 ** 31 - 1;

function ms(text: string): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= MAX_MS ? n : undefined;
}

/**
 * Reads one TXT answer from an untrusted packet.
 * @returns the record, `undefined` when the answer is not a PeerChannel presence at all, or
 * `'malformed'` when it claims to be one but breaks the format or a bound.
 */
export function decodePresence(answer: { name?: unknown; type?: unknown; data?: unknown }, limits: PresenceLimits = defaultPresenceLimits): PresenceRecord | 'malformed' | undefined {
  if (answer.type !== 'TXT' || typeof answer.name !== 'string' || !answer.name.endsWith(`.${PRESENCE_SERVICE}`)) return undefined;
  const data = answer.data;
  const strings = Array.isArray(data) ? data : [data];
  // version + id + name + validity + meshes + addresses: anything longer is not ours to parse.
  if (strings.length > 4 + limits.maxMeshes + limits.maxAddresses) return 'malformed';
  let version: string | undefined;
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
  if (version !== '1' || peerId === undefined || validMs === undefined) return 'malformed';
  if (answer.name !== instanceName(peerId)) return 'malformed';
  return { peerId, displayName, addresses, meshes, validMs };
}
