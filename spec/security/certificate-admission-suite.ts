import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { FrameKind, decodeFrame, encodeFrame } from '../../lib/codec/index.js';
import { ErrorCode } from '../../lib/errors/index.js';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';
import type { Admission } from '../../lib/security/admission.js';
import { CERTIFICATE_ADMISSION_PROTOCOL, certificateAdmission } from '../../lib/security/certificate-admission.js';
import { issueMembershipCertificate } from '../../lib/security/membership-certificate.js';
import { passwordAdmission } from '../../lib/security/password-admission.js';
import { type LinkPair, type LinkPairFactory, contextFor, usePairs, nextFrame, tapLink } from './fixtures.js';

const HOUR = 3_600_000;

/** Certificate admission behaviour every transport must show. */
export function certificateAdmissionSuite(name: string, makePairs: () => LinkPairFactory): void {
  describe(`certificate admission over ${name}`, () => {
    const pair = usePairs(makePairs);

    const owner = PeerIdentity.generate();
    const stranger = PeerIdentity.generate();
    const alice = PeerIdentity.generate();
    const bob = PeerIdentity.generate();
    let aliceCert: Uint8Array;
    let bobCert: Uint8Array;
    beforeAll(async () => {
      aliceCert = await issueMembershipCertificate(owner, alice.publicKeySpki, { validForMs: HOUR, mesh: 'lobby' });
      bobCert = await issueMembershipCertificate(owner, bob.publicKeySpki, { validForMs: HOUR });
    });

    const run = async (dialerAdmission: Admission, acceptorAdmission: Admission, ids = { dialer: alice, acceptor: bob }) => {
      const p = await pair(ids);
      const results = await Promise.allSettled([
        dialerAdmission.admit(p.dialer, contextFor(p, 'dialer')),
        acceptorAdmission.admit(p.acceptor, contextFor(p, 'acceptor')),
      ]);
      return { p, results };
    };
    const rejectedBothWith = async ({ p, results }: Awaited<ReturnType<typeof run>>, code: string) => {
      expect(results[0]).toMatchObject({ status: 'rejected', reason: { code } });
      expect(results[1]).toMatchObject({ status: 'rejected', reason: { code } });
      expect((await p.dialer.closed).code).toBe(code);
      expect((await p.acceptor.closed).code).toBe(code);
    };

    it('admits peers on each other\'s trust list', async () => {
      const { p, results } = await run(certificateAdmission({ trustedPeerIds: [bob.peerId] }), certificateAdmission({ trustedPeerIds: [alice.peerId] }));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      const got = nextFrame(p.acceptor);
      p.dialer.send(new Uint8Array([7]));
      expect([...(await got)]).toEqual([7]);
    });

    it('admits members holding owner-issued certificates, and the owner itself', async () => {
      const members = await run(
        certificateAdmission({ trustedOwnerKeys: [owner.publicKeySpki], certificate: aliceCert }),
        certificateAdmission({ trustedOwnerKeys: [owner.publicKeySpki], certificate: bobCert }),
      );
      expect(members.results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      const withOwner = await run(
        certificateAdmission({ trustedOwnerKeys: [owner.publicKeySpki] }),
        certificateAdmission({ trustedOwnerKeys: [owner.publicKeySpki], certificate: bobCert }),
        { dialer: owner, acceptor: bob },
      );
      expect(withOwner.results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    });

    it('refuses a peer that is neither listed nor certified with PC_ERR_UNTRUSTED_PEER on both sides', async () => {
      await rejectedBothWith(
        await run(certificateAdmission({ trustedPeerIds: [bob.peerId] }), certificateAdmission({ trustedPeerIds: [stranger.peerId] })),
        ErrorCode.UNTRUSTED_PEER,
      );
    });

    it('refuses an expired membership certificate', async () => {
      const expired = await issueMembershipCertificate(owner, alice.publicKeySpki, { validForMs: HOUR, notBefore: new Date(Date.now() - 2 * HOUR) });
      await rejectedBothWith(
        await run(certificateAdmission({ trustedPeerIds: [bob.peerId], certificate: expired }), certificateAdmission({ trustedOwnerKeys: [owner.publicKeySpki] })),
        ErrorCode.UNTRUSTED_PEER,
      );
    });

    it('refuses a certificate issued by an untrusted owner', async () => {
      const rogue = await issueMembershipCertificate(stranger, alice.publicKeySpki, { validForMs: HOUR });
      await rejectedBothWith(
        await run(certificateAdmission({ trustedPeerIds: [bob.peerId], certificate: rogue }), certificateAdmission({ trustedOwnerKeys: [owner.publicKeySpki] })),
        ErrorCode.UNTRUSTED_PEER,
      );
    });

    it('refuses a certificate restricted to another mesh', async () => {
      const elsewhere = await issueMembershipCertificate(owner, alice.publicKeySpki, { validForMs: HOUR, mesh: 'elsewhere' });
      await rejectedBothWith(
        await run(certificateAdmission({ trustedPeerIds: [bob.peerId], certificate: elsewhere }), certificateAdmission({ trustedOwnerKeys: [owner.publicKeySpki] })),
        ErrorCode.UNTRUSTED_PEER,
      );
    });

    it('refuses someone else\'s certificate with PC_ERR_PEER_ID_MISMATCH', async () => {
      // Alice presents Bob's (valid) certificate with her own key.
      await rejectedBothWith(
        await run(certificateAdmission({ trustedPeerIds: [bob.peerId], certificate: bobCert }), certificateAdmission({ trustedOwnerKeys: [owner.publicKeySpki] })),
        ErrorCode.PEER_ID_MISMATCH,
      );
    });

    it('refuses an owner-signed certificate whose key does not hash to the peer id it names', async () => {
      x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
      const ownerKey = await webcrypto.subtle.importKey('pkcs8', owner.privateKey.export({ type: 'pkcs8', format: 'der' }), { name: 'Ed25519' }, false, ['sign']);
      const forged = await x509.X509CertificateGenerator.create({
        subject: `CN=${bob.peerId}`,
        issuer: `CN=${owner.peerId}`,
        notBefore: new Date(Date.now() - 1000),
        notAfter: new Date(Date.now() + HOUR),
        signingAlgorithm: { name: 'Ed25519' },
        publicKey: Uint8Array.from(alice.publicKeySpki).buffer,
        signingKey: ownerKey,
      } as unknown as Parameters<typeof x509.X509CertificateGenerator.create>[0]);
      await rejectedBothWith(
        await run(
          certificateAdmission({ trustedPeerIds: [bob.peerId], certificate: new Uint8Array(forged.rawData) }),
          certificateAdmission({ trustedOwnerKeys: [owner.publicKeySpki] }),
        ),
        ErrorCode.PEER_ID_MISMATCH,
      );
    });

    it('refuses a key that does not hash to the transport-authenticated peer id', async () => {
      // The link is Alice's, but the admission proves Carol's key.
      const carol = PeerIdentity.generate();
      await rejectedBothWith(
        await run(certificateAdmission({ trustedPeerIds: [bob.peerId], identity: carol }), certificateAdmission({ trustedPeerIds: [alice.peerId, carol.peerId] })),
        ErrorCode.PEER_ID_MISMATCH,
      );
    });

    it('refuses a proof replayed on a fresh connection with PC_ERR_AUTH_FAILED', async () => {
      const first = await pair({ dialer: alice, acceptor: bob });
      const recorder = tapLink(first.dialer);
      const ok = await Promise.allSettled([
        certificateAdmission({ trustedPeerIds: [bob.peerId], certificate: aliceCert }).admit(recorder, contextFor(first, 'dialer')),
        certificateAdmission({ trustedOwnerKeys: [owner.publicKeySpki] }).admit(first.acceptor, contextFor(first, 'acceptor')),
      ]);
      expect(ok.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      const [hello, proof] = recorder.sent as [Uint8Array, Uint8Array];
      expect(decodeFrame(proof)).toMatchObject({ kind: FrameKind.Auth, payload: { s: 'proof' } });

      const second = await pair({ dialer: alice, acceptor: bob });
      const admitted = certificateAdmission({ trustedOwnerKeys: [owner.publicKeySpki] }).admit(second.acceptor, contextFor(second, 'acceptor'));
      const theirHello = nextFrame(second.dialer);
      second.dialer.send(hello);
      await theirHello;
      second.dialer.send(proof);
      await expect(admitted).rejects.toMatchObject({ code: ErrorCode.AUTH_FAILED });
      expect(await second.dialer.closed).toMatchObject({ code: ErrorCode.AUTH_FAILED, remote: true });
    });

    const auth = (payload: Record<string, unknown>) => encodeFrame({ kind: FrameKind.Auth, payload: { p: CERTIFICATE_ADMISSION_PROTOCOL, ...payload } });
    const malformed: Array<[string, (p: LinkPair) => Uint8Array[], string]> = [
      ['a nonce of the wrong length', () => [auth({ s: 'hello', n: new Uint8Array(8) })], ErrorCode.FRAME_SHAPE],
      ['an oversized key', () => [auth({ s: 'hello', n: new Uint8Array(32) }), auth({ s: 'proof', k: new Uint8Array(600), c: null, g: new Uint8Array(64) })], ErrorCode.FRAME_SHAPE],
      ['a proof before the hello', () => [auth({ s: 'proof', k: new Uint8Array(44), c: null, g: new Uint8Array(64) })], ErrorCode.FRAME_UNEXPECTED],
      ['a garbage signature', (p) => [auth({ s: 'hello', n: new Uint8Array(32) }), auth({ s: 'proof', k: p.dialerIdentity.publicKeySpki, c: null, g: new Uint8Array(64) })], ErrorCode.AUTH_FAILED],
    ];
    for (const [what, frames, code] of malformed) {
      it(`closes the link with ${code} on ${what}`, async () => {
        const p = await pair({ dialer: alice, acceptor: bob });
        const admitted = certificateAdmission({ trustedPeerIds: [alice.peerId] }).admit(p.acceptor, contextFor(p, 'acceptor'));
        for (const f of frames(p)) p.dialer.send(f);
        await expect(admitted).rejects.toMatchObject({ code });
        expect(await p.dialer.closed).toMatchObject({ code, remote: true });
      });
    }

    it('refuses garbage in place of a certificate with PC_ERR_UNTRUSTED_PEER', async () => {
      await rejectedBothWith(
        await run(certificateAdmission({ trustedPeerIds: [bob.peerId], certificate: new Uint8Array([0x30, 0x03, 1, 2, 3]) }), certificateAdmission({ trustedOwnerKeys: [owner.publicKeySpki] })),
        ErrorCode.UNTRUSTED_PEER,
      );
    });

    it('reports a password peer meeting a certificate peer as PC_ERR_SECURITY_MODE_MISMATCH on both sides', async () => {
      await rejectedBothWith(await run(passwordAdmission('hunter2'), certificateAdmission({ trustedPeerIds: [alice.peerId] })), ErrorCode.SECURITY_MODE_MISMATCH);
    });
  });
}
