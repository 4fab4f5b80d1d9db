import { execFile } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { askPassword } from '../../samples/chat/ask-password.js';

const run = promisify(execFile);

/** A stand-in terminal: a stream that says it is a TTY and records raw-mode switches. */
function terminal(): { input: NodeJS.ReadStream; output: NodeJS.WriteStream; raw: boolean[]; shown: () => string } {
  const input = Object.assign(new PassThrough(), { isTTY: true, raw: [] as boolean[] });
  const raw: boolean[] = [];
  (input as unknown as { setRawMode: (on: boolean) => void }).setRawMode = (on) => void raw.push(on);
  const output = new PassThrough();
  let shown = '';
  output.on('data', (c: Buffer) => (shown += c.toString()));
  return { input: input as unknown as NodeJS.ReadStream, output: output as unknown as NodeJS.WriteStream, raw, shown: () => shown };
}

describe('chat password input', () => {
  it('reads a password typed on a terminal without echoing it, honouring Backspace', async () => {
    const t = terminal();
    const answer = askPassword('password: ', t.input, t.output);
    t.input.write('open sx\u007fesame\r');
    await expect(answer).resolves.toBe('open sesame');
    expect(t.shown()).toBe('password: \n');
    expect(t.raw).toEqual([true, false]);
  });

  it('gives up on Ctrl-C', async () => {
    const t = terminal();
    const answer = askPassword('password: ', t.input, t.output);
    t.input.write('abc\u0003');
    await expect(answer).rejects.toThrow('no password given');
    expect(t.raw).toEqual([true, false]);
  });

  it('--ask-password without a terminal exits 1 and points to PEERCHANNEL_PASSWORD (the built chat)', async () => {
    const failure = await run(process.execPath, ['dist/samples/chat/main.js', '--name', 'nobody', '--ask-password'], { timeout: 30_000 }).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain('set PEERCHANNEL_PASSWORD instead');
  });
});
