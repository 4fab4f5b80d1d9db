import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

const MAIN = 'dist/samples/chat/main.js';

/** A chat process whose output lines (time stamps removed) can be awaited. */
class Chat {
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private waiters: { test: RegExp; resolve: (line: string) => void }[] = [];

  constructor(args: readonly string[], dir: string) {
    const env: Record<string, string | undefined> = { ...process.env, PEERCHANNEL_LOCAL_DIR: dir, PEERCHANNEL_LOCAL_TTL_MS: '1500', PEERCHANNEL_CHAT_HEARTBEAT_MS: '300', PEERCHANNEL_HOME: join(dir, 'home') };
    delete env['PEERCHANNEL_PASSWORD'];
    this.child = spawn(process.execPath, [MAIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    createInterface({ input: this.child.stdout! }).on('line', (raw) => {
      const line = raw.replace(/^\[\d\d:\d\d:\d\d\] /, '');
      this.lines.push(line);
      this.waiters = this.waiters.filter((w) => !(w.test.test(line) && (w.resolve(line), true)));
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
  }

  type(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  waitFor(test: RegExp, timeoutMs = 20_000): Promise<string> {
    const past = this.lines.find((l) => test.test(l));
    if (past !== undefined) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${String(test)}; output:\n${this.lines.join('\n')}\nstderr: ${this.stderr}`)), timeoutMs);
      this.waiters.push({ test, resolve: (line) => (clearTimeout(timer), resolve(line)) });
    });
  }

  kill(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    return this.exited;
  }
}

/** Opens the inspector's socket the way its page does (token as a subprotocol, the page's Origin). */
function pageSocket(url: string): Promise<WebSocket> {
  const u = new URL(url);
  const token = new URLSearchParams(u.hash.slice(1)).get('token')!;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${u.host}/ws`, ['peerchannel.inspector', `token.${token}`], { origin: `http://${u.host}` });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

let dir: string;
let chats: Chat[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pc-chat-inspect-'));
});
afterEach(async () => {
  await Promise.all(chats.map((c) => c.kill()));
  chats = [];
  rmSync(dir, { recursive: true, force: true });
});

describe('chat --inspect', () => {
  it('prints the inspector URL of its node, whose page sees the room, and the inspector ends with the chat', async () => {
    const alice = new Chat(['--name', 'alice', '--mesh', 'net.p2p://inspected-chat', '--inspect'], dir);
    const bob = new Chat(['--name', 'bob', '--mesh', 'net.p2p://inspected-chat'], dir);
    chats.push(alice, bob);
    const line = await alice.waitFor(/^inspector: /);
    const url = line.slice('inspector: '.length);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{48}$/);
    expect(bob.lines.some((l) => l.startsWith('inspector: '))).toBe(false);
    await Promise.all([alice.waitFor(/^\* bob (joined|is here)$/), bob.waitFor(/^\* alice (joined|is here)$/)]);
    const page = await fetch(new URL('/', url));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    // The page's socket gets mesh views from alice's node: both chats in it.
    const ws = await pageSocket(url);
    const views: { self: string; view: { nodes: { peerId: string }[] } }[] = [];
    const both = new Promise<void>((resolve) =>
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { type: string; self: string; view: { nodes: { peerId: string }[] } };
        if (m.type !== 'view') return;
        views.push(m);
        if (m.view.nodes.length === 2) resolve();
      }),
    );
    await both;
    expect(new Set(views.at(-1)!.view.nodes.map((n) => n.peerId)).has(views.at(-1)!.self)).toBe(true);
    // Leaving closes the node, and the inspector with it: the socket ends, the port refuses, the process exits 0.
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    alice.type('/quit');
    expect(await alice.exited).toBe(0);
    await closed;
    await expect(fetch(new URL('/', url))).rejects.toThrow();
  });

  it('refuses an --inspect value that is not a port', async () => {
    const bad = new Chat(['--name', 'carol', '--inspect', 'seventy'], dir);
    chats.push(bad);
    expect(await bad.exited).not.toBe(0);
    expect(bad.stderr).toContain('--inspect');
    expect(bad.stderr).toContain('Give a TCP port');
  });
});
