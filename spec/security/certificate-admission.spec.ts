import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { ErrorCode } from '../../lib/errors/index.js';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';
import { certificateAdmission } from '../../lib/security/certificate-admission.js';
import { issueMembershipCertificate, verifyMembershipCertificate } from '../../lib/security/membership-certificate.js';
import { certificateAdmissionSuite } from './certificate-admission-suite.js';
import { contextFor, memoryPairs } from './fixtures.js';

certificateAdmissionSuite('the memory transport', memoryPairs);

describe('membership certificates', () => {
  const owner = PeerIdentity.generate();
  const member = PeerIdentity.generate();

  it('carries the member key and id, the owner id, the validity period and the mesh', async () => {
    const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const der = await issueMembershipCertificate(owner, member.publicKeySpki, { validForMs: 3_600_000, notBefore, mesh: 'lobby' });
    const info = await verifyMembershipCertificate(der, { trustedOwnerKeys: [owner.publicKeySpki], mesh: 'lobby' });
    expect(info.memberPeerId).toBe(member.peerId);
    expect(Buffer.from(info.memberPublicKeySpki).equals(Buffer.from(member.publicKeySpki))).toBe(true);
    expect(info.ownerPeerId).toBe(owner.peerId);
    expect(info.notBefore.getTime()).toBe(notBefore.getTime());
    expect(info.notAfter.getTime()).toBe(notBefore.getTime() + 3_600_000);
    expect(info.mesh).toBe('lobby');
  });

  it('checks validity at the given time and the signature against the named owner', async () => {
    const der = await issueMembershipCertificate(owner, member.publicKeySpki, { validForMs: 3_600_000 });
    const trusted = { trustedOwnerKeys: [owner.publicKeySpki] };
    await expect(verifyMembershipCertificate(der, { ...trusted, now: new Date(Date.now() + 2 * 3_600_000) })).rejects.toMatchObject({ code: ErrorCode.UNTRUSTED_PEER });
    await expect(verifyMembershipCertificate(der, { ...trusted, now: new Date(Date.now() - 3_600_000) })).rejects.toMatchObject({ code: ErrorCode.UNTRUSTED_PEER });
    await expect(verifyMembershipCertificate(der, { trustedOwnerKeys: [PeerIdentity.generate().publicKeySpki] })).rejects.toMatchObject({ code: ErrorCode.UNTRUSTED_PEER });
    // One flipped bit in the signature.
    const tampered = Uint8Array.from(der);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
    await expect(verifyMembershipCertificate(tampered, trusted)).rejects.toMatchObject({ code: ErrorCode.UNTRUSTED_PEER });
    await expect(verifyMembershipCertificate(der, trusted)).resolves.toMatchObject({ memberPeerId: member.peerId });
  });

  it('can be issued by a P-256 owner', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ecOwner = new PeerIdentity(privateKey, publicKey);
    const der = await issueMembershipCertificate(ecOwner, member.publicKeySpki, { validForMs: 60_000 });
    await expect(verifyMembershipCertificate(der, { trustedOwnerKeys: [ecOwner.publicKeySpki] })).resolves.toMatchObject({ ownerPeerId: ecOwner.peerId });
  });

  it('refuses bad issue arguments', async () => {
    await expect(issueMembershipCertificate(owner, member.publicKeySpki, { validForMs: 0 })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(issueMembershipCertificate(owner, new Uint8Array([1, 2, 3]), { validForMs: 1000 })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
  });
});

describe('certificateAdmission options', () => {
  it('refuses a configuration that trusts nobody or is malformed', () => {
    const invalid = expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT });
    expect(() => certificateAdmission({})).toThrow(invalid);
    expect(() => certificateAdmission({ trustedPeerIds: ['not-a-peer-id'] })).toThrow(invalid);
    expect(() => certificateAdmission({ trustedOwnerKeys: [new Uint8Array([1, 2])] })).toThrow(invalid);
    expect(() => certificateAdmission({ trustedPeerIds: ['a'.repeat(64)], timeoutMs: -1 })).toThrow(invalid);
  });

  it('rejects admission without an identity', async () => {
    const pair = await memoryPairs()();
    try {
      const { identity: _unused, ...withoutIdentity } = contextFor(pair, 'dialer');
      void _unused;
      await expect(certificateAdmission({ trustedPeerIds: ['a'.repeat(64)] }).admit(pair.dialer, withoutIdentity)).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    } finally {
      await pair.close();
    }
  });
});
