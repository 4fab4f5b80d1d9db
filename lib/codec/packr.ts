import { Packr } from 'msgpackr';
import { defaultFrameLimits } from './limits.js';
import { type WireValueLimits, checkWireValue } from './wire-check.js';

/**
 * The one msgpackr instance every frame goes through.
 *
 * @remarks
 * `moreTypes: true` is required: without it msgpackr 2.1 writes uninitialised memory for
 * Float32Array/Float64Array. Records are off (tuples are faster for small frames, and records
 * would keep per-connection structure state). `structuredClone: false` makes msgpackr itself
 * refuse its id/pointer extensions too, though {@link unpack} never lets them reach it.
 */
export const packr = new Packr({
  useRecords: false,
  structuredClone: false,
  moreTypes: true,
  int64AsType: 'bigint',
  useBigIntExtension: true,
  mapsAsObjects: true,
});

/** Encodes a value to a fresh Uint8Array. */
export function pack(value: unknown): Uint8Array {
  return packr.pack(value);
}

/**
 * Decodes one msgpack value from untrusted bytes, within `limits`.
 *
 * @remarks The bytes are checked first ({@link checkWireValue}): only the wire schema's types,
 * no trailing bytes, nesting and element counts bounded. A raw msgpackr failure after that
 * (a typed array of a wrong length, say) is rethrown as it is; callers wrap it in their code.
 * @throws PeerChannelError `PC_ERR_FRAME_DECODE` or `PC_ERR_FRAME_TOO_COMPLEX` from the check.
 */
export function unpack(bytes: Uint8Array, limits: WireValueLimits = defaultFrameLimits): unknown {
  checkWireValue(bytes, limits);
  return packr.unpack(bytes);
}
