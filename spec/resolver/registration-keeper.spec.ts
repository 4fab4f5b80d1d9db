import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, PeerChannelError } from '../../lib/errors/index.js';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';
import { RegistrationKeeper } from '../../lib/resolver/registration-keeper.js';
import type { PeerResolver, Registration, ResolvedPeer, ResolveOptions } from '../../lib/resolver/resolver.js';
import { staticResolver } from '../../lib/resolver/static/index.js';
import { MemoryNetwork, memoryTransport } from '../../lib/transport/memory/index.js';

const TTL = 3000;
const net = new MemoryNetwork();

/** Delegates to a real resolver, recording calls and failing the ones a test asks to fail. */
class FaultyResolver implements PeerResolver {
  readonly name = 'faulty';
  readonly calls: { op: string; at: number }[] = [];
  failures: { op: 'register' | 'refresh'; code: string }[] = [];
  gate: Promise<void> | undefined;

  constructor(readonly inner: PeerResolver) {}

  private fail(op: 'register' | 'refresh'): void {
    this.calls.push({ op, at: Date.now() });
    const i = this.failures.findIndex((f) => f.op === op);
    if (i >= 0) {
      const [f] = this.failures.splice(i, 1);
      throw new PeerChannelError(f!.code as never, `injected ${op} failure`);
    }
  }
  async register(mesh: string, peer: ResolvedPeer): Promise<Registration> {
    await this.gate;
    this.fail('register');
    return this.inner.register(mesh, peer);
  }
  async refresh(id: string): Promise<Registration> {
    this.fail('refresh');
    return this.inner.refresh(id);
  }
  unregister(id: string): Promise<void> {
    this.calls.push({ op: 'unregister', at: Date.now() });
    return this.inner.unregister(id);
  }
  resolve(mesh: string, options?: ResolveOptions): Promise<readonly ResolvedPeer[]> {
    return this.inner.resolve(mesh, options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

describe('RegistrationKeeper', () => {
  let resolver: FaultyResolver;
  let keeper: RegistrationKeeper | undefined;
  const peer = { peerId: 'a'.repeat(64), addresses: ['memory://1'] };
  const found = async () => (await resolver.resolve('lobby')).some((p) => p.peerId === peer.peerId);
  const count = (op: string) => resolver.calls.filter((c) => c.op === op).length;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const identity = PeerIdentity.generate();
    resolver = new FaultyResolver(staticResolver([], { ttlMs: TTL })({ identity, createTransport: () => memoryTransport(net)({ identity }) }));
  });

  afterEach(async () => {
    await keeper?.close();
    keeper = undefined;
    await resolver.close();
    vi.useRealTimers();
  });

  it('registers, then refreshes at a third of the TTL, and keeps the peer resolvable', async () => {
    keeper = new RegistrationKeeper(resolver, 'lobby', peer);
    const start = Date.now();
    const reg = await keeper.start();
    expect(reg.ttlMs).toBe(TTL);
    await vi.advanceTimersByTimeAsync(TTL / 3 - 1);
    expect(count('refresh')).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(count('refresh')).toBe(1);
    for (let i = 0; i < 30; i++) {
      await vi.advanceTimersByTimeAsync(TTL / 3);
      expect(await found()).toBe(true);
    }
    const refreshTimes = resolver.calls.filter((c) => c.op === 'refresh').map((c) => c.at - start);
    expect(refreshTimes).toEqual(Array.from({ length: 31 }, (_, i) => (i + 1) * (TTL / 3)));
    expect(keeper.registration?.id).toBe(reg.id);
  });

  it('registers again when the resolver forgot the registration', async () => {
    keeper = new RegistrationKeeper(resolver, 'lobby', peer);
    const errors: string[] = [];
    keeper.errors$.subscribe((e) => errors.push(e.code));
    const first = await keeper.start();
    await resolver.inner.unregister(first.id); // as a restarted service would
    expect(await found()).toBe(false);
    await vi.advanceTimersByTimeAsync(TTL / 3);
    expect(errors).toEqual([ErrorCode.NOT_REGISTERED]);
    expect(count('register')).toBe(2);
    expect(keeper.registration?.id).not.toBe(first.id);
    expect(await found()).toBe(true);
  });

  it('retries a failing refresh with backoff and saves the registration before it expires', async () => {
    keeper = new RegistrationKeeper(resolver, 'lobby', peer, { retryDelayMs: 400 });
    const errors: string[] = [];
    keeper.errors$.subscribe((e) => errors.push(e.code));
    const reg = await keeper.start();
    resolver.failures = [
      { op: 'refresh', code: ErrorCode.RESOLVER_FAILED },
      { op: 'refresh', code: ErrorCode.TIMEOUT },
    ];
    await vi.advanceTimersByTimeAsync(TTL / 3); // fails
    await vi.advanceTimersByTimeAsync(400); // fails again
    await vi.advanceTimersByTimeAsync(799);
    expect(count('refresh')).toBe(2);
    await vi.advanceTimersByTimeAsync(1); // third try, before expiry at TTL
    expect(count('refresh')).toBe(3);
    expect(errors).toEqual([ErrorCode.RESOLVER_FAILED, ErrorCode.TIMEOUT]);
    expect(keeper.registration?.id).toBe(reg.id);
    expect(count('register')).toBe(1);
    await vi.advanceTimersByTimeAsync(TTL);
    expect(await found()).toBe(true);
  });

  it('never waits longer than a third of the TTL between retries', async () => {
    keeper = new RegistrationKeeper(resolver, 'lobby', peer, { retryDelayMs: 10_000, maxRetryDelayMs: 60_000 });
    await keeper.start();
    resolver.failures = [{ op: 'refresh', code: ErrorCode.RESOLVER_FAILED }];
    await vi.advanceTimersByTimeAsync(TTL / 3);
    await vi.advanceTimersByTimeAsync(TTL / 3);
    expect(count('refresh')).toBe(2);
    expect(await found()).toBe(true);
  });

  it('unregisters on close, leaves no timer, completes errors$, and closes idempotently', async () => {
    keeper = new RegistrationKeeper(resolver, 'lobby', peer);
    let completed = false;
    keeper.errors$.subscribe({ complete: () => (completed = true) });
    await keeper.start();
    expect(vi.getTimerCount()).toBe(1);
    await Promise.all([keeper.close(), keeper.close()]);
    await keeper.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(completed).toBe(true);
    expect(count('unregister')).toBe(1);
    expect(await found()).toBe(false);
    expect(keeper.registration).toBeUndefined();
    await vi.advanceTimersByTimeAsync(10 * TTL);
    expect(count('refresh')).toBe(0);
    await expect(keeper.start()).rejects.toMatchObject({ code: ErrorCode.CLOSED });
  });

  it('closes and unregisters when its signal aborts', async () => {
    const ac = new AbortController();
    keeper = new RegistrationKeeper(resolver, 'lobby', peer, { signal: ac.signal });
    await keeper.start();
    ac.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(keeper.closed).toBe(true);
    expect(count('unregister')).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    expect(await found()).toBe(false);
  });

  it('rejects start when the first registration fails, leaving nothing behind', async () => {
    resolver.failures = [{ op: 'register', code: ErrorCode.UNREACHABLE }];
    keeper = new RegistrationKeeper(resolver, 'lobby', peer);
    await expect(keeper.start()).rejects.toMatchObject({ code: ErrorCode.UNREACHABLE });
    expect(keeper.closed).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    await expect(new RegistrationKeeper(resolver, 'lobby', peer, { signal: AbortSignal.abort() }).start()).rejects.toMatchObject({ code: ErrorCode.ABORTED });
  });

  it('withdraws a registration that completes after close', async () => {
    let open!: () => void;
    resolver.gate = new Promise((r) => (open = r));
    keeper = new RegistrationKeeper(resolver, 'lobby', peer);
    const started = keeper.start();
    const closed = keeper.close();
    open();
    await expect(started).rejects.toMatchObject({ code: ErrorCode.CLOSED });
    await closed;
    expect(await found()).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses bad options and a second start', async () => {
    expect(() => new RegistrationKeeper(resolver, 'lobby', peer, { refreshFraction: 1 })).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    expect(() => new RegistrationKeeper(resolver, '', peer)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    keeper = new RegistrationKeeper(resolver, 'lobby', peer);
    await keeper.start();
    await expect(keeper.start()).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
  });
});
