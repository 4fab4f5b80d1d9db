import 'reflect-metadata';

/**
 * The one module that reads and writes decorator metadata.
 *
 * @remarks
 * Decorators store frozen plain data under `Symbol.for('peerchannel:…')` keys. Writes copy the
 * inherited value first, so decorating a subclass never changes its parent's metadata.
 */

const CONTRACT = Symbol.for('peerchannel:contract');
const OPERATIONS = Symbol.for('peerchannel:operations');
const HOP_PARAMS = Symbol.for('peerchannel:hop-parameters');

/** What `@PeerContract` records. */
export interface ContractMetadata {
  readonly name: string;
}

/** What `@PeerOperation` records for one method. */
export interface OperationMetadata {
  readonly method: string;
  readonly name: string;
  readonly hops: number | undefined;
  readonly reply: boolean | undefined;
  readonly oneWay: boolean | undefined;
}

type Target = object;

export function writeContract(target: Target, data: ContractMetadata): void {
  Reflect.defineMetadata(CONTRACT, Object.freeze({ ...data }), target);
}

export function readContract(target: Target): ContractMetadata | undefined {
  return Reflect.getOwnMetadata(CONTRACT, target) as ContractMetadata | undefined;
}

export function addOperation(prototype: Target, data: OperationMetadata): void {
  const inherited = (Reflect.getMetadata(OPERATIONS, prototype) as readonly OperationMetadata[] | undefined) ?? [];
  Reflect.defineMetadata(OPERATIONS, Object.freeze([...inherited, Object.freeze({ ...data })]), prototype);
}

export function readOperations(prototype: Target): readonly OperationMetadata[] {
  return (Reflect.getMetadata(OPERATIONS, prototype) as readonly OperationMetadata[] | undefined) ?? [];
}

export function addHopParameter(prototype: Target, method: string, index: number): void {
  const inherited = (Reflect.getMetadata(HOP_PARAMS, prototype, method) as readonly number[] | undefined) ?? [];
  Reflect.defineMetadata(HOP_PARAMS, Object.freeze([...inherited, index]), prototype, method);
}

export function readHopParameters(prototype: Target, method: string): readonly number[] {
  return (Reflect.getMetadata(HOP_PARAMS, prototype, method) as readonly number[] | undefined) ?? [];
}

/** The constructor types TypeScript emitted for a method's parameters (`design:paramtypes`). */
export function readParameterTypes(prototype: Target, method: string): readonly unknown[] | undefined {
  return Reflect.getMetadata('design:paramtypes', prototype, method) as readonly unknown[] | undefined;
}

/** The emitted return type of a method (`design:returntype`). */
export function readReturnType(prototype: Target, method: string): unknown {
  return Reflect.getMetadata('design:returntype', prototype, method);
}

const RECORD_TYPE = Symbol.for('peerchannel:record-type');
const RECORD_FIELDS = Symbol.for('peerchannel:record-fields');

/** What `@PeerRecordType` records. */
export interface RecordTypeMetadata {
  readonly type: string;
  readonly ttlMs: number | undefined;
}

/** What `@RecordField` / `@RecordAttribute` record for one property. */
export interface RecordFieldMetadata {
  readonly property: string;
  /** Stored as a searchable attribute rather than in the data. */
  readonly attribute: boolean;
  readonly optional: boolean;
}

export function writeRecordType(target: Target, data: RecordTypeMetadata): void {
  Reflect.defineMetadata(RECORD_TYPE, Object.freeze({ ...data }), target);
}

export function readRecordType(target: Target): RecordTypeMetadata | undefined {
  return Reflect.getOwnMetadata(RECORD_TYPE, target) as RecordTypeMetadata | undefined;
}

export function addRecordField(prototype: Target, data: RecordFieldMetadata): void {
  const inherited = (Reflect.getMetadata(RECORD_FIELDS, prototype) as readonly RecordFieldMetadata[] | undefined) ?? [];
  Reflect.defineMetadata(RECORD_FIELDS, Object.freeze([...inherited, Object.freeze({ ...data })]), prototype);
}

export function readRecordFields(prototype: Target): readonly RecordFieldMetadata[] {
  return (Reflect.getMetadata(RECORD_FIELDS, prototype) as readonly RecordFieldMetadata[] | undefined) ?? [];
}

/** The emitted type of a property (`design:type`). */
export function readPropertyType(prototype: Target, property: string): unknown {
  return Reflect.getMetadata('design:type', prototype, property);
}
