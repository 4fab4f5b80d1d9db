import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/**
 * scripts/build-if-stale.mjs in a project of its own whose `tsc` only logs its calls and writes
 * the outputs, so what is rebuilt, and when, is seen without compiling anything. Times are set
 * explicitly (utimes), never taken from the clock's granularity.
 */
let root: string;
const fakeTsc = `const fs = require('node:fs'); const path = require('node:path');
const root = path.resolve(__dirname, '../../..');
fs.appendFileSync(path.join(root, 'tsc.log'), process.argv.at(-1) + '\\n');
for (const f of ['dist/lib/index.js', 'dist/samples/chat/main.js', 'dist/samples/whiteboard/main.js', 'dist/page/lib/observe/inspector/page/x.js']) { fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true }); fs.writeFileSync(path.join(root, f), ''); }
`;

function write(path: string, text = ''): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

function start(...args: string[]): number {
  const before = calls();
  execFileSync(process.execPath, [join(root, 'scripts/build-if-stale.mjs'), ...args], { stdio: 'pipe' });
  return (calls() - before) / 2; // two projects per build
}

function calls(): number {
  try {
    return readFileSync(join(root, 'tsc.log'), 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

// Past times only: a build's stamp is the time it started, so the spec moves it to a known one.
const base = Date.now() - 1_000_000;
const at = (s: number) => new Date(base + s * 1000);
function touch(path: string, s: number): void {
  utimesSync(join(root, path), at(s), at(s));
}
function stampAt(s: number): void {
  touch('dist/.build-stamp', s);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pc-stale-'));
  mkdirSync(join(root, 'scripts'));
  copyFileSync('scripts/build-if-stale.mjs', join(root, 'scripts/build-if-stale.mjs'));
  write('node_modules/typescript/bin/tsc', fakeTsc);
  write('package.json', '{}');
  write('lib/a.ts', 'export {};');
  write('samples/chat/main.ts', 'export {};');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('scripts/build-if-stale.mjs (npm start)', () => {
  it('builds the first time, then not again while nothing changed', () => {
    expect(start()).toBe(1);
    expect(start()).toBe(0);
    expect(start()).toBe(0);
  });

  it('rebuilds when a source is edited, added or removed, or an output is missing', () => {
    expect(start()).toBe(1);
    stampAt(100);
    for (const p of ['lib/a.ts', 'lib', 'samples/chat/main.ts', 'samples/chat', 'samples', 'package.json']) touch(p, 50);
    expect(start()).toBe(0);
    touch('lib/a.ts', 110); // edited
    expect(start()).toBe(1);
    stampAt(120);
    expect(start()).toBe(0);
    write('lib/b.ts'); // added: the directory's own time moves
    touch('lib/b.ts', 50);
    touch('lib', 130);
    expect(start()).toBe(1);
    stampAt(140);
    rmSync(join(root, 'lib/b.ts')); // removed
    touch('lib', 150);
    expect(start()).toBe(1);
    stampAt(160);
    rmSync(join(root, 'dist/samples/chat/main.js')); // an output is missing
    expect(start()).toBe(1);
    stampAt(170);
    expect(start('--force')).toBe(1);
    stampAt(180);
    expect(start()).toBe(0);
  });

  it('keeps a build that failed from counting as done', () => {
    write('node_modules/typescript/bin/tsc', `${fakeTsc}\nprocess.exit(2);`);
    expect(() => start()).toThrow();
    write('node_modules/typescript/bin/tsc', fakeTsc);
    expect(start()).toBe(1);
  });
});
