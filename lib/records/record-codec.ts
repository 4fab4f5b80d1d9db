import { createHash, randomBytes } from 'node:crypto';
import { Packr } from 'msgpackr';
import { pack } from '../codec/index.js';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import { PeerIdentity, peerIdFromSpki } from '../identity/peer-identity.js';
import { RECORD_ID_BYTES, type RecordAttributes, RecordDataKind, type RecordFields, type SignedRecord } from './record.js';
import type { RecordLimits } from './record-limits.js';

/** Format tag at the head of every record body. */
export const RECORD_FORMAT = 1;

const SIGNING_LABEL = new TextEncoder().encode('peerchannel record v1\0');
const ID_LABEL = new TextEncoder().encode('peerchannel record id v1\0');
const TYPE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const MAX_KEY_BYTES = 512;
const MAX_SIGNATURE_BYTES = 512;

/**
 * Decodes record bodies and data with msgpackr's structured-clone extensions refused, so a small
 * record can never describe a huge shared structure (see TRAPS.md).
 */
const safe = new Packr({ useRecords: false, moreTypes: true, int64AsType: 'bigint', useBigIntExtension: true, mapsAsObjects: true, structuredClone: false });

function shape(message: string): PeerChannelError {
  return new PeerChannelError(ErrorCode.RECORD_SHAPE, message);
}

/** The id a creator key and nonce give. */
export function recordIdFor(creatorKey: Uint8Array, nonce: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(ID_LABEL).update(creatorKey).update(nonce).digest().subarray(0, RECORD_ID_BYTES));
}

/** A fresh (id, nonce) pair for a record created by the holder of `creatorKey`. */
export function newRecordId(creatorKey: Uint8Array): { id: Uint8Array; nonce: Uint8Array } {
  const nonce = new Uint8Array(randomBytes(RECORD_ID_BYTES));
  return { id: recordIdFor(creatorKey, nonce), nonce };
}

function sortedAttributes(a: RecordAttributes): [string, string | number | boolean][] {
  return Object.keys(a)
    .sort()
    .map((k) => [k, a[k] as string | number | boolean]);
}

/**
 * Bytes as msgpack `bin`. With `moreTypes`, msgpackr packs a plain Uint8Array as its typed-array
 * extension but a Buffer as `bin`, and unpacks `bin` as whichever class its input was: the
 * canonical form needs one choice.
 */
function bin(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function bodyTuple(f: RecordFields): unknown[] {
  return [RECORD_FORMAT, f.type, bin(f.id), bin(f.nonce), f.version, bin(f.creatorKey), f.signerKey === null ? null : bin(f.signerKey), f.created, f.modified, f.expires, f.deleted, sortedAttributes(f.attributes), f.dataKind, bin(f.data)];
}

function outerTuple(body: Uint8Array, signature: Uint8Array): unknown[] {
  return [bin(body), bin(signature)];
}

function signingInput(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(SIGNING_LABEL.length + body.length);
  out.set(SIGNING_LABEL, 0);
  out.set(body, SIGNING_LABEL.length);
  return out;
}

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/**
 * Checks the fields against the limits (the same checks a receiver makes).
 * @throws PeerChannelError `PC_ERR_RECORD_SHAPE`.
 */
export function checkFields(f: RecordFields, limits: RecordLimits): void {
  if (typeof f.type !== 'string' || f.type.length === 0 || f.type.length > limits.maxTypeLength || !TYPE_NAME.test(f.type)) {
    throw shape(`record type must be 1..${limits.maxTypeLength} characters of [A-Za-z0-9._:-], starting alphanumeric`);
  }
  if (!(f.id instanceof Uint8Array) || f.id.length !== RECORD_ID_BYTES) throw shape(`record id must be ${RECORD_ID_BYTES} bytes`);
  if (!(f.nonce instanceof Uint8Array) || f.nonce.length !== RECORD_ID_BYTES) throw shape(`record nonce must be ${RECORD_ID_BYTES} bytes`);
  if (!Number.isSafeInteger(f.version) || f.version < 1 || f.version > 0x7fffffff) throw shape('record version must be an integer in 1..2^31-1');
  if (!(f.creatorKey instanceof Uint8Array) || f.creatorKey.length === 0 || f.creatorKey.length > MAX_KEY_BYTES) throw shape('creator key must be bytes');
  if (f.signerKey !== null && (!(f.signerKey instanceof Uint8Array) || f.signerKey.length === 0 || f.signerKey.length > MAX_KEY_BYTES)) throw shape('signer key must be bytes or nil');
  for (const [what, t] of [['created', f.created], ['modified', f.modified], ['expires', f.expires]] as const) {
    if (!Number.isSafeInteger(t) || t < 0) throw shape(`record ${what} must be a non-negative integer of milliseconds`);
  }
  if (!(f.created <= f.modified && f.modified < f.expires)) throw shape('record times must satisfy created <= modified < expires');
  if (f.version === 1 && f.modified !== f.created) throw shape('a version-1 record cannot have been modified');
  if (typeof f.deleted !== 'boolean') throw shape('deleted flag must be a boolean');
  if (f.dataKind !== RecordDataKind.Bytes && f.dataKind !== RecordDataKind.Msgpack) throw shape('unknown record data kind');
  if (!(f.data instanceof Uint8Array)) throw shape('record data must be bytes');
  if (f.deleted && (f.data.length > 0 || Object.keys(f.attributes).length > 0)) throw shape('a tombstone carries no data and no attributes');
  checkAttributes(f.attributes, limits);
}

/** @throws PeerChannelError `PC_ERR_RECORD_SHAPE` when attributes break their bounds or types. */
export function checkAttributes(a: unknown, limits: RecordLimits): asserts a is RecordAttributes {
  if (typeof a !== 'object' || a === null || Array.isArray(a)) throw shape('attributes must be a map');
  const keys = Object.keys(a);
  if (keys.length > limits.maxAttributes) throw shape(`at most ${limits.maxAttributes} attributes`);
  for (const k of keys) {
    if (k.length === 0 || k.length > limits.maxAttributeNameLength) throw shape(`attribute names must be 1..${limits.maxAttributeNameLength} characters`);
    const v = (a as Record<string, unknown>)[k];
    if (typeof v === 'string') {
      if (v.length > limits.maxAttributeValueLength) throw shape(`attribute '${k}' is longer than ${limits.maxAttributeValueLength}`);
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw shape(`attribute '${k}' must be a finite number`);
    } else if (typeof v !== 'boolean') {
      throw shape(`attribute '${k}' must be a string, number or boolean`);
    }
  }
}

/**
 * Signs `fields` with `signer` and returns the verified form.
 * @throws PeerChannelError `PC_ERR_RECORD_SHAPE`, `PC_ERR_RECORD_TOO_LARGE`.
 */
export function signRecord(fields: RecordFields, signer: PeerIdentity, limits: RecordLimits): SignedRecord {
  checkFields(fields, limits);
  const encoded = sealRecord(fields, signer);
  if (encoded.length > limits.maxRecordBytes) {
    throw new PeerChannelError(ErrorCode.RECORD_TOO_LARGE, `record of ${encoded.length} bytes exceeds ${limits.maxRecordBytes}`);
  }
  return decodeRecord(encoded, limits);
}

/**
 * The signed encoding of `fields` by `signer`, with no checks at all (hostile-peer specs make
 * forgeries with it; use {@link signRecord}).
 * @internal
 */
export function sealRecord(fields: RecordFields, signer: PeerIdentity): Uint8Array {
  const body = pack(bodyTuple(fields));
  return new Uint8Array(pack(outerTuple(body, signer.sign(signingInput(body)))));
}

function expectBytes(v: unknown, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw shape(`${what} must be bytes`);
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

function attributesFrom(v: unknown, limits: RecordLimits): RecordAttributes {
  if (!Array.isArray(v) || v.length > limits.maxAttributes) throw shape(`attributes must be a list of at most ${limits.maxAttributes} pairs`);
  const out: Record<string, string | number | boolean> = Object.create(null) as Record<string, string | number | boolean>;
  let previous = '';
  for (const pair of v) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') throw shape('attribute must be [name, value]');
    if (pair[0] <= previous && previous !== '') throw shape('attributes must be sorted by name, without repeats');
    previous = pair[0];
    out[pair[0]] = pair[1] as string | number | boolean;
  }
  checkAttributes(out, limits);
  return { ...out };
}

/**
 * Decodes and verifies a signed record encoding from anyone (a peer, or the local storage).
 *
 * @remarks
 * Checks, in order: size; the outer `[body, signature]` tuple and that it is the canonical
 * encoding (so one version has one hash); every field's type and bound; that the id is bound to
 * the creator's key; that the signer (creator, or `signerKey`) signed the body. Authority over an
 * existing record, expiry and quotas are the store's checks.
 *
 * @throws PeerChannelError `PC_ERR_RECORD_TOO_LARGE`, `PC_ERR_RECORD_SHAPE` or `PC_ERR_RECORD_SIGNATURE`.
 */
export function decodeRecord(encoded: Uint8Array, limits: RecordLimits): SignedRecord {
  if (!(encoded instanceof Uint8Array)) throw shape('a record must be bytes');
  if (encoded.length > limits.maxRecordBytes) throw new PeerChannelError(ErrorCode.RECORD_TOO_LARGE, `record of ${encoded.length} bytes exceeds ${limits.maxRecordBytes}`);
  let outer: unknown;
  let raw: unknown;
  try {
    outer = safe.unpack(bin(encoded));
  } catch (cause) {
    throw new PeerChannelError(ErrorCode.RECORD_SHAPE, 'record is not valid msgpack', { cause });
  }
  if (!Array.isArray(outer) || outer.length !== 2) throw shape('record must be [body, signature]');
  const body = expectBytes(outer[0], 'record body');
  const signature = expectBytes(outer[1], 'record signature');
  if (signature.length > MAX_SIGNATURE_BYTES) throw shape('record signature is too long');
  try {
    raw = safe.unpack(bin(body));
  } catch (cause) {
    throw new PeerChannelError(ErrorCode.RECORD_SHAPE, 'record body is not valid msgpack', { cause });
  }
  if (!Array.isArray(raw) || raw.length !== 14 || raw[0] !== RECORD_FORMAT) throw shape(`record body must be a format-${RECORD_FORMAT} tuple of 14 fields`);
  const fields: RecordFields = {
    type: raw[1] as string,
    id: expectBytes(raw[2], 'record id'),
    nonce: expectBytes(raw[3], 'record nonce'),
    version: raw[4] as number,
    creatorKey: expectBytes(raw[5], 'creator key'),
    signerKey: raw[6] === null ? null : expectBytes(raw[6], 'signer key'),
    created: raw[7] as number,
    modified: raw[8] as number,
    expires: raw[9] as number,
    deleted: raw[10] as boolean,
    attributes: attributesFrom(raw[11], limits),
    dataKind: raw[12] as RecordDataKind,
    data: expectBytes(raw[13], 'record data'),
  };
  checkFields(fields, limits);
  if (!sameBytes(pack(bodyTuple(fields)), body) || !sameBytes(pack(outerTuple(body, signature)), encoded)) throw shape('record is not in its canonical encoding');
  if (!sameBytes(recordIdFor(fields.creatorKey, fields.nonce), fields.id)) {
    throw new PeerChannelError(ErrorCode.RECORD_SIGNATURE, 'record id is not bound to its creator key');
  }
  const signerKey = fields.signerKey ?? fields.creatorKey;
  if (fields.signerKey !== null && sameBytes(fields.signerKey, fields.creatorKey)) throw shape('a record signed by its creator carries no separate signer key');
  if (!PeerIdentity.verify(signerKey, signingInput(body), signature)) throw new PeerChannelError(ErrorCode.RECORD_SIGNATURE, 'record signature does not verify');
  if (fields.dataKind === RecordDataKind.Msgpack && !fields.deleted) decodeData(fields.data, limits);
  return {
    ...fields,
    creator: peerIdFromSpki(fields.creatorKey),
    lastModifier: peerIdFromSpki(signerKey),
    signature,
    encoded,
    hash: sha256(encoded),
    idHex: hex(fields.id),
  };
}

/**
 * Decodes a msgpack data value with bounded depth and size.
 * @throws PeerChannelError `PC_ERR_RECORD_SHAPE`.
 */
export function decodeData(data: Uint8Array, limits: RecordLimits): unknown {
  let value: unknown;
  try {
    value = safe.unpack(bin(data));
  } catch (cause) {
    throw new PeerChannelError(ErrorCode.RECORD_SHAPE, 'record data is not valid msgpack', { cause });
  }
  let nodes = 0;
  const walk = (v: unknown, depth: number): void => {
    nodes += 1;
    if (nodes > limits.maxDataNodes) throw shape(`record data has more than ${limits.maxDataNodes} values`);
    if (depth > limits.maxDataDepth) throw shape(`record data nests deeper than ${limits.maxDataDepth}`);
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array || v instanceof Date || ArrayBuffer.isView(v)) return;
    if (Array.isArray(v)) {
      for (const item of v) walk(item, depth + 1);
      return;
    }
    for (const key of Object.keys(v)) walk((v as Record<string, unknown>)[key], depth + 1);
  };
  walk(value, 0);
  return value;
}

/** Encodes a msgpack data value with the project's codec. */
export function encodeData(value: unknown): Uint8Array {
  return pack(value);
}
