#!/usr/bin/env node
import 'reflect-metadata';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { toPeerChannelError } from '../../errors/index.js';
import { loadOrCreateIdentity } from '../../identity/index.js';
import { PeerIdentity } from '../../identity/peer-identity.js';
import { webSocketTransport } from '../../transport/ws/index.js';
import { resolverServer, type ResolverServer } from './resolver-server.js';

function integer(min: number, max = 2 ** 31 - 1) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer in ${min}..${max}`);
    return n;
  };
}

/** Options the command line accepts (see `--help`). */
export interface ResolverCliOptions {
  readonly host: string;
  readonly port: number;
  readonly ttl: number;
  readonly minTtl: number;
  readonly maxLinks: number;
  readonly identityDir?: string;
  readonly json: boolean;
}

/**
 * Runs the resolver service from the command line: TLS WebSockets on `--host`/`--port`, prints
 * its addresses and peer id, and closes cleanly on SIGINT or SIGTERM.
 *
 * @remarks
 * With `--identity-dir` the service keeps its identity (and so its peer id, which clients may
 * pin) across restarts; otherwise each start makes a fresh one. With `--json` the first line of
 * output is `{"addresses":[…],"peerId":"…"}`.
 *
 * @example
 * ```sh
 * node dist/lib/resolver/service/cli.js --host 0.0.0.0 --port 7000 --identity-dir ~/.peerchannel-resolver
 * ```
 */
export async function runResolverCli(argv: readonly string[]): Promise<ResolverServer> {
  const program = new Command('peerchannel-resolver')
    .description('PeerChannel resolver service: peers register, refresh and resolve mesh members here')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'TCP port (0 picks a free one)', integer(0, 65_535), 0)
    .option('--ttl <ms>', 'longest registration lifetime granted', integer(1), 60_000)
    .option('--min-ttl <ms>', 'shortest registration lifetime granted', integer(1), 1000)
    .option('--max-links <n>', 'most client links at once', integer(1), 1024)
    .option('--identity-dir <dir>', 'keep the service identity (peer id) in this directory')
    .option('--json', 'print {"addresses","peerId"} as one JSON line', false)
    .exitOverride();
  program.parse([...argv], { from: 'user' });
  const o = program.opts<ResolverCliOptions>();
  const identity = o.identityDir === undefined ? PeerIdentity.generate() : await loadOrCreateIdentity(o.identityDir);
  const server = await resolverServer({
    transport: webSocketTransport({ host: o.host, port: o.port }),
    identity,
    ttlMs: o.ttl,
    minTtlMs: o.minTtl,
    maxLinks: o.maxLinks,
  });
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ addresses: server.addresses, peerId: server.peerId })}\n`);
  } else {
    process.stdout.write(`peerchannel resolver service\npeer id: ${server.peerId}\n${server.addresses.map((a) => `address: ${a}\n`).join('')}`);
  }
  return server;
}

async function main(): Promise<void> {
  let server: ResolverServer;
  try {
    server = await runResolverCli(process.argv.slice(2));
  } catch (error) {
    const code = (error as { code?: string }).code;
    // commander has already printed help, the version or a usage error.
    if (typeof code === 'string' && code.startsWith('commander.')) process.exit(code === 'commander.helpDisplayed' ? 0 : 2);
    const e = toPeerChannelError(error);
    process.stderr.write(`peerchannel-resolver: ${e.code}: ${e.message}\n`);
    process.exit(1);
  }
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    // argv[1] is not a file (a REPL, `node -e`): this module was imported, not run.
    return false;
  }
}

if (invokedDirectly()) void main();
