import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';
import { resolverService } from '../../lib/resolver/service/index.js';
import { webSocketTransport } from '../../lib/transport/ws/index.js';

const CLI = 'dist/lib/resolver/service/cli.js';

interface Started {
  readonly child: ChildProcess;
  readonly info: { addresses: string[]; peerId: string };
}

async function startCli(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, [CLI, '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = createInterface({ input: child.stdout! });
  const first = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the CLI printed nothing within 10 s')), 10_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`the CLI exited with ${code}`)));
  });
  return { child, info: JSON.parse(await first) };
}

describe('resolver service CLI', () => {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it('serves registrations on TLS WebSockets, prints its address and peer id, and stops on SIGTERM', async () => {
    const { child, info } = await startCli(['--ttl', '5000']);
    children.push(child);
    expect(info.addresses[0]).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    expect(info.peerId).toMatch(/^[0-9a-f]{64}$/);
    const identity = PeerIdentity.generate();
    const c = resolverService({ address: info.addresses, peerId: info.peerId })({ identity, createTransport: () => webSocketTransport()({ identity }) });
    try {
      const reg = await c.register('room', { peerId: identity.peerId, addresses: ['wss://127.0.0.1:1'] });
      expect(reg.ttlMs).toBe(5000);
      expect(await c.resolve('room')).toEqual([{ peerId: identity.peerId, addresses: ['wss://127.0.0.1:1'] }]);
    } finally {
      await c.close();
    }
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect((await exited)[0]).toBe(0);
  });

  it('keeps its peer id across restarts with --identity-dir', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pc-resolver-cli-'));
    dirs.push(dir);
    const first = await startCli(['--identity-dir', dir]);
    children.push(first.child);
    const exited = once(first.child, 'exit');
    first.child.kill('SIGTERM');
    await exited;
    const second = await startCli(['--identity-dir', dir]);
    children.push(second.child);
    expect(second.info.peerId).toBe(first.info.peerId);
  });

  it('rejects a bad option with exit code 2', async () => {
    const child = spawn(process.execPath, [CLI, '--port', 'seventy'], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    expect((await once(child, 'exit'))[0]).toBe(2);
  });
});
