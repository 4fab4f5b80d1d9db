import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryNetwork, memoryTransport } from '../../lib/entries/testing.js';
import { PeerNode, PeerRecordType, RecordAttribute, RecordField } from '../../lib/index.js';
import { waitFor } from '../helpers/wait.js';

const opened: PeerNode[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((n) => n.close()));
});

// docs:begin
@PeerRecordType('whiteboard.shape')
class Shape {
  @RecordAttribute() kind!: string; // searchable
  @RecordField() x!: number; // data
  @RecordField() y!: number;
  @RecordField({ optional: true }) label?: string;
}

async function board(network: MemoryNetwork): Promise<PeerNode> {
  return PeerNode.open('net.p2p://board', {
    transport: memoryTransport(network), // TLS WebSockets by default
    resolver: null,
    records: { storage: 'memory', types: [Shape] }, // default: LevelDB under ~/.peerchannel
  });
}

async function example(alice: PeerNode, bob: PeerNode): Promise<void> {
  const shapes = alice.records(Shape);
  const circle = await shapes.add({ kind: 'circle', x: 1, y: 2 }); // durable once resolved
  await shapes.update(circle.id, { ...circle.value, x: 5 }); // only the creator may
  bob.records(Shape).changes$.subscribe((c) => console.log(c.kind, c.record.value));
  console.log(bob.records(Shape).query({ kind: 'circle' }));
  await shapes.delete(circle.id); // a tombstone replaces it everywhere
}
// docs:end

describe('docs/records.md', () => {
  it('shows the example of this spec verbatim', () => {
    const source = readFileSync(new URL(import.meta.url), 'utf8');
    const code = source.slice(source.indexOf('// docs:begin\n') + 14, source.indexOf('// docs:end'));
    expect(readFileSync('docs/records.md', 'utf8')).toContain(code.trim());
  });

  it('the example runs: bob sees alice\'s circle added, updated and deleted', async () => {
    const network = new MemoryNetwork();
    const [alice, bob] = [await board(network), await board(network)];
    opened.push(alice, bob);
    await alice.connect(bob.addresses[0] as string, bob.peerId);
    await waitFor(() => bob.status === 'online', 'bob online');
    const kinds: string[] = [];
    bob.records(Shape).changes$.subscribe((c) => kinds.push(c.kind));
    await example(alice, bob);
    await waitFor(() => kinds.length === 3, 'three changes at bob');
    expect(kinds).toEqual(['added', 'updated', 'deleted']);
  });
});
