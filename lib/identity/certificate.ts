// @peculiar/x509 reads decorator metadata while it loads: reflect-metadata must be evaluated first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { X509Certificate, createHash, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import { PeerIdentity, peerIdFromSpki } from './peer-identity.js';

// x509 otherwise looks the provider up in tsyringe's root container; set it once, explicitly.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** A peer's self-signed X.509 certificate and private key, in PEM, ready for `tls` options. */
export interface PeerCertificate {
  /** The certificate, PEM. Its SubjectPublicKeyInfo hashes to the identity's peer id. */
  readonly certPem: string;
  /** The private key, PKCS#8 PEM. Keep it secret. */
  readonly keyPem: string;
  /** When the certificate stops being valid. */
  readonly notAfter: Date;
}

/**
 * How long a generated certificate is valid.
 *
 * @remarks
 * Peers authenticate each other by the hash of the certificate's public key, not by a CA chain or
 * dates, so validity matters little on the wire; a cached certificate past expiry is re-issued.
 */
export const CERTIFICATE_VALIDITY_DAYS = 365;

const DAY_MS = 86_400_000;
const cache = new WeakMap<PeerIdentity, Promise<PeerCertificate>>();

/**
 * Returns the self-signed X.509 certificate that presents `identity` on TLS links.
 *
 * @remarks
 * The certificate carries the identity's own public key (Ed25519, or P-256 for an ECDSA identity),
 * its subject and issuer are `CN=<peerId>`, and it is signed with the identity's key. A remote peer
 * derives the peer id from the certificate alone: SHA-256 of its SubjectPublicKeyInfo. The result
 * is cached per identity object (a certificate loaded by {@link loadIdentity} is reused), and
 * re-issued once expired.
 *
 * @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT` for a key type other than Ed25519 or P-256.
 *
 * @example
 * ```ts
 * const { certPem, keyPem } = await certificateFor(PeerIdentity.generate());
 * https.createServer({ cert: certPem, key: keyPem, minVersion: 'TLSv1.3' });
 * ```
 */
export function certificateFor(identity: PeerIdentity): Promise<PeerCertificate> {
  const cached = cache.get(identity);
  if (cached !== undefined) {
    return cached.then((cert) => (cert.notAfter.getTime() > Date.now() ? cert : reissue(identity)));
  }
  return reissue(identity);
}

function reissue(identity: PeerIdentity): Promise<PeerCertificate> {
  const made = issueCertificate(identity);
  cache.set(identity, made);
  // A failed issue must not poison the cache for later callers.
  made.catch(() => {
    if (cache.get(identity) === made) cache.delete(identity);
  });
  return made;
}

/**
 * @internal Makes `certPem` the cached certificate of `identity` after checking that it carries the
 * identity's public key and that its self-signature verifies.
 */
export function adoptCertificate(identity: PeerIdentity, certPem: string): PeerCertificate {
  const parsed = parseCertificate(certPem);
  const spki = new Uint8Array(parsed.publicKey.export({ type: 'spki', format: 'der' }));
  if (peerIdFromSpki(spki) !== identity.peerId) {
    throw new PeerChannelError(ErrorCode.IDENTITY_MISMATCH, 'certificate does not carry the public key of the private key');
  }
  if (!parsed.verify(identity.publicKey)) {
    throw new PeerChannelError(ErrorCode.IDENTITY_CORRUPT, 'certificate self-signature does not verify');
  }
  const cert: PeerCertificate = Object.freeze({ certPem, keyPem: privateKeyPem(identity.privateKey), notAfter: new Date(parsed.validTo) });
  cache.set(identity, Promise.resolve(cert));
  return cert;
}

/** @internal Parses a PEM certificate, mapping any failure to `PC_ERR_IDENTITY_CORRUPT`. */
export function parseCertificate(certPem: string): X509Certificate {
  try {
    return new X509Certificate(certPem);
  } catch (error) {
    throw new PeerChannelError(ErrorCode.IDENTITY_CORRUPT, 'certificate file is not a valid X.509 certificate', { cause: error });
  }
}

/**
 * Derives the peer id a certificate proves: the hex SHA-256 of its SubjectPublicKeyInfo (DER).
 *
 * @remarks
 * Node's `getPeerCertificate().pubkey` is missing for Ed25519 keys, so the key is re-exported from
 * the parsed certificate instead.
 */
export function peerIdFromCertificate(cert: X509Certificate): string {
  return createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

type SelfSignedParams = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0];

interface KeyAlgorithms {
  readonly importParams: webcrypto.EcKeyImportParams | webcrypto.Algorithm;
  readonly signing: webcrypto.EcdsaParams | webcrypto.Algorithm;
}

function algorithmsFor(key: KeyObject): KeyAlgorithms {
  if (key.asymmetricKeyType === 'ed25519') return { importParams: { name: 'Ed25519' }, signing: { name: 'Ed25519' } };
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return { importParams: { name: 'ECDSA', namedCurve: 'P-256' }, signing: { name: 'ECDSA', hash: 'SHA-256' } };
  }
  throw new PeerChannelError(
    ErrorCode.INVALID_ARGUMENT,
    `certificates need an Ed25519 or P-256 key, not ${key.asymmetricKeyType ?? 'unknown'}${key.asymmetricKeyDetails?.namedCurve ? ` ${key.asymmetricKeyDetails.namedCurve}` : ''}`,
  );
}

function privateKeyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

async function issueCertificate(identity: PeerIdentity): Promise<PeerCertificate> {
  const { importParams, signing } = algorithmsFor(identity.privateKey);
  const subtle = webcrypto.subtle;
  // Node 20 has no KeyObject.toCryptoKey: move the keys into WebCrypto through their DER forms.
  const privateKey = await subtle.importKey('pkcs8', identity.privateKey.export({ type: 'pkcs8', format: 'der' }), importParams, false, ['sign']);
  const publicKey = await subtle.importKey('spki', identity.publicKeySpki, importParams, true, ['verify']);
  const serial = randomBytes(16);
  // A positive INTEGER: clear the top bit so the DER encoding needs no sign byte.
  serial[0] = (serial[0] as number) & 0x7f;
  const now = Date.now();
  const notAfter = new Date(now + CERTIFICATE_VALIDITY_DAYS * DAY_MS);
  const name = `CN=${identity.peerId}`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name,
    // A day of slack for peers whose clocks run behind.
    notBefore: new Date(now - DAY_MS),
    notAfter,
    signingAlgorithm: signing,
    keys: { privateKey, publicKey } as unknown as SelfSignedParams['keys'],
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      await x509.SubjectKeyIdentifierExtension.create(publicKey as unknown as SelfSignedParams['keys']['publicKey']),
    ],
  });
  return Object.freeze({ certPem: cert.toString('pem'), keyPem: privateKeyPem(identity.privateKey), notAfter });
}
