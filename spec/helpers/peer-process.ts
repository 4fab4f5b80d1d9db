import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** One event line a peer process printed. */
export type PeerEvent = Record<string, unknown> & { event: string };

/**
 * A peer running in its own Node process (compiled fixture under dist/), driven over stdin and
 * observed through its JSON event lines. {@link PeerProcess.kill} always ends it.
 */
export class PeerProcess {
  readonly events: PeerEvent[] = [];
  readonly stderr: string[] = [];
  private readonly child: ChildProcess;
  private waiters: { test: (e: PeerEvent) => boolean; resolve: (e: PeerEvent) => void }[] = [];
  readonly exited: Promise<number | null>;

  /**
   * @param launcher a command that runs Node for it, e.g. `['ip', 'netns', 'exec', ns]` (it must
   * exec Node in its place, so that killing the child kills the peer)
   */
  constructor(script: string, args: readonly string[], env: Record<string, string> = {}, launcher: readonly string[] = []) {
    const [command, ...prefix] = [...launcher, process.execPath];
    this.child = spawn(command!, [...prefix, script, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      let event: PeerEvent;
      try {
        event = JSON.parse(line) as PeerEvent;
      } catch {
        event = { event: 'text', line };
      }
      this.events.push(event);
      this.waiters = this.waiters.filter((w) => {
        if (!w.test(event)) return true;
        w.resolve(event);
        return false;
      });
    });
    this.child.stderr!.on('data', (d: Buffer) => this.stderr.push(d.toString()));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Resolves with the first event (past or future) that passes `test`. */
  waitFor(test: (e: PeerEvent) => boolean, what: string, timeoutMs = 15_000): Promise<PeerEvent> {
    const past = this.events.find(test);
    if (past) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; stderr: ${this.stderr.join('').slice(-2000)}`)), timeoutMs);
      this.waiters.push({ test, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  }

  send(command: unknown): void {
    this.child.stdin!.write(`${JSON.stringify(command)}\n`);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** The `post` events a room fixture printed whose text starts with `prefix`. */
export function heard(p: PeerProcess, prefix: string): PeerEvent[] {
  return p.events.filter((e) => e.event === 'post' && String(e.text).startsWith(prefix));
}

/**
 * Joining is incremental: every peer posts a probe, round after round, until each has heard all
 * the others (the mesh is connected). Throws after `maxRounds`.
 */
export async function probeUntilConnected(peers: readonly PeerProcess[], maxRounds = 30): Promise<void> {
  const others = peers.length - 1;
  const connected = () => peers.every((p) => new Set(heard(p, 'probe').map((e) => e.from)).size === others);
  for (let round = 0; !connected(); round++) {
    if (round >= maxRounds) throw new Error(`the mesh was not connected after ${maxRounds} probe rounds`);
    peers.forEach((p, i) => p.send({ post: `probe ${round} from ${i}` }));
    const deadline = Date.now() + 1000;
    while (!connected() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }
}
