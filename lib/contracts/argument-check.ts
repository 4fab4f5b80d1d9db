/** Checks one inbound argument against the parameter type TypeScript emitted for it. */
export type ArgumentCheck = {
  /** What the parameter accepts, in words (`string`, `Uint8Array`, `any`…), as error messages name it. */
  readonly expected: string;
  /** True when an inbound value is acceptable for the parameter. */
  readonly test: (value: unknown) => boolean;
};

const typedArrays: readonly unknown[] = [
  Int8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
];

const anything: ArgumentCheck = { expected: 'any', test: () => true };

const primitives = new Map<unknown, ArgumentCheck>([
  [String, { expected: 'string', test: (v) => typeof v === 'string' }],
  [Number, { expected: 'number', test: (v) => typeof v === 'number' }],
  [Boolean, { expected: 'boolean', test: (v) => typeof v === 'boolean' }],
  [BigInt, { expected: 'bigint', test: (v) => typeof v === 'bigint' }],
  [Array, { expected: 'array', test: (v) => Array.isArray(v) }],
  [Object, anything],
  [Function, { expected: 'nothing (functions cannot cross the wire)', test: () => false }],
  [Symbol, { expected: 'nothing (symbols cannot cross the wire)', test: () => false }],
]);

/**
 * Builds the check for one parameter type from `design:paramtypes`.
 *
 * @remarks
 * Primitives, arrays, `Date`, `Uint8Array` and other typed arrays are checked exactly.
 * `Object` (interfaces, unions, `any`) accepts anything. Other classes accept a plain object:
 * class instances arrive as plain data after msgpack, so a class type is a shape, not an
 * `instanceof` promise.
 */
export function argumentCheckFor(type: unknown): ArgumentCheck {
  if (type === undefined) return anything;
  const known = primitives.get(type);
  if (known !== undefined) return known;
  if (type === Date) return { expected: 'Date', test: (v) => v instanceof Date };
  if (typeof type === 'function' && (type === Uint8Array || type.prototype instanceof Uint8Array)) {
    return { expected: 'Uint8Array', test: (v) => v instanceof Uint8Array };
  }
  if (typedArrays.includes(type)) {
    const ctor = type as new () => unknown;
    return { expected: ctor.name, test: (v) => v instanceof ctor };
  }
  const name = typeof type === 'function' ? type.name : 'object';
  return { expected: `${name} (plain object)`, test: (v) => typeof v === 'object' && v !== null && !Array.isArray(v) };
}
