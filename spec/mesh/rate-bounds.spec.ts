import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/errors/index.js';
import { TokenBucket } from '../../lib/internal/token-bucket.js';
import { MeshLab } from '../helpers/mesh-lab.js';
import { settle, waitFor } from '../helpers/wait.js';

describe('token bucket', () => {
  it('gives a burst, refills at its rate, overdraws down to -burst', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 5, () => now);
    expect(Array.from({ length: 6 }, () => bucket.take())).toEqual([true, true, true, true, true, false]);
    now += 100; // one token back
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    now += 10_000; // capped at the burst
    expect(Array.from({ length: 6 }, () => bucket.spend())).toEqual([4, 3, 2, 1, 0, -1]);
    expect(Array.from({ length: 5 }, () => bucket.spend())).toEqual([-2, -3, -4, -5, -5]);
    now += 500;
    expect(bucket.spend()).toBe(-1);
  });
});

let lab: MeshLab | undefined;
afterEach(async () => {
  await lab?.close();
  lab = undefined;
});

describe('per-neighbour message budget (memory transport)', () => {
  const tuning = { maxMessagesPerSecond: 1, maxMessageBurst: 20 };

  it('drops what a neighbour originates past its burst, sheds it a whole burst over, and never charges relays', async () => {
    const l = (lab = new MeshLab());
    const [a, b, c] = await l.addMany(3, { neighbors: { min: 0, ideal: 0, max: 8 }, tuning });
    await l.link(a!, b!);
    await l.link(b!, c!);
    const closed = [...b!.mesh.neighbors.values()].find((n) => n.peerId === a!.peerId)!.link.closed;
    // 60 messages in one go: 20 within the burst, then overdraft (dropped) until a whole burst
    // over, which sheds the link: at the 40th, or the 41st if the clock refilled a fraction meanwhile.
    for (let i = 0; i < 60; i++) l.flood(a!);
    expect(await closed).toMatchObject({ code: ErrorCode.RATE_LIMITED });
    await waitFor(() => c!.delivered.length === 20, 'the admitted messages to reach c');
    await settle();
    expect(b!.delivered).toHaveLength(20);
    expect(b!.mesh.stats.dropped[ErrorCode.RATE_LIMITED]).toBeGreaterThanOrEqual(19 + 1);
    expect(b!.mesh.stats.dropped[ErrorCode.RATE_LIMITED]).toBeLessThanOrEqual(20 + 1);
    // c received all 20 from b, whose origin is a: relays are not charged, b's link stays.
    expect(c!.delivered).toHaveLength(20);
    expect(c!.mesh.neighbors.has(b!.peerId)).toBe(true);
    expect(c!.mesh.stats.dropped[ErrorCode.RATE_LIMITED]).toBeUndefined();
  });

  it('a neighbour within its budget loses nothing', async () => {
    const l = (lab = new MeshLab());
    const [a, b] = await l.addMany(2, { neighbors: { min: 0, ideal: 0, max: 8 }, tuning });
    await l.link(a!, b!);
    for (let i = 0; i < 20; i++) l.flood(a!);
    await waitFor(() => b!.delivered.length === 20, 'all 20');
    expect(b!.mesh.neighbors.has(a!.peerId)).toBe(true);
    expect(b!.mesh.stats.dropped[ErrorCode.RATE_LIMITED]).toBeUndefined();
  });

  it('sheds a neighbour whose frames of any kind exceed the frame budget', async () => {
    const l = (lab = new MeshLab());
    const [a, b, c] = await l.addMany(3, { neighbors: { min: 0, ideal: 0, max: 8 }, tuning: { maxFramesPerSecond: 1, maxFrameBurst: 30 } });
    await l.link(a!, b!);
    await l.link(c!, b!);
    const closed = [...b!.mesh.neighbors.values()].find((n) => n.peerId === a!.peerId)!.link.closed;
    for (let i = 0; i < 100; i++) l.flood(a!);
    expect(await closed).toMatchObject({ code: ErrorCode.RATE_LIMITED });
    expect(b!.mesh.neighbors.has(c!.peerId)).toBe(true);
  });
});
