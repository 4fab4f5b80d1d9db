import type { TLSSocket } from 'node:tls';
import { peerIdFromCertificate } from '../../identity/certificate.js';

/**
 * The peer id proven by the other side of a finished TLS handshake, or `undefined` when it
 * presented no certificate.
 *
 * @remarks
 * TLS 1.3's CertificateVerify proves the remote holds the private key of the certificate it sent,
 * so the hash of that certificate's public key is an authenticated peer id; no CA is involved.
 */
export function remotePeerIdOf(socket: TLSSocket): string | undefined {
  const cert = socket.getPeerX509Certificate();
  return cert === undefined ? undefined : peerIdFromCertificate(cert);
}

/** TLS settings shared by both ends of every link. */
export const TLS_VERSION = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' } as const;
