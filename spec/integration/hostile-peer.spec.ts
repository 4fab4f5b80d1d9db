import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameKind, PROTOCOL_VERSION, decodeFrame, encodeBody, encodeFrame, pack } from '../../lib/codec/index.js';
import { ErrorCode, PeerIdentity, PeerNode, webSocketTransport } from '../../lib/index.js';
import { mulberry32 } from '../../lib/transport/memory/memory-network.js';
import type { Link, Transport } from '../../lib/transport/transport.js';
import { Chat } from '../helpers/contracts.js';
import { deepNesting, hugeCount, manyEmpties, pointerBomb, withTrailing } from '../helpers/hostile-frames.js';
import { waitFor } from '../helpers/wait.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let target: PeerNode;
let friend: PeerNode;
let raw: Transport;
const rawId = PeerIdentity.generate();
const workers: { id: PeerIdentity; transport: Transport }[] = [];
const delivered: unknown[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  const ws = () => webSocketTransport({ host: '127.0.0.1' });
  target = await PeerNode.open('net.p2p://fuzz', { transport: ws(), resolver: null, handshakeTimeoutMs: 500, security: 'none', neighbors: { max: 64 } });
  friend = await PeerNode.open('net.p2p://fuzz', { transport: ws(), resolver: null, security: 'none' });
  await friend.connect(target.addresses[0] as string, target.peerId);
  target.calls$(Chat).subscribe((c) => delivered.push(c.args));
  raw = webSocketTransport({ host: '127.0.0.1', handshakeTimeoutMs: 2000, maxFrameBytes: 256 * 1024, maxBatchBytes: 512 * 1024 })({ identity: rawId });
  await raw.listen();
  for (let i = 0; i < 8; i++) {
    const id = PeerIdentity.generate();
    workers.push({ id, transport: webSocketTransport({ host: '127.0.0.1' })({ identity: id }) });
  }
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await Promise.all([raw?.close(), ...workers.map((w) => w.transport.close()), friend?.close(), target?.close()]);
});

async function stillServes(): Promise<void> {
  const before = delivered.length;
  await friend.proxy(Chat).say('friend', `still here ${before}`);
  await waitFor(() => delivered.length > before, 'a flood from the good neighbour', 10_000);
}

function isNeighbor(peerId: string): boolean {
  let found = false;
  target.neighbors$.subscribe((set) => (found = set.some((n) => n.peerId === peerId))).unsubscribe();
  return found;
}

/** Dials and completes a hand-made handshake, once the target has dropped this identity's last link. */
async function handshaken(via: Transport = raw, id: PeerIdentity = rawId): Promise<Link> {
  await waitFor(() => !isNeighbor(id.peerId), 'the previous link to be gone', 10_000);
  const link = await via.dial(target.addresses[0] as string, { expectedPeerId: target.peerId });
  const answer = new Promise<number>((resolve, reject) => {
    link.setReceiver((f) => resolve(decodeFrame(f).kind));
    void link.closed.then((info) => reject(new Error(`closed: ${info.code}`)));
  });
  link.send(encodeFrame({ kind: FrameKind.Hello, version: PROTOCOL_VERSION, peerId: id.peerId, mesh: 'fuzz', addresses: [], ext: { security: 'none' } }));
  expect(await answer).toBe(FrameKind.Welcome);
  link.setReceiver(() => undefined);
  return link;
}

describe('a hostile raw client against a live node over TLS WebSockets', () => {
  it('a client that upgrades and sends nothing is dropped at the handshake bound', async () => {
    const link = await raw.dial(target.addresses[0] as string, { expectedPeerId: target.peerId });
    expect(await link.closed).toMatchObject({ code: ErrorCode.HANDSHAKE_TIMEOUT });
    await stillServes();
  });

  it.each([
    ['garbage', () => new Uint8Array([0xc1, 0xc1, 0xc1]), ErrorCode.FRAME_DECODE],
    ['an oversize frame', () => new Uint8Array(70_000), ErrorCode.FRAME_TOO_LARGE],
    ['a malformed flood', () => pack([FrameKind.Flood, 'x', 1, 2, 3]), ErrorCode.BAD_HOP_COUNT],
    ['a 60-level structured-clone pointer bomb with trailing bytes', () => pointerBomb(60), ErrorCode.FRAME_DECODE],
    ['60,000 nested arrays', () => deepNesting(60_000), ErrorCode.FRAME_TOO_COMPLEX],
    ['an array32 claiming 2^32-1 items', () => hugeCount(), ErrorCode.FRAME_TOO_COMPLEX],
    ['16,385 empty arrays', () => manyEmpties(16_385), ErrorCode.FRAME_TOO_COMPLEX],
    ['a valid flood with trailing bytes', () => withTrailing(encodeFrame({ kind: FrameKind.Flood, hops: null, travelled: 1, body: new Uint8Array(8), sig: null })), ErrorCode.FRAME_DECODE],
    ['a flood whose body is a pointer bomb', () => encodeFrame({ kind: FrameKind.Flood, hops: null, travelled: 1, body: pointerBomb(40), sig: null }), ErrorCode.FRAME_DECODE],
  ])('a valid handshake then %s: that link is closed with its code, the others carry on', async (_n, frame, code) => {
    const link = await handshaken();
    link.send(frame());
    expect(await link.closed).toMatchObject({ code });
    await stillServes();
  });

  it('survives 10,000 random and mutated frames: no crash, no unhandled rejection, memory back to baseline', async () => {
    const rand = mulberry32(1234);
    const byte = () => Math.floor(rand() * 256);
    const valid = (): Uint8Array => {
      const body = encodeBody({
        type: 'call', id: crypto.getRandomValues(new Uint8Array(16)), origin: rawId.peerId, target: null,
        contract: rand() < 0.8 ? 'chat' : 'other', operation: ['say', 'nudge', 'whois', 'nope'][Math.floor(rand() * 4)] as string,
        args: rand() < 0.5 ? ['fuzz', 'text'] : [byte(), { x: byte() }, [1, 2]], wantsReply: rand() < 0.2,
      });
      return encodeFrame({ kind: FrameKind.Flood, hops: rand() < 0.5 ? null : 1 + Math.floor(rand() * 5), travelled: 1, body, sig: null });
    };
    const mutate = (f: Uint8Array): Uint8Array => {
      const out = new Uint8Array(f);
      const kind = rand();
      if (kind < 0.4) for (let i = 0; i < 1 + Math.floor(rand() * 4); i++) out[Math.floor(rand() * out.length)] = byte();
      else if (kind < 0.7) return out.subarray(0, Math.floor(rand() * out.length));
      else if (kind < 0.85) return Uint8Array.from([...out, ...Array.from({ length: 1 + Math.floor(rand() * 8) }, byte)]);
      else return Uint8Array.from({ length: 1 + Math.floor(rand() * 64) }, byte);
      return out;
    };

    /** Frames the node has handled: delivered, duplicate, or dropped with a reason. */
    const handled = () => {
      const st = target.stats();
      return st.delivered + st.duplicates + Object.values(st.dropped).reduce((a, b) => a + b, 0);
    };
    const fuzz = async (count: number) => {
      const goal = handled() + count;
      const running = workers.map(async (w) => {
        while (handled() < goal) {
          const link = await handshaken(w.transport, w.id);
          // One frame per turn, so each travels in its own WebSocket message and is judged alone.
          while (link.isOpen && handled() < goal) {
            link.send(rand() < 0.3 ? valid() : mutate(valid()));
            await new Promise((r) => setImmediate(r));
          }
          link.close('PC_OK', 'done');
        }
      });
      await Promise.all(running);
    };
    await fuzz(1000);
    await stillServes();
    gc();
    const baseline = process.memoryUsage().heapUsed;
    const before = handled();
    await fuzz(10_000);
    expect(handled() - before).toBeGreaterThanOrEqual(10_000);
    await stillServes();
    gc();
    await new Promise((r) => setTimeout(r, 100));
    gc();
    const after = process.memoryUsage().heapUsed;
    expect(unhandled).toEqual([]);
    const dropped = target.stats().dropped;
    // The frames exercised many distinct rejection paths.
    expect(Object.keys(dropped).length).toBeGreaterThanOrEqual(5);
    // Seen ids (bounded) legitimately grow with accepted messages; anything beyond a few MB is a leak.
    expect(after - baseline).toBeLessThan(16 * 1024 * 1024);
  }, 240_000);
});
