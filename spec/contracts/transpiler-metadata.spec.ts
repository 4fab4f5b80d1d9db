import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { transform } from 'esbuild';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * A user's code compiled by esbuild (what tsx runs), which keeps decorators but never emits
 * `design:*` metadata, run in its own Node process against the built package (`dist/`).
 */
const entry = pathToFileURL(resolve('dist/lib/index.js')).href;
const testing = pathToFileURL(resolve('dist/lib/entries/testing.js')).href;

const source = `
import { PeerContract, PeerOperation, PeerNode, PeerRecordType, RecordField, contractStub, describeContract, injectable } from '${entry}';
import { MemoryNetwork, memoryTransport } from '${testing}';
import { Plain } from './contract.mjs'; // a contract from a package built by tsc

@PeerContract('esbuild.chat')
class Chat {
  @PeerOperation() say(from: string, text: string): void {}
  @PeerOperation({ reply: true }) whois(): Promise<string> { return contractStub(); }
}

@PeerRecordType('esbuild.note')
class Note {
  @RecordField() text!: string;
}


@injectable()
class NeedsNode {
  constructor(readonly node: PeerNode) {}
  say(): void {}
}

const outcome = (fn: () => unknown) => { try { fn(); return { ok: true }; } catch (e: any) { return { code: e.code, message: e.message }; } };
const results: Record<string, unknown> = { contract: outcome(() => describeContract(Chat)) };
const node = await PeerNode.open('net.p2p://esbuild', { transport: memoryTransport(new MemoryNetwork()), resolver: null, records: { storage: 'memory', types: [Note] } })
  .then((n) => n, (e) => { results.records = { code: e.code, message: e.message }; return PeerNode.open('net.p2p://esbuild', { transport: memoryTransport(new MemoryNetwork()), resolver: null }); });
if (results.records === undefined) results.records = outcome(() => node.records(Note));
results.service = outcome(() => node.host(Plain, NeedsNode));
await node.close();
console.log(JSON.stringify(results));
`;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function run(js: string): Record<string, { ok?: true; code?: string; message?: string }> {
  // Inside the clone (test-artifacts/ is ignored by git), so bare imports resolve from its node_modules.
  mkdirSync(resolve('test-artifacts'), { recursive: true });
  const dir = mkdtempSync(join(resolve('test-artifacts'), 'transpile-'));
  dirs.push(dir);
  const file = join(dir, 'app.mjs');
  writeFileSync(file, `import 'reflect-metadata';\n${js}`);
  writeFileSync(join(dir, 'contract.mjs'), tsc(contract));
  const out = execFileSync(process.execPath, [file], { encoding: 'utf8', cwd: process.cwd(), timeout: 30_000 });
  return JSON.parse(out.trim().split('\n').at(-1) as string);
}

const contract = `
import { PeerContract, PeerOperation } from '${entry}';
@PeerContract('esbuild.plain')
export class Plain {
  @PeerOperation() say(text: string): void {}
}
`;

const tsconfigRaw = { compilerOptions: { experimentalDecorators: true, emitDecoratorMetadata: true, useDefineForClassFields: false } };

function tsc(code: string): string {
  return ts.transpileModule(code, { compilerOptions: { ...tsconfigRaw.compilerOptions, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
}

describe('code compiled without decorator metadata (esbuild, tsx)', () => {
  it('fails with PC_ERR_DECORATOR_METADATA_MISSING naming the compiler option, for contracts and record types', async () => {
    const { code } = await transform(source, { loader: 'ts', format: 'esm', target: 'es2022', tsconfigRaw });
    const results = run(code);
    for (const what of ['contract', 'records'] as const) {
      expect(results[what]?.code, what).toBe('PC_ERR_DECORATOR_METADATA_MISSING');
      expect(results[what]?.message).toContain('emitDecoratorMetadata');
      expect(results[what]?.message).toContain('tsx and esbuild never emit this metadata');
      expect(results[what]?.message).not.toContain('must declare a return type');
    }
    expect(results.contract?.message).toMatch(/^contract esbuild\.chat \(Chat\) was compiled without decorator metadata/);
    expect(results.records?.message).toMatch(/^record type esbuild\.note \(Note\)/);
  });

  it('says, for a service that cannot be injected, that @inject is needed under such a compiler', async () => {
    const { code } = await transform(source.replace("describeContract(Chat)", "0"), { loader: 'ts', format: 'esm', target: 'es2022', tsconfigRaw });
    const results = run(code);
    expect(results.service?.code).toBe('PC_ERR_SERVICE_NOT_INJECTABLE');
    expect(results.service?.message).toContain('put @inject(token) on every parameter');
    expect(results.service?.message).toContain('Decorator metadata is also missing in this process');
  });

  it('accepts the same code compiled by tsc with emitDecoratorMetadata (the control)', () => {
    const results = run(tsc(source));
    expect(results.contract).toEqual({ ok: true });
    expect(results.records).toEqual({ ok: true });
    // tsc emits design:paramtypes, so only the missing @inject for a PeerNode parameter remains.
    expect(results.service?.code).toBe('PC_ERR_SERVICE_NOT_INJECTABLE');
    expect(results.service?.message).not.toContain('Decorator metadata is also missing');
  });
});
