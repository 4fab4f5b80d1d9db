import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';

/** One fenced code block of a Markdown page. */
export interface CodeBlock {
  /** Page, relative to the repository root. */
  readonly file: string;
  /** 1-based line of the block's first code line in the page. */
  readonly line: number;
  /** The fence's language (`ts`, `sh`, …; `''` when untagged). */
  readonly lang: string;
  /** Words after the language on the fence line, e.g. `no-check`. */
  readonly flags: readonly string[];
  readonly code: string;
  /**
   * Code from an HTML comment `<!-- ts-context … -->` right before the fence: declarations the
   * block takes as given (a node, a peer id), compiled before it but not shown on the page.
   */
  readonly context?: { readonly code: string; readonly line: number };
}

const FENCE = /^(\s*)(`{3,})([^`\s]*)\s*(.*)$/;
const CONTEXT = /^<!--\s*ts-context\s*\n([\s\S]*?)-->\s*$/;

/** Every fenced block of one Markdown page. */
export function codeBlocks(root: string, file: string): CodeBlock[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (open === null) continue;
    const indent = open[1]!.length;
    const close = new RegExp(`^\\s*${open[2]}\`*\\s*$`); // as many backticks as the opening fence, or more
    const start = i + 1;
    let end = start;
    while (end < lines.length && !close.test(lines[end]!)) end++;
    const before = lines.slice(0, i).join('\n');
    const comment = before.lastIndexOf('<!--');
    const ctx = comment < 0 ? null : CONTEXT.exec(before.slice(comment));
    const context = ctx === null ? undefined : { code: ctx[1]!, line: before.slice(0, comment).split('\n').length + 1 };
    blocks.push({
      file,
      line: start + 1,
      lang: open[3]!.toLowerCase(),
      flags: open[4]!.split(/\s+/).filter((w) => w !== ''),
      code: lines.slice(start, end).map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length))).join('\n'),
      context,
    });
    i = end;
  }
  return blocks;
}

/** TypeScript blocks that must compile: tagged `ts` or `typescript`, without `no-check`. */
export function isChecked(block: CodeBlock): boolean {
  return (block.lang === 'ts' || block.lang === 'typescript') && !block.flags.includes('no-check');
}

/** One compiler message, placed on its page. */
export interface BlockDiagnostic {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/**
 * `peerchannel` and each subpath of `package.json` `exports` mapped to its source, the way a
 * consumer of the package sees them (`./dist/lib/x.d.ts` → `lib/x.ts`): new subpaths need no edit here.
 */
export function packagePaths(root: string): Record<string, string[]> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; exports: Record<string, unknown> };
  const paths: Record<string, string[]> = {};
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const types = typesOf(target);
    if (types === undefined) continue;
    const source = types.replace(/^\.\/dist\/(?:[^/]+\/)*?(?=lib\/)/, '').replace(/\.d\.[cm]?ts$/, '.ts');
    paths[subpath === '.' ? pkg.name : `${pkg.name}/${subpath.replace(/^\.\//, '')}`] = [resolve(root, source)];
  }
  return paths;
}

function typesOf(target: unknown): string | undefined {
  if (typeof target === 'string') return target.endsWith('.d.ts') ? target : undefined;
  if (target === null || typeof target !== 'object') return undefined;
  const t = target as Record<string, unknown>;
  if (typeof t.types === 'string') return t.types;
  for (const value of Object.values(t)) {
    const found = typesOf(value);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Type-checks blocks as ES modules of a consumer project (the repository's compiler options,
 * `peerchannel` resolved to `lib/`), one module per block, in one program.
 */
export function checkBlocks(root: string, blocks: readonly CodeBlock[]): BlockDiagnostic[] {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (config === undefined) throw new Error('tsconfig.json does not parse');
  const options: ts.CompilerOptions = { ...config.options, noEmit: true, incremental: false, declaration: false, declarationMap: false, sourceMap: false, paths: packagePaths(root) };

  // Virtual files live in spec/docs/ so that node_modules and package.json ("type": "module") apply.
  const virtual = new Map<string, { block: CodeBlock; text: string; contextLines: number }>();
  blocks.forEach((block, i) => {
    const name = resolve(root, 'spec/docs', `__block_${i}_${block.file.replace(/[^\w]/g, '_')}_${block.line}.ts`);
    const context = block.context?.code ?? '';
    const contextLines = block.context === undefined ? 0 : context.split('\n').length;
    virtual.set(name, { block, text: `${block.context === undefined ? '' : `${context}\n`}${block.code}\nexport {};\n`, contextLines });
  });

  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (f) => virtual.has(resolve(f)) || fileExists.call(host, f);
  host.readFile = (f) => virtual.get(resolve(f))?.text ?? readFile.call(host, f);
  host.getSourceFile = (f, language, onError, create) => {
    const v = virtual.get(resolve(f));
    return v === undefined ? getSourceFile.call(host, f, language, onError, create) : ts.createSourceFile(f, v.text, language, true);
  };
  const program = ts.createProgram({ rootNames: [...virtual.keys()], options, host });

  const out: BlockDiagnostic[] = program.getOptionsDiagnostics().map((d) => ({ file: 'tsconfig.json', line: 0, message: flatten(d) }));
  for (const [name, v] of virtual) {
    const sf = program.getSourceFile(name)!;
    for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
      const at = sf.getLineAndCharacterOfPosition(d.start ?? 0).line;
      const line = at < v.contextLines ? v.block.context!.line + at : v.block.line + at - v.contextLines;
      out.push({ file: v.block.file, line, message: `TS${d.code}: ${flatten(d)}` });
    }
  }
  return out;
}

function flatten(d: ts.Diagnostic): string {
  return ts.flattenDiagnosticMessageText(d.messageText, '\n');
}

/** The repository root (this file is spec/docs/code-blocks.ts). */
export const REPO_ROOT = resolve(dirname(new URL(import.meta.url).pathname), '../..');
