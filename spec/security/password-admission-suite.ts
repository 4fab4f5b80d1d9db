import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { FrameKind, decodeFrame, encodeFrame, pack } from '../../lib/codec/index.js';
import { ErrorCode } from '../../lib/errors/index.js';
import type { PeerId } from '../../lib/identity/peer-id.js';
import type { Admission } from '../../lib/security/admission.js';
import { PASSWORD_ADMISSION_PROTOCOL, passwordAdmission } from '../../lib/security/password-admission.js';
import { type LinkPair, type LinkPairFactory, contextFor, usePairs, nextFrame, tapLink } from './fixtures.js';

/**
 * Password admission behaviour every transport must show; run by the memory spec and, over TLS,
 * by the WebSocket spec.
 */
export function passwordAdmissionSuite(name: string, makePairs: () => LinkPairFactory): void {
  describe(`password admission over ${name}`, () => {
    const pair = usePairs(makePairs);

    const both = (p: LinkPair, a: Admission, b: Admission, mesh = 'lobby') =>
      Promise.allSettled([a.admit(p.dialer, contextFor(p, 'dialer', { mesh })), b.admit(p.acceptor, contextFor(p, 'acceptor'))]);

    it('admits both sides with the right password and hands the link on without losing a frame', async () => {
      const p = await pair();
      const [a, b] = await both(p, passwordAdmission('hunter2'), passwordAdmission('hunter2'));
      expect(a.status).toBe('fulfilled');
      expect(b.status).toBe('fulfilled');
      expect(p.dialer.isOpen && p.acceptor.isOpen).toBe(true);
      // The next consumer (the mesh hello) gets frames sent right after admission.
      const got = nextFrame(p.acceptor);
      p.dialer.send(new Uint8Array([42]));
      expect([...(await got)]).toEqual([42]);
    });

    it('rejects a wrong password with PC_ERR_AUTH_FAILED on both sides and closes the link with that code', async () => {
      const p = await pair();
      const [a, b] = await both(p, passwordAdmission('hunter2'), passwordAdmission('hunter3'));
      expect(a).toMatchObject({ status: 'rejected', reason: { code: ErrorCode.AUTH_FAILED } });
      expect(b).toMatchObject({ status: 'rejected', reason: { code: ErrorCode.AUTH_FAILED } });
      expect((await p.dialer.closed).code).toBe(ErrorCode.AUTH_FAILED);
      expect((await p.acceptor.closed).code).toBe(ErrorCode.AUTH_FAILED);
    });

    it('normalises passwords to NFKC and stays case-sensitive', async () => {
      const p1 = await pair();
      const [a, b] = await both(p1, passwordAdmission('\uFB01sh'), passwordAdmission('fish')); // "ﬁ" ligature
      expect([a.status, b.status]).toEqual(['fulfilled', 'fulfilled']);
      const p2 = await pair();
      const [c, d] = await both(p2, passwordAdmission('Fish'), passwordAdmission('fish'));
      expect([c.status, d.status]).toEqual(['rejected', 'rejected']);
    });

    it('binds the proof to the mesh name', async () => {
      const p = await pair();
      const [a, b] = await both(p, passwordAdmission('hunter2'), passwordAdmission('hunter2'), 'other-mesh');
      expect(a).toMatchObject({ status: 'rejected', reason: { code: ErrorCode.AUTH_FAILED } });
      expect(b).toMatchObject({ status: 'rejected', reason: { code: ErrorCode.AUTH_FAILED } });
    });

    it('rejects an active relay: the two halves export different keying material', async () => {
      const p = await pair();
      const relayedDialer = tapLink(p.dialer, randomBytes(32));
      const relayedAcceptor = tapLink(p.acceptor, randomBytes(32));
      const [a, b] = await Promise.allSettled([
        passwordAdmission('hunter2').admit(relayedDialer, contextFor(p, 'dialer')),
        passwordAdmission('hunter2').admit(relayedAcceptor, contextFor(p, 'acceptor')),
      ]);
      expect(a).toMatchObject({ status: 'rejected', reason: { code: ErrorCode.AUTH_FAILED } });
      expect(b).toMatchObject({ status: 'rejected', reason: { code: ErrorCode.AUTH_FAILED } });
      // Control: the same keying material on both halves (one real session) admits.
      const q = await pair();
      const ekm = randomBytes(32);
      const ok = await Promise.allSettled([
        passwordAdmission('hunter2').admit(tapLink(q.dialer, ekm), contextFor(q, 'dialer')),
        passwordAdmission('hunter2').admit(tapLink(q.acceptor, ekm), contextFor(q, 'acceptor')),
      ]);
      expect(ok.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    });

    it('rejects a recorded proof replayed on a fresh connection', async () => {
      // Connection 1: B (dialer) proves the right password to A; record what B sent.
      const first = await pair();
      const recorder = tapLink(first.dialer);
      const ok = await Promise.allSettled([
        passwordAdmission('hunter2').admit(recorder, contextFor(first, 'dialer')),
        passwordAdmission('hunter2').admit(first.acceptor, contextFor(first, 'acceptor')),
      ]);
      expect(ok.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      const [share, confirm] = recorder.sent;
      expect(decodeFrame(share as Uint8Array)).toMatchObject({ kind: FrameKind.Auth, payload: { s: 'share' } });
      expect(decodeFrame(confirm as Uint8Array)).toMatchObject({ kind: FrameKind.Auth, payload: { s: 'confirm' } });

      // Connection 2: a raw driver under B's peer id replays B's frames to A.
      const second = await pair({ dialer: first.dialerIdentity, acceptor: first.acceptorIdentity });
      const admitted = passwordAdmission('hunter2').admit(second.acceptor, contextFor(second, 'acceptor'));
      const theirShare = nextFrame(second.dialer);
      second.dialer.send(share as Uint8Array);
      await theirShare;
      second.dialer.send(confirm as Uint8Array);
      await expect(admitted).rejects.toMatchObject({ code: ErrorCode.AUTH_FAILED });
      expect((await second.dialer.closed)).toMatchObject({ code: ErrorCode.AUTH_FAILED, remote: true });

      // Replayed under another peer id, it does not even get that far.
      const third = await pair({ acceptor: first.acceptorIdentity });
      const admitted3 = passwordAdmission('hunter2').admit(third.acceptor, contextFor(third, 'acceptor'));
      third.dialer.send(share as Uint8Array);
      await expect(admitted3).rejects.toMatchObject({ code: ErrorCode.PEER_ID_MISMATCH });
      expect((await third.dialer.closed).code).toBe(ErrorCode.PEER_ID_MISMATCH);
    });

    const auth = (payload: Record<string, unknown>) => encodeFrame({ kind: FrameKind.Auth, payload });
    const malformed: Array<[string, () => Uint8Array[], string]> = [
      ['bytes that are not msgpack', () => [Uint8Array.from([0xc1, 0xc1, 0xc1])], ErrorCode.FRAME_DECODE],
      ['a frame that is not a tagged tuple', () => [pack({ hello: 'world' })], ErrorCode.FRAME_SHAPE],
      ['a mesh hello that skips admission', () => [encodeFrame({ kind: FrameKind.Hello, version: 1, peerId: 'a'.repeat(64) as PeerId, mesh: 'lobby', addresses: [], ext: {} })], ErrorCode.AUTH_FAILED],
      ['an auth frame of another admission protocol', () => [auth({ p: 'cert/1', s: 'hello', n: new Uint8Array(32) })], ErrorCode.SECURITY_MODE_MISMATCH],
      ['a share of the wrong length', () => [auth({ p: PASSWORD_ADMISSION_PROTOCOL, s: 'share', y: new Uint8Array(31), id: 'x', n: new Uint8Array(16) })], ErrorCode.FRAME_SHAPE],
      ['a share without a nonce', () => [auth({ p: PASSWORD_ADMISSION_PROTOCOL, s: 'share', y: new Uint8Array(32), id: 'x' })], ErrorCode.FRAME_SHAPE],
      ['a confirmation before any share', () => [auth({ p: PASSWORD_ADMISSION_PROTOCOL, s: 'confirm', t: new Uint8Array(64) })], ErrorCode.FRAME_UNEXPECTED],
      ['an auth payload that is a list', () => [pack([FrameKind.Auth, [1, 2, 3]])], ErrorCode.FRAME_SHAPE],
    ];
    for (const [what, frames, code] of malformed) {
      it(`closes the link with ${code} on ${what}`, async () => {
        const p = await pair();
        const admitted = passwordAdmission('hunter2').admit(p.acceptor, contextFor(p, 'acceptor'));
        for (const f of frames()) p.dialer.send(f);
        await expect(admitted).rejects.toMatchObject({ code });
        expect(await p.dialer.closed).toMatchObject({ code, remote: true });
      });
    }

    it('rejects the identity element or a non-canonical point as a share with PC_ERR_AUTH_FAILED', async () => {
      for (const y of [new Uint8Array(32), new Uint8Array(32).fill(0xff)]) {
        const p = await pair();
        const admitted = passwordAdmission('hunter2').admit(p.acceptor, contextFor(p, 'acceptor'));
        p.dialer.send(auth({ p: PASSWORD_ADMISSION_PROTOCOL, s: 'share', y, id: p.dialerIdentity.peerId, n: new Uint8Array(16) }));
        await expect(admitted).rejects.toMatchObject({ code: ErrorCode.AUTH_FAILED });
        expect((await p.dialer.closed).code).toBe(ErrorCode.AUTH_FAILED);
      }
    });

    it('times out a silent peer with PC_ERR_HANDSHAKE_TIMEOUT and tells it why', async () => {
      const p = await pair();
      const admitted = passwordAdmission('hunter2', { timeoutMs: 100 }).admit(p.acceptor, contextFor(p, 'acceptor'));
      await expect(admitted).rejects.toMatchObject({ code: ErrorCode.HANDSHAKE_TIMEOUT });
      expect(await p.dialer.closed).toMatchObject({ code: ErrorCode.HANDSHAKE_TIMEOUT, remote: true });
    });

    it('stops with PC_ERR_ABORTED when the context signal aborts', async () => {
      const p = await pair();
      const controller = new AbortController();
      const admitted = passwordAdmission('hunter2').admit(p.acceptor, contextFor(p, 'acceptor', { signal: controller.signal }));
      controller.abort();
      await expect(admitted).rejects.toMatchObject({ code: ErrorCode.ABORTED });
      expect((await p.dialer.closed).code).toBe(ErrorCode.ABORTED);
    });

    it('reports the peer closing mid-exchange with the peer\'s code', async () => {
      const p = await pair();
      const admitted = passwordAdmission('hunter2').admit(p.acceptor, contextFor(p, 'acceptor'));
      p.dialer.close(ErrorCode.BUSY, 'go away');
      await expect(admitted).rejects.toMatchObject({ code: ErrorCode.BUSY });
    });
  });
}
