import { ErrorCode, PeerChannelError } from '../../errors/index.js';
import { PeerIdentity, peerIdFromSpki } from '../../identity/peer-identity.js';
import { parsePeerName, peerNameId } from './peer-name.js';
import { pnrpIdOf } from './pnrp-id.js';
import type { PnrpLimits } from './pnrp-limits.js';

/** Where a published name can be reached: the endpoint's peer id and its addresses. */
export interface PnrpEndpoint {
  /** Peer id of the published peer (for a mesh name: the node to dial). */
  readonly peerId: string;
  /** Addresses to dial it at (at most 16, 512 characters each). */
  readonly addresses: readonly string[];
}

/**
 * One published instance of a peer name — PNRP's Certified Peer Address (CPA).
 *
 * @remarks
 * Everything but the signature is signed by the key in {@link PnrpRecord.publicKey}. The record's
 * 256-bit PNRP id is the name's 128-bit id followed by {@link PnrpRecord.serviceLocation}. A newer
 * `version` from the same key replaces an older one; a `withdrawn` record is a signed tombstone
 * that is stored (so an older copy cannot come back) but never returned.
 */
export interface PnrpRecord {
  /** The cloud (name space) the record was published in; a record is valid in that cloud only. */
  readonly cloud: string;
  /** Canonical peer name text, `authority.classifier`. */
  readonly name: string;
  /** 128-bit service location of this instance, 32 lowercase hex digits. */
  readonly serviceLocation: string;
  /** Who the instance is and where to reach it. */
  readonly endpoint: PnrpEndpoint;
  /** Publisher's sequence number (milliseconds since the epoch at signing); newer wins. */
  readonly version: number;
  /** Milliseconds since the epoch after which no node stores or returns the record. */
  readonly expiresAt: number;
  /** Application payload, at most {@link PnrpLimits.maxPayloadBytes}. */
  readonly payload: Uint8Array;
  /** The publisher's public key, DER SPKI; its hash is the publisher's peer id. */
  readonly publicKey: Uint8Array;
  /** True for a signed tombstone (unregister): stored, never returned. */
  readonly withdrawn: boolean;
  /** The publisher's signature over every other field (`signedBytes`). */
  readonly signature: Uint8Array;
}

/** The fields a publisher chooses; the rest (key, signature) come from its identity. */
export type PnrpRecordFields = Omit<PnrpRecord, 'payload' | 'publicKey' | 'withdrawn' | 'signature'> & {
  /** Application payload. @defaultValue empty */
  readonly payload?: Uint8Array;
  /** A tombstone. @defaultValue false */
  readonly withdrawn?: boolean;
};

/** A record that passed {@link verifyRecord}, with the ids derived from it. */
export interface VerifiedRecord {
  /** The record as received. */
  readonly record: PnrpRecord;
  /** 128-bit name id, hex. */
  readonly nameId: string;
  /** 256-bit PNRP id, hex. */
  readonly pnrpId: string;
  /** Peer id of the publisher (hash of its key). */
  readonly publisher: string;
  /** Identifies the instance in a store: one slot per PNRP id and publisher. */
  readonly key: string;
}

const HEX32 = /^[0-9a-f]{32}$/;

function invalid(message: string): PeerChannelError {
  return new PeerChannelError(ErrorCode.RECORD_INVALID, message);
}

/**
 * The exact bytes a record's signature covers: each field length-prefixed, so no two records
 * share them, and independent of how a codec chose to represent binary fields.
 */
export function signedBytes(fields: PnrpRecordFields & { readonly publicKey: Uint8Array }): Uint8Array {
  const parts: Uint8Array[] = [];
  const text = (s: string) => bytes(Buffer.from(s, 'utf8'));
  const bytes = (b: Uint8Array) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    parts.push(len, b);
  };
  const num = (n: number) => {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(n);
    parts.push(b);
  };
  text('pnrp-cpa/1');
  text(fields.cloud);
  text(fields.name);
  text(fields.serviceLocation);
  text(fields.endpoint.peerId);
  num(fields.endpoint.addresses.length);
  for (const address of fields.endpoint.addresses) text(address);
  num(fields.version);
  num(fields.expiresAt);
  bytes(fields.payload ?? new Uint8Array(0));
  bytes(fields.publicKey);
  parts.push(Uint8Array.of(fields.withdrawn === true ? 1 : 0));
  return Buffer.concat(parts);
}

/**
 * Signs a record with `identity`; the result is frozen.
 *
 * @throws PeerChannelError `PC_ERR_NAME_INVALID` for a bad name, `PC_ERR_RECORD_INVALID` for a
 * field out of bounds, `PC_ERR_NAME_NOT_OWNED` when `identity` may not publish a secured name.
 */
export function signRecord(identity: PeerIdentity, fields: PnrpRecordFields, limits: PnrpLimits): PnrpRecord {
  const name = parsePeerName(fields.name);
  if (name.secured && name.authority !== identity.peerId) {
    throw new PeerChannelError(ErrorCode.NAME_NOT_OWNED, `only the holder of key ${name.authority.slice(0, 12)}… may publish ${name.text.slice(0, 80)}`);
  }
  const unsigned = {
    cloud: fields.cloud,
    name: name.text,
    serviceLocation: fields.serviceLocation,
    endpoint: Object.freeze({ peerId: fields.endpoint.peerId, addresses: Object.freeze([...fields.endpoint.addresses]) }),
    version: fields.version,
    expiresAt: fields.expiresAt,
    payload: new Uint8Array(fields.payload ?? new Uint8Array(0)),
    publicKey: identity.publicKeySpki,
    withdrawn: fields.withdrawn === true,
  };
  checkBounds(unsigned, limits);
  return Object.freeze({ ...unsigned, signature: identity.sign(signedBytes(unsigned)) });
}

function checkBounds(r: Omit<PnrpRecord, 'signature'> & { signature?: Uint8Array }, limits: PnrpLimits): void {
  if (typeof r.cloud !== 'string' || r.cloud.length === 0 || r.cloud.length > limits.maxCloudLength) throw invalid('record cloud is out of bounds');
  if (typeof r.serviceLocation !== 'string' || !HEX32.test(r.serviceLocation)) throw invalid('service location must be 32 lowercase hex digits');
  const { peerId, addresses } = r.endpoint;
  if (typeof peerId !== 'string' || peerId.length === 0 || peerId.length > limits.maxPeerIdLength) throw invalid('endpoint peer id is out of bounds');
  if (!Array.isArray(addresses) || addresses.length > limits.maxAddresses) throw invalid(`a record carries at most ${limits.maxAddresses} addresses`);
  for (const a of addresses) {
    if (typeof a !== 'string' || a.length === 0 || a.length > limits.maxAddressLength) throw invalid('endpoint address is out of bounds');
  }
  for (const n of [r.version, r.expiresAt]) {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw invalid('version and expiry must be non-negative safe integers');
  }
  if (!(r.payload instanceof Uint8Array) || r.payload.length > limits.maxPayloadBytes) throw invalid(`payload must be at most ${limits.maxPayloadBytes} bytes`);
  if (!(r.publicKey instanceof Uint8Array) || r.publicKey.length === 0 || r.publicKey.length > limits.maxPublicKeyBytes) throw invalid('public key is out of bounds');
  if (typeof r.withdrawn !== 'boolean') throw invalid('withdrawn must be a boolean');
  if (r.signature !== undefined && (!(r.signature instanceof Uint8Array) || r.signature.length > limits.maxSignatureBytes)) throw invalid('signature is out of bounds');
}

/** What a verifier checks a record against. */
export interface VerifyContext {
  /** The verifier's cloud; records from any other are rejected. */
  readonly cloud: string;
  /** The verifier's clock, milliseconds since the epoch. */
  readonly now: number;
  /** Bounds to check the record against. */
  readonly limits: PnrpLimits;
}

/**
 * Checks a record received from anyone: bounds, name, cloud, expiry, ownership of a secured
 * name, and the signature.
 *
 * @remarks
 * Every node runs this before storing a record, and a resolving node runs it on every record it is
 * handed before returning it.
 *
 * @throws PeerChannelError `PC_ERR_RECORD_INVALID`, `PC_ERR_NAME_INVALID`, `PC_ERR_WRONG_CLOUD`,
 * `PC_ERR_RECORD_EXPIRED`, `PC_ERR_NAME_NOT_OWNED` (a secured name signed by another key) or
 * `PC_ERR_BAD_SIGNATURE` (an altered record).
 */
export function verifyRecord(record: PnrpRecord, context: VerifyContext): VerifiedRecord {
  checkBounds(record, context.limits);
  const name = parsePeerName(record.name);
  if (name.text !== record.name) throw invalid('record name is not in canonical form');
  if (record.cloud !== context.cloud) throw new PeerChannelError(ErrorCode.WRONG_CLOUD, `record belongs to cloud ${record.cloud.slice(0, 64)}`);
  if (record.expiresAt <= context.now) throw new PeerChannelError(ErrorCode.RECORD_EXPIRED, 'record has expired');
  if (record.expiresAt > context.now + context.limits.maxTtlMs + context.limits.clockSkewMs) throw invalid('record claims a lifetime beyond the largest allowed');
  const publisher = peerIdFromSpki(record.publicKey);
  if (name.secured && name.authority !== publisher) {
    throw new PeerChannelError(ErrorCode.NAME_NOT_OWNED, `secured name ${name.text.slice(0, 80)} is not signed by its authority`);
  }
  if (!PeerIdentity.verify(record.publicKey, signedBytes(record), record.signature)) {
    throw new PeerChannelError(ErrorCode.BAD_SIGNATURE, 'record signature does not verify');
  }
  const nameId = peerNameId(name);
  const pnrpId = pnrpIdOf(nameId, record.serviceLocation);
  return { record, nameId, pnrpId, publisher, key: `${pnrpId}:${publisher}` };
}

/** Bytes a record takes in a reply, roughly (payload, addresses and fixed fields). */
export function recordSize(record: PnrpRecord): number {
  let size = 256 + record.name.length + record.payload.length + record.publicKey.length + record.signature.length;
  for (const a of record.endpoint.addresses) size += a.length + 2;
  return size;
}
