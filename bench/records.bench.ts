import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { firstValueFrom } from 'rxjs';
import { MemoryNetwork, memoryTransport } from '../lib/entries/testing.js';
import { PeerNode, PeerRecordType, RecordAttribute, RecordField } from '../lib/index.js';
import { recordSync } from '../lib/records/sync/record-sync.js';
import type { RecordSync } from '../lib/records/sync/record-sync.js';
import type { SyncTree } from '../lib/records/sync/sync-tree.js';

/** Sizes (environment variables override them for quick runs). */
const RECORDS = Number(process.env.RECORDS_BENCH_RECORDS ?? 100_000);
const DURABLE_ADDS = Number(process.env.RECORDS_BENCH_DURABLE ?? 2_000);

@PeerRecordType('bench.note')
class Note {
  @RecordAttribute() kind!: string;
  @RecordField() n!: number;
  @RecordField() text!: string;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;

/**
 * Record store figures: a late joiner's sync to a store of 100,000 records with 0, 10 and
 * 1,000 differences (bytes on the wire, round trips, ms) beside the cost of sending the whole
 * store; durable adds per second on LevelDB; memory per 100,000 records. Prints, asserts nothing.
 *
 * @remarks
 * The joiner holds all but 1,000 of the source's records (fed to it directly), dials the source
 * and syncs; then the source adds 10 records while the link is down and the two link again;
 * then they link once more with nothing to do. Bytes are both sides' sync frames (reconciliation,
 * abstracts, records). Target: 10 differences in ≤ 4 round trips and ≤ 2% of the whole store.
 */
export async function run(): Promise<void> {
  const net = new MemoryNetwork({ seed: 1 });
  const engines = new Map<string, RecordSync>();
  const open = (records: object) =>
    PeerNode.open('net.p2p://bench', {
      transport: memoryTransport(net),
      resolver: null,
      neighbors: { min: 0, ideal: 0, max: 8 },
      records: {
        storage: 'memory',
        types: [Note],
        limits: { maxRecordsPerCreator: RECORDS * 2 },
        sync: (ctx) => {
          const e = recordSync({ intervalMs: 0, sessionTimeoutMs: 600_000 })(ctx) as RecordSync;
          engines.set(ctx.localPeerId, e);
          return e;
        },
        ...records,
      },
    });

  const source = await open({});
  const notes = source.records(Note);
  const h0 = heap();
  const t0 = performance.now();
  for (let i = 0; i < RECORDS; i++) await notes.add({ kind: i % 2 === 0 ? 'even' : 'odd', n: i, text: `note number ${i} of the benchmark` });
  const built = performance.now() - t0;
  const h1 = heap();
  const tree = source.recordStore.index as SyncTree;
  console.log(`records: ${RECORDS.toLocaleString('en-US')} signed adds (memory storage) in ${(built / 1000).toFixed(1)} s (${Math.round((RECORDS * 1000) / built).toLocaleString('en-US')}/s)`);
  console.log(`records: memory per 100,000 records: ${mb(((h1 - h0) * 100_000) / RECORDS)} of heap (store, versions, index); the sync index alone ${mb((tree.memoryBytes * 100_000) / tree.size)}`);

  const encodings: Uint8Array[] = [];
  const hashes: Uint8Array[] = [];
  tree.forEachHash(0, tree.size, (b, o) => {
    hashes.push(b.slice(o, o + 32));
  });
  for (const h of hashes) encodings.push((await source.recordStore.load(h)) as Uint8Array);
  const whole = encodings.reduce((s, e) => s + e.length + 5, 0);
  console.log(`records: sending the whole store = ${mb(whole)} (${encodings.length.toLocaleString('en-US')} records, ${Math.round(whole / encodings.length)} bytes each; ids alone ${mb(encodings.length * 32)})`);

  // The joiner holds every record but the 1,000 most recent.
  const joiner = await open({});
  const t1 = performance.now();
  for (const e of encodings.slice(0, encodings.length - 1_000)) joiner.recordStore.receiveNow(e, source.peerId);
  console.log(`records: joiner fed ${(encodings.length - 1_000).toLocaleString('en-US')} records in ${((performance.now() - t1) / 1000).toFixed(1)} s`);

  const sync = async (label: string, differences: number) => {
    const reports = (peer: string) => firstValueFrom((engines.get(peer) as RecordSync).sessions$);
    const t = performance.now();
    const [a, b] = await Promise.all([reports(joiner.peerId), reports(source.peerId), joiner.connect(source.addresses[0] as string, source.peerId)]);
    const ms = performance.now() - t;
    const bytes = a.bytesSent + b.bytesSent;
    console.log(
      `records: sync ${label} (${differences} differences): ${kb(bytes)} on the wire (${((100 * bytes) / whole).toFixed(3)}% of the whole store), ` +
        `${a.roundTrips} round trips (${a.rounds} reconciling), ${Math.round(ms)} ms; pulled ${a.stored}, outcome ${a.outcome}/${b.outcome}`,
    );
    net.cut(joiner.peerId, source.peerId);
    await new Promise((r) => setTimeout(r, 50));
  };
  await sync('late joiner', 1_000);
  for (let i = 0; i < 10; i++) await notes.add({ kind: 'late', n: i, text: `added while apart ${i}` });
  await sync('after 10 adds apart', 10);
  await sync('nothing to do', 0);
  await joiner.close();
  await source.close();

  // Durable adds on LevelDB: each resolved add was written with sync.
  const dir = await mkdtemp(join(tmpdir(), 'pc-records-bench-'));
  try {
    const disk = await PeerNode.open('net.p2p://bench-disk', { transport: memoryTransport(new MemoryNetwork()), resolver: null, records: { storage: 'disk', location: join(dir, 'db'), identityDirectory: join(dir, 'id'), types: [Note], sync: null } });
    const d = disk.records(Note);
    let t = performance.now();
    for (let i = 0; i < DURABLE_ADDS; i++) await d.add({ kind: 'disk', n: i, text: 'durable' });
    const one = performance.now() - t;
    t = performance.now();
    for (let i = 0; i < DURABLE_ADDS; i += 64) await Promise.all(Array.from({ length: Math.min(64, DURABLE_ADDS - i) }, (_, k) => d.add({ kind: 'disk', n: i + k, text: 'durable' })));
    const many = performance.now() - t;
    console.log(`records: durable adds (classic-level, sync writes): ${Math.round((DURABLE_ADDS * 1000) / one).toLocaleString('en-US')}/s one at a time, ${Math.round((DURABLE_ADDS * 1000) / many).toLocaleString('en-US')}/s with 64 in flight`);
    await disk.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
