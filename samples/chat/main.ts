/**
 * The PeerChannel terminal chat: `npm start -- --name alice`, then the same with another name
 * in a second terminal. See docs/chat.md.
 *
 * Exit status: 0 after `/quit`, end of input, Ctrl-C or SIGTERM; 1 for bad options or a room
 * that cannot be joined; 2 when the room refused the password.
 */
import 'reflect-metadata';
import { userInfo } from 'node:os';
import { clearLine, clearScreenDown, createInterface, cursorTo, moveCursor } from 'node:readline';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ErrorCode, type InspectFlag, inspectOption, toPeerChannelError } from '../../lib/index.js';
import { askPassword } from './ask-password.js';
import { ChatRoom } from './chat-room.js';
import { ChatPeople, type RoomTicket } from './people.js';
import { MAX_NAME_LENGTH, cleanName, isValidName, stamp } from './text.js';
import { describeError, parseMesh } from '../cli-args.js';

const options = new Command()
  .name('chat')
  .description('A terminal chat room on PeerChannel: every chat started with the same --mesh on this machine is in the room.')
  .option('-n, --name <name>', `the name others see (no spaces or #, at most ${MAX_NAME_LENGTH} characters)`, parseName, defaultName())
  .option('-m, --mesh <address>', 'the room to join', parseMesh, 'net.p2p://lobby')
  .addOption(
    new Option('-p, --password <password>', 'the room password; everyone in the room must use the same one (prefer PEERCHANNEL_PASSWORD or --ask-password: a command line is echoed by npm and seen in ps)').env(
      'PEERCHANNEL_PASSWORD',
    ),
  )
  .option('--ask-password', 'ask for the room password on the terminal, without echo', false)
  .addOption(
    new Option('--heartbeat <ms>', 'presence heartbeat; a peer silent for three heartbeats is gone')
      .env('PEERCHANNEL_CHAT_HEARTBEAT_MS')
      .argParser(parseMs)
      .default(2000),
  )
  .addOption(new Option('--home <dir>', 'where identities (one per --name) and contacts are kept').env('PEERCHANNEL_HOME'))
  .addOption(inspectOption())
  .addHelpText('after', '\nIn the chat: text goes to everyone; /msg NAME text, /near text, /who, /invite NAME, /accept, /decline, /status WORD [note], /card [FILE], /add FILE, /quit.')
  .parse()
  .opts<{ name: string; mesh: string; password?: string; askPassword: boolean; heartbeat: number; home?: string; inspect?: InspectFlag }>();

if (options.askPassword) {
  options.password = await askPassword(`password for ${options.mesh}: `).catch((error: unknown) => {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    process.exit(1);
  });
}

const tty = process.stdin.isTTY === true && process.stdout.isTTY === true;
const out = process.stdout;

const input = createInterface({ input: process.stdin, output: tty ? out : undefined, terminal: tty, prompt: '> ' });
input.pause();
let inputOpen = true;

const people = await ChatPeople.open({ name: options.name, home: options.home, print: (line) => print(stamp(line)) }).catch(
  (error: unknown) => void exit(1, `error: cannot open the contacts of ${options.name}: ${describeError(error)}`),
);
let room: ChatRoom | undefined;
let quitting = false;

/** Joins a room; after an accepted invitation, the private room it names, and so on. */
async function enter(ticket: RoomTicket): Promise<void> {
  const opened = await ChatRoom.open({
    name: options.name, mesh: ticket.mesh, password: ticket.password, heartbeatMs: options.heartbeat, print, identity: people?.identity, people, inspect: options.inspect,
  }).catch((error: unknown) => void exit(1, `error: cannot join ${ticket.mesh}: ${describeError(error)}`));
  if (opened === undefined) return;
  room = opened;
  opened.ended.then(
    (next) => (next !== undefined && !quitting ? enter(next) : leave(0)),
    (error: unknown) => leave(toPeerChannelError(error).code === ErrorCode.AUTH_FAILED ? 2 : 1, `error: ${describeError(error)}`),
  );
}

async function leave(code: number, message?: string): Promise<void> {
  await people?.close();
  exit(code, message);
}

function quit(): void {
  quitting = true;
  void room?.quit();
}

if (people !== undefined) {
  await enter({ mesh: options.mesh, password: options.password });
  input.on('line', (line) => {
    // The typed line is replaced by the time-stamped one the chat prints.
    if (tty) {
      moveCursor(out, 0, -Math.ceil(Math.max(1, line.length + 2) / (out.columns || 80)));
      clearScreenDown(out);
    }
    room?.handle(line).catch((error: unknown) => print(`! ${describeError(error)}`));
    if (tty) input.prompt();
  });
  input.on('close', () => {
    inputOpen = false;
    quit();
  });
  // Ctrl-C leaves gracefully; a second one, while leaving, does not wait any more.
  let interrupted = false;
  const interrupt = () => (interrupted ? process.exit(130) : ((interrupted = true), quit()));
  input.on('SIGINT', interrupt);
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', quit);
  input.resume();
  if (tty) input.prompt();
}

/** Prints above the prompt, leaving what the user is typing in place. */
function print(line: string): void {
  if (tty) {
    cursorTo(out, 0);
    clearLine(out, 0);
  }
  out.write(`${line}\n`);
  if (tty && inputOpen) input.prompt(true);
}

function exit(code: number, message?: string): void {
  if (tty && inputOpen) {
    cursorTo(out, 0);
    clearLine(out, 0);
  }
  if (message !== undefined) process.stderr.write(`${message}\n`);
  process.exitCode = code;
  inputOpen = false;
  input.close();
  // Everything is closed, so the process ends by itself once output is flushed; this is a backstop.
  setTimeout(() => process.exit(code), 2000).unref();
}


function parseName(value: string): string {
  if (!isValidName(value)) throw new InvalidArgumentError(`Use at most ${MAX_NAME_LENGTH} characters, without spaces or #.`);
  return value;
}


function parseMs(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 50 || ms > 600_000) throw new InvalidArgumentError('Give whole milliseconds between 50 and 600000.');
  return ms;
}

function defaultName(): string {
  try {
    return cleanName(userInfo().username);
  } catch (error) {
    // No passwd entry (some containers): fall back to the environment, then a placeholder.
    void error;
    return cleanName(process.env['USER'] ?? 'anonymous');
  }
}
