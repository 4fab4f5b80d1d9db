import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, PeerIdentity, PeerNode, type PeerNodeOptions, notFromSelf, staticResolver } from '../../lib/index.js';
import { Chat } from '../helpers/contracts.js';
import { waitFor } from '../helpers/wait.js';

// Real TLS WebSockets on 127.0.0.1 (the default transport) and a real password admission.

const open: PeerNode[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((n) => n.close()));
});

/** A node that makes no links of its own (fixed topology): links are made by hand. */
async function fixed(options: PeerNodeOptions = {}): Promise<PeerNode> {
  const node = await PeerNode.open('net.p2p://cut', { resolver: null, topology: 'fixed', password: 'pw', ...options });
  open.push(node);
  return node;
}

const address = (n: PeerNode) => n.addresses[0] as string;
const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e.code);
const dropped = (n: PeerNode, code: string) => n.stats().dropped[code] ?? 0;

describe('node.disconnect(peerId)', () => {
  it('cuts the link to that peer only, with a code both sides see, and the peer hears nothing more', async () => {
    const [alice, bob, carol] = [await fixed(), await fixed(), await fixed()];
    await bob.connect(address(alice), alice.peerId);
    await carol.connect(address(alice), alice.peerId);
    await waitFor(() => alice.neighbors.length === 2, 'alice to hold both links');

    const pending = alice.disconnect(bob.peerId, { reason: 'no longer welcome' });
    // Closed on return: nothing sent from now on can travel on it.
    const heardByBob: string[] = [];
    const heardByCarol: string[] = [];
    bob.calls$(Chat, 'say').pipe(notFromSelf()).subscribe((c) => heardByBob.push(c.args[1]));
    carol.calls$(Chat, 'say').pipe(notFromSelf()).subscribe((c) => heardByCarol.push(c.args[1]));
    await alice.proxy(Chat).say('alice', 'after the cut');
    expect(await pending).toBe(1);
    expect(alice.neighbors.map((n) => n.peerId)).toEqual([carol.peerId]);
    await waitFor(() => bob.status === 'offline', 'bob to lose his only link');
    expect(dropped(bob, ErrorCode.DISCONNECTED)).toBe(1); // the code crossed the wire
    expect(dropped(alice, ErrorCode.DISCONNECTED)).toBe(1);
    await waitFor(() => heardByCarol.length === 1, 'carol to hear the flood');
    expect(heardByBob).toEqual([]);
    expect(carol.status).toBe('online');

    // Without a hold-off the peer may link again at once.
    expect(alice.isHeldOff(bob.peerId)).toBe(false);
    await bob.connect(address(alice), alice.peerId);
    expect(await alice.disconnect(PeerIdentity.generate().peerId)).toBe(0);
  });

  it('with holdOffMs refuses the peer (PC_ERR_DISCONNECTED) and dials none to it, until lifted', async () => {
    const [alice, bob] = [await fixed(), await fixed()];
    await bob.connect(address(alice), alice.peerId);
    expect(await alice.disconnect(bob.peerId, { holdOffMs: 600_000 })).toBe(1);
    expect(alice.isHeldOff(bob.peerId)).toBe(true);
    expect(await codeOf(bob.connect(address(alice), alice.peerId))).toBe(ErrorCode.DISCONNECTED);
    expect(await codeOf(alice.connect(address(bob), bob.peerId))).toBe(ErrorCode.DISCONNECTED);
    expect(alice.neighbors).toEqual([]);
    // A hold-off of 0 lifts it.
    expect(await alice.disconnect(bob.peerId, { holdOffMs: 0 })).toBe(0);
    await bob.connect(address(alice), alice.peerId);
    expect(alice.neighbors.map((n) => n.peerId)).toEqual([bob.peerId]);
  });

  it('a held-off peer that re-dials by itself is refused by the mesh with PC_ERR_DISCONNECTED, and backs off', async () => {
    const resolver = staticResolver([]);
    const managed: PeerNodeOptions = {
      resolver, password: 'pw', maintenanceIntervalMs: 100,
      mesh: { refusedRetryDelayMs: 50, refusedRetryMaxDelayMs: 200, refusedRetryAttempts: 3, exploreIntervalMs: 0 },
    };
    const alice = await PeerNode.open('net.p2p://held', managed);
    open.push(alice);
    const bob = await PeerNode.open('net.p2p://held', managed);
    open.push(bob);
    await Promise.all([alice.whenOnline({ timeoutMs: 20_000 }), bob.whenOnline({ timeoutMs: 20_000 })]);
    await alice.disconnect(bob.peerId, { reason: 'go away', holdOffMs: 600_000 });
    await waitFor(() => bob.status === 'offline', 'bob to see the cut');
    await expect(bob.whenOnline({ timeoutMs: 20_000 })).rejects.toMatchObject({ code: ErrorCode.DISCONNECTED });
    expect(bob.refusal?.refusedBy).toEqual([alice.peerId]);
    // Alice does not dial Bob meanwhile, so she is not "refused" by a peer she holds off herself.
    const mesh = (alice as unknown as { mesh: { maintenanceStats: { rounds: number; dials: number } } }).mesh;
    const { rounds, dials } = mesh.maintenanceStats;
    await waitFor(() => mesh.maintenanceStats.rounds >= rounds + 3, 'three maintenance rounds at alice', 20_000);
    expect(mesh.maintenanceStats.dials).toBe(dials);
    expect(alice.refusal).toBeUndefined();
    expect(alice.neighbors).toEqual([]);
  });

  it('checks its arguments', async () => {
    const alice = await fixed();
    expect(() => alice.disconnect('bob')).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    const id = PeerIdentity.generate().peerId;
    expect(() => alice.disconnect(id, { holdOffMs: -1 })).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    expect(() => alice.disconnect(id, { holdOffMs: 1.5 })).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    expect(() => alice.disconnect(id, { holdOffMs: 25 * 3600_000 })).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    expect(() => alice.disconnect(id, { reason: 'x'.repeat(201) })).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    await alice.close();
    expect(() => alice.disconnect(id)).toThrow(expect.objectContaining({ code: ErrorCode.CLOSED }));
  });
});
