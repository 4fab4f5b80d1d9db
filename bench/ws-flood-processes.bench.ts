import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { latencyLine, rate } from './stats.js';

type Reply = Record<string, unknown>;

class Peer {
  private readonly child: ChildProcess;
  private readonly waiting: ((r: Reply) => void)[] = [];
  private readonly backlog: Reply[] = [];
  constructor(script: string) {
    this.child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const r = JSON.parse(line) as Reply;
      const w = this.waiting.shift();
      if (w) w(r);
      else this.backlog.push(r);
    });
  }
  next(): Promise<Reply> {
    const r = this.backlog.shift();
    return r ? Promise.resolve(r) : new Promise((resolve) => this.waiting.push(resolve));
  }
  async ask(cmd: unknown): Promise<Reply> {
    this.child.stdin!.write(`${JSON.stringify(cmd)}\n`);
    return this.next();
  }
  /** Asks the peer to leave and resolves when its process has exited. */
  quit(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null) resolve();
      else this.child.once('exit', () => resolve());
    });
    this.child.stdin!.write(`${JSON.stringify({ quit: true })}\n`);
    return exited;
  }
  kill(): void {
    this.child.kill();
  }
}

/** Ten peers, each in its own process, over TLS WebSockets on loopback. */
export async function run(): Promise<void> {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'ws-peer.js');
  const peers = Array.from({ length: 10 }, () => new Peer(script));
  try {
    const ready = await Promise.all(peers.map((p) => p.next()));
    const ref = (i: number) => ({ address: ready[i]!.address as string, peerId: ready[i]!.peerId as string });
    await Promise.all(peers.map((p, i) => p.ask({ connect: i < 5 ? [ref((i + 1) % 10), ref(i + 5)] : [ref((i + 1) % 10)] })));
    const perPeer = 1000;
    const count = async () => (await Promise.all(peers.map((p) => p.ask({ report: true })))).reduce((s, r) => s + (r.deliveries as number), 0);
    const start = performance.now();
    await Promise.all(peers.map((p) => p.ask({ flood: perPeer })));
    const target = perPeer * 10 * 10;
    let delivered = await count();
    while (delivered < target && performance.now() - start < 60_000) {
      await new Promise((r) => setTimeout(r, 20));
      delivered = await count();
    }
    const elapsed = performance.now() - start;
    console.log(`TLS WebSockets, 10 peers, 10 processes: ${rate(delivered, elapsed)} deliveries/s (${perPeer * 10} messages x 10 peers in ${elapsed.toFixed(0)} ms, ${delivered >= target ? 'every message reached every peer' : `only ${delivered} of ${target}`})`);
    await Promise.all(peers.map((p) => p.ask({ rate: { count: 200, perSecond: 100 } })));
    await new Promise((r) => setTimeout(r, 500));
    const reports = await Promise.all(peers.map((p) => p.ask({ report: true })));
    console.log(`TLS WebSockets, 10 peers, 10 processes: latency at 1000 msg/s: ${latencyLine(reports.flatMap((r) => r.latencies as number[]))}`);
    await Promise.all(peers.map((p) => p.quit()));
  } finally {
    peers.forEach((p) => p.kill());
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
