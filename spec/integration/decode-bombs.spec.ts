import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameKind, PROTOCOL_VERSION, encodeFrame } from '../../lib/codec/index.js';
import { ErrorCode, type PeerId, PeerIdentity, PeerNode, webSocketTransport } from '../../lib/index.js';
import type { Transport } from '../../lib/transport/transport.js';
import { Chat } from '../helpers/contracts.js';
import { deepNesting, hugeCount, manyEmpties, pointerBomb, withTrailing } from '../helpers/hostile-frames.js';
import { type PeerEvent, PeerProcess } from '../helpers/peer-process.js';

/**
 * Decoder bombs sent as the very first frame of a TLS link, before any admission, to a
 * password-protected node in its own process, while an admitted neighbour floods it.
 *
 * Bounds (generous, because six helpers share two cores): the node's heap after GC grows by
 * less than 64 MiB and its RSS by less than 256 MiB over the attack; its worst event-loop delay
 * stays under 2 s. Before the bounded decoder one 22-level pointer bomb blocked the loop ~10 s
 * and the 60-level one (1.2 KB) never returned.
 */
const FIXTURE = 'dist/spec/integration/fixtures/measured-node.js';
const MIB = 1024 * 1024;
const HONEST_MESSAGES = 400;
const ATTACK_LINKS = 160;

const hello = encodeFrame({ kind: FrameKind.Hello, version: PROTOCOL_VERSION, peerId: 'a'.repeat(64) as PeerId, mesh: 'bombs', addresses: [], ext: {} });
const bombs: readonly [string, Uint8Array][] = [
  ['a 60-level pointer bomb with trailing bytes (1.2 KB)', pointerBomb(60)],
  ['a 22-level pointer bomb with trailing bytes', pointerBomb(22)],
  ['a pointer bomb without trailing bytes', pointerBomb(60, false)],
  ['60,000 nested arrays', deepNesting(60_000)],
  ['an array32 claiming 2^32-1 items', hugeCount()],
  ['a map32 claiming 2^31 entries', hugeCount(0x8000_0000, true)],
  ['16,385 empty arrays', manyEmpties(16_385)],
  ['a hello with trailing bytes', withTrailing(hello)],
];

let target: PeerProcess;
let honest: PeerNode;
const attackers: Transport[] = [];

function probe(): Promise<PeerEvent> {
  const seen = target.events.length;
  target.send({ probe: true });
  return target.waitFor((e) => e.event === 'probe' && target.events.indexOf(e) >= seen, 'a probe');
}

beforeAll(async () => {
  target = new PeerProcess(FIXTURE, [JSON.stringify({ mesh: 'net.p2p://bombs', password: 'correct horse' })]);
  const ready = await target.waitFor((e) => e.event === 'ready', 'the target to listen');
  honest = await PeerNode.open('net.p2p://bombs', { transport: webSocketTransport({ host: '127.0.0.1' }), resolver: null, password: 'correct horse' });
  await honest.connect((ready.addresses as string[])[0] as string, ready.peerId as string);
  for (let i = 0; i < 4; i++) attackers.push(webSocketTransport({ host: '127.0.0.1' })({ identity: PeerIdentity.generate() }));
}, 60_000);

afterAll(async () => {
  await Promise.all([...attackers.map((a) => a.close()), honest?.close()]);
  await target?.kill();
});

describe('decoder bombs before the hello, against a live node over TLS', () => {
  it('each bomb closes its link with a coded reason; memory and event-loop lag stay bounded; honest delivery stays 100%', async () => {
    const ready = await target.waitFor((e) => e.event === 'ready', 'ready');
    const address = (ready.addresses as string[])[0] as string;
    const baseline = await probe();
    target.send({ reset: true });

    const closeCodes: Record<string, number> = {};
    let sent = 0;
    const attack = attackers.map(async (attacker, w) => {
      for (let i = w; i < ATTACK_LINKS; i += attackers.length) {
        const link = await attacker.dial(address, { expectedPeerId: ready.peerId as string });
        link.setReceiver(() => undefined);
        link.send((bombs[i % bombs.length] as [string, Uint8Array])[1]);
        sent += 1;
        const info = await link.closed;
        closeCodes[info.code] = (closeCodes[info.code] ?? 0) + 1;
      }
    });
    const chat = honest.proxy(Chat);
    let attackDone = false;
    let honestSent = 0;
    const flood = (async () => {
      // The honest neighbour keeps sending for as long as the attack runs, and at least HONEST_MESSAGES.
      while (!attackDone || honestSent < HONEST_MESSAGES) {
        await chat.say('honest', `message ${honestSent}`);
        honestSent += 1;
        if (honestSent % 10 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    })();
    try {
      await Promise.all(attack);
    } finally {
      attackDone = true;
      await flood;
    }

    let after = await probe();
    for (let i = 0; i < 100 && (after.delivered as number) < honestSent; i++) after = await probe();
    const figures = {
      bombsSent: sent,
      closeCodes,
      heapGrowthMiB: ((after.heapUsed as number) - (baseline.heapUsed as number)) / MIB,
      rssGrowthMiB: ((after.rss as number) - (baseline.rss as number)) / MIB,
      rssMiB: (after.rss as number) / MIB,
      lagMaxMs: after.lagMaxMs,
      lagP99Ms: after.lagP99Ms,
      honestSent,
      delivered: after.delivered,
      targetErrors: after.errors,
    };
    console.log(`decode bombs: ${JSON.stringify(figures)}`);

    expect(sent).toBe(ATTACK_LINKS);
    // Every bomb link was closed by the target for its bytes: decode or complexity, nothing else.
    expect(Object.keys(closeCodes).sort()).toEqual([ErrorCode.FRAME_DECODE, ErrorCode.FRAME_TOO_COMPLEX].sort());
    expect((closeCodes[ErrorCode.FRAME_DECODE] ?? 0) + (closeCodes[ErrorCode.FRAME_TOO_COMPLEX] ?? 0)).toBe(ATTACK_LINKS);
    expect(after.delivered).toBe(honestSent);
    expect(figures.heapGrowthMiB).toBeLessThan(64);
    expect(figures.rssGrowthMiB).toBeLessThan(256);
    expect(after.lagMaxMs as number).toBeLessThan(2000);
  }, 120_000);
});
