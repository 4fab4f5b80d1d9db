import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FaultOptions } from '../../lib/entries/testing.js';
import { type HostPeer, call, flood, freeUdpPort, probeUntilConnected, report, startPeer } from './helpers/host-peers.js';
import { describeOnHosts } from './helpers/describe-hosts.js';
import { TestBed } from './helpers/test-bed.js';

const CALL_TIMEOUT_MS = 2500;
/** How long past its own timeout a call may take to report back before it counts as hung. */
const HANG_MARGIN_MS = 5000;

describeOnHosts('spec/hosts/faults', 'five hosts with faults injected on every link', () => {
  let bed: TestBed;
  let peers: HostPeer[] = [];
  beforeAll(async () => {
    bed = TestBed.create({ hosts: 5 });
    const port = await freeUdpPort();
    peers = await Promise.all(bed.hosts.map((h) => startPeer(bed, h.index, { mesh: 'net.p2p://faults', seed: h.index + 1, name: `host${h.index}`, resolver: { kind: 'lan', interface: h.ipv4, port } })));
    await probeUntilConnected(peers, 'clean');
  }, 180_000);
  afterAll(async () => {
    await bed?.destroyAsync();
  }, 60_000);

  async function inject(faults: FaultOptions): Promise<void> {
    for (const p of peers) {
      const seen = p.proc.events.length;
      p.proc.send({ faults });
      await p.proc.waitFor((e) => e.event === 'faults' && p.proc.events.indexOf(e) >= seen, `faults on host ${p.host}`);
    }
  }

  /** Directed `name()` calls between every ordered pair; each must end by its timeout, ok or coded. */
  async function everyPairCalls(): Promise<{ ok: number; failed: string[] }> {
    const outcomes = await Promise.all(
      peers.flatMap((from) => peers.filter((to) => to !== from).map((to) => call(from, to.peerId, CALL_TIMEOUT_MS, CALL_TIMEOUT_MS + HANG_MARGIN_MS).then((e) => ({ e, to })))),
    );
    const failed: string[] = [];
    for (const { e, to } of outcomes) {
      if (e.ok === true) expect(e.value).toBe(`host${to.host}`);
      else {
        expect(e.code).toMatch(/^PC_ERR_[A-Z_]+$/);
        failed.push(e.code as string);
      }
    }
    return { ok: outcomes.length - failed.length, failed };
  }

  it('100 ms delay, jitter, 5% loss (stalls, as TCP has) and a 2 Mbit/s cap: 1,000 floods reach every peer exactly once; calls end in time', async () => {
    bed.capBandwidth(1, '2mbit');
    await inject({ delayMs: 100, jitterMs: 20, loss: 0.05, lossMode: 'stall' });
    try {
      const sent = await Promise.all(peers.map((p, i) => flood(p, `stall${i}`, 200)));
      for (const s of sent) expect(s).toMatchObject({ sent: 200, failed: {} });
      expect(sent.every((s) => (s.faults as { stalled: number }).stalled > 0)).toBe(true);
      for (const [i, sender] of peers.entries()) {
        for (const p of peers) {
          if (p === sender) continue;
          await expect.poll(() => report(p, `stall${i}`).then((r) => r.distinct), { timeout: 60_000, interval: 250 }).toBe(200);
          expect(await report(p, `stall${i}`)).toEqual({ distinct: 200, total: 200, from: [sender.peerId] });
        }
      }
      const calls = await everyPairCalls();
      console.info(`faults spec (stall): ${calls.ok}/20 directed calls answered; failures: ${calls.failed.join(', ') || 'none'}`);
    } finally {
      bed.uncapBandwidth(1);
      await inject({ delayMs: 0, jitterMs: 0, loss: 0 });
    }
  }, 150_000);

  it('100 ms delay and 5% of frames dropped: no flood is ever delivered twice, calls succeed or fail coded, never hang', async () => {
    await inject({ delayMs: 100, jitterMs: 20, loss: 0.05, lossMode: 'drop' });
    try {
      const sent = await Promise.all(peers.map((p, i) => flood(p, `drop${i}`, 200)));
      for (const s of sent) expect(s).toMatchObject({ sent: 200, failed: {} });
      expect(sent.every((s) => (s.faults as { dropped: number }).dropped > 0)).toBe(true);
      let delivered = 0;
      for (const [i, sender] of peers.entries()) {
        for (const p of peers) {
          if (p === sender) continue;
          // Redundant paths carry nearly all of them; what a peer has, it has exactly once.
          await expect.poll(() => report(p, `drop${i}`).then((r) => r.distinct), { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(150);
          const r = await report(p, `drop${i}`);
          expect(r.total).toBe(r.distinct);
          delivered += r.distinct;
        }
      }
      const calls = await everyPairCalls();
      expect(calls.ok).toBeGreaterThan(0);
      console.info(`faults spec (drop): ${((100 * delivered) / 4000).toFixed(2)}% of floods delivered; ${calls.ok}/20 directed calls answered; failures: ${calls.failed.join(', ') || 'none'}`);
    } finally {
      await inject({ delayMs: 0, jitterMs: 0, loss: 0 });
    }
    // The mesh survived: with faults gone, every flood reaches everyone again.
    await probeUntilConnected(peers, 'after');
  }, 150_000);
});
