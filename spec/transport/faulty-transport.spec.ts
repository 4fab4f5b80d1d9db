import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/errors/index.js';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';
import { FaultPlan, faultyTransport } from '../../lib/transport/faults/index.js';
import type { Link, Transport } from '../../lib/transport/transport.js';
import { webSocketTransport } from '../../lib/transport/ws/index.js';
import { transportCompliance } from '../compliance/transport-compliance.js';
import { waitFor } from '../helpers/wait.js';

async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// With no faults the wrapper is a transport like any other.
transportCompliance('faulty(ws) with no faults', {
  factory: () => faultyTransport(webSocketTransport(), {}),
  deadAddress: async () => `wss://127.0.0.1:${await deadPort()}`,
});

const frame = (n: number) => Uint8Array.from([n >> 8, n & 0xff]);
const number = (f: Uint8Array) => (f[0]! << 8) | f[1]!;

describe('faultyTransport over TLS WebSockets', () => {
  const open: Transport[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
  });

  /** A dialled link (faulty side) and the plain side that receives what it sends. */
  async function pair(plan: FaultPlan, maxHeldFrames?: number): Promise<{ sender: Link; receiver: Link; got: number[] }> {
    const plain = webSocketTransport()({ identity: PeerIdentity.generate() });
    const faulty = faultyTransport(webSocketTransport(), plan, { maxHeldFrames })({ identity: PeerIdentity.generate() });
    open.push(plain, faulty);
    const [address] = await plain.listen();
    const accepted = new Promise<Link>((resolve) => plain.inbound$.subscribe(resolve));
    const sender = await faulty.dial(address!);
    const receiver = await accepted;
    const got: number[] = [];
    receiver.setReceiver((f) => got.push(number(f)));
    return { sender, receiver, got };
  }

  it('delays every frame by at least delayMs and keeps their order under jitter', async () => {
    const plan = new FaultPlan({ delayMs: 80, jitterMs: 60 }, { seed: 3 });
    const { sender, got } = await pair(plan);
    const sentAt = Date.now();
    for (let i = 0; i < 200; i++) sender.send(frame(i));
    expect(sender.pendingSends).toBeGreaterThan(0);
    await waitFor(() => got.length === 200, 'all 200 frames', 10_000);
    // A delayed frame can never arrive early: this is a lower bound, not a speed assertion.
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(80);
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(plan.stats).toMatchObject({ frames: 200, delayed: 200, dropped: 0 });
  });

  it("'drop' loses whole frames, seeded, and keeps the link open with the rest in order", async () => {
    const plan = new FaultPlan({ loss: 0.3 }, { seed: 42 });
    const { sender, got } = await pair(plan);
    for (let i = 0; i < 500; i++) sender.send(frame(i));
    sender.send(frame(9999 & 0xffff));
    plan.set({ loss: 0 });
    sender.send(frame(60_000));
    await waitFor(() => got.at(-1) === 60_000, 'the frame sent after loss was switched off', 10_000);
    expect(sender.isOpen).toBe(true);
    expect(plan.stats.dropped).toBeGreaterThan(100);
    expect(plan.stats.dropped).toBeLessThan(200);
    expect(got.length).toBe(plan.stats.frames - plan.stats.dropped);
    expect([...got].sort((a, b) => a - b)).toEqual(got);
    // Same seed, same order of sends: the same frames are lost.
    const again = new FaultPlan({ loss: 0.3 }, { seed: 42 });
    const kept = Array.from({ length: 501 }, () => !again.fate().drop);
    expect(got.slice(0, -1)).toEqual([...Array.from({ length: 500 }, (_, i) => i), 9999].filter((_, i) => kept[i]));
  });

  it("'stall' loses nothing: a lost frame and those behind it wait a retransmission", async () => {
    const plan = new FaultPlan({ loss: 0.05, lossMode: 'stall', retransmitMs: 50 }, { seed: 5 });
    const { sender, got } = await pair(plan);
    for (let i = 0; i < 1000; i++) sender.send(frame(i));
    await waitFor(() => got.length === 1000, 'every frame', 10_000);
    expect(got).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(plan.stats.stalled).toBeGreaterThan(20);
    expect(plan.stats.dropped).toBe(0);
  });

  it('closing sends the held frames first, then closes with the given reason', async () => {
    const plan = new FaultPlan({ delayMs: 100 });
    const { sender, receiver, got } = await pair(plan);
    for (let i = 0; i < 10; i++) sender.send(frame(i));
    sender.close(ErrorCode.BUSY, 'enough');
    expect(sender.isOpen).toBe(false);
    expect(() => sender.send(frame(11))).toThrow(expect.objectContaining({ code: ErrorCode.LINK_CLOSED }));
    const info = await receiver.closed;
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(info).toMatchObject({ code: ErrorCode.BUSY, remote: true });
  });

  it('bounds the frames held back: past maxHeldFrames send throws PC_ERR_LINK_QUEUE_FULL and the link closes', async () => {
    const plan = new FaultPlan({ delayMs: 5_000 });
    const { sender } = await pair(plan, 16);
    for (let i = 0; i < 16; i++) sender.send(frame(i));
    expect(() => sender.send(frame(16))).toThrow(expect.objectContaining({ code: ErrorCode.LINK_QUEUE_FULL }));
    expect(sender.isOpen).toBe(false);
  });

  it('delays dials and lets an abort end the wait with PC_ERR_ABORTED', async () => {
    const plan = new FaultPlan({ dialDelayMs: 10_000 });
    const plain = webSocketTransport()({ identity: PeerIdentity.generate() });
    const faulty = faultyTransport(webSocketTransport(), plan)({ identity: PeerIdentity.generate() });
    open.push(plain, faulty);
    const [address] = await plain.listen();
    const abort = new AbortController();
    const dial = faulty.dial(address!, { signal: abort.signal });
    const accepted = await new Promise<Link>((resolve) => plain.inbound$.subscribe(resolve));
    abort.abort();
    await expect(dial).rejects.toMatchObject({ code: ErrorCode.ABORTED });
    await expect(accepted.closed).resolves.toMatchObject({ remote: true });
  });

  it('ends a dial still waiting out its delay when the transport closes, with PC_ERR_CLOSED', async () => {
    const plain = webSocketTransport()({ identity: PeerIdentity.generate() });
    const faulty = faultyTransport(webSocketTransport(), { dialDelayMs: 60_000 })({ identity: PeerIdentity.generate() });
    open.push(plain);
    const [address] = await plain.listen();
    const accepted = new Promise<Link>((resolve) => plain.inbound$.subscribe(resolve));
    const dial = faulty.dial(address!);
    await accepted;
    await faulty.close();
    await expect(dial).rejects.toMatchObject({ code: ErrorCode.CLOSED });
  });

  it('rejects faults out of range with PC_ERR_INVALID_ARGUMENT', () => {
    for (const bad of [{ loss: 1.5 }, { loss: -0.1 }, { delayMs: -1 }, { jitterMs: Number.NaN }, { lossMode: 'maybe' as 'drop' }, { dialDelayMs: -5 }]) {
      expect(() => new FaultPlan(bad)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    }
    expect(() => faultyTransport(webSocketTransport(), {}, { maxHeldFrames: 0 })).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    const plan = new FaultPlan();
    expect(() => plan.set({ loss: 2 })).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    expect(plan.faults.loss).toBe(0);
  });
});
