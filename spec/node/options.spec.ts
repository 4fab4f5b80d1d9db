import { describe, expect, it } from 'vitest';
import { ErrorCode, PeerNode, type PeerNodeOptions } from '../../lib/index.js';
import { MemoryNetwork, memoryTransport } from '../../lib/entries/testing.js';

const bad: [string, PeerNodeOptions][] = [
  ['a negative replyTimeoutMs', { replyTimeoutMs: -1 }],
  ['a zero replyTimeoutMs', { replyTimeoutMs: 0 }],
  ['NaN handshakeTimeoutMs', { handshakeTimeoutMs: Number.NaN }],
  ['an infinite seenTtlMs', { seenTtlMs: Infinity }],
  ['a negative maintenanceIntervalMs', { maintenanceIntervalMs: -5 }],
  ['a fractional maxPendingReplies', { maxPendingReplies: 1.5 }],
  ['a zero maxRepliesPerGather', { maxRepliesPerGather: 0 }],
  ['a string seenMaxEntries', { seenMaxEntries: '10' as unknown as number }],
  ['a fractional neighbour count', { neighbors: { ideal: 2.5 } }],
  ['a negative neighbour minimum', { neighbors: { min: -1 } }],
  ['a zero maxFrameBytes', { limits: { maxFrameBytes: 0 } }],
  ['maxHops above 255', { limits: { maxHops: 300 } }],
  ['a negative observe bound', { observe: { maxTracesInFlight: -1 } }],
  ['a non-boolean observe switch', { observe: { answerTraces: 'yes' as unknown as boolean } }],
  ['a negative mesh tuning value', { mesh: { routeHopTimeoutMs: -100 } }],
];

describe('PeerNode.open checks its numeric options', () => {
  it.each(bad)('rejects %s with PC_ERR_INVALID_ARGUMENT naming the option', async (_what, options) => {
    const net = new MemoryNetwork();
    const opening = PeerNode.open('net.p2p://options', { transport: memoryTransport(net), resolver: null, ...options });
    await expect(opening).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT, message: expect.stringContaining(Object.keys(options)[0] as string) });
  });

  it('opens with valid values at their edges', async () => {
    const net = new MemoryNetwork();
    const node = await PeerNode.open('net.p2p://options', {
      transport: memoryTransport(net), resolver: null, replyTimeoutMs: 0.5, maxPendingReplies: 1, neighbors: { min: 0, ideal: 0, max: 1 },
      limits: { maxHops: 255 }, observe: { maxTracesInFlight: 0 }, mesh: { exploreIntervalMs: 0 },
    });
    await node.close();
  });
});
