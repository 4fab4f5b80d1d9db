import { type ArgumentCheck, argumentCheckFor } from '../contracts/argument-check.js';
import { readPropertyType, readRecordFields, readRecordType } from '../contracts/metadata.js';
import { assertDecoratorMetadata } from '../contracts/metadata-check.js';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import { RecordDataKind, type RecordAttributes, type SignedRecord } from './record.js';
import { decodeData, encodeData } from './record-codec.js';
import type { RecordLimits } from './record-limits.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
/** A class declared with {@link PeerRecordType}. */
export type RecordClass<T = unknown> = abstract new (...args: any[]) => T;

/** One declared property of a record type. */
export interface RecordFieldDescriptor {
  readonly property: string;
  readonly attribute: boolean;
  readonly optional: boolean;
  readonly check: ArgumentCheck;
}

/** A record type as read from its decorators and checked. */
export interface RecordTypeDescriptor {
  readonly type: string;
  readonly ttlMs: number | undefined;
  readonly fields: ReadonlyMap<string, RecordFieldDescriptor>;
}

const cache = new WeakMap<object, RecordTypeDescriptor>();
const attributeTypes = new Set<unknown>([String, Number, Boolean]);

function mismatch(message: string): PeerChannelError {
  return new PeerChannelError(ErrorCode.RECORD_TYPE_MISMATCH, message);
}

/**
 * Reads and checks the metadata of a record class.
 * @throws PeerChannelError `PC_ERR_RECORDS_DISABLED` when the class is not a `@PeerRecordType`;
 * `PC_ERR_CONTRACT_INVALID` for an attribute that is not a string, number or boolean, or a class
 * with no fields.
 */
export function describeRecordType(cls: RecordClass): RecordTypeDescriptor {
  const known = cache.get(cls);
  if (known !== undefined) return known;
  const meta = readRecordType(cls);
  if (meta === undefined) throw new PeerChannelError(ErrorCode.RECORDS_DISABLED, `${cls.name} is not declared with @PeerRecordType`);
  const fields = new Map<string, RecordFieldDescriptor>();
  const declared = readRecordFields(cls.prototype as object);
  assertDecoratorMetadata(`record type ${meta.type} (${cls.name})`, declared.map((f) => readPropertyType(cls.prototype as object, f.property) !== undefined));
  for (const f of declared) {
    const type = readPropertyType(cls.prototype as object, f.property);
    if (f.attribute && !attributeTypes.has(type)) {
      throw new PeerChannelError(ErrorCode.CONTRACT_INVALID, `attribute ${cls.name}.${f.property} must be a string, number or boolean`);
    }
    fields.set(f.property, { ...f, check: argumentCheckFor(type) });
  }
  if (fields.size === 0) throw new PeerChannelError(ErrorCode.CONTRACT_INVALID, `record type ${cls.name} declares no @RecordField or @RecordAttribute`);
  const descriptor = Object.freeze({ type: meta.type, ttlMs: meta.ttlMs, fields });
  cache.set(cls, descriptor);
  return descriptor;
}

function checkValue(d: RecordTypeDescriptor, value: Record<string, unknown>, attribute: boolean | undefined): void {
  for (const key of Object.keys(value)) {
    const f = d.fields.get(key);
    if (f === undefined || (attribute !== undefined && f.attribute !== attribute)) throw mismatch(`${d.type} has no ${attribute === true ? 'attribute' : 'field'} '${key}'`);
    const v = value[key];
    if (v === undefined && f.optional) continue;
    if (!f.check.test(v)) throw mismatch(`${d.type}.${key} must be ${f.check.expected}`);
  }
  for (const f of d.fields.values()) {
    if (attribute !== undefined && f.attribute !== attribute) continue;
    if (!f.optional && value[f.property] === undefined) throw mismatch(`${d.type}.${f.property} is missing`);
  }
}

/**
 * Splits a value of the record type into attributes and msgpack data, checking it.
 * @throws PeerChannelError `PC_ERR_RECORD_TYPE_MISMATCH`.
 */
export function encodeRecordValue(d: RecordTypeDescriptor, value: unknown): { attributes: RecordAttributes; data: Uint8Array } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw mismatch(`a ${d.type} value must be an object`);
  const v = value as Record<string, unknown>;
  checkValue(d, v, undefined);
  const attributes: Record<string, string | number | boolean> = {};
  const data: Record<string, unknown> = {};
  for (const f of d.fields.values()) {
    const x = v[f.property];
    if (x === undefined) continue;
    if (f.attribute) attributes[f.property] = x as string | number | boolean;
    else data[f.property] = x;
  }
  return { attributes, data: encodeData(data) };
}

function deepFreeze<V>(v: V): V {
  if (typeof v === 'object' && v !== null && !ArrayBuffer.isView(v) && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** Rebuilds the value of a (verified) record of this type, deeply frozen (views are shared). */
export function decodeRecordValue<T>(d: RecordTypeDescriptor, record: SignedRecord, limits: RecordLimits): T {
  const data = record.dataKind === RecordDataKind.Msgpack ? (decodeData(record.data, limits) as Record<string, unknown>) : {};
  return deepFreeze({ ...data, ...record.attributes }) as T;
}

/**
 * The receipt check of this type: msgpack data that is a map of declared fields of the declared
 * types, and declared attributes of the declared types.
 * @throws PeerChannelError `PC_ERR_RECORD_TYPE_MISMATCH`.
 */
export function recordValidator(d: RecordTypeDescriptor, limits: RecordLimits): (record: SignedRecord) => void {
  return (record) => {
    if (record.dataKind !== RecordDataKind.Msgpack) throw mismatch(`${d.type} records carry msgpack data`);
    const data = decodeData(record.data, limits);
    if (typeof data !== 'object' || data === null || Array.isArray(data) || data instanceof Uint8Array) throw mismatch(`${d.type} data must be a map`);
    checkValue(d, data as Record<string, unknown>, false);
    checkValue(d, record.attributes as Record<string, unknown>, true);
  };
}
