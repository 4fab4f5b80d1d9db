import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/errors/index.js';
import type { PeerResolver, ResolvedPeer } from '../../lib/resolver/resolver.js';

/** One resolver instance made by a harness, and the peer id it may register. */
export interface ResolverUnderTest {
  readonly resolver: PeerResolver;
  /** The peer this instance registers (resolvers that authenticate callers accept only their own id). */
  readonly peerId: string;
}

/** What a resolver spec hands the compliance suite. */
export interface ResolverHarness {
  /**
   * Makes a resolver instance that shares one backing store or network with every other instance
   * the harness makes, and grants registrations `ttlMs`.
   */
  readonly make: (options: { ttlMs: number }) => Promise<ResolverUnderTest> | ResolverUnderTest;
  /**
   * Registration lifetime for the expiry and refresh tests; keep it short (the suite waits about
   * three of them in total) but long enough for a few round trips.
   * @defaultValue 300
   */
  readonly shortTtlMs?: number;
  /** Called after each test, after every instance was closed. */
  readonly afterEach?: () => Promise<void> | void;
}

const LONG_TTL = 60_000;

function peerOf(u: ResolverUnderTest, address = `test://${randomBytes(4).toString('hex')}`): ResolvedPeer {
  return { peerId: u.peerId, addresses: [address] };
}

function ids(peers: readonly ResolvedPeer[]): string[] {
  return peers.map((p) => p.peerId);
}

function sleepUntil(time: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, time - Date.now())));
}

/** Expects `call` to throw or reject with a PeerChannelError carrying `code`. */
async function expectCode(call: () => Promise<unknown>, code: string): Promise<void> {
  let error: unknown;
  try {
    await call();
  } catch (e) {
    error = e;
  }
  expect(error).toMatchObject({ name: 'PeerChannelError', code });
}

/**
 * The behaviour every {@link PeerResolver} must show. Call inside a spec file:
 * `resolverCompliance('local', harness)`.
 */
export function resolverCompliance(name: string, harness: ResolverHarness): void {
  describe(`resolver compliance: ${name}`, () => {
    const made: ResolverUnderTest[] = [];
    const shortTtl = harness.shortTtlMs ?? 300;
    const mesh = () => `mesh-${randomUUID()}`;

    async function make(ttlMs = LONG_TTL): Promise<ResolverUnderTest> {
      const u = await harness.make({ ttlMs });
      made.push(u);
      return u;
    }

    afterEach(async () => {
      await Promise.all(made.splice(0).map((u) => u.resolver.close()));
      await harness.afterEach?.();
    });

    it('finds a registered peer from another instance, with its addresses', async () => {
      const [a, b] = [await make(), await make()];
      const m = mesh();
      const peer = peerOf(a);
      const reg = await a.resolver.register(m, peer);
      expect(typeof reg.id).toBe('string');
      expect(reg.ttlMs).toBeGreaterThan(0);
      const found = await b.resolver.resolve(m);
      expect(found).toContainEqual({ peerId: peer.peerId, addresses: peer.addresses });
    });

    it('returns every peer once, even when a peer registered twice', async () => {
      const us = [await make(), await make(), await make()];
      const m = mesh();
      for (const u of us) await u.resolver.register(m, peerOf(u));
      await us[0]!.resolver.register(m, peerOf(us[0]!));
      const found = await us[1]!.resolver.resolve(m);
      expect(new Set(ids(found)).size).toBe(found.length);
      expect(ids(found).sort()).toEqual(us.map((u) => u.peerId).sort());
    });

    it('honours max', async () => {
      const us = await Promise.all(Array.from({ length: 5 }, () => make()));
      const m = mesh();
      for (const u of us) await u.resolver.register(m, peerOf(u));
      const two = await us[0]!.resolver.resolve(m, { max: 2 });
      expect(two).toHaveLength(2);
      expect(new Set(ids(two)).size).toBe(2);
      expect(await us[0]!.resolver.resolve(m, { max: 1 })).toHaveLength(1);
      expect(ids(await us[0]!.resolver.resolve(m)).sort()).toEqual(us.map((u) => u.peerId).sort());
    });

    it('keeps a registration alive for as long as it is refreshed', async () => {
      const [a, b] = [await make(shortTtl), await make(shortTtl)];
      const m = mesh();
      const reg = await a.resolver.register(m, peerOf(a));
      const until = Date.now() + 3 * reg.ttlMs;
      let refreshes = 0;
      while (Date.now() < until) {
        await sleepUntil(Date.now() + reg.ttlMs / 4);
        const again = await a.resolver.refresh(reg.id);
        refreshes += 1;
        expect(again.id).toBe(reg.id);
        expect(again.ttlMs).toBeGreaterThan(0);
        expect(ids(await b.resolver.resolve(m))).toContain(a.peerId);
      }
      expect(refreshes).toBeGreaterThanOrEqual(4);
    });

    it('removes an unregistered peer, ignores unknown ids, and refuses to refresh it', async () => {
      const [a, b] = [await make(), await make()];
      const m = mesh();
      const reg = await a.resolver.register(m, peerOf(a));
      expect(ids(await b.resolver.resolve(m))).toContain(a.peerId);
      await a.resolver.unregister(reg.id);
      expect(ids(await b.resolver.resolve(m))).not.toContain(a.peerId);
      await a.resolver.unregister(reg.id);
      await a.resolver.unregister('no-such-registration');
      await expectCode(() => a.resolver.refresh(reg.id), ErrorCode.NOT_REGISTERED);
    });

    it('expires an unrefreshed registration and never returns it after expiry', async () => {
      const [a, b] = [await make(shortTtl), await make(shortTtl)];
      const m = mesh();
      const keep = await b.resolver.register(m, peerOf(b));
      const reg = await a.resolver.register(m, peerOf(a));
      const registeredBy = Date.now();
      expect(ids(await b.resolver.resolve(m))).toContain(a.peerId);
      // The registration was made before `registeredBy`, so it is certainly expired after this.
      await sleepUntil(registeredBy + reg.ttlMs + 5);
      await b.resolver.refresh(keep.id).catch(() => undefined);
      expect(ids(await b.resolver.resolve(m))).not.toContain(a.peerId);
      expect(ids(await a.resolver.resolve(m))).not.toContain(a.peerId);
      await expectCode(() => a.resolver.refresh(reg.id), ErrorCode.NOT_REGISTERED);
    });

    it('refuses to refresh an id it never issued with PC_ERR_NOT_REGISTERED', async () => {
      const a = await make();
      await expectCode(() => a.resolver.refresh(randomBytes(16).toString('hex')), ErrorCode.NOT_REGISTERED);
    });

    it('keeps meshes apart', async () => {
      const [a, b] = [await make(), await make()];
      const [m1, m2] = [mesh(), mesh()];
      await a.resolver.register(m1, peerOf(a));
      await b.resolver.register(m2, peerOf(b));
      expect(ids(await b.resolver.resolve(m1))).toContain(a.peerId);
      expect(ids(await b.resolver.resolve(m1))).not.toContain(b.peerId);
      expect(ids(await a.resolver.resolve(m2))).not.toContain(a.peerId);
      expect(ids(await a.resolver.resolve(mesh()))).toEqual(expect.not.arrayContaining([a.peerId, b.peerId]));
    });

    it('rejects invalid arguments with PC_ERR_INVALID_ARGUMENT', async () => {
      const a = await make();
      await expectCode(() => a.resolver.register(mesh(), { peerId: '', addresses: [] }), ErrorCode.INVALID_ARGUMENT);
      await expectCode(() => a.resolver.register('', peerOf(a)), ErrorCode.INVALID_ARGUMENT);
      await expectCode(() => a.resolver.register(mesh(), { peerId: a.peerId, addresses: Array.from({ length: 1000 }, (_, i) => `x://${i}`) }), ErrorCode.INVALID_ARGUMENT);
      await expectCode(() => a.resolver.resolve(mesh(), { max: 0 }), ErrorCode.INVALID_ARGUMENT);
    });

    it('honours an aborted signal with PC_ERR_ABORTED', async () => {
      const a = await make();
      const m = mesh();
      await expectCode(() => a.resolver.register(m, peerOf(a), { signal: AbortSignal.abort() }), ErrorCode.ABORTED);
      await expectCode(() => a.resolver.resolve(m, { signal: AbortSignal.abort() }), ErrorCode.ABORTED);
      expect(ids(await a.resolver.resolve(m))).not.toContain(a.peerId);
    });

    it('closes idempotently and refuses every call after close with PC_ERR_CLOSED', async () => {
      const a = await make();
      const m = mesh();
      const reg = await a.resolver.register(m, peerOf(a));
      await a.resolver.close();
      await a.resolver.close();
      await expectCode(() => a.resolver.register(m, peerOf(a)), ErrorCode.CLOSED);
      await expectCode(() => a.resolver.resolve(m), ErrorCode.CLOSED);
      await expectCode(() => a.resolver.refresh(reg.id), ErrorCode.CLOSED);
      await expectCode(() => a.resolver.unregister(reg.id), ErrorCode.CLOSED);
    });
  });
}
