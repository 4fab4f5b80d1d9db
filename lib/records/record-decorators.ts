import { addRecordField, writeRecordType } from '../contracts/metadata.js';
import { ErrorCode, PeerChannelError } from '../errors/index.js';

/** Options of {@link PeerRecordType}. */
export interface PeerRecordTypeOptions {
  /**
   * Lifetime of a new record of this type when `add` is given none.
   * @defaultValue 30 days
   */
  readonly ttlMs?: number;
}

/** Options of {@link RecordField} and {@link RecordAttribute}. */
export interface RecordFieldOptions {
  /**
   * The property may be absent.
   * @defaultValue false
   */
  readonly optional?: boolean;
}

/**
 * Declares a class as the shape of a replicated record type named `type` (e.g.
 * `whiteboard.shape`): its `@RecordField()` properties travel as the record's data, its
 * `@RecordAttribute()` properties as searchable attributes.
 *
 * @remarks
 * Only records metadata; the type is read and checked when first used (`node.records(Shape)`).
 * Records of a declared type are validated on receipt against the declared property types, like
 * contract arguments (`design:type`).
 *
 * @example
 * ```ts
 * @PeerRecordType('whiteboard.shape')
 * class Shape {
 *   @RecordAttribute() kind!: string;
 *   @RecordField() x!: number;
 *   @RecordField() y!: number;
 *   @RecordField({ optional: true }) label?: string;
 * }
 * ```
 */
export function PeerRecordType(type: string, options: PeerRecordTypeOptions = {}): ClassDecorator {
  return (target) => {
    writeRecordType(target, { type, ttlMs: options.ttlMs });
  };
}

function field(attribute: boolean, options: RecordFieldOptions): PropertyDecorator {
  return (prototype, key) => {
    if (typeof key !== 'string') throw new PeerChannelError(ErrorCode.CONTRACT_INVALID, 'record fields must have string names');
    addRecordField(prototype, { property: key, attribute, optional: options.optional === true });
  };
}

/** Declares a property carried in the record's data (any msgpack value of the declared type). */
export function RecordField(options: RecordFieldOptions = {}): PropertyDecorator {
  return field(false, options);
}

/** Declares a property carried as a searchable attribute: a `string`, `number` or `boolean`. */
export function RecordAttribute(options: RecordFieldOptions = {}): PropertyDecorator {
  return field(true, options);
}
