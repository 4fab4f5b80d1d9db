import { Packr } from 'msgpackr';

/**
 * The one msgpackr instance every frame goes through.
 *
 * @remarks
 * `moreTypes: true` is required: without it msgpackr 2.1 writes uninitialised memory for
 * Float32Array/Float64Array. Records are off (tuples are faster for small frames, and records
 * would keep per-connection structure state).
 */
export const packr = new Packr({
  useRecords: false,
  moreTypes: true,
  int64AsType: 'bigint',
  useBigIntExtension: true,
  mapsAsObjects: true,
});

/** Encodes a value to a fresh Uint8Array. */
export function pack(value: unknown): Uint8Array {
  return packr.pack(value);
}

/** Decodes one msgpack value; throws the raw msgpackr error on malformed input. */
export function unpack(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}
