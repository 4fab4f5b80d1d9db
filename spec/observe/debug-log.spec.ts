import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// A child process on the compiled code, so DEBUG is read at start as it is for users.
const script = `
import 'reflect-metadata';
import { PeerNode } from './dist/lib/index.js';
import { MemoryNetwork, memoryTransport } from './dist/lib/entries/testing.js';
const net = new MemoryNetwork();
const open = () => PeerNode.open('net.p2p://dbg', { transport: memoryTransport(net), resolver: null, neighbors: { min: 0, ideal: 0, max: 4 } });
const [a, b] = [await open(), await open()];
await a.connect(b.addresses[0], b.peerId);
await new Promise((r) => setTimeout(r, 50));
await a.close(); await b.close();
`;

function run(debug: string | undefined): string {
  const env = { ...process.env };
  delete env.DEBUG;
  if (debug !== undefined) env.DEBUG = debug;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env, timeout: 30_000 });
  expect(r.status, r.stderr).toBe(0);
  return r.stderr;
}

describe('debug logging', () => {
  it('is silent by default and logs links with DEBUG=peerchannel:*', () => {
    expect(run(undefined)).toBe('');
    const out = run('peerchannel:*');
    expect(out).toMatch(/peerchannel:mesh \w{8} linked to \w{8} \(outbound\)/);
    expect(out).toMatch(/peerchannel:mesh \w{8} linked to \w{8} \(inbound\)/);
    expect(run('peerchannel:trace')).toBe('');
  });
});
