import { type PeerId, isPeerId } from '../identity/peer-id.js';
import ICAL from 'ical.js';
import { X509Certificate } from 'node:crypto';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import { certificateFor, peerIdFromCertificate } from '../identity/certificate.js';
import type { PeerIdentity } from '../identity/peer-identity.js';
import { defaultCollaborationLimits, isFriendlyName } from './collaboration-limits.js';

/** The vCard property that carries a PeerChannel peer id (hex SHA-256 of the key in KEY). */
export const PEER_ID_PROPERTY = 'x-peerchannel-peer-id';
/** The vCard property, repeatable, that carries an address the peer can be dialled at. */
export const ENDPOINT_PROPERTY = 'x-peerchannel-endpoint';
const KEY_PREFIX = 'data:application/pkix-cert;base64,';
const MAX_ENDPOINTS = 16;
const MAX_ENDPOINT_LENGTH = 256;

/** What a contact card says, once its key is checked against its peer id. */
export interface ContactCard {
  /** FN: the friendly name. */
  readonly name: string;
  /** The peer id the card claims (`X-PEERCHANNEL-PEER-ID`); checked to be the hash of the certificate key. */
  readonly peerId: PeerId;
  /** The self-signed certificate (PEM) whose key hashes to `peerId`. */
  readonly certPem: string;
  /** DER SubjectPublicKeyInfo of the certificate's key. */
  readonly publicKeySpki: Uint8Array;
  /** Addresses the card's owner said it can be dialled at (may be stale). */
  readonly endpoints: readonly string[];
}

/**
 * Writes my contact card: a vCard 4.0 with FN, the peer id ({@link PEER_ID_PROPERTY}, also as
 * `UID:urn:peerchannel:<peer id>`), the certificate as a `data:` URI in KEY, and endpoints.
 *
 * @example
 * ```ts
 * await writeFile('alice.vcf', await contactCardFor(identity, 'Alice'));
 * ```
 */
export async function contactCardFor(identity: PeerIdentity, name: string, endpoints: readonly string[] = []): Promise<string> {
  if (!isFriendlyName(name)) throw new PeerChannelError(ErrorCode.COLLAB_NAME_INVALID, 'a friendly name has 1-64 characters and no control characters');
  const der = new X509Certificate((await certificateFor(identity)).certPem).raw;
  const card = new ICAL.Component(['vcard', [], []]);
  card.addPropertyWithValue('version', '4.0');
  card.addPropertyWithValue('fn', name);
  card.addPropertyWithValue('uid', `urn:peerchannel:${identity.peerId}`);
  card.addPropertyWithValue(PEER_ID_PROPERTY, identity.peerId);
  const key = new ICAL.Property('key', card);
  key.setValue(KEY_PREFIX + der.toString('base64'));
  card.addProperty(key);
  for (const endpoint of endpoints.slice(0, MAX_ENDPOINTS)) card.addPropertyWithValue(ENDPOINT_PROPERTY, endpoint);
  return `${card.toString()}\r\n`;
}

/**
 * Reads a contact card and checks it: vCard 4.0, a friendly name, a peer id, and a certificate in
 * KEY whose key hashes to that peer id and whose self-signature verifies.
 *
 * @throws PeerChannelError `PC_ERR_CARD_INVALID` for anything malformed or over
 * `maxCardBytes`; `PC_ERR_CARD_KEY_MISMATCH` when the key is not the peer id's.
 */
export function parseContactCard(vcf: string, maxCardBytes = defaultCollaborationLimits.maxCardBytes): ContactCard {
  const invalid = (why: string, cause?: unknown) => new PeerChannelError(ErrorCode.CARD_INVALID, `not a PeerChannel contact card: ${why}`, { cause });
  if (typeof vcf !== 'string' || Buffer.byteLength(vcf) > maxCardBytes) throw invalid(`not text, or over ${maxCardBytes} bytes`);
  let card: ICAL.Component;
  try {
    const parsed: unknown = ICAL.parse(vcf);
    const first = Array.isArray(parsed) && Array.isArray(parsed[0]) ? parsed[0] : parsed;
    card = new ICAL.Component(first as unknown[]);
  } catch (error) {
    throw invalid('the vCard does not parse', error);
  }
  if (card.name !== 'vcard') throw invalid('no VCARD');
  if (String(card.getFirstPropertyValue('version')) !== '4.0') throw invalid('VERSION is not 4.0');
  const name = text(card, 'fn');
  if (!isFriendlyName(name)) throw invalid('FN missing or not a friendly name (1-64 characters)');
  const peerId = text(card, PEER_ID_PROPERTY);
  if (!isPeerId(peerId)) throw invalid(`${PEER_ID_PROPERTY.toUpperCase()} missing or not 64 hex digits`);
  const key = text(card, 'key');
  if (key === undefined || !key.startsWith(KEY_PREFIX)) throw invalid(`KEY missing or not a ${KEY_PREFIX}… URI`);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(key.slice(KEY_PREFIX.length), 'base64'));
  } catch (error) {
    throw invalid('KEY is not an X.509 certificate', error);
  }
  if (peerIdFromCertificate(cert) !== peerId) {
    throw new PeerChannelError(ErrorCode.CARD_KEY_MISMATCH, `the card's key does not hash to its peer id ${peerId.slice(0, 12)}…`);
  }
  if (!cert.verify(cert.publicKey)) throw invalid('the certificate is not self-signed by its key');
  const endpoints = card
    .getAllProperties(ENDPOINT_PROPERTY)
    .map((p) => String(p.getFirstValue()))
    .filter((e) => e.length > 0 && e.length <= MAX_ENDPOINT_LENGTH)
    .slice(0, MAX_ENDPOINTS);
  return { name, peerId, certPem: cert.toString(), publicKeySpki: new Uint8Array(cert.publicKey.export({ type: 'spki', format: 'der' })), endpoints };
}

function text(card: ICAL.Component, property: string): string | undefined {
  const value = card.getFirstPropertyValue(property);
  return value === null || value === undefined ? undefined : String(value);
}
