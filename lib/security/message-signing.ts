import { type KeyObject, createPublicKey, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import { rawEd25519Key, signEd25519, verifyEd25519 } from '../identity/ed25519.js';
import { type PeerIdentity, algorithmFor, peerIdFromSpki } from '../identity/peer-identity.js';

/** Largest signature blob, in bytes (the codec's bound on a frame's `sig` field). */
export const MAX_MESSAGE_SIGNATURE_BYTES = 512;
/** Blob format version written by {@link signMessage}. */
const FORMAT = 1;
const HEADER_BYTES = 3;
/** Domain separation: a message signature can never be mistaken for any other PeerChannel signature. */
const DOMAIN = Buffer.from('peerchannel message v1\0', 'latin1');

const headers = new WeakMap<PeerIdentity, Buffer>();

/**
 * Signs a message body as its sender.
 *
 * @remarks
 * Returns an opaque blob: a format byte, the signer's DER SubjectPublicKeyInfo (length-prefixed)
 * and the signature over a domain tag followed by `body`. Carrying the key lets any receiver
 * verify a message from a peer it has never met, checking that the key hashes to the claimed
 * origin. The blob travels in the frame's `sig` field; the hop count stays outside what is signed
 * because every hop rewrites it. Ed25519 blobs are 111 bytes, P-256 ones at most 166.
 *
 * @throws PeerChannelError `PC_ERR_LIMIT_EXCEEDED` if the blob would exceed
 * {@link MAX_MESSAGE_SIGNATURE_BYTES} (a key type far larger than Ed25519 or P-256).
 *
 * @example
 * ```ts
 * const sig = signMessage(identity, body);
 * verifyMessage(identity.peerId, body, sig); // true
 * ```
 */
export function signMessage(identity: PeerIdentity, body: Uint8Array): Uint8Array {
  let header = headers.get(identity);
  if (header === undefined) {
    const spki = identity.publicKeySpki;
    header = Buffer.alloc(HEADER_BYTES + spki.length);
    header[0] = FORMAT;
    header.writeUInt16BE(spki.length, 1);
    header.set(spki, HEADER_BYTES);
    headers.set(identity, header);
  }
  const signed = Buffer.concat([DOMAIN, body]);
  const key = identity.privateKey;
  const signature = key.asymmetricKeyType === 'ed25519' ? signEd25519(key, signed) : cryptoSign(algorithmFor(key), signed, key);
  const total = header.length + signature.length;
  if (total > MAX_MESSAGE_SIGNATURE_BYTES) {
    throw new PeerChannelError(ErrorCode.LIMIT_EXCEEDED, `signature blob of ${total} bytes exceeds ${MAX_MESSAGE_SIGNATURE_BYTES}`);
  }
  const blob = new Uint8Array(total);
  blob.set(header, 0);
  blob.set(signature, header.length);
  return blob;
}

/** Options for {@link MessageVerifier}. */
export interface MessageVerifierOptions {
  /**
   * Most senders whose parsed public keys are cached (least recently used are dropped first).
   * @defaultValue 1024
   */
  readonly maxCachedKeys?: number;
}

interface CachedKey {
  readonly spki: Buffer;
  readonly key: KeyObject;
  readonly algorithm: string | null;
  /** The raw key of an Ed25519 sender (verified by libsodium when it loaded). */
  readonly ed25519: Buffer | undefined;
}

/** Signed bytes up to this size are assembled in the verifier's scratch buffer, not allocated. */
const SCRATCH_BYTES = 16 * 1024;

/**
 * Verifies message signatures, caching each sender's parsed key.
 *
 * @remarks
 * Verification is on the flood path, so the SHA-256 of the key and its parsing happen once per
 * sender: later messages only compare the carried key bytes with the cached ones and check the
 * signature. Keys enter the cache only after they hashed to the claimed origin. One verifier per
 * node; the cache is bounded by {@link MessageVerifierOptions.maxCachedKeys}.
 */
export class MessageVerifier {
  private readonly cache = new Map<string, CachedKey>();
  private readonly maxCachedKeys: number;
  /** DOMAIN then the body being verified (verification is synchronous, so one buffer serves all). */
  private readonly scratch = Buffer.allocUnsafe(SCRATCH_BYTES);

  constructor(options: MessageVerifierOptions = {}) {
    this.maxCachedKeys = options.maxCachedKeys ?? 1024;
    if (!Number.isInteger(this.maxCachedKeys) || this.maxCachedKeys < 1) {
      throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'maxCachedKeys must be a positive integer');
    }
    DOMAIN.copy(this.scratch, 0);
  }

  /** Number of senders whose keys are cached. */
  get cachedKeys(): number {
    return this.cache.size;
  }

  /**
   * True when `blob` is a signature over `body` by the key whose hash is `origin`; false for any
   * forged, altered, truncated or malformed input (never throws on peer data).
   */
  verify(origin: string, body: Uint8Array, blob: Uint8Array): boolean {
    if (blob.length < HEADER_BYTES || blob.length > MAX_MESSAGE_SIGNATURE_BYTES || blob[0] !== FORMAT) return false;
    const spkiLength = ((blob[1] as number) << 8) | (blob[2] as number);
    const signatureStart = HEADER_BYTES + spkiLength;
    if (spkiLength === 0 || signatureStart >= blob.length) return false;
    const spki = Buffer.from(blob.buffer, blob.byteOffset + HEADER_BYTES, spkiLength);
    const signature = Buffer.from(blob.buffer, blob.byteOffset + signatureStart, blob.length - signatureStart);
    const entry = this.keyFor(origin, spki);
    if (entry === undefined) return false;
    const length = DOMAIN.length + body.length;
    let signed: Buffer;
    if (length <= SCRATCH_BYTES) {
      signed = this.scratch.subarray(0, length);
      signed.set(body, DOMAIN.length);
    } else {
      signed = Buffer.concat([DOMAIN, body]);
    }
    if (entry.ed25519 !== undefined) return verifyEd25519(entry.ed25519, entry.key, signed, signature);
    try {
      return cryptoVerify(entry.algorithm, signed, entry.key, signature);
    } catch {
      // A signature of the wrong shape for the key type is simply not valid.
      return false;
    }
  }

  private keyFor(origin: string, spki: Buffer): CachedKey | undefined {
    const cached = this.cache.get(origin);
    if (cached !== undefined && cached.spki.equals(spki)) {
      // Refresh recency: Map iteration order is insertion order.
      this.cache.delete(origin);
      this.cache.set(origin, cached);
      return cached;
    }
    if (peerIdFromSpki(spki) !== origin) return undefined;
    let key: KeyObject;
    try {
      key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    } catch {
      // Bytes that hash right but do not parse as a key: not verifiable.
      return undefined;
    }
    const entry: CachedKey = { spki: Buffer.from(spki), key, algorithm: algorithmFor(key), ed25519: key.asymmetricKeyType === 'ed25519' ? rawEd25519Key(spki) : undefined };
    this.cache.set(origin, entry);
    if (this.cache.size > this.maxCachedKeys) this.cache.delete(this.cache.keys().next().value as string);
    return entry;
  }
}

const sharedVerifier = new MessageVerifier();

/**
 * Checks a message signature made by {@link signMessage}: the carried key must hash to `origin`
 * (a peer id) and the signature over `body` must verify.
 *
 * @remarks
 * Uses one process-wide {@link MessageVerifier} (1024 cached keys); a node should hold its own
 * verifier instead so its cache is sized and dropped with it.
 */
export function verifyMessage(origin: string, body: Uint8Array, blob: Uint8Array): boolean {
  return sharedVerifier.verify(origin, body, blob);
}
