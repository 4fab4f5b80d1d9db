// @peculiar/x509 reads decorator metadata while it loads: reflect-metadata must be evaluated first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPublicKey, randomBytes, webcrypto } from 'node:crypto';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import { type PeerIdentity, peerIdFromSpki } from '../identity/peer-identity.js';

// x509 otherwise looks the provider up in tsyringe's root container; set it explicitly.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** URI scheme of the subject alternative name that ties a membership certificate to one mesh. */
const MESH_URI_PREFIX = 'net.p2p://';

/** Options for {@link issueMembershipCertificate}. */
export interface IssueMembershipOptions {
  /** How long the certificate is valid, from `notBefore`. */
  readonly validForMs: number;
  /**
   * Start of validity.
   * @defaultValue now
   */
  readonly notBefore?: Date;
  /**
   * Restricts the certificate to one mesh (`lobby` for `net.p2p://lobby`); without it the member is
   * admitted to every mesh that trusts this owner.
   * @defaultValue unrestricted
   */
  readonly mesh?: string;
}

/** What a verified membership certificate says. */
export interface MembershipInfo {
  /** The member's peer id: the hash of {@link MembershipInfo.memberPublicKeySpki}. */
  readonly memberPeerId: string;
  /** DER SubjectPublicKeyInfo of the member's key. */
  readonly memberPublicKeySpki: Uint8Array;
  /** Peer id of the owner who issued it. */
  readonly ownerPeerId: string;
  /** Start of the validity period. */
  readonly notBefore: Date;
  /** End of the validity period; the certificate is refused after it. */
  readonly notAfter: Date;
  /** The mesh the certificate is restricted to, if any. */
  readonly mesh: string | undefined;
}

/** Options for {@link verifyMembershipCertificate}. */
export interface VerifyMembershipOptions {
  /** DER SubjectPublicKeyInfo of every owner key whose certificates are accepted. */
  readonly trustedOwnerKeys: Iterable<Uint8Array>;
  /** The mesh being joined; a certificate restricted to another mesh is refused. */
  readonly mesh?: string;
  /**
   * The time at which validity is checked.
   * @defaultValue now
   */
  readonly now?: Date;
}

/**
 * Issues a membership certificate: the mesh owner, acting as a CA, vouches that the holder of
 * `memberPublicKeySpki` belongs to its mesh.
 *
 * @remarks
 * An X.509 certificate (DER) whose subject is `CN=<member peer id>` with the member's key, whose
 * issuer is `CN=<owner peer id>`, signed by the owner's key (Ed25519, or ECDSA P-256 with SHA-256),
 * marked not-a-CA, with key usage digitalSignature, and — when `mesh` is given — a
 * `net.p2p://<mesh>` URI subject alternative name. The member presents it during certificate
 * admission together with a signature that proves it holds the key.
 *
 * @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT` for a malformed member key, an unsupported
 * owner key type, or a non-positive validity.
 *
 * @example
 * ```ts
 * const owner = PeerIdentity.generate();
 * const cert = await issueMembershipCertificate(owner, member.publicKeySpki, { validForMs: 30 * 86_400_000, mesh: 'lobby' });
 * ```
 */
export async function issueMembershipCertificate(owner: PeerIdentity, memberPublicKeySpki: Uint8Array, options: IssueMembershipOptions): Promise<Uint8Array> {
  if (!(options.validForMs > 0)) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'validForMs must be positive');
  const memberPeerId = spkiPeerId(memberPublicKeySpki, ErrorCode.INVALID_ARGUMENT);
  const algorithm = signingAlgorithmOf(owner);
  const signingKey = await webcrypto.subtle.importKey('pkcs8', owner.privateKey.export({ type: 'pkcs8', format: 'der' }), algorithm.importParams, false, ['sign']);
  const notBefore = options.notBefore ?? new Date();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
  ];
  if (options.mesh !== undefined) {
    extensions.push(new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `${MESH_URI_PREFIX}${options.mesh}` }]));
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(16).toString('hex').replace(/^[89a-f]/, '1'),
    subject: `CN=${memberPeerId}`,
    issuer: `CN=${owner.peerId}`,
    notBefore,
    notAfter: new Date(notBefore.getTime() + options.validForMs),
    signingAlgorithm: algorithm.signParams,
    publicKey: toArrayBuffer(memberPublicKeySpki),
    signingKey,
    extensions,
  } as unknown as Parameters<typeof x509.X509CertificateGenerator.create>[0]);
  return new Uint8Array(cert.rawData);
}

/**
 * Verifies a membership certificate against the trusted owner keys and returns what it says.
 *
 * @remarks
 * Checks, in order: it parses; its subject is the hash of its own key (else
 * `PC_ERR_PEER_ID_MISMATCH`); its issuer is a trusted owner; the owner's signature; the validity
 * period at `now`; the mesh restriction. It does not prove that whoever presents the certificate
 * holds the key — certificate admission adds that proof, bound to the link.
 *
 * @throws PeerChannelError `PC_ERR_UNTRUSTED_PEER` (unparsable, unknown issuer, bad signature,
 * expired, not yet valid, other mesh) or `PC_ERR_PEER_ID_MISMATCH`.
 */
export async function verifyMembershipCertificate(der: Uint8Array, options: VerifyMembershipOptions): Promise<MembershipInfo> {
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(toArrayBuffer(der));
  } catch (cause) {
    throw new PeerChannelError(ErrorCode.UNTRUSTED_PEER, 'membership certificate does not parse', { cause });
  }
  const memberPublicKeySpki = new Uint8Array(cert.publicKey.rawData);
  const memberPeerId = spkiPeerId(memberPublicKeySpki, ErrorCode.UNTRUSTED_PEER);
  const subjectIds = cert.subjectName.getField('CN');
  if (subjectIds.length !== 1 || subjectIds[0] !== memberPeerId) {
    throw new PeerChannelError(ErrorCode.PEER_ID_MISMATCH, 'membership certificate names another peer id than the hash of its key');
  }
  const issuerIds = cert.issuerName.getField('CN');
  const ownerPeerId = issuerIds.length === 1 ? (issuerIds[0] as string) : '';
  let ownerKey: Uint8Array | undefined;
  for (const key of options.trustedOwnerKeys) {
    if (peerIdFromSpki(key) === ownerPeerId) ownerKey = key;
  }
  if (ownerKey === undefined) throw new PeerChannelError(ErrorCode.UNTRUSTED_PEER, 'membership certificate is issued by an untrusted owner');
  let signed = false;
  try {
    signed = await cert.verify({ publicKey: toArrayBuffer(ownerKey), signatureOnly: true });
  } catch (cause) {
    // A key/algorithm mismatch is a verification failure like any other.
    throw new PeerChannelError(ErrorCode.UNTRUSTED_PEER, 'membership certificate signature does not verify', { cause });
  }
  if (!signed) throw new PeerChannelError(ErrorCode.UNTRUSTED_PEER, 'membership certificate signature does not verify');
  const now = (options.now ?? new Date()).getTime();
  if (now < cert.notBefore.getTime()) throw new PeerChannelError(ErrorCode.UNTRUSTED_PEER, 'membership certificate is not valid yet');
  if (now > cert.notAfter.getTime()) throw new PeerChannelError(ErrorCode.UNTRUSTED_PEER, 'membership certificate has expired');
  const mesh = meshOf(cert);
  if (mesh !== undefined && options.mesh !== undefined && mesh !== options.mesh) {
    throw new PeerChannelError(ErrorCode.UNTRUSTED_PEER, `membership certificate is for mesh ${mesh.slice(0, 64)}`);
  }
  return { memberPeerId, memberPublicKeySpki, ownerPeerId, notBefore: cert.notBefore, notAfter: cert.notAfter, mesh };
}

function meshOf(cert: x509.X509Certificate): string | undefined {
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const uri = san?.names.items.find((n) => n.type === 'url' && n.value.startsWith(MESH_URI_PREFIX));
  return uri?.value.slice(MESH_URI_PREFIX.length);
}

function spkiPeerId(spki: Uint8Array, code: ErrorCode): string {
  try {
    createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new PeerChannelError(code, 'not a DER SubjectPublicKeyInfo', { cause });
  }
  return peerIdFromSpki(spki);
}

function signingAlgorithmOf(owner: PeerIdentity): { importParams: webcrypto.AlgorithmIdentifier | webcrypto.EcKeyImportParams; signParams: webcrypto.Algorithm | webcrypto.EcdsaParams } {
  const type = owner.privateKey.asymmetricKeyType;
  if (type === 'ed25519') return { importParams: { name: 'Ed25519' }, signParams: { name: 'Ed25519' } };
  if (type === 'ec' && owner.privateKey.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return { importParams: { name: 'ECDSA', namedCurve: 'P-256' }, signParams: { name: 'ECDSA', hash: 'SHA-256' } };
  }
  throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `owner key type ${String(type)} cannot issue membership certificates (Ed25519 or P-256)`);
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
