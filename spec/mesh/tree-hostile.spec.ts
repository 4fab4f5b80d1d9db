import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/errors/index.js';
import { IHAVE_ENTRY_BYTES, MAX_IDS_PER_FRAME, MeshFrameKind } from '../../lib/mesh/mesh-frames.js';
import { MeshLab } from '../helpers/mesh-lab.js';

let lab: MeshLab | undefined;
afterEach(async () => {
  await lab?.close();
  lab = undefined;
});

const entries = (n: number) => Buffer.alloc(n * IHAVE_ENTRY_BYTES, 7);

/** Two tree-mode peers, one hostile, linked; returns a sender of raw IHAVE payloads and the honest side's view of the link. */
async function pair() {
  lab = new MeshLab();
  const [honest, hostile] = await lab.addMany(2, { neighbors: { min: 0, ideal: 0, max: 4 }, tuning: { broadcast: 'tree' } });
  await lab.link(hostile!, honest!);
  const send = (payload: unknown) => hostile!.mesh.sendExtension(hostile!.mesh.neighbors.get(honest!.peerId)!, MeshFrameKind.IHave, payload);
  return { honest: honest!, hostile: hostile!, send };
}

describe('IHAVE frames from a hostile neighbour (tree mode)', () => {
  it.each([
    ['entries that are not whole 18-byte ids', () => [['a'.repeat(64), Buffer.alloc(IHAVE_ENTRY_BYTES + 1)]]],
    ['an empty group', () => [['a'.repeat(64), Buffer.alloc(0)]]],
    ['entries that are not bytes', () => [['a'.repeat(64), [1, 2, 3]]]],
    ['more ids than a frame may hold, split over groups', () => [['a'.repeat(64), entries(MAX_IDS_PER_FRAME)], ['b'.repeat(64), entries(1)]]],
    ['a group that is not a pair', () => [['a'.repeat(64)]]],
  ])('%s closes that link with PC_ERR_FRAME_SHAPE', async (_what, payload) => {
    const { honest, hostile, send } = await pair();
    const closed = honest.mesh.neighbors.get(hostile.peerId)!.link.closed;
    send(payload());
    expect(await closed).toMatchObject({ code: ErrorCode.FRAME_SHAPE });
  });

  it('a full frame of unknown ids is taken (a graft is asked for, bounded), and the link stays', async () => {
    const { honest, hostile, send } = await pair();
    const link = honest.mesh.neighbors.get(hostile.peerId)!;
    const ids = Buffer.alloc(MAX_IDS_PER_FRAME * IHAVE_ENTRY_BYTES);
    for (let i = 0; i < MAX_IDS_PER_FRAME; i++) ids.writeUInt32BE(i + 1, i * IHAVE_ENTRY_BYTES);
    const before = link.received;
    send([['a'.repeat(64), ids]]);
    const deadline = Date.now() + 5_000;
    while (link.received < before + MAX_IDS_PER_FRAME && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(link.received).toBe(before + MAX_IDS_PER_FRAME);
    expect(honest.mesh.neighbors.get(hostile.peerId)).toBe(link);
  });
});
