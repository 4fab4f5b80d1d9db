import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerNode } from '../../../lib/index.js';
import type { RecordSync } from '../../../lib/records/sync/record-sync.js';
import type { SyncReport } from '../../../lib/records/sync/sync-session.js';
import { MemoryMesh } from '../../helpers/memory-mesh.js';
import { Rng } from './fixtures.js';
import { ItemSource, attachSync } from './item-source.js';

let lab: MemoryMesh | undefined;
const engines: RecordSync[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) e.close();
  await lab?.close();
  lab = undefined;
});

const T0 = 1_760_000_000_000;

/** Two item stores sharing `shared` items, with `onlyA` and `onlyB` of their own. */
function stores(seed: number, shared: number, onlyA: number, onlyB: number) {
  const rng = new Rng(seed);
  const a = new ItemSource();
  const b = new ItemSource();
  for (let i = 0; i < shared; i++) {
    const t = T0 + rng.int(shared * 10 + 10);
    const payload = rng.bytes(60);
    a.add(t, payload);
    b.add(t, payload);
  }
  for (let i = 0; i < onlyA; i++) a.addRandom(rng, T0 + rng.int(shared * 10 + 10), 60);
  for (let i = 0; i < onlyB; i++) b.addRandom(rng, T0 + rng.int(shared * 10 + 10), 60);
  return { a, b };
}

/** Links node A (dialling) to B with sync engines over the two stores; waits for both reports. */
async function syncOver(a: ItemSource, b: ItemSource) {
  lab = new MemoryMesh(11);
  const [na, nb] = (await lab.add(2)) as [PeerNode, PeerNode];
  const ea = attachSync(na, a, { sessionTimeoutMs: 60_000 });
  const eb = attachSync(nb, b, { sessionTimeoutMs: 60_000 });
  engines.push(ea, eb);
  const done = (e: RecordSync) => firstValueFrom(e.sessions$);
  const [ra, rb] = await Promise.all([done(ea), done(eb), lab.link(na, nb)]);
  return { initiator: ra as SyncReport, responder: rb as SyncReport, ea, eb };
}

describe('a sync session over the memory transport', () => {
  for (const [shared, onlyA, onlyB] of [
    [2_000, 0, 0],
    [2_000, 0, 1],
    [2_000, 50, 50],
    [5_000, 4_000, 6_000],
  ] as const) {
    it(`${onlyA + onlyB} differences (${onlyA} only at the initiator, ${onlyB} only at the responder): both end with the union`, async () => {
      const { a, b } = stores(onlyA * 7 + onlyB + 1, shared, onlyA, onlyB);
      const union = [...new Set([...a.digest(), ...b.digest()])].sort();
      const { initiator, responder, ea, eb } = await syncOver(a, b);
      expect(initiator.outcome).toBe('complete');
      expect(responder.outcome).toBe('complete');
      expect(initiator.role).toBe('initiator');
      expect(initiator.have).toBe(onlyA);
      expect(initiator.need).toBe(onlyB);
      expect(initiator.stored).toBe(onlyB);
      expect(responder.stored).toBe(onlyA);
      expect(a.digest()).toEqual(union);
      expect(b.digest()).toEqual(union);
      expect(await firstValueFrom(ea.synchronized$)).toBe(true);
      expect(await firstValueFrom(eb.synchronized$)).toBe(true);
      if (onlyA + onlyB === 0) {
        expect(initiator.roundTrips).toBe(1);
        expect(initiator.sent + responder.sent).toBe(0);
      }
      if (onlyA + onlyB <= 100) expect(initiator.roundTrips).toBeLessThanOrEqual(4);
    });
  }
});
