#!/usr/bin/env node
import 'reflect-metadata';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { toPeerChannelError } from '../../errors/index.js';
import { PeerNode } from '../../node/peer-node.js';
import { type Inspector, startInspector } from './inspector-server.js';

function integer(min: number, max = 2 ** 31 - 1) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer in ${min}..${max}`);
    return n;
  };
}

/** Options the command line accepts (see `--help`). */
export interface InspectorCliOptions {
  readonly mesh: string;
  readonly port: number;
  readonly refreshMs: number;
  readonly password?: string;
  readonly json: boolean;
}

/**
 * Joins a mesh as an observer node and serves the inspector page for it on 127.0.0.1.
 *
 * @remarks Prints the page URL (the token is in its fragment); with `--json` one line
 * `{"url","peerId"}`. Closes cleanly on SIGINT or SIGTERM.
 * @example
 * ```sh
 * npm run inspector -- --mesh net.p2p://lobby
 * ```
 */
export async function runInspectorCli(argv: readonly string[]): Promise<{ node: PeerNode; inspector: Inspector }> {
  const program = new Command('peerchannel-inspector')
    .description('Live mesh inspector: graph, counters and message traces of a PeerChannel mesh')
    .requiredOption('--mesh <address>', 'mesh to join, e.g. net.p2p://lobby')
    .option('--port <port>', 'TCP port on 127.0.0.1 (0 picks a free one)', integer(0, 65_535), 0)
    .option('--refresh-ms <ms>', 'how often the mesh view is gathered', integer(250), 2_000)
    .addOption(new Option('--password <password>', 'mesh password, if the mesh has one (prefer the environment variable: a command line is echoed by npm and seen in ps)').env('PEERCHANNEL_PASSWORD'))
    .option('--json', 'print {"url","peerId"} as one JSON line', false)
    .exitOverride();
  program.parse([...argv], { from: 'user' });
  const o = program.opts<InspectorCliOptions>();
  const node = await PeerNode.open(o.mesh, { password: o.password });
  try {
    const inspector = await startInspector(node, { port: o.port, refreshMs: o.refreshMs });
    process.stdout.write(o.json ? `${JSON.stringify({ url: inspector.url, peerId: node.peerId })}\n` : `PeerChannel inspector for ${o.mesh}\nopen ${inspector.url}\n`);
    return { node, inspector };
  } catch (error) {
    await node.close();
    throw error;
  }
}

async function main(): Promise<void> {
  let running: { node: PeerNode; inspector: Inspector };
  try {
    running = await runInspectorCli(process.argv.slice(2));
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) process.exit(code === 'commander.helpDisplayed' ? 0 : 2);
    const e = toPeerChannelError(error);
    process.stderr.write(`peerchannel-inspector: ${e.code}: ${e.message}\n`);
    process.exit(1);
  }
  const stop = () => {
    void running.inspector.close().then(() => running.node.close()).then(() => process.exit(0));
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
