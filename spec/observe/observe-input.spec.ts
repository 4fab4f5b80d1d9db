import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, defaultFrameLimits } from '../../lib/index.js';
import { decodeDescription, encodeDescription } from '../../lib/observe/mesh-view.js';
import { ObserveContract } from '../../lib/observe/observe-contract.js';
import { decodeTraceReport, encodeTraceReport } from '../../lib/observe/trace-report.js';
import { MemoryMesh } from '../helpers/memory-mesh.js';
import { waitFor } from '../helpers/wait.js';

const id = new Uint8Array(16).fill(7);
const good = () => encodeTraceReport({ id, kind: 'flood', via: 'b', hops: 2, delivered: true, reason: undefined, refused: undefined, forwardedTo: ['c'], duplicatesFrom: [], neighbors: ['b', 'c'], known: [], at: 1 });

describe('observe input from peers', () => {
  let mesh: MemoryMesh | undefined;
  afterEach(async () => mesh?.close());

  it('decodes a well-formed report and refuses every malformed or oversized one with PC_ERR_FRAME_SHAPE', () => {
    expect(decodeTraceReport(good(), 'reporter', defaultFrameLimits)).toMatchObject({ id: '07'.repeat(16), peerId: 'reporter', hops: 2, via: 'b', forwardedTo: ['c'] });
    const bad: unknown[] = [
      null, [], good().slice(0, 11),
      Object.assign(good(), { 0: new Uint8Array(15) }),
      Object.assign(good(), { 3: -1 }),
      Object.assign(good(), { 6: Array.from({ length: 65 }, (_, i) => `p${i}`) }),
      Object.assign(good(), { 8: [''] }),
      Object.assign(good(), { 2: 'x'.repeat(257) }),
      Object.assign(good(), { 4: 'yes' }),
    ];
    for (const raw of bad) expect(() => decodeTraceReport(raw, 'r', defaultFrameLimits)).toThrow(expect.objectContaining({ code: ErrorCode.FRAME_SHAPE }));
  });

  it('bounds node descriptions the same way', () => {
    const raw = encodeDescription({ status: 'online', neighbors: [{ peerId: 'b', utility: 0.5, direction: 'inbound', queued: 0 }], sent: 1, delivered: 2, relayed: 3, duplicates: 4, dropped: { PC_ERR_X: 1 }, at: 5 });
    expect(decodeDescription(raw, 'a', defaultFrameLimits)).toMatchObject({ peerId: 'a', sent: 1, dropped: { PC_ERR_X: 1 } });
    const tooMany = [1, Array.from({ length: 65 }, () => ['b', 0.5, 0, 0]), [0, 0, 0, 0], [], 0];
    expect(() => decodeDescription(tooMany, 'a', defaultFrameLimits)).toThrow(expect.objectContaining({ code: ErrorCode.FRAME_SHAPE }));
    expect(() => decodeDescription([1, [['b', 2, 0, 0]], [0, 0, 0, 0], [], 0], 'a', defaultFrameLimits)).toThrow(expect.objectContaining({ code: ErrorCode.FRAME_SHAPE }));
  });

  it('drops (and counts) reports for traces the receiver does not have, and malformed ones, without harm', async () => {
    mesh = new MemoryMesh(31);
    const [a, b] = await mesh.add(2);
    await mesh.link(a!, b!);
    const observe = b!.proxy(ObserveContract).to(a!.peerId);
    await observe.report(good());
    await observe.report([1, 2, 3]);
    await waitFor(() => (a!.stats().dropped[ErrorCode.TRACE_UNKNOWN] ?? 0) === 1 && (a!.stats().dropped[ErrorCode.FRAME_SHAPE] ?? 0) === 1, 'both reports dropped');
    expect(a!.status).toBe('online');
  });
});

describe('the trace mark under message signing', () => {
  it('is covered by the signature: a relay cannot add it to, or strip it from, a signed message', async () => {
    const { PeerIdentity } = await import('../../lib/identity/peer-identity.js');
    const { signMessage, verifyMessage } = await import('../../lib/security/message-signing.js');
    const { encodeBody } = await import('../../lib/codec/index.js');
    const origin = PeerIdentity.generate();
    const body = { type: 'call' as const, id, origin: origin.peerId, target: null, contract: 'chat', operation: 'say', args: ['a', 'b'], wantsReply: false };
    const plain = encodeBody(body);
    const marked = encodeBody({ ...body, trace: true });
    expect(Buffer.compare(plain, marked)).not.toBe(0);
    const sigPlain = signMessage(origin, plain);
    const sigMarked = signMessage(origin, marked);
    expect(verifyMessage(origin.peerId, plain, sigPlain)).toBe(true);
    expect(verifyMessage(origin.peerId, marked, sigMarked)).toBe(true);
    expect(verifyMessage(origin.peerId, marked, sigPlain)).toBe(false);
    expect(verifyMessage(origin.peerId, plain, sigMarked)).toBe(false);
  });
});
