/**
 * The PeerChannel whiteboard: `npm run whiteboard -- --name alice`, open the URL it prints, then
 * the same with another name in a second terminal and a second browser window. See
 * docs/whiteboard.md.
 *
 * Exit status: 0 after Ctrl-C or SIGTERM; 1 for bad options or a board that cannot be opened.
 */
import 'reflect-metadata';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { PeerNode, startGateway } from '../../lib/index.js';
import { pageBuildDir } from '../../lib/gateway/page-assets.js';
import { Board, Shape } from './board-contract.js';
import { boardPage } from './board-page.js';
import { describeError, parseMesh } from '../cli-args.js';

const MAX_NAME = 24;

const options = new Command()
  .name('whiteboard')
  .description('A shared whiteboard on PeerChannel: every whiteboard started with the same --mesh on this machine draws on one board.')
  .requiredOption('-n, --name <name>', `the name others see (letters, digits, . _ -, at most ${MAX_NAME})`, parseName)
  .option('-m, --mesh <address>', 'the board to join', parseMesh, 'net.p2p://board')
  .addOption(new Option('-p, --password <password>', 'the board password; everyone on the board must use the same one').env('PEERCHANNEL_PASSWORD'))
  .addOption(new Option('--home <dir>', 'where each name keeps its identity and its copy of the board').env('PEERCHANNEL_HOME'))
  .option('--port <port>', 'port of the page on 127.0.0.1 (0 picks a free one)', parsePort, 0)
  .parse()
  .opts<{ name: string; mesh: string; password?: string; home?: string; port: number }>();

// One identity and one copy of the board per name, so two names on one machine are two peers,
// and a restarted name is the same peer with its board (records on disk, LevelDB).
const home = join(options.home ?? join(homedir(), '.peerchannel'), 'whiteboard', options.name);

let node: PeerNode;
try {
  node = await PeerNode.open(options.mesh, { password: options.password, records: { home, types: [Shape] } });
} catch (error) {
  fail(`cannot open ${options.mesh}: ${describeError(error)}`);
}
const gateway = await startGateway(node, {
  contracts: [Board],
  records: [Shape],
  port: options.port,
  page: { html: boardPage(options.name, options.mesh), root: pageBuildDir(), imports: { 'peerchannel/browser': '/lib/browser/index.js' } },
}).catch((error: unknown) => fail(`cannot serve the page: ${describeError(error)}`));

process.stdout.write(`whiteboard ${options.mesh} as ${options.name} (peer ${node.peerId.slice(0, 12)}…, board kept in ${home})\n`);
process.stdout.write(`open ${gateway.url}\n`);

let stopping = false;
const stop = () => {
  if (stopping) process.exit(130);
  stopping = true;
  void gateway.close().then(() => node.close()).then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

function fail(message: string): never {
  process.stderr.write(`whiteboard: ${message}\n`);
  process.exit(1);
}


function parseName(value: string): string {
  if (!new RegExp(`^[A-Za-z0-9._-]{1,${MAX_NAME}}$`).test(value)) throw new InvalidArgumentError(`Use 1 to ${MAX_NAME} letters, digits, dots, dashes or underscores.`);
  return value;
}


function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('Give a port in 0..65535.');
  return n;
}
