#!/usr/bin/env node
/**
 * Builds dist/ only when a source is newer than the last successful build, so `npm start` and the
 * other sample scripts start at once when nothing changed (a no-op `tsc` costs ~5 s here).
 *
 * Inputs: every file and directory under lib/, samples/, bench/ and the spec folders that
 * tsconfig.build.json compiles, the tsconfig files and package.json. A directory's own time
 * changes when a file in it is added, removed or renamed, so deletions count too. The stamp
 * (dist/.build-stamp) takes the time the build STARTED, so an edit made during a build is seen by
 * the next start. `--force` builds regardless.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.build-stamp');
const inputs = ['lib', 'samples', 'bench', 'spec/integration/fixtures', 'spec/hosts/fixtures', 'spec/hosts/helpers', 'tsconfig.json', 'tsconfig.build.json', 'tsconfig.page.json', 'package.json'];
const outputs = ['dist/lib/index.js', 'dist/samples/chat/main.js', 'dist/samples/whiteboard/main.js', 'dist/page/lib/observe/inspector/page'];

/** Newest modification time (ms) of a path and, for a directory, of everything below it. */
function newest(path) {
  let st;
  try {
    st = statSync(path);
  } catch {
    return 0; // an input that does not exist (yet) holds nothing newer
  }
  let latest = st.mtimeMs;
  if (st.isDirectory()) {
    for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  }
  return latest;
}

function stale() {
  if (process.argv.includes('--force')) return 'forced';
  if (!existsSync(stamp)) return 'no previous build';
  const missing = outputs.find((o) => !existsSync(join(root, o)));
  if (missing !== undefined) return `${missing} is missing`;
  const built = statSync(stamp).mtimeMs;
  const changed = inputs.find((i) => newest(join(root, i)) > built);
  return changed === undefined ? undefined : `${changed} changed`;
}

const reason = stale();
if (reason !== undefined) {
  const started = new Date();
  process.stderr.write(`build: compiling (${reason})…\n`);
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const project of ['tsconfig.build.json', 'tsconfig.page.json']) {
    const result = spawnSync(process.execPath, [tsc, '-p', join(root, project)], { stdio: 'inherit' });
    if (result.status !== 0) process.exit(result.status ?? 1);
  }
  writeFileSync(stamp, `${started.toISOString()}\n`);
  utimesSync(stamp, started, started);
}
