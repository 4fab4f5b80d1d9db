import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, PeerNode, type PeerNodeOptions, type ResolverFactory, staticResolver } from '../../lib/index.js';
import type { Mesh } from '../../lib/mesh/mesh.js';
import { waitFor } from '../helpers/wait.js';

// Real TLS WebSockets on 127.0.0.1 (the default transport), real CPace password admission, and an
// in-process resolver that every node of a test shares.

const fast: PeerNodeOptions = {
  maintenanceIntervalMs: 100,
  mesh: { refusedRetryDelayMs: 50, refusedRetryMaxDelayMs: 200, refusedRetryAttempts: 3, exploreIntervalMs: 0 },
};

const open: PeerNode[] = [];
let resolver: ResolverFactory;
afterEach(async () => {
  await Promise.all(open.splice(0).map((n) => n.close()));
});

async function join(password: string, mesh = 'net.p2p://refusals', options: PeerNodeOptions = {}): Promise<PeerNode> {
  const node = await PeerNode.open(mesh, { ...fast, password, resolver, ...options });
  open.push(node);
  return node;
}

function meshOf(node: PeerNode): Mesh {
  return (node as unknown as { mesh: Mesh }).mesh;
}

/** Waits until `node` has run `n` more maintenance rounds. */
async function rounds(node: PeerNode, n: number): Promise<void> {
  const start = meshOf(node).maintenanceStats.rounds;
  await waitFor(() => meshOf(node).maintenanceStats.rounds >= start + n, `${n} maintenance rounds`, 20_000);
}

const authRefusals = (node: PeerNode) => node.stats().dropped[ErrorCode.AUTH_FAILED] ?? 0;

describe('a wrong password', () => {
  it('is refused by the mesh: whenOnline rejects with PC_ERR_AUTH_FAILED, and the refused dials stop', async () => {
    resolver = staticResolver([]);
    const alice = await join('s3cret');
    const bob = await join('s3cret');
    await Promise.all([alice.whenOnline({ timeoutMs: 20_000 }), bob.whenOnline({ timeoutMs: 20_000 })]);

    const mallory = await join('guess');
    const refusals: unknown[] = [];
    mallory.refused$.subscribe((r) => refusals.push(r));
    const error = await mallory.whenOnline({ timeoutMs: 20_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: ErrorCode.AUTH_FAILED, message: expect.stringContaining('refused by the mesh: PC_ERR_AUTH_FAILED') });
    expect(mallory.status).toBe('offline');
    expect(mallory.refusal).toMatchObject({ code: ErrorCode.AUTH_FAILED });
    expect(mallory.refusal?.refusedBy).toEqual(expect.arrayContaining([alice.peerId]));
    expect(refusals).toHaveLength(1);
    // Called again while refused: rejects at once with the same code.
    await expect(mallory.whenOnline()).rejects.toMatchObject({ code: ErrorCode.AUTH_FAILED });

    // The members are not refused: they stay online and learn only that a peer failed their check.
    expect(alice.refusal).toBeUndefined();
    expect(bob.refusal).toBeUndefined();
    expect(alice.status).toBe('online');

    // Bounded retries: mallory dials each member at most refusedRetryAttempts (3) times, then stops.
    await waitFor(() => authRefusals(alice) >= 3 && authRefusals(bob) >= 3, 'three refused dials at each member', 20_000);
    await rounds(mallory, 10);
    expect(authRefusals(alice)).toBe(3);
    expect(authRefusals(bob)).toBe(3);
    expect(refusals).toHaveLength(1);
  }, 60_000);

  it("at the first node of a mesh, it is the newcomer's refusal, not the first node's", async () => {
    resolver = staticResolver([]);
    // Alice's rounds are run by hand, so she dials mallory only after mallory has dialled her:
    // the order in which a newcomer meets a waiting node. (Two nodes that first dial each other
    // at the same instant cannot tell who is wrong; see RefusalTracker.)
    const alice = await join('s3cret', 'net.p2p://refusals-pair', { maintenanceIntervalMs: 600_000 });
    await expect(alice.whenOnline({ timeoutMs: 50 })).rejects.toMatchObject({ code: ErrorCode.TIMEOUT });
    const waiting = alice.whenOnline({ timeoutMs: 30_000 });
    const mallory = await join('guess', 'net.p2p://refusals-pair');
    await expect(mallory.whenOnline({ timeoutMs: 20_000 })).rejects.toMatchObject({ code: ErrorCode.AUTH_FAILED });
    await waitFor(() => authRefusals(alice) >= 1, 'mallory refused at alice', 20_000);
    const errors: string[] = [];
    alice.errors$.subscribe((e) => errors.push(e.code));
    await meshOf(alice).maintain();
    // Alice dialled mallory and was refused too, but mallory came to her first and failed her check.
    expect(errors).toContain(ErrorCode.AUTH_FAILED);
    expect(alice.refusal).toBeUndefined();
    const bob = await join('s3cret', 'net.p2p://refusals-pair');
    await waiting;
    await bob.whenOnline({ timeoutMs: 20_000 });
    expect(alice.status).toBe('online');
  }, 60_000);

  it('whenOnline resolves at once when online, and rejects on abort, on close and for a bad timeout', async () => {
    resolver = staticResolver([]);
    const a = await join('pw', 'net.p2p://refusals-api');
    await expect(a.whenOnline({ timeoutMs: -1 })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    const controller = new AbortController();
    const aborted = a.whenOnline({ signal: controller.signal });
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: ErrorCode.ABORTED });
    const b = await join('pw', 'net.p2p://refusals-api');
    await a.whenOnline({ timeoutMs: 20_000 });
    await expect(a.whenOnline()).resolves.toBeUndefined();
    const c = await join('pw', 'net.p2p://refusals-api-alone');
    const closedFirst = expect(c.whenOnline()).rejects.toMatchObject({ code: ErrorCode.CLOSED });
    await c.close();
    await closedFirst;
    await expect(c.whenOnline()).rejects.toMatchObject({ code: ErrorCode.CLOSED });
    void b;
  }, 60_000);
});
