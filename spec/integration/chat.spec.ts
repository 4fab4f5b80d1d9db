import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = 'dist/samples/chat/main.js';
const STAMP = /^\[\d\d:\d\d:\d\d\] /;

/** One `node dist/samples/chat/main.js` process: typed into through stdin, read line by line. */
class ChatProcess {
  /** Output lines, time stamps removed. */
  readonly lines: string[] = [];
  /** Output lines without a time stamp (there should be none). */
  readonly unstamped: string[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private waiters: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];

  constructor(args: readonly string[], env: Record<string, string>) {
    const base = { ...process.env };
    delete base['PEERCHANNEL_PASSWORD'];
    this.child = spawn(process.execPath, [MAIN, ...args], { env: { ...base, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    createInterface({ input: this.child.stdout! }).on('line', (raw) => {
      if (!STAMP.test(raw)) this.unstamped.push(raw);
      const line = raw.replace(STAMP, '');
      this.lines.push(line);
      this.waiters = this.waiters.filter((w) => !(w.test(line) && (w.resolve(line), true)));
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
  }

  type(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  endInput(): void {
    this.child.stdin!.end();
  }

  /** Resolves with the first output line (past or future) equal to `expected` or matching it. */
  /** Waits for a line; `from` skips the lines printed before that index (an earlier room's). */
  waitFor(expected: string | RegExp, timeoutMs = 15_000, from = 0): Promise<string> {
    const test = (line: string) => (typeof expected === 'string' ? line === expected : expected.test(line));
    const past = this.lines.slice(from).find(test);
    if (past !== undefined) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`timed out waiting for ${String(expected)}; output:\n${this.lines.join('\n')}\nstderr: ${this.stderr}`));
      }, timeoutMs);
      this.waiters.push({ test, resolve: (line) => (clearTimeout(timer), resolve(line)) });
    });
  }

  count(line: string): number {
    return this.lines.filter((l) => l === line).length;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

let dir: string;
const started: ChatProcess[] = [];

function chat(...args: string[]): ChatProcess {
  const p = new ChatProcess(args, {
    PEERCHANNEL_LOCAL_DIR: dir,
    PEERCHANNEL_LOCAL_TTL_MS: '1500',
    PEERCHANNEL_CHAT_HEARTBEAT_MS: '300',
    PEERCHANNEL_HOME: join(dir, 'home'),
  });
  started.push(p);
  return p;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pc-chat-'));
});

afterAll(async () => {
  await Promise.all(started.map((p) => p.kill()));
  rmSync(dir, { recursive: true, force: true });
});

describe('three chat processes in one password-protected room', () => {
  let alice: ChatProcess;
  let bob: ChatProcess;
  let carol: ChatProcess;
  const knows = (p: ChatProcess, name: string) => p.waitFor(new RegExp(`^\\* ${name} (joined|is here)$`));

  beforeAll(async () => {
    const join = (name: string) => chat('--name', name, '--mesh', 'net.p2p://chatroom', '--password', 's3cret');
    [alice, bob, carol] = [join('alice'), join('bob'), join('carol')];
    await Promise.all([knows(alice, 'bob'), knows(alice, 'carol'), knows(bob, 'alice'), knows(bob, 'carol'), knows(carol, 'alice'), knows(carol, 'bob')]);
  });

  it('floods a line to everyone, and the sender sees it once', async () => {
    alice.type('hello from alice');
    await Promise.all([bob.waitFor('alice: hello from alice'), carol.waitFor('alice: hello from alice')]);
    // Anything alice's own flood could still print has printed by the time a later line from bob reaches her.
    bob.type('hi alice');
    await alice.waitFor('bob: hi alice');
    expect(alice.count('alice: hello from alice')).toBe(1);
    expect([bob, carol].map((p) => p.count('alice: hello from alice'))).toEqual([1, 1]);
  });

  it('prints peer text without its control characters', async () => {
    carol.type('\u001b[2J\u001b[31mred\u202e');
    await Promise.all([alice.waitFor(/^carol: /), bob.waitFor(/^carol: /)]);
    expect(alice.lines.find((l) => l.startsWith('carol: '))).toBe('carol:  [2J [31mred ');
  });

  it('/msg reaches only its target', async () => {
    alice.type('/msg bob for bob only');
    await Promise.all([bob.waitFor('alice → bob: for bob only'), alice.waitFor('alice → bob: for bob only')]);
    // A flood alice sends afterwards reaching carol means the directed one had its chance.
    alice.type('after the secret');
    await carol.waitFor('alice: after the secret');
    expect(carol.lines.filter((l) => l.includes('for bob only'))).toEqual([]);
  });

  it('/msg to an unknown name says so', async () => {
    alice.type('/msg dave hello?');
    await alice.waitFor('! nobody called dave is in the room (try /who)');
  });

  it('/near reaches the neighbours (here, everyone: three peers are all neighbours)', async () => {
    bob.type('/near psst');
    await Promise.all([alice.waitFor('bob (near): psst'), carol.waitFor('bob (near): psst'), bob.waitFor('bob (near): psst')]);
  });

  it('/who lists all three from gathered replies', async () => {
    bob.type('/who');
    expect(await bob.waitFor(/^\* in the room/)).toBe('* in the room (3): alice, bob (you), carol');
  });

  it('a wrong password fails with its message and a non-zero exit, and the room is told', async () => {
    const mallory = chat('--name', 'mallory', '--mesh', 'net.p2p://chatroom', '--password', 'guess');
    expect(await mallory.exited).toBe(2);
    expect(mallory.stderr).toContain('error: wrong password: the peers in net.p2p://chatroom refused it (PC_ERR_AUTH_FAILED)');
    await Promise.any([alice, bob, carol].map((p) => p.waitFor('* refused a peer that gave a different password')));
    expect([alice, bob, carol].flatMap((p) => p.lines).filter((l) => l.includes('mallory'))).toEqual([]);
  });

  it('shows a killed chat as gone; the other two keep chatting; /quit and end of input leave cleanly', async () => {
    await carol.kill('SIGKILL');
    await Promise.all([alice.waitFor('* carol is gone (no heartbeat)'), bob.waitFor('* carol is gone (no heartbeat)')]);
    alice.type('still here?');
    await bob.waitFor('alice: still here?');
    bob.type('yes');
    await alice.waitFor('bob: yes');
    alice.type('/who');
    expect(await alice.waitFor(/^\* in the room/)).toBe('* in the room (2): alice (you), bob');

    bob.type('/quit');
    expect(await bob.exited).toBe(0);
    expect(bob.lines.at(-1)).toBe('* left net.p2p://chatroom');
    await alice.waitFor('* bob left');
    alice.endInput();
    expect(await alice.exited).toBe(0);
    expect(alice.lines.at(-1)).toBe('* left net.p2p://chatroom');
    expect([alice, bob, carol].flatMap((p) => p.unstamped)).toEqual([]);
  });
});

describe('people in the chat: cards, presence, invitations to a private room', () => {
  it('/card, /add, /status, a stranger refused, /invite and /accept move both to a private room', async () => {
    const knows = (p: ChatProcess, name: string) => p.waitFor(new RegExp(`^\\* ${name} (joined|is here)$`));
    const dora = chat('--name', 'dora', '--mesh', 'net.p2p://people');
    const eve = chat('--name', 'eve', '--mesh', 'net.p2p://people');
    await Promise.all([knows(dora, 'eve'), knows(eve, 'dora')]);

    dora.type(`/card ${join(dir, 'dora.vcf')}`);
    await dora.waitFor(`* my card is in ${join(dir, 'dora.vcf')}`);
    expect(dora.lines).toContain('  BEGIN:VCARD');
    expect(dora.lines).toContain('  VERSION:4.0');
    eve.type(`/add ${join(dir, 'dora.vcf')}`);
    await eve.waitFor('* dora is a trusted contact now');
    eve.type(`/add ${join(dir, 'nothing.vcf')}`);
    await eve.waitFor(/^! cannot add .*nothing\.vcf/);

    // dora has not added eve: eve is a stranger to her, and strangers may not invite by default,
    // nor read her presence (dora's presence mesh admits the contacts she trusts only).
    eve.type('/invite dora');
    await eve.waitFor(/^! dora refused the invitation: .*\(PC_ERR_INVITATION_UNTRUSTED\)$/);
    expect(eve.lines).not.toContain('* dora is Online');

    eve.type(`/card ${join(dir, 'eve.vcf')}`);
    await eve.waitFor(`* my card is in ${join(dir, 'eve.vcf')}`);
    dora.type(`/add ${join(dir, 'eve.vcf')}`);
    await dora.waitFor('* eve is a trusted contact now');
    await eve.waitFor('* dora is Online');
    dora.type('/status away back in 5');
    await dora.waitFor('* status: Away (back in 5)');
    await eve.waitFor('* dora is Away: back in 5');

    dora.type('/invite eve');
    await eve.waitFor('* dora invites you to a private room: /accept or /decline');
    eve.type('/accept');
    const moved = (await dora.waitFor(/^\* eve accepted: moving to net\.p2p:\/\/private-[0-9a-f]{16}$/)).split(' ').at(-1) as string;
    await eve.waitFor(`* accepted: moving to ${moved}`);
    const [doraFrom, eveFrom] = [dora.lines.length, eve.lines.length];
    await Promise.all([dora.waitFor(`* connected to ${moved}`, 20_000), eve.waitFor(`* connected to ${moved}`, 20_000)]);
    // Both must have heard the other *in the private room* (not the old room's notice) before
    // the first message there, so the link they talk over is the settled one.
    const here = (name: string) => new RegExp(`^\\* ${name} (joined|is here)$`);
    await Promise.all([dora.waitFor(here('eve'), 20_000, doraFrom), eve.waitFor(here('dora'), 20_000, eveFrom)]);
    // Sent once: a flood sent while the two settle on one link (both dialled) is no longer lost
    // with the link that loses the duplicate-link rule (spec/mesh/duplicate-link-race.spec.ts).
    dora.type('just us now');
    await eve.waitFor('dora: just us now', 10_000);
    eve.type('/who');
    expect(await eve.waitFor(/^\* in the room/)).toBe('* in the room (2): dora, eve (you)');
    eve.type('/quit');
    expect(await eve.exited).toBe(0);
    expect(eve.lines.at(-1)).toBe(`* left ${moved}`);
    expect([dora, eve].flatMap((p) => p.unstamped)).toEqual([]);
  });
});

describe('chat options', () => {
  it('refuses a name with spaces, with a message and exit status 1', async () => {
    const p = chat('--name', 'two words');
    expect(await p.exited).toBe(1);
    expect(p.stderr).toContain("option '-n, --name <name>' argument 'two words' is invalid");
  });

  it('refuses a bad mesh address', async () => {
    const p = chat('--mesh', 'http://lobby');
    expect(await p.exited).toBe(1);
    expect(p.stderr).toContain('--mesh');
  });
});
