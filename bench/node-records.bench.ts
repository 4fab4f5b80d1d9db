import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { PeerNode, type PeerNodeOptions, PeerRecordType, RecordField, type RecordSyncReport } from '../lib/index.js';
import { MemoryNetwork, memoryTransport } from '../lib/entries/testing.js';
import { recordSync } from '../lib/records/sync/record-sync.js';
import type { RecordSync } from '../lib/records/sync/record-sync.js';

@PeerRecordType('bench.item')
class Item {
  @RecordField() n!: number;
  @RecordField() text!: string;
}

const PEERS = Number(process.env.NODE_RECORDS_BENCH_PEERS ?? 10);
const USER_RECORDS = 200;
/** The bench refreshes 5× faster than the 10 s default, so a few seconds show several refresh rounds. */
const INTERVAL_MS = 2_000;
const ROUNDS = 5;

async function meshOf(count: number, options: PeerNodeOptions): Promise<{ net: MemoryNetwork; nodes: PeerNode[]; close: () => Promise<void> }> {
  const net = new MemoryNetwork({ seed: 3 });
  const nodes = await Promise.all(
    Array.from({ length: count }, () => PeerNode.open('net.p2p://bench', { transport: memoryTransport(net), resolver: null, neighbors: { min: 0, ideal: 0, max: 16 }, handshakeTimeoutMs: 120_000, ...options })),
  );
  for (let i = 0; i < count; i++) {
    await nodes[i]!.connect(nodes[(i + 1) % count]!.addresses[0] as string).catch((e: { code?: string }) => {
      if (e.code !== 'PC_ERR_DUPLICATE_LINK') throw e;
    });
    const j = (i + Math.floor(count / 2)) % count;
    if (count > 3) await nodes[i]!.connect(nodes[j]!.addresses[0] as string).catch(() => undefined);
  }
  return { net, nodes, close: () => Promise.all(nodes.map((n) => n.close())).then(() => undefined) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU ms this process spends over `ms` of wall-clock time. */
async function cpuOver(ms: number): Promise<number> {
  const c0 = process.cpuUsage();
  await sleep(ms);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

/**
 * The cost of node records (the mesh view's source): what the per-member `peerchannel.node`
 * record refreshes cost a mesh, what a newcomer's system-space reconciliation costs, and that the
 * user space's anti-entropy rounds do not see them at all. Prints, asserts nothing.
 *
 * @remarks One process, memory transport, a ring plus chords. CPU is the whole process's, so
 * "records off" is the baseline of the same idle mesh.
 */
export async function run(): Promise<void> {
  const window = ROUNDS * INTERVAL_MS;
  let idleCpu = 0;
  {
    const { close } = await meshOf(PEERS, {});
    await sleep(500);
    const idle = await cpuOver(window);
    idleCpu = idle;
    console.log(`node-records: ${PEERS} peers, records off: ${(idle / ROUNDS).toFixed(1)} ms CPU per ${INTERVAL_MS} ms (idle mesh baseline)`);
    await close();
  }
  const engines = new Map<string, RecordSync>();
  const options: PeerNodeOptions = {
    observe: { meshRecordIntervalMs: INTERVAL_MS },
    records: {
      storage: 'memory',
      types: [Item],
      sync: (ctx) => {
        const e = recordSync({ intervalMs: 0 })(ctx) as RecordSync;
        engines.set(ctx.localPeerId, e);
        return e;
      },
    },
  };
  const { net, nodes, close } = await meshOf(PEERS, options);
  try {
    await Promise.all(Array.from({ length: USER_RECORDS }, (_, i) => nodes[i % PEERS]!.records(Item).add({ n: i, text: `item ${i} of the bench` })));
    const deadline = Date.now() + 60_000;
    while (!nodes.every((n) => n.recordStore.index.size === USER_RECORDS && n.systemRecordStore.index.size === PEERS) && Date.now() < deadline) await sleep(50);
    const before = nodes.map((n) => ({ ...n.systemRecordStore.stats }));
    const busy = await cpuOver(window);
    const frames = nodes.reduce((s, n, i) => s + (n.systemRecordStore.stats.stored - before[i]!.stored) + (n.systemRecordStore.stats.duplicates - before[i]!.duplicates) + (n.systemRecordStore.stats.stale - before[i]!.stale), 0);
    const sizes = [...nodes[0]!.systemRecordStore.all()].map((r) => r.encoded.length);
    const avg = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    const perNodeRound = frames / PEERS / ROUNDS;
    console.log(
      `node-records: ${PEERS} peers, node record every ${INTERVAL_MS} ms: ${(busy / ROUNDS).toFixed(1)} ms CPU per round for the whole mesh; ` +
        `each node takes ${perNodeRound.toFixed(1)} node-record frames per round (${PEERS} new versions + duplicates), ${((perNodeRound * avg) / 1024).toFixed(1)} KiB, records ${Math.round(avg)} bytes each`,
    );
    console.log(
      `node-records: at the 10 s default that is ${(perNodeRound / 10).toFixed(1)} frames/s and ${((perNodeRound * avg) / 10 / 1024).toFixed(2)} KiB/s a node and ${((busy - idleCpu) / ROUNDS / PEERS).toFixed(1)} ms CPU a node per refresh round above the idle mesh; user store still ${nodes[0]!.recordStore.index.size} records, system space ${nodes[0]!.systemRecordStore.index.size}`,
    );
    // A user anti-entropy round between neighbours, with node records churning beside it.
    const a = nodes[0]!;
    const b = nodes[1]!;
    const reports: RecordSyncReport[] = [];
    const sub = a.recordSyncSessions$.subscribe((r) => reports.push(r));
    engines.get(a.peerId)!.syncWith(b.peerId);
    while (!reports.some((r) => r.space === 'user') && Date.now() < deadline + 60_000) await sleep(5);
    const u = reports.find((r) => r.space === 'user');
    if (u !== undefined) console.log(`node-records: a user anti-entropy round (${USER_RECORDS} records, in sync) while node records refresh: ${u.roundTrips} round trip(s), ${u.bytesSent} bytes sent, ${u.received} records pulled, ${u.ms} ms`);
    sub.unsubscribe();
    // A newcomer: both spaces reconcile on its first link.
    const late = await PeerNode.open('net.p2p://bench', { transport: memoryTransport(net), resolver: null, neighbors: { min: 0, ideal: 0, max: 16 }, handshakeTimeoutMs: 120_000, ...options });
    nodes.push(late);
    const joined: RecordSyncReport[] = [];
    late.recordSyncSessions$.subscribe((r) => joined.push(r));
    await late.connect(a.addresses[0] as string);
    while (joined.length < 2 && Date.now() < deadline + 120_000) await sleep(5);
    for (const r of joined) {
      console.log(`node-records: newcomer's ${r.space} reconciliation (${r.role}, ${r.outcome}): ${r.received} records pulled, ${r.roundTrips} round trips, ${r.bytesSent} bytes sent by it, ${r.ms} ms`);
    }
  } finally {
    await close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
