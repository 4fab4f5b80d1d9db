import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/errors/index.js';
import { certificateFor, peerIdFromCertificate } from '../../lib/identity/certificate.js';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';

function p256Identity(): PeerIdentity {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return new PeerIdentity(privateKey, publicKey);
}

describe('certificateFor', () => {
  it('issues a self-signed certificate whose key hashes to the peer id', async () => {
    const identity = PeerIdentity.generate();
    const { certPem, keyPem, notAfter } = await certificateFor(identity);
    const cert = new X509Certificate(certPem);
    expect(peerIdFromCertificate(cert)).toBe(identity.peerId);
    expect(cert.subject).toBe(`CN=${identity.peerId}`);
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.verify(identity.publicKey)).toBe(true);
    expect(cert.verify(PeerIdentity.generate().publicKey)).toBe(false);
    expect(cert.publicKey.asymmetricKeyType).toBe('ed25519');
    expect(new Date(cert.validTo).getTime()).toBe(Math.floor(notAfter.getTime() / 1000) * 1000);
    const key = createPrivateKey(keyPem);
    expect(createPublicKey(key).export({ type: 'spki', format: 'der' }).equals(Buffer.from(identity.publicKeySpki))).toBe(true);
  });

  it('caches one certificate per identity and issues distinct ones for distinct identities', async () => {
    const a = PeerIdentity.generate();
    const first = await certificateFor(a);
    expect(await certificateFor(a)).toBe(first);
    const other = await certificateFor(PeerIdentity.generate());
    expect(other.certPem).not.toBe(first.certPem);
  });

  it('issues P-256 certificates for ECDSA identities', async () => {
    const identity = p256Identity();
    const cert = new X509Certificate((await certificateFor(identity)).certPem);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(peerIdFromCertificate(cert)).toBe(identity.peerId);
    expect(cert.verify(identity.publicKey)).toBe(true);
  });

  it('refuses key types it cannot certify', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    await expect(certificateFor(new PeerIdentity(privateKey, publicKey))).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
  });

  // Ed25519 in TLS 1.3 on Node 20 / OpenSSL 3: both sides present certificates and read each other's peer id.
  it.each([
    ['Ed25519', () => PeerIdentity.generate()],
    ['P-256', p256Identity],
  ])('completes a mutual TLS 1.3 handshake with %s certificates', async (_name, make) => {
    const server = make();
    const client = make();
    const s = await certificateFor(server);
    const c = await certificateFor(client);
    const srv = tls.createServer({ cert: s.certPem, key: s.keyPem, minVersion: 'TLSv1.3', requestCert: true, rejectUnauthorized: false });
    try {
      const seenByServer = new Promise<string | undefined>((resolve) => {
        srv.once('secureConnection', (socket) => {
          const peer = socket.getPeerX509Certificate();
          resolve(peer && peerIdFromCertificate(peer));
          socket.end();
        });
      });
      await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
      const port = (srv.address() as AddressInfo).port;
      const socket = tls.connect({ host: '127.0.0.1', port, cert: c.certPem, key: c.keyPem, minVersion: 'TLSv1.3', rejectUnauthorized: false });
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once('secureConnect', resolve);
          socket.once('error', reject);
        });
        expect(socket.getProtocol()).toBe('TLSv1.3');
        expect(peerIdFromCertificate(socket.getPeerX509Certificate() as X509Certificate)).toBe(server.peerId);
        expect(await seenByServer).toBe(client.peerId);
      } finally {
        socket.destroy();
      }
    } finally {
      await new Promise((resolve) => srv.close(resolve));
    }
  });
});
