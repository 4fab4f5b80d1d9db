import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BlockDiagnostic, type CodeBlock, REPO_ROOT, checkBlocks, checkingSpec, codeBlocks, isChecked, packagePaths } from './code-blocks.js';

/**
 * Every ```ts block of README.md and docs/*.md compiles against the package's own sources, as a
 * consumer's ES module would (`peerchannel` and its subpaths mapped from package.json `exports`).
 * A block that is deliberately a fragment says so on its fence (```ts no-check); there must be few.
 */
const PAGES = ['README.md', ...readdirSync(`${REPO_ROOT}/docs`).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)].sort();
const MAX_UNCHECKED = 2;

const blocks: CodeBlock[] = PAGES.flatMap((page) => codeBlocks(REPO_ROOT, page));
const checked = blocks.filter(isChecked);
let diagnostics: BlockDiagnostic[] = [];

beforeAll(() => {
  diagnostics = checkBlocks(REPO_ROOT, checked);
}, 120_000);

describe('docs examples', () => {
  it('finds the TypeScript blocks of every page, and few are exempt', () => {
    const ts = blocks.filter((b) => b.lang === 'ts' || b.lang === 'typescript');
    const exempt = ts.filter((b) => !isChecked(b) && checkingSpec(b) === undefined).map((b) => `${b.file}:${b.line}`);
    expect(checked.length).toBeGreaterThanOrEqual(15);
    expect(exempt.length, `blocks marked no-check: ${exempt.join(', ')}`).toBeLessThanOrEqual(MAX_UNCHECKED);
    expect(new Set(checked.map((b) => b.file))).toContain('README.md');
  });

  it('a block checked by another spec (spec=… on its fence) is held verbatim by that spec', () => {
    const elsewhere = blocks.filter((b) => checkingSpec(b) !== undefined);
    for (const b of elsewhere) {
      const spec = checkingSpec(b) as string;
      const source = readFileSync(join(REPO_ROOT, spec), 'utf8');
      const code = b.code.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('//'));
      for (const line of code) expect(source, `${b.file}:${b.line} (${spec})`).toContain(line.trim());
    }
  });

  it('maps peerchannel and every subpath export to a source file', () => {
    const paths = packagePaths(REPO_ROOT);
    expect(paths['peerchannel']).toEqual([`${REPO_ROOT}/lib/index.ts`]);
    expect(paths['peerchannel/prometheus']).toEqual([`${REPO_ROOT}/lib/observe/prometheus.ts`]);
  });

  it.each(PAGES)('%s: every ts block compiles', (page) => {
    const mine = diagnostics.filter((d) => d.file === page || d.file === 'tsconfig.json');
    expect(mine.map((d) => `${d.file}:${d.line} ${d.message}`)).toEqual([]);
  });

  it('the checker reports a wrong example on its page line, context lines included', () => {
    const wrong: CodeBlock[] = [
      { file: 'x.md', line: 10, lang: 'ts', flags: [], code: "import { PeerNode } from 'peerchannel';\nawait PeerNode.open(42);" },
      { file: 'y.md', line: 20, lang: 'ts', flags: [], code: 'node.nope();', context: { code: "import type { PeerNode } from 'peerchannel';\ndeclare const node: PeerNode;", line: 17 } },
      { file: 'z.md', line: 30, lang: 'ts', flags: [], code: 'const unknownName = bobId;' },
    ];
    const found = checkBlocks(REPO_ROOT, wrong).map((d) => `${d.file}:${d.line} ${d.message.split(':')[0]}`);
    expect(found).toEqual(['x.md:11 TS2345', 'y.md:20 TS2339', 'z.md:30 TS2304']);
  }, 120_000);
});
