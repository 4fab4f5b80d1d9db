import type { ReadStream } from 'node:tty';

/**
 * Reads a password from the terminal without echoing it (`--ask-password`).
 *
 * @remarks Raw mode: Enter ends, Backspace deletes, Ctrl-C or Ctrl-D gives up (rejects). Without
 * a terminal on stdin it rejects, since the characters could not be hidden: use
 * `PEERCHANNEL_PASSWORD` there.
 */
export function askPassword(prompt: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string> {
  if (input.isTTY !== true) return Promise.reject(new Error('--ask-password needs a terminal; set PEERCHANNEL_PASSWORD instead'));
  const tty = input as ReadStream;
  return new Promise((resolve, reject) => {
    let typed = '';
    output.write(prompt);
    tty.setRawMode(true);
    tty.setEncoding('utf8');
    tty.resume();
    const done = (error?: Error) => {
      tty.off('data', onData);
      tty.setRawMode(false);
      tty.pause();
      output.write('\n');
      if (error === undefined) resolve(typed);
      else reject(error);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new Error('no password given'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else if (ch >= ' ') typed += ch;
      }
    };
    tty.on('data', onData);
  });
}
