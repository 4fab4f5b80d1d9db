import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeExtensionFrame, pack } from '../../../lib/codec/index.js';
import { ErrorCode, type PeerNode } from '../../../lib/index.js';
import type { Neighbor } from '../../../lib/mesh/neighbor.js';
import { END_BOUND } from '../../../lib/records/sync/bound.js';
import type { RecordSync } from '../../../lib/records/sync/record-sync.js';
import { MAX_RANGES, SyncFrameKind, encodeAbstract, encodeRanges } from '../../../lib/records/sync/sync-messages.js';
import { RangeMode, type SyncRange } from '../../../lib/records/sync/sync-range.js';
import type { LinkCloseInfo } from '../../../lib/transport/transport.js';
import { MemoryMesh } from '../../helpers/memory-mesh.js';
import { waitFor } from '../../helpers/wait.js';
import { Rng } from './fixtures.js';
import { ItemSource, attachSync, meshOf } from './item-source.js';

/**
 * A victim node runs the sync engine over an item store; a hostile node without one speaks raw
 * sync frames to it. Every bad frame must close that link with a code, and nothing reaches
 * the victim's store.
 */
let lab: MemoryMesh;
let victim: PeerNode;
let hostile: PeerNode;
let source: ItemSource;
let engine: RecordSync;
const inbox: { kind: number; payload: unknown }[] = [];
const rng = new Rng(99);
const T0 = 1_760_000_000_000;
const SYNC_CODES: string[] = [ErrorCode.SYNC_FRAME, ErrorCode.SYNC_LIMIT, ErrorCode.SYNC_UNASKED];

beforeAll(async () => {
  lab = new MemoryMesh(5);
  [victim, hostile] = (await lab.add(2)) as [PeerNode, PeerNode];
  source = new ItemSource();
  for (let i = 0; i < 300; i++) source.addRandom(rng, T0 + i * 10, 40);
  engine = attachSync(victim, source, { maxRounds: 16, sessionTimeoutMs: 60_000 });
  for (const kind of [40, 41, 42, 43]) meshOf(hostile).registerExtension(kind, (_from, payload) => inbox.push({ kind, payload }));
});

afterAll(async () => {
  engine.close();
  await lab.close();
});

interface Link {
  readonly to: Neighbor;
  readonly closed: Promise<LinkCloseInfo>;
}

/** A fresh link; `victimDials` makes the victim the initiator of the session. */
async function link(victimDials: boolean): Promise<Link> {
  const old = meshOf(hostile).neighbors.get(victim.peerId);
  if (old !== undefined) {
    old.link.close('PC_OK', 'next case');
    await waitFor(() => !meshOf(victim).neighbors.has(hostile.peerId), 'the old link to go');
  }
  inbox.length = 0;
  generation++;
  if (victimDials) await lab.link(victim, hostile);
  else await lab.link(hostile, victim);
  const to = meshOf(hostile).neighbors.get(victim.peerId) as Neighbor;
  return { to, closed: to.link.closed };
}

function send(l: Link, kind: number, payload: unknown): void {
  l.to.send(encodeExtensionFrame(kind, payload));
}

/** Bumped by every new link, so a waiter left from an earlier case stops taking frames. */
let generation = 0;

async function next(kind: number): Promise<unknown> {
  const mine = generation;
  await waitFor(() => generation !== mine || inbox.some((m) => m.kind === kind), `a frame of kind ${kind} from the victim`, 15_000);
  if (generation !== mine) throw new Error('superseded by the next case');
  const i = inbox.findIndex((m) => m.kind === kind);
  return inbox.splice(i, 1)[0]?.payload;
}

/** Waits for the victim to close the link and returns the code it gave. */
async function closedWith(l: Link): Promise<string> {
  const info = await Promise.race([l.closed, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the victim kept the link open')), 15_000))]);
  await waitFor(() => !meshOf(victim).neighbors.has(hostile.peerId), 'the victim to drop the link');
  return info.code;
}

const before = () => ({ size: source.items.size, received: source.received });
const fp = (count: number): SyncRange => ({ mode: RangeMode.Fingerprint, upper: END_BOUND, count, fingerprint: new Uint8Array(16) });
const hash = () => rng.bytes(32);

describe('hostile sync frames against a responder', () => {
  const cases: [string, (l: Link) => void | Promise<void>, string][] = [
    ['a payload that is not a tuple', (l) => send(l, 40, 'hello'), ErrorCode.SYNC_FRAME],
    ['ranges that stop before the end bound', (l) => send(l, 40, [1, [5, new Uint8Array(0), 0]]), ErrorCode.SYNC_FRAME],
    ['bounds that go backwards', (l) => send(l, 40, [1, [100, new Uint8Array(0), 0, 1, new Uint8Array(0), 0, 0, new Uint8Array(0), 0]]), ErrorCode.SYNC_FRAME],
    ['a fingerprint of the wrong length', (l) => send(l, 40, [1, [0, new Uint8Array(0), 1, 3, new Uint8Array(15)]]), ErrorCode.SYNC_FRAME],
    ['an id list that is not whole hashes', (l) => send(l, 40, [1, [0, new Uint8Array(0), 2, new Uint8Array(33)]]), ErrorCode.SYNC_FRAME],
    ['an unknown range mode', (l) => send(l, 40, [1, [0, new Uint8Array(0), 9]]), ErrorCode.SYNC_FRAME],
    ['an id-list reply sent to the responder', (l) => send(l, 40, [1, [0, new Uint8Array(0), 3, new Uint8Array(0), new Uint8Array(0)]]), ErrorCode.SYNC_FRAME],
    ['a negative count', (l) => send(l, 40, [1, [0, new Uint8Array(0), 1, -1, new Uint8Array(16)]]), ErrorCode.SYNC_FRAME],
    ['a bound prefix longer than a hash', (l) => send(l, 40, [1, [5, new Uint8Array(33), 0, 0, new Uint8Array(0), 0]]), ErrorCode.SYNC_FRAME],
    [`more than ${MAX_RANGES} ranges`, (l) => send(l, 40, [1, [...Array.from({ length: MAX_RANGES + 1 }, () => [1, new Uint8Array(0), 0]).flat(), 0, new Uint8Array(0), 0]]), ErrorCode.SYNC_FRAME],
    ['an exchange for a session never opened', (l) => send(l, 42, [7, true, [], []]), ErrorCode.SYNC_FRAME],
    ['a transfer for a session never opened', (l) => send(l, 43, [7, true, [], []]), ErrorCode.SYNC_FRAME],
    ['an answer when the victim opened no session', (l) => send(l, 41, encodeRanges(3, [fp(0)])), ErrorCode.SYNC_FRAME],
    ['a direction flag that is not a boolean', (l) => send(l, 42, [7, 1, [], []]), ErrorCode.SYNC_FRAME],
    [
      'a session id lower than the last',
      async (l) => {
        send(l, 40, encodeRanges(10, [fp(0)]));
        await next(41);
        send(l, 40, encodeRanges(9, [fp(0)]));
      },
      ErrorCode.SYNC_FRAME,
    ],
    [
      'a query after the session moved on to the exchange',
      async (l) => {
        send(l, 40, encodeRanges(1, [fp(300)]));
        await next(41);
        send(l, 42, [1, true, [], []]);
        await next(42);
        send(l, 40, encodeRanges(1, [fp(300)]));
      },
      ErrorCode.SYNC_FRAME,
    ],
    [
      'more rounds than the bound',
      async (l) => {
        for (let i = 0; i < 17; i++) send(l, 40, encodeRanges(1, [{ mode: RangeMode.Skip, upper: END_BOUND }]));
      },
      ErrorCode.SYNC_LIMIT,
    ],
    [
      'an abstract with a short record id',
      async (l) => {
        send(l, 40, encodeRanges(1, [fp(300)]));
        await next(41);
        send(l, 42, [1, true, [[hash(), new Uint8Array(15), 1, T0, T0, T0 + 1e6, 'p', false, new Uint8Array(64)]], []]);
      },
      ErrorCode.SYNC_FRAME,
    ],
    [
      'a pushed record that was never wanted',
      async (l) => {
        send(l, 40, encodeRanges(1, [fp(300)]));
        await next(41);
        send(l, 43, [1, true, [rng.bytes(80)], []]);
      },
      ErrorCode.SYNC_UNASKED,
    ],
    [
      'a wanted record followed by one not wanted in the same message',
      async (l) => {
        const wanted = new Uint8Array(88);
        new DataView(wanted.buffer).setFloat64(0, T0 + 5);
        wanted.set(rng.bytes(80), 8);
        const { sha256 } = await import('@noble/hashes/sha2.js');
        const h = sha256(wanted);
        send(l, 40, encodeRanges(1, [fp(300)]));
        await next(41);
        send(l, 42, [1, true, [encodeAbstract({ hash: h, recordId: h.slice(0, 16), version: 1, created: T0, modified: T0 + 5, expires: T0 + 1e9, lastModifier: 'p', deleted: false, signature: new Uint8Array(64) })], []]);
        const answer = (await next(42)) as unknown[];
        expect(answer[3]).toHaveLength(1);
        send(l, 43, [1, true, [wanted, rng.bytes(80)], []]);
      },
      ErrorCode.SYNC_UNASKED,
    ],
  ];
  for (const [name, act, code] of cases) {
    it(`${name}: closes the link with ${code}, stores nothing`, async () => {
      const was = before();
      const l = await link(false);
      await act(l);
      expect(await closedWith(l)).toBe(code);
      expect(before()).toEqual(was);
    });
  }
});

describe('hostile sync frames against an initiator', () => {
  /** Opens a link the victim dials; returns it with the session id of the victim's first query. */
  async function opened(): Promise<{ l: Link; s: number }> {
    const l = await link(true);
    const q = (await next(40)) as unknown[];
    return { l, s: q[0] as number };
  }

  /** Drives the victim to pull one (fake) version: returns the hash it asked about. */
  async function toExchange(l: Link, s: number): Promise<Uint8Array> {
    const fake = hash();
    // A complete id list of one hash: the victim needs it and holds everything else as have.
    send(l, 41, encodeRanges(s, [{ mode: RangeMode.Ids, upper: END_BOUND, ids: fake }]));
    const ex = (await next(42)) as unknown[];
    expect((ex[3] as Uint8Array[]).map((h) => Buffer.from(h).toString('hex'))).toEqual([Buffer.from(fake).toString('hex')]);
    return fake;
  }

  const cases: [string, (l: Link, s: number) => void | Promise<void>, string][] = [
    ['an answer that is not a tuple', (l) => send(l, 41, [1, 2, 3]), ErrorCode.SYNC_FRAME],
    ['an answer for another session', (l, s) => send(l, 41, encodeRanges(s + 1, [fp(0)])), ErrorCode.SYNC_FRAME],
    ['a transfer answer during reconciliation', (l, s) => send(l, 43, [s, false, [], []]), ErrorCode.SYNC_FRAME],
    ['an id-list reply to fingerprints', (l, s) => send(l, 41, encodeRanges(s, [{ mode: RangeMode.IdsReply, upper: END_BOUND, ids: new Uint8Array(0), lacking: new Uint8Array(0) }])), ErrorCode.SYNC_FRAME],
    ['a responder that pulls', (l, s) => send(l, 43, [s, false, [], [hash()]]), ErrorCode.SYNC_FRAME],
    [
      'an abstract that is not the one asked for',
      async (l, s) => {
        await toExchange(l, s);
        const h = hash();
        send(l, 42, [s, false, [encodeAbstract({ hash: h, recordId: h.slice(0, 16), version: 1, created: T0, modified: T0, expires: T0 + 1e9, lastModifier: 'p', deleted: false, signature: new Uint8Array(64) })], []]);
      },
      ErrorCode.SYNC_FRAME,
    ],
    [
      'a push wanted that was never offered',
      async (l, s) => {
        await toExchange(l, s);
        send(l, 42, [s, false, [null], [hash()]]);
      },
      ErrorCode.SYNC_FRAME,
    ],
    [
      'a pulled record that is not the version asked for',
      async (l, s) => {
        const fake = await toExchange(l, s);
        send(l, 42, [s, false, [encodeAbstract({ hash: fake, recordId: fake.slice(0, 16), version: 1, created: T0, modified: T0, expires: T0 + 1e9, lastModifier: 'p', deleted: false, signature: new Uint8Array(64) })], []]);
        // The victim still offers the rest of what it has, then pulls.
        for (;;) {
          await waitFor(() => inbox.length > 0, 'the next frame from the victim');
          const m = inbox.shift() as { kind: number; payload: unknown };
          if (m.kind === 43) {
            inbox.unshift(m);
            break;
          }
          send(l, 42, [s, false, [], []]);
        }
        const t = (await next(43)) as unknown[];
        expect(t[3]).toHaveLength(1);
        send(l, 43, [s, false, [rng.bytes(90)], []]);
      },
      ErrorCode.SYNC_UNASKED,
    ],
  ];
  for (const [name, act, code] of cases) {
    it(`${name}: closes the link with ${code}, stores nothing`, async () => {
      const was = before();
      const { l, s } = await opened();
      await act(l, s);
      expect(await closedWith(l)).toBe(code);
      expect(before()).toEqual(was);
    });
  }
});

describe('random sync frames', () => {
  /** A random msgpack-able value: numbers, strings, bytes, booleans, null and small nested lists. */
  function junk(depth = 0): unknown {
    switch (rng.int(depth > 2 ? 5 : 7)) {
      case 0:
        return rng.int(2) === 0 ? rng.int(300) : -rng.int(1e9);
      case 1:
        return rng.bytes(rng.int(3) === 0 ? 32 : rng.int(40));
      case 2:
        return 'x'.repeat(rng.int(20));
      case 3:
        return rng.int(2) === 0;
      case 4:
        return null;
      default:
        return Array.from({ length: rng.int(6) }, () => junk(depth + 1));
    }
  }

  it('40 random payloads and byte-mutated queries: each closes the link with a code or is a valid frame answered; nothing stored', async () => {
    const valid = encodeExtensionFrame(40, encodeRanges(1, [fp(300)]));
    let closed = 0;
    for (let i = 0; i < 40; i++) {
      const was = before();
      const l = await link(false);
      let frame: Uint8Array;
      if (i % 2 === 0) frame = encodeExtensionFrame(40 + rng.int(4), [rng.int(5), ...(Array.from({ length: rng.int(4) }, () => junk()) as unknown[])]);
      else {
        frame = valid.slice();
        for (let k = 0; k < 1 + rng.int(4); k++) frame[2 + rng.int(frame.length - 2)] = rng.int(256);
      }
      l.to.send(frame);
      const outcome = await Promise.race([closedWith(l).then((code) => ({ code })), next(41).then(() => ({ code: 'answered' }))]);
      if (outcome.code === 'answered') {
        // A mutation that still decodes as a valid query is answered, as any query is.
        l.to.link.close('PC_OK', 'next case');
        await waitFor(() => !meshOf(victim).neighbors.has(hostile.peerId), 'the link to go');
      } else {
        closed++;
        expect([...SYNC_CODES, ErrorCode.FRAME_DECODE, ErrorCode.FRAME_SHAPE, ErrorCode.FRAME_UNEXPECTED]).toContain(outcome.code);
      }
      expect(before()).toEqual(was);
    }
    expect(closed).toBeGreaterThan(20);
    void pack;
  });
});
