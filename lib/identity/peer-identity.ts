import type { PeerId } from './peer-id.js';
import { createHash, createPublicKey, generateKeyPairSync, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';

export { type PeerId, asPeerId, isPeerId } from './peer-id.js';

/**
 * Derives a peer id from a DER-encoded SubjectPublicKeyInfo: the hex SHA-256 of its bytes.
 */
export function peerIdFromSpki(spki: Uint8Array): PeerId {
  return createHash('sha256').update(spki).digest('hex') as PeerId;
}

/**
 * Who a peer is: an Ed25519 key pair, and the peer id that is the hash of its public key.
 *
 * @remarks
 * Made by {@link PeerIdentity.generate}. Saving, loading and the X.509 certificate used on TLS
 * links live in the identity store.
 */
export class PeerIdentity {
  /** Hex SHA-256 of the DER SubjectPublicKeyInfo. */
  readonly peerId: PeerId;
  /** DER SubjectPublicKeyInfo of the public key. */
  readonly publicKeySpki: Uint8Array;

  constructor(
    /** The private key (Ed25519 or ECDSA P-256); never leaves this process unless you save or export it. */
    readonly privateKey: KeyObject,
    /** The public key; its SPKI hashes to `peerId`. */
    readonly publicKey: KeyObject,
  ) {
    if (privateKey.type !== 'private' || publicKey.type !== 'public') {
      throw new TypeError('PeerIdentity needs a private and a public key');
    }
    this.publicKeySpki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
    this.peerId = peerIdFromSpki(this.publicKeySpki);
  }

  /** Creates a fresh Ed25519 identity. */
  static generate(): PeerIdentity {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    return new PeerIdentity(privateKey, publicKey);
  }

  /** Signs `data` with this identity's private key. */
  sign(data: Uint8Array): Uint8Array {
    return new Uint8Array(cryptoSign(algorithmFor(this.privateKey), data, this.privateKey));
  }

  /** Verifies a signature made by the holder of `spki`; false on any malformed input. */
  static verify(spki: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
    try {
      const key = createPublicKey({ key: Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength), format: 'der', type: 'spki' });
      return cryptoVerify(algorithmFor(key), data, key, signature);
    } catch {
      // Malformed keys and signatures are a plain "not verified", by contract.
      return false;
    }
  }
}

/** The digest `crypto.sign`/`crypto.verify` take for `key`: none for EdDSA keys, SHA-256 otherwise. @internal */
export function algorithmFor(key: KeyObject): string | null {
  return key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448' ? null : 'sha256';
}
