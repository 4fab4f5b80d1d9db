import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeExample, requireCheck, requireFailure, talkSource } from './consumer-sources.js';

/**
 * The package as a user gets it: `npm pack` of this clone (dist/ is built by the global setup),
 * installed from the tarball into a fresh project outside the clone (so nothing resolves from the
 * clone's node_modules), against npm's local cache first (`--prefer-offline`; CI may reach the
 * registry for what the cache lacks). Then plain `tsc` compiles the README's example and two
 * programs, as ES modules and as CommonJS, and each program runs two nodes that talk.
 */
const run = promisify(execFile);
const repo = resolve('.');
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string; files: string[] };
const versionOf = (name: string) => (JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')) as { version: string }).version;

let work: string;
let tarball: string;
let unpacked: string;
let consumer: string;

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(dir, f)).isFile());
}

async function node(args: string[], cwd: string): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, args, { cwd, timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as Record<string, unknown>;
}

const compilerOptions = {
  target: 'ES2022',
  module: 'nodenext',
  moduleResolution: 'nodenext',
  strict: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  // The shipped .d.ts files are checked too: their type dependencies must install with the package.
  skipLibCheck: false,
  types: ['node'],
  outDir: 'dist',
  rootDir: 'src',
};

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pc-package-'));
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: repo, timeout: 120_000 });
  tarball = join(work, (JSON.parse(stdout) as [{ filename: string }])[0].filename);
  unpacked = join(work, 'unpacked');
  mkdirSync(unpacked);
  await run('tar', ['-xzf', tarball, '-C', unpacked]);

  consumer = join(work, 'consumer');
  write(join(consumer, 'package.json'), JSON.stringify({
    name: 'consumer', private: true, type: 'module',
    dependencies: { peerchannel: `file:${tarball}`, rxjs: versionOf('rxjs') },
    devDependencies: { typescript: versionOf('typescript'), '@types/node': versionOf('@types/node') },
  }));
  write(join(consumer, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['src'] }));
  write(join(consumer, 'src/readme.ts'), `${readmeExample(readFileSync('README.md', 'utf8'))}\nexport {};\n`);
  write(join(consumer, 'src/talk.ts'), talkSource(true));
  // A CommonJS project inside it: same dependencies (found up the tree), its own module format.
  write(join(consumer, 'cjs/package.json'), JSON.stringify({ name: 'consumer-cjs', private: true, type: 'commonjs' }));
  write(join(consumer, 'cjs/tsconfig.json'), JSON.stringify({ compilerOptions, include: ['src'] }));
  write(join(consumer, 'cjs/src/talk.ts'), talkSource(false));
  write(join(consumer, 'cjs/require-check.js'), requireCheck);
  write(join(consumer, 'cjs/require-failure.js'), requireFailure);
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: consumer, timeout: 240_000 });
}, 300_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('holds the built entries, the sources its maps point to, LICENSE and README, and no specs, samples or benches', () => {
    const list = files(join(unpacked, 'package'));
    expect(list).toContain('LICENSE');
    expect(list).toContain('README.md');
    for (const entry of ['index', 'entries/testing', 'entries/pnrp', 'entries/security', 'entries/records', 'observe/prometheus']) {
      expect(list).toContain(`dist/lib/${entry}.js`);
      expect(list).toContain(`dist/lib/${entry}.d.ts`);
    }
    expect(list.filter((f) => /^dist\/(spec|samples|bench)\//.test(f))).toEqual([]);
    const maps = list.filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(100);
    const unresolved = maps.flatMap((m) => {
      const map = JSON.parse(readFileSync(join(unpacked, 'package', m), 'utf8')) as { sources: string[] };
      return map.sources.map((s) => relative(join(unpacked, 'package'), resolve(join(unpacked, 'package', dirname(m)), s))).filter((s) => !existsSync(join(unpacked, 'package', s)));
    });
    expect(unresolved).toEqual([]);
    expect(readFileSync(join(unpacked, 'package/LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });

  it('installs into a fresh project with tsyringe as the one peer copy', () => {
    expect(existsSync(join(consumer, 'node_modules/peerchannel/dist/lib/index.js'))).toBe(true);
    expect(versionOf.call(null, 'tsyringe')).toBe(JSON.parse(readFileSync(join(consumer, 'node_modules/tsyringe/package.json'), 'utf8')).version);
    expect(existsSync(join(consumer, 'node_modules/peerchannel/node_modules/tsyringe'))).toBe(false);
  });

  it('compiles the README example and an ES module program with plain tsc; two nodes talk', async () => {
    await run(process.execPath, [join(consumer, 'node_modules/typescript/bin/tsc'), '-p', '.'], { cwd: consumer, timeout: 120_000 }).catch((e: { stdout?: string }) => {
      throw new Error(`tsc failed in the ESM consumer:\n${e.stdout}`);
    });
    expect(existsSync(join(consumer, 'dist/readme.js'))).toBe(true);
    const out = await node(['dist/talk.js'], consumer);
    expect(out.reply).toBe(`hello bob, from ${String(out.aliceIs)}`);
    expect(out.heard).toBe('hi from bob');
    expect(out.code).toBe('PC_ERR_SERVICE_NOT_INJECTABLE');
    expect(out.network).toBe('function');
  }, 180_000);

  it('compiles a CommonJS TypeScript program (module nodenext, type commonjs); it require()s the package and two nodes talk', async () => {
    const cjs = join(consumer, 'cjs');
    await run(process.execPath, [join(consumer, 'node_modules/typescript/bin/tsc'), '-p', '.'], { cwd: cjs, timeout: 120_000 }).catch((e: { stdout?: string }) => {
      throw new Error(`tsc failed in the CommonJS consumer:\n${e.stdout}`);
    });
    expect(readFileSync(join(cjs, 'dist/talk.js'), 'utf8')).toContain('require("peerchannel")');
    const out = await node(['dist/talk.js'], cjs);
    expect(out.reply).toBe(`hello bob, from ${String(out.aliceIs)}`);
    expect(out.heard).toBe('hi from bob');
    expect(out.code).toBe('PC_ERR_SERVICE_NOT_INJECTABLE');
  }, 180_000);

  it('gives require() the same module instances as import, for every entry', async () => {
    const out = await node(['require-check.js'], join(consumer, 'cjs'));
    expect(out).toEqual({ same: [true, true, true, true, true], error: true, names: expect.any(Number), pnrpNode: 'function' });
  });

  it('fails require() with PC_ERR_REQUIRE_UNSUPPORTED and what to do where Node cannot require ES modules', async () => {
    const out = await node(['--no-experimental-require-module', 'require-failure.js'], join(consumer, 'cjs'));
    expect(out.code).toBe('PC_ERR_REQUIRE_UNSUPPORTED');
    expect(out.message).toContain('Node.js 20.19 or later');
    expect(out.message).toContain('await import()');
  });
});

void pkg;
