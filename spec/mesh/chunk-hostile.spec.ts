import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/errors/index.js';
import { ChunkFrameKind } from '../../lib/mesh/chunks/chunk-frames.js';
import type { MeshTuning } from '../../lib/mesh/options.js';
import { type LabPeer, MeshLab } from '../helpers/mesh-lab.js';
import { waitFor } from '../helpers/wait.js';

let lab: MeshLab;
afterEach(async () => {
  await lab.close();
});

const MiB = 1024 * 1024;

/** An honest peer and a hostile neighbour that writes chunk frames by hand. */
async function pair(tuning: Partial<MeshTuning> = {}): Promise<{ honest: LabPeer; hostile: LabPeer; send: (kind: number, payload: unknown) => void; closed: Promise<{ code: string }> }> {
  lab = new MeshLab();
  const opts = { neighbors: { min: 0, ideal: 0, max: 4 }, maintenanceIntervalMs: 60_000, tuning: { memberAnnounceMs: 0, ...tuning } };
  const [honest, hostile] = await lab.addMany(2, opts);
  await lab.link(hostile!, honest!);
  const closed = honest!.mesh.neighbors.get(hostile!.peerId)!.link.closed;
  const send = (kind: number, payload: unknown) => void hostile!.mesh.sendExtension(hostile!.mesh.neighbors.get(honest!.peerId)!, kind, payload);
  return { honest: honest!, hostile: hostile!, send, closed };
}

const start = (stream: number, total: number, origin: string, id: Uint8Array = randomBytes(16)) => [stream, total, id, origin];
const piece = (n: number) => randomBytes(n);

describe('hostile chunk input: each violation costs little and closes the link with its code', () => {
  it('a first chunk claiming more than maxMessageBytes: PC_ERR_MESSAGE_TOO_LARGE', async () => {
    const { hostile, send, closed } = await pair({ maxMessageBytes: MiB, maxChunkQueueBytes: 4 * MiB });
    send(ChunkFrameKind.Start, start(1, 2 ** 40, hostile.peerId));
    expect(await closed).toMatchObject({ code: ErrorCode.MESSAGE_TOO_LARGE });
  });

  it('a chunk out of order: PC_ERR_CHUNK_INVALID', async () => {
    const { honest, hostile, send, closed } = await pair();
    send(ChunkFrameKind.Start, start(1, 200_000, hostile.peerId));
    send(ChunkFrameKind.Data, [1, 1_000, piece(1_000)]);
    expect(await closed).toMatchObject({ code: ErrorCode.CHUNK_INVALID });
    expect(honest.mesh.stats.dropped[ErrorCode.CHUNK_INVALID]).toBe(1);
  });

  it('overlapping chunks (the same offset twice): PC_ERR_CHUNK_INVALID', async () => {
    const { hostile, send, closed } = await pair();
    send(ChunkFrameKind.Start, start(7, 200_000, hostile.peerId));
    send(ChunkFrameKind.Data, [7, 0, piece(50_000)]);
    send(ChunkFrameKind.Data, [7, 25_000, piece(50_000)]);
    expect(await closed).toMatchObject({ code: ErrorCode.CHUNK_INVALID });
  });

  it('bytes past the claimed total, and a chunk of a stream never started: PC_ERR_CHUNK_INVALID', async () => {
    const first = await pair();
    first.send(ChunkFrameKind.Start, start(2, 70_000, first.hostile.peerId));
    first.send(ChunkFrameKind.Data, [2, 0, piece(60_000)]);
    first.send(ChunkFrameKind.Data, [2, 60_000, piece(20_000)]);
    expect(await first.closed).toMatchObject({ code: ErrorCode.CHUNK_INVALID });
    await lab.close();
    const second = await pair();
    second.send(ChunkFrameKind.Data, [99, 0, piece(10)]);
    expect(await second.closed).toMatchObject({ code: ErrorCode.CHUNK_INVALID });
  });

  it('a message that never completes is dropped after chunkTimeoutMs: PC_ERR_REASSEMBLY_TIMEOUT, nothing left held', async () => {
    const { honest, hostile, send, closed } = await pair({ chunkTimeoutMs: 150 });
    send(ChunkFrameKind.Start, start(3, 8 * MiB, hostile.peerId));
    send(ChunkFrameKind.Data, [3, 0, piece(60_000)]);
    expect(await closed).toMatchObject({ code: ErrorCode.REASSEMBLY_TIMEOUT });
    const reassembler = Reflect.get(Reflect.get(honest.mesh, 'large'), 'reassembler') as { partials: number; bytesInFlight: number };
    expect(reassembler).toMatchObject({ partials: 0, bytesInFlight: 0 });
  });

  it('more partial messages from one neighbour than maxPartialsPerNeighbor: PC_ERR_REASSEMBLY_LIMIT', async () => {
    const { hostile, send, closed } = await pair({ maxPartialsPerNeighbor: 3, maxPartialsPerOrigin: 100 });
    for (let s = 1; s <= 4; s++) send(ChunkFrameKind.Start, start(s, 100_000, `origin-${s}`));
    expect(await closed).toMatchObject({ code: ErrorCode.REASSEMBLY_LIMIT });
    void hostile;
  });

  it('claimed bytes over maxReassemblyBytesPerNeighbor: PC_ERR_REASSEMBLY_LIMIT', async () => {
    const { send, closed } = await pair({ maxReassemblyBytesPerNeighbor: 10 * MiB });
    send(ChunkFrameKind.Start, start(1, 6 * MiB, 'origin-1'));
    send(ChunkFrameKind.Start, start(2, 6 * MiB, 'origin-2'));
    expect(await closed).toMatchObject({ code: ErrorCode.REASSEMBLY_LIMIT });
  });

  it('past maxPartialsPerOrigin, or for a message already seen, the stream is cancelled (the link stays) and its chunks ignored', async () => {
    const { honest, hostile, send } = await pair({ maxPartialsPerOrigin: 1 });
    const sender = Reflect.get(Reflect.get(hostile.mesh, 'large'), 'sender') as { cancel: (from: unknown, stream: number) => void };
    const cancelled: number[] = [];
    sender.cancel = (_from, stream) => void cancelled.push(stream);
    send(ChunkFrameKind.Start, start(1, 100_000, 'one-origin'));
    send(ChunkFrameKind.Start, start(2, 100_000, 'one-origin'));
    // A message this node has seen: its own flood's id.
    const own = lab.flood(honest);
    send(ChunkFrameKind.Start, start(3, 100_000, honest.peerId, own.id));
    send(ChunkFrameKind.Data, [2, 0, piece(1_000)]);
    send(ChunkFrameKind.Data, [3, 0, piece(1_000)]);
    await waitFor(() => cancelled.length === 2, 'two cancels back');
    expect(cancelled).toEqual([2, 3]);
    expect(honest.mesh.stats.dropped[ErrorCode.REASSEMBLY_LIMIT]).toBe(1);
    expect(honest.mesh.neighbors.get(hostile.peerId)?.link.isOpen).toBe(true);
  });

  it('malformed chunk frames (wrong shape, empty bytes) close the link with PC_ERR_CHUNK_INVALID; the process carries on', async () => {
    const { send, closed } = await pair();
    send(ChunkFrameKind.Data, [1, 0, new Uint8Array(0)]);
    expect(await closed).toMatchObject({ code: ErrorCode.CHUNK_INVALID });
    await lab.close();
    const second = await pair();
    second.send(ChunkFrameKind.Start, ['x', 1, 2]);
    expect(await second.closed).toMatchObject({ code: ErrorCode.CHUNK_INVALID });
  });

  it('chunks that reassemble into something other than a message: PC_ERR_CHUNK_INVALID', async () => {
    const { hostile, send, closed } = await pair();
    // A whole utility frame, "chunked": only floods and directed messages travel in chunks.
    const { encodeExtensionFrame } = await import('../../lib/codec/index.js');
    const frame = encodeExtensionFrame(20, [0, 0, 1, 1]);
    send(ChunkFrameKind.Start, start(5, frame.length, hostile.peerId));
    send(ChunkFrameKind.Data, [5, 0, frame]);
    expect(await closed).toMatchObject({ code: ErrorCode.CHUNK_INVALID });
  });
});
