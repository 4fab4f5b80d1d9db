import { randomBytes } from 'node:crypto';
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, leb128, prefixFreeCat, utf8Bytes } from './binding.js';

/**
 * CPace (draft-irtf-cfrg-cpace) over ristretto255 with SHA-512: the cipher suite CPACE-RISTR255-SHA512.
 *
 * @remarks
 * Only the primitives; the message flow over a link is in `password-admission.ts`. Every function
 * reproduces the draft's ristretto255 test vectors (spec/security/cpace.spec.ts).
 * @internal
 */

const Point = ristretto255.Point;

/** The ristretto255 element operations CPace needs (noble does not export its point class type). */
export interface RistrettoPoint {
  multiply(scalar: bigint): RistrettoPoint;
  toBytes(): Uint8Array;
  equals(other: RistrettoPoint): boolean;
}

/** Domain separation identifier of the ristretto255 group environment. */
export const CPACE_DSI = utf8Bytes('CPaceRistretto255');
const DSI_ISK = utf8Bytes('CPaceRistretto255_ISK');
/** SHA-512 input block size (`H.s_in_bytes`). */
const S_IN_BYTES = 128;
/** Encoding of the neutral element `G.I`. */
const IDENTITY = new Uint8Array(32);
/** Scalars are sampled below 2^252, which is below the group order. */
const SCALAR_MASK = (1n << 252n) - 1n;

/** `generator_string(DSI, PRS, CI, sid, s_in_bytes)`: zero padding makes the first hash block independent of the password length. */
export function generatorString(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Uint8Array {
  const zpad = Math.max(0, S_IN_BYTES - (leb128(prs.length).length + prs.length) - (leb128(CPACE_DSI.length).length + CPACE_DSI.length) - 1);
  return prefixFreeCat(CPACE_DSI, prs, new Uint8Array(zpad), ci, sid);
}

/** `G.calculate_generator(H, PRS, CI, sid)`: the password-derived generator (ristretto255 one-way map of SHA-512). */
export function calculateGenerator(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): RistrettoPoint {
  return ristretto255_hasher.deriveToCurve!(sha512(generatorString(prs, ci, sid)));
}

/** `G.sample_scalar()`: 32 random bytes, bits above 252 cleared, little-endian; never zero. */
export function sampleScalar(): bigint {
  for (;;) {
    const y = bytesToNumberLE(randomBytes(32)) & SCALAR_MASK;
    if (y !== 0n) return y;
  }
}

/** `G.scalar_mult(y, g)`: the encoded public share. */
export function scalarMult(y: bigint, g: RistrettoPoint): Uint8Array {
  return g.multiply(y).toBytes();
}

/**
 * `G.scalar_mult_vfy(y, X)`: decodes the peer's share and multiplies; returns `undefined` (the
 * abort case `G.I`) when `X` is not a canonical ristretto255 encoding or the result is the identity.
 */
export function scalarMultVfy(y: bigint, encoded: Uint8Array): Uint8Array | undefined {
  let point: RistrettoPoint;
  try {
    point = Point.fromBytes(encoded);
  } catch {
    // Not a valid encoding: by the draft this is the neutral element, i.e. abort.
    return undefined;
  }
  const k = point.multiply(y).toBytes();
  return equalBytes(k, IDENTITY) ? undefined : k;
}

/** `MSG = prefix_free_cat(Y, AD)`. */
export function cpaceMessage(share: Uint8Array, ad: Uint8Array): Uint8Array {
  return prefixFreeCat(share, ad);
}

/** ISK for the initiator/responder setting: `H(prefix_free_cat(DSI||"_ISK", sid, K) || MSGa || MSGb)`. */
export function intermediateSessionKey(sid: Uint8Array, k: Uint8Array, msgA: Uint8Array, msgB: Uint8Array): Uint8Array {
  return sha512(concatBytes(prefixFreeCat(DSI_ISK, sid, k), msgA, msgB));
}

/** The two key-confirmation tags, one per role, derived from the ISK. */
export interface ConfirmationTags {
  /** Sent by the initiator (dialer). */
  readonly initiator: Uint8Array;
  /** Sent by the responder (acceptor). */
  readonly responder: Uint8Array;
}

const CONFIRM_INFO = utf8Bytes('peerchannel cpace key confirmation v1');

/**
 * Key confirmation: distinct HMAC-SHA-512 keys per role (HKDF-SHA-512 of the ISK) over the whole
 * transcript, so a tag proves knowledge of the ISK and cannot be reflected back to its sender.
 */
export function confirmationTags(isk: Uint8Array, msgA: Uint8Array, msgB: Uint8Array): ConfirmationTags {
  const keys = hkdf(sha512, isk, undefined, CONFIRM_INFO, 64);
  const transcript = prefixFreeCat(msgA, msgB);
  return {
    initiator: hmac(sha512, keys.subarray(0, 32), transcript),
    responder: hmac(sha512, keys.subarray(32, 64), transcript),
  };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}
