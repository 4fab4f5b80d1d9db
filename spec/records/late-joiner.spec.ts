import { afterEach, describe, expect, it } from 'vitest';
import { type PeerNode } from '../../lib/index.js';
import { MemoryMesh } from '../helpers/memory-mesh.js';
import { waitFor } from '../helpers/wait.js';
import { Shape } from './helpers/shapes.js';

let lab: MemoryMesh;
afterEach(async () => {
  await lab?.close();
});

describe('a late joiner (memory transport, default reconciliation)', () => {
  it('receives every record held by the node it links to, and synchronized$ turns true', async () => {
    lab = new MemoryMesh(11);
    const [a] = (await lab.add(1, { records: { storage: 'memory', types: [Shape] } })) as [PeerNode];
    for (let i = 0; i < 500; i++) await a.records(Shape).add({ kind: 'k', x: i, y: 0 });
    const [late] = (await lab.add(1, { records: { storage: 'memory', types: [Shape] } })) as [PeerNode];
    const errors: string[] = [];
    late.errors$.subscribe((e) => errors.push(`${e.code} ${e.message}`));
    a.errors$.subscribe((e) => errors.push(`a: ${e.code} ${e.message}`));
    let synced = false;
    late.synchronized$.subscribe((s) => (synced = s));
    await lab.link(late, a);
    await waitFor(() => late.records(Shape).query().length === 500, `500 records at the late joiner (errors: ${errors.slice(0, 5).join('; ')})`, 20_000).catch((e: Error) => {
      throw new Error(`${e.message}; held ${late.records(Shape).query().length}; errors ${errors.slice(0, 5).join(' | ')}`);
    });
    await waitFor(() => synced, 'synchronized$');
    expect(late.recordStats().rejected).toEqual({});
  });
});
