import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, PeerChannelError } from '../../lib/errors/index.js';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';
import type { Link, Transport, TransportFactory } from '../../lib/transport/transport.js';
import { firstValueFrom, take, timeout } from 'rxjs';

/** What a transport spec hands the compliance suite. */
export interface TransportHarness {
  /** Makes a fresh transport factory; each call may share one network. */
  readonly factory: () => TransportFactory;
  /** An address nothing listens on. */
  readonly deadAddress: () => Promise<string> | string;
  /** Creates identities (certificate-backed ones cost more; the suite makes few). */
  readonly identity?: () => Promise<PeerIdentity> | PeerIdentity;
}

function nextFrame(link: Link, ms = 5000): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no frame within timeout')), ms);
    link.setReceiver((frame) => {
      clearTimeout(timer);
      link.setReceiver(undefined);
      resolve(frame);
    });
  });
}

function collect(link: Link, count: number, ms = 10_000): Promise<Uint8Array[]> {
  return new Promise((resolve, reject) => {
    const frames: Uint8Array[] = [];
    const timer = setTimeout(() => reject(new Error(`got ${frames.length}/${count} frames`)), ms);
    link.setReceiver((frame) => {
      frames.push(frame);
      if (frames.length === count) {
        clearTimeout(timer);
        resolve(frames);
      }
    });
  });
}

/**
 * The behaviour every {@link Transport} must show. Call inside a spec file:
 * `transportCompliance('memory', harness)`.
 */
export function transportCompliance(name: string, harness: TransportHarness): void {
  describe(`transport compliance: ${name}`, () => {
    const open: Transport[] = [];
    const makeIdentity = async () => (harness.identity ? await harness.identity() : PeerIdentity.generate());

    async function pair(): Promise<{ a: Transport; b: Transport; ida: PeerIdentity; idb: PeerIdentity; ab: Link; ba: Link }> {
      const ida = await makeIdentity();
      const idb = await makeIdentity();
      const a = harness.factory()({ identity: ida });
      const b = harness.factory()({ identity: idb });
      open.push(a, b);
      const [addr] = await b.listen();
      const accepted = firstValueFrom(b.inbound$.pipe(take(1), timeout(5000)));
      const ab = await a.dial(addr as string, { expectedPeerId: idb.peerId });
      const ba = await accepted;
      return { a, b, ida, idb, ab, ba };
    }

    afterEach(async () => {
      await Promise.all(open.splice(0).map((t) => t.close()));
    });

    it('listens on at least one address and keeps it', async () => {
      const t = harness.factory()({ identity: await makeIdentity() });
      open.push(t);
      const addrs = await t.listen();
      expect(addrs.length).toBeGreaterThan(0);
      expect(await t.listen()).toEqual(addrs);
      expect(t.addresses).toEqual(addrs);
    });

    it('dials, accepts, and reports directions and authenticated peer ids', async () => {
      const { ab, ba, ida, idb } = await pair();
      expect(ab.direction).toBe('outbound');
      expect(ba.direction).toBe('inbound');
      expect(ab.isOpen && ba.isOpen).toBe(true);
      if (ab.remotePeerId !== undefined) expect(ab.remotePeerId).toBe(idb.peerId);
      if (ba.remotePeerId !== undefined) expect(ba.remotePeerId).toBe(ida.peerId);
    });

    it('carries frames both ways, byte for byte and in order', async () => {
      const { ab, ba } = await pair();
      const got = collect(ba, 100);
      const sent = Array.from({ length: 100 }, (_, i) => new Uint8Array([i, i + 1, 255 - i, 7]));
      for (const f of sent) ab.send(f);
      expect((await got).map((f) => [...f])).toEqual(sent.map((f) => [...f]));
      const back = nextFrame(ab);
      ba.send(new Uint8Array([42]));
      expect([...(await back)]).toEqual([42]);
    });

    it('buffers frames that arrive before a receiver is set', async () => {
      const { ab, ba } = await pair();
      ab.send(new Uint8Array([1]));
      ab.send(new Uint8Array([2]));
      // Give the frames time to arrive with no receiver set.
      await new Promise((r) => setTimeout(r, 50));
      const got = collect(ba, 2);
      expect((await got).map((f) => f[0])).toEqual([1, 2]);
    });

    it('carries a frame of 60 KiB', async () => {
      const { ab, ba } = await pair();
      const big = new Uint8Array(60 * 1024).map((_, i) => i % 251);
      const got = nextFrame(ba);
      ab.send(big);
      expect(Buffer.compare(Buffer.from(await got), Buffer.from(big))).toBe(0);
    });

    it('closes both sides, with the code reaching the other side, and rejects later sends', async () => {
      const { ab, ba } = await pair();
      ab.close(ErrorCode.BUSY, 'full');
      const [mine, theirs] = await Promise.all([ab.closed, ba.closed]);
      expect(mine.remote).toBe(false);
      expect(theirs.remote).toBe(true);
      expect(theirs.code).toBe(ErrorCode.BUSY);
      expect(ab.isOpen || ba.isOpen).toBe(false);
      expect(() => ab.send(new Uint8Array([1]))).toThrow(PeerChannelError);
    });

    it('delivers frames sent just before close', async () => {
      const { ab, ba } = await pair();
      const got = collect(ba, 3);
      ab.send(new Uint8Array([1]));
      ab.send(new Uint8Array([2]));
      ab.send(new Uint8Array([3]));
      ab.close('PC_OK', 'done');
      expect((await got).map((f) => f[0])).toEqual([1, 2, 3]);
    });

    it('fails to dial a dead address with PC_ERR_DIAL_FAILED', async () => {
      const t = harness.factory()({ identity: await makeIdentity() });
      open.push(t);
      await expect(t.dial(await harness.deadAddress())).rejects.toMatchObject({ code: ErrorCode.DIAL_FAILED });
    });

    it('refuses a peer that is not the expected one with PC_ERR_PEER_ID_MISMATCH', async () => {
      const a = harness.factory()({ identity: await makeIdentity() });
      const b = harness.factory()({ identity: await makeIdentity() });
      open.push(a, b);
      const [addr] = await b.listen();
      const other = PeerIdentity.generate();
      await expect(a.dial(addr as string, { expectedPeerId: other.peerId })).rejects.toMatchObject({ code: ErrorCode.PEER_ID_MISMATCH });
    });

    it('honours an aborted signal', async () => {
      const a = harness.factory()({ identity: await makeIdentity() });
      const b = harness.factory()({ identity: await makeIdentity() });
      open.push(a, b);
      const [addr] = await b.listen();
      await expect(a.dial(addr as string, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: ErrorCode.ABORTED });
    });

    it('closes every link when the transport closes, and completes inbound$', async () => {
      const { a, b, ab, ba } = await pair();
      let completed = false;
      b.inbound$.subscribe({ complete: () => (completed = true) });
      await b.close();
      await Promise.all([ab.closed, ba.closed]);
      expect(completed).toBe(true);
      await expect(b.listen()).rejects.toMatchObject({ code: ErrorCode.CLOSED });
      await a.close();
      await a.close();
    });
  });
}
