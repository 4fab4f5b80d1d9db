import { createSocket } from 'node:dgram';
import { type PeerEvent, PeerProcess } from '../../helpers/peer-process.js';
import type { TestBed } from './test-bed.js';

/** The compiled host-peer fixture. */
export const HOST_PEER = 'dist/spec/hosts/fixtures/host-peer.js';
/** The compiled resolver service command line. */
export const RESOLVER_CLI = 'dist/lib/resolver/service/cli.js';

/** A peer started on a host of the bed, with its `ready` event. */
export interface HostPeer {
  readonly host: number;
  readonly proc: PeerProcess;
  readonly peerId: string;
  readonly addresses: readonly string[];
  readonly pnrpAddresses: readonly string[] | undefined;
}

let nextId = 1;

/** Starts the host-peer fixture on host `index` with `config` and waits until it is ready. */
export async function startPeer(bed: TestBed, index: number, config: Record<string, unknown>, timeoutMs = 60_000, env: Record<string, string> = {}): Promise<HostPeer> {
  const proc = bed.spawn(index, HOST_PEER, [JSON.stringify(config)], env);
  const ready = await Promise.race([
    proc.waitFor((e) => e.event === 'ready' || e.event === 'error', `peer on host ${index} ready`, timeoutMs),
    proc.exited.then((code) => {
      throw new Error(`peer on host ${index} exited (${code}) before ready: ${proc.stderr.join('').slice(-2000)}`);
    }),
  ]);
  if (ready.event === 'error') throw new Error(`peer on host ${index} failed to open: ${String(ready.code)} ${String(ready.message)}`);
  return { host: index, proc, peerId: ready.peerId as string, addresses: ready.addresses as string[], pnrpAddresses: ready.pnrpAddresses as string[] | undefined };
}

/** Asks a peer for what arrived under `prefix`. */
export async function report(p: HostPeer, prefix: string): Promise<{ distinct: number; total: number; from: string[] }> {
  const r = await reportWithLatencies(p, prefix, false);
  return { distinct: r.distinct, total: r.total, from: r.from };
}

/** {@link report}, with the one-way latency of each first arrival (ms) when `latencies`. */
export async function reportWithLatencies(p: HostPeer, prefix: string, latencies = true): Promise<{ distinct: number; total: number; from: string[]; latencies: number[] }> {
  const id = nextId++;
  p.proc.send({ report: prefix, id, latencies });
  const e = await p.proc.waitFor((x) => x.event === 'report' && x.id === id, `report ${prefix} from host ${p.host}`);
  return { distinct: e.distinct as number, total: e.total as number, from: e.from as string[], latencies: (e.latencies as number[] | undefined) ?? [] };
}

/** Sends a directed `name()` call from `from` to `to` and waits for its outcome. */
export async function call(from: HostPeer, to: string, timeoutMs?: number, waitMs = 60_000): Promise<PeerEvent> {
  const id = nextId++;
  from.proc.send({ call: to, id, timeoutMs });
  return from.proc.waitFor((x) => x.event === 'called' && x.id === id, `call from host ${from.host}`, waitMs);
}

/** Gathers `name()` from the mesh at `from`. */
export async function gather(from: HostPeer, timeoutMs = 3000): Promise<string[]> {
  const id = nextId++;
  from.proc.send({ gather: id, timeoutMs });
  const e = await from.proc.waitFor((x) => x.event === 'gathered' && x.id === id, `gather from host ${from.host}`, timeoutMs + 30_000);
  return e.names as string[];
}

/** Floods `count` posts `prefix:0..count-1` from `p`; resolves with its `flooded` event. */
export function flood(p: HostPeer, prefix: string, count: number, perSecond?: number): Promise<PeerEvent> {
  p.proc.send({ flood: prefix, count, perSecond });
  return p.proc.waitFor((x) => x.event === 'flooded' && x.prefix === prefix, `flood ${prefix} from host ${p.host}`, 120_000);
}

/**
 * Probes until each peer of `group` has heard a flood from every other one (the group's mesh is
 * connected), round after round; `tag` keeps probes of different phases apart.
 */
export async function probeUntilConnected(group: readonly HostPeer[], tag: string, maxRounds = 60): Promise<number> {
  const prefix = `probe_${tag}`;
  for (let round = 0; round < maxRounds; round++) {
    group.forEach((p) => p.proc.send({ flood: `${prefix}`, count: 1 }));
    const deadline = Date.now() + 1000;
    for (;;) {
      const heard = await Promise.all(group.map((p) => report(p, prefix)));
      if (heard.every((h, i) => group.every((q, j) => i === j || h.from.includes(q.peerId)))) return round + 1;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`group ${group.map((p) => p.host).join(',')} not connected after ${maxRounds} probe rounds`);
}

/** Waits until `test` passes on a peer's latest `neighbors` event. */
export function neighborsSatisfy(p: HostPeer, test: (peers: readonly string[]) => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const last = [...p.proc.events].reverse().find((e) => e.event === 'neighbors');
      return last !== undefined && test(last.peers as string[]);
    };
    const deadline = Date.now() + timeoutMs;
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what} on host ${p.host}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

/** Starts the resolver service on host `index`, listening on all its addresses. */
export async function startResolverService(bed: TestBed, index: number): Promise<{ proc: PeerProcess; addresses: string[]; peerId: string }> {
  const proc = bed.spawn(index, RESOLVER_CLI, ['--host', '::', '--json', '--min-ttl', '1000']);
  const e = await proc.waitFor((x) => Array.isArray(x.addresses), 'resolver service addresses', 30_000);
  return { proc, addresses: e.addresses as string[], peerId: e.peerId as string };
}

/** A UDP port free on this machine now: the bed's multicast never uses the real mDNS port. */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Makes `from` dial `address` itself (besides what its resolver finds). */
export async function dial(from: HostPeer, address: string): Promise<PeerEvent> {
  const id = nextId++;
  from.proc.send({ dial: address, id });
  return from.proc.waitFor((x) => x.event === 'dialled' && x.id === id, `dial from host ${from.host}`, 30_000);
}

/** What `from`'s resolver returns for its mesh. */
export async function resolve(from: HostPeer): Promise<{ peerId: string; addresses: string[] }[]> {
  const id = nextId++;
  from.proc.send({ resolve: id });
  const e = await from.proc.waitFor((x) => x.event === 'resolved' && x.id === id, `resolve from host ${from.host}`, 30_000);
  if (e.error !== undefined) throw new Error(`resolve failed: ${String(e.error)}`);
  return e.peers as { peerId: string; addresses: string[] }[];
}

/** Starts one peer per host, `batch` at a time, so many processes do not all boot at once. */
export async function startPeers(bed: TestBed, config: (host: TestBed['hosts'][number]) => Record<string, unknown>, batch = 5): Promise<HostPeer[]> {
  const out: HostPeer[] = [];
  for (let i = 0; i < bed.hosts.length; i += batch) {
    out.push(...(await Promise.all(bed.hosts.slice(i, i + batch).map((h) => startPeer(bed, h.index, config(h), 120_000)))));
  }
  return out;
}

/** The live notes of a peer started with `records: true`: their count, a digest, and their ids. */
export interface NoteSet {
  readonly count: number;
  readonly digest: string;
  readonly ids: readonly string[];
}

/** Runs one record command (`put`, `update` or `del` under `prefix`) at `p` and waits for it. */
export async function notes(p: HostPeer, op: 'put' | 'update' | 'del', prefix: string, count?: number): Promise<PeerEvent> {
  const id = nextId++;
  p.proc.send({ [op]: prefix, count, id });
  const e = await p.proc.waitFor((x) => (x.event === 'put' || x.event === 'updated' || x.event === 'deleted' || x.event === 'records') && x.id === id, `${op} ${prefix} at host ${p.host}`, 60_000);
  if (e.error !== undefined) throw new Error(`${op} ${prefix} at host ${p.host} failed: ${String(e.error)}`);
  return e;
}

/** What notes `p` holds now. */
export async function noteSet(p: HostPeer): Promise<NoteSet> {
  const id = nextId++;
  p.proc.send({ records: id });
  const e = await p.proc.waitFor((x) => x.event === 'records' && x.id === id, `records of host ${p.host}`, 30_000);
  if (e.error !== undefined) throw new Error(`records of host ${p.host} failed: ${String(e.error)}`);
  return { count: e.count as number, digest: e.digest as string, ids: e.ids as string[] };
}
