import { createPublicKey, randomBytes } from 'node:crypto';
import { ErrorCode, PeerChannelError, toPeerChannelError } from '../errors/index.js';
import { PeerIdentity, peerIdFromSpki } from '../identity/peer-identity.js';
import type { Link } from '../transport/transport.js';
import type { Admission, AdmissionContext } from './admission.js';
import { type AuthIo, bytesField, runAuthExchange } from './auth-exchange.js';
import { channelBinding, prefixFreeCat, utf8Bytes } from './binding.js';
import { verifyMembershipCertificate } from './membership-certificate.js';

/** Protocol tag of certificate admission frames. */
export const CERTIFICATE_ADMISSION_PROTOCOL = 'cert/1';
/** RFC 5705 label of the keying material a TLS link exports for the possession proof. */
export const CERTIFICATE_BINDING_LABEL = 'peerchannel-cert';

const NONCE_BYTES = 32;
const MAX_SPKI_BYTES = 512;
const MAX_SIGNATURE_BYTES = 512;
const PROOF_LABEL = utf8Bytes('peerchannel certificate admission v1');
const PEER_ID = /^[0-9a-f]{64}$/;

/** Options for {@link certificateAdmission}. */
export interface CertificateAdmissionOptions {
  /** Peer ids admitted without a certificate (they still prove they hold the key). */
  readonly trustedPeerIds?: Iterable<string>;
  /**
   * DER SubjectPublicKeyInfo of mesh owners: peers presenting a membership certificate issued by
   * one of them are admitted, and so is each owner itself.
   */
  readonly trustedOwnerKeys?: Iterable<Uint8Array>;
  /** This node's own membership certificate (DER), presented to peers; omit if it is on their trust list. */
  readonly certificate?: Uint8Array;
  /**
   * The identity whose key proves possession; defaults to the context's identity (the node's).
   * @defaultValue `context.identity`
   */
  readonly identity?: PeerIdentity;
  /**
   * Longest the whole exchange may take before the link closes with `PC_ERR_HANDSHAKE_TIMEOUT`.
   * @defaultValue 10_000
   */
  readonly timeoutMs?: number;
  /**
   * Largest membership certificate accepted from a peer, in bytes.
   * @defaultValue 4096
   */
  readonly maxCertificateBytes?: number;
}

/**
 * Admits only trusted peers: those on a trust list, and those holding a membership certificate
 * issued by a trusted owner key (the mesh owner acting as CA).
 *
 * @remarks
 * Three frames each way: a fresh nonce; then the peer's public key, its membership certificate
 * (or none) and its signature over the binding material — the link's exported keying material
 * (`exportKeyingMaterial(32, 'peerchannel-cert')`) on TLS links, plus both nonces, the mesh name and
 * the signer's role; then a verdict. The signature proves that whoever is on this link holds the
 * key the certificate names, and cannot be replayed on another connection (fresh nonces) or, on
 * TLS links, relayed. Each side waits for the other's verdict, so a refusal is reported on both.
 *
 * Refusals: a key that does not hash to the transport-authenticated peer id, or a certificate for
 * another key, closes with `PC_ERR_PEER_ID_MISMATCH`; a bad possession signature with
 * `PC_ERR_AUTH_FAILED`; no trust (not listed, no certificate, untrusted issuer, expired, wrong mesh)
 * with `PC_ERR_UNTRUSTED_PEER`.
 *
 * @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT` when nothing is trusted, a peer id is not 64
 * lowercase hex digits, an owner key does not parse, or a bound is not positive.
 *
 * @example
 * ```ts
 * const admission = certificateAdmission({ trustedOwnerKeys: [owner.publicKeySpki], certificate: myMembershipCert });
 * ```
 */
export function certificateAdmission(options: CertificateAdmissionOptions): Admission {
  const trustedPeerIds = new Set(options.trustedPeerIds ?? []);
  for (const id of trustedPeerIds) {
    if (!PEER_ID.test(id)) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `trusted peer id ${String(id).slice(0, 80)} is not 64 lowercase hex digits`);
  }
  const trustedOwnerKeys = [...(options.trustedOwnerKeys ?? [])].map((key) => {
    try {
      createPublicKey({ key: Buffer.from(key), format: 'der', type: 'spki' });
    } catch (cause) {
      throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'a trusted owner key is not a DER SubjectPublicKeyInfo', { cause });
    }
    return Uint8Array.from(key);
  });
  const ownerIds = new Set<string>(trustedOwnerKeys.map((k) => peerIdFromSpki(k)));
  if (trustedPeerIds.size === 0 && trustedOwnerKeys.length === 0) {
    throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'certificate admission needs trustedPeerIds or trustedOwnerKeys');
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxCertificateBytes = options.maxCertificateBytes ?? 4096;
  if (!(timeoutMs > 0) || !(maxCertificateBytes > 0)) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'timeoutMs and maxCertificateBytes must be positive');
  const ownCertificate = options.certificate === undefined ? null : Uint8Array.from(options.certificate);

  const trust = async (peerId: string, certificate: Uint8Array | null, mesh: string): Promise<void> => {
    if (trustedPeerIds.has(peerId) || ownerIds.has(peerId)) return;
    if (certificate === null) throw new PeerChannelError(ErrorCode.UNTRUSTED_PEER, 'peer is not on the trust list and has no membership certificate');
    const info = await verifyMembershipCertificate(certificate, { trustedOwnerKeys, mesh });
    if (info.memberPeerId !== peerId) {
      throw new PeerChannelError(ErrorCode.PEER_ID_MISMATCH, 'membership certificate belongs to another key than the peer proved it holds');
    }
  };

  return {
    name: 'certificate',
    admit: (link, context) => {
      const identity = options.identity ?? context.identity;
      if (identity === undefined) {
        return Promise.reject(new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'certificate admission needs an identity (options.identity or context.identity)'));
      }
      return runAuthExchange(link, context, { protocol: CERTIFICATE_ADMISSION_PROTOCOL, expectedFrames: 3, timeoutMs }, (io) =>
        exchange(io, link, context, identity, ownCertificate, maxCertificateBytes, trust),
      );
    },
  };
}

type TrustCheck = (peerId: string, certificate: Uint8Array | null, mesh: string) => Promise<void>;

async function exchange(
  io: AuthIo,
  link: Link,
  context: AdmissionContext,
  identity: PeerIdentity,
  ownCertificate: Uint8Array | null,
  maxCertificateBytes: number,
  trust: TrustCheck,
): Promise<void> {
  const nonce = new Uint8Array(randomBytes(NONCE_BYTES));
  io.send('hello', { n: nonce });
  const hello = await io.receive('hello');
  const theirNonce = bytesField(io, hello, 'n', { exact: NONCE_BYTES });

  const binding = channelBinding(link, CERTIFICATE_BINDING_LABEL) ?? new Uint8Array(0);
  const [dialerNonce, acceptorNonce] = context.role === 'dialer' ? [nonce, theirNonce] : [theirNonce, nonce];
  const statement = (role: 'dialer' | 'acceptor'): Uint8Array =>
    prefixFreeCat(PROOF_LABEL, utf8Bytes(role), utf8Bytes(context.mesh), binding, dialerNonce, acceptorNonce);
  io.send('proof', { k: identity.publicKeySpki, c: ownCertificate, g: identity.sign(statement(context.role)) });

  const proof = await io.receive('proof');
  const spki = bytesField(io, proof, 'k', { max: MAX_SPKI_BYTES });
  const certificate = proof.c === null || proof.c === undefined ? null : bytesField(io, proof, 'c', { max: maxCertificateBytes });
  const signature = bytesField(io, proof, 'g', { max: MAX_SIGNATURE_BYTES });
  const peerId = peerIdFromSpki(spki);
  if (context.remotePeerId !== undefined && peerId !== context.remotePeerId) {
    throw io.fail(ErrorCode.PEER_ID_MISMATCH, 'peer key does not hash to the peer id its transport authenticated');
  }
  if (!PeerIdentity.verify(spki, statement(context.role === 'dialer' ? 'acceptor' : 'dialer'), signature)) {
    throw io.fail(ErrorCode.AUTH_FAILED, 'peer did not prove it holds its key on this connection');
  }
  try {
    await trust(peerId, certificate, context.mesh);
  } catch (error) {
    const e = toPeerChannelError(error, ErrorCode.UNTRUSTED_PEER);
    throw io.fail(e.code, e.message);
  }
  io.send('ok', {});
  await io.receive('ok');
}
