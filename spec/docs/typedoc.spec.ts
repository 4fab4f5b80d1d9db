import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, packagePaths } from './code-blocks.js';

/**
 * The API reference stays complete: typedoc with `notDocumented` validation and warnings as
 * errors passes on every entry point, and every subpath the package exports is an entry point.
 */
interface Run {
  readonly code: number | null;
  readonly output: string;
}

function typedoc(...args: string[]): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['node_modules/typedoc/bin/typedoc', '--emit', 'none', ...args], { cwd: REPO_ROOT });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', fail);
    child.once('exit', (code) => done({ code, output: output.replace(/\x1b\[[0-9;]*m/g, '') }));
  });
}

const config = JSON.parse(readFileSync(resolve(REPO_ROOT, 'typedoc.json'), 'utf8')) as {
  entryPoints: string[];
  treatWarningsAsErrors?: boolean;
  validation?: Record<string, boolean>;
};

describe('typedoc', () => {
  it('is strict: undocumented members and broken links are errors', () => {
    expect(config.treatWarningsAsErrors).toBe(true);
    expect(config.validation).toMatchObject({ notDocumented: true, notExported: true, invalidLink: true });
  });

  it('documents every subpath of package.json exports', () => {
    const sources = Object.values(packagePaths(REPO_ROOT)).map(([file]) => file);
    expect(config.entryPoints.map((e) => resolve(REPO_ROOT, e)).sort()).toEqual(sources.sort());
  });

  it('passes on the package, and fails on an undocumented export', async () => {
    const [all, bad] = await Promise.all([typedoc(), typedoc('--entryPoints', 'spec/docs/fixtures/undocumented-export.ts', '--tsconfig', 'spec/docs/fixtures/tsconfig.json', '--intentionallyNotExported', 'none')]);
    expect(all.output.split('\n').filter((l) => /warning|error/i.test(l))).toEqual([]);
    expect(all.code).toBe(0);
    expect(bad.output).toContain('undocumented');
    expect(bad.output).toContain('does not have any documentation');
    expect(bad.code).not.toBe(0);
  }, 600_000);
});
