import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Content types of the files a page server serves; any other extension is 404. */
const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** One thing a page server answers with. */
export interface PageAsset {
  readonly type: string;
  readonly body: string | Buffer;
}

/** The package's root directory (the one holding its package.json), from sources or from dist/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'peerchannel') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('peerchannel package root not found');
    dir = up;
  }
}

/** Where the build puts the browser compile (`tsconfig.page.json`): `dist/page` under the package root. */
export function pageBuildDir(): string {
  return join(packageRoot(), 'dist', 'page');
}

/**
 * Reads `urlPath` (already stripped of its mount prefix) from `dir`, or `undefined` when it is
 * not a regular file of a served type inside `dir` (no `..`, no dot files, no directories).
 */
export function fileUnder(dir: string, urlPath: string): PageAsset | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    // A malformed escape is a request for nothing.
    return undefined;
  }
  if (decoded.includes('\0') || decoded.split('/').some((part) => part === '..' || part.startsWith('.'))) return undefined;
  const type = TYPES[extname(decoded)];
  if (type === undefined) return undefined;
  const root = resolve(dir);
  const file = resolve(root, `.${decoded.startsWith('/') ? '' : '/'}${decoded}`);
  if (!file.startsWith(root + sep)) return undefined;
  try {
    if (!statSync(file).isFile()) return undefined;
    return { type, body: readFileSync(file) };
  } catch {
    // Missing or unreadable: 404 like any unknown path.
    return undefined;
  }
}

/** The directory of an installed package, from any file `require.resolve` gives for it. */
function installedPackageDir(name: string): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve(name));
  while (!existsSync(join(dir, 'package.json')) || (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name !== name) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`package ${name} not found`);
    dir = up;
  }
  return dir;
}

/** A module that re-exports the names of a global object (the rxjs UMD bundle's). */
function shim(global: string, names: readonly string[]): string {
  const exports = names.filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default').map((n) => `export const ${n} = r.${n};`);
  return `const r = ${global};\nif (r === undefined) throw new Error('rxjs bundle not loaded');\n${exports.join('\n')}\n`;
}

/**
 * The vendored modules every gateway page gets: rxjs (its UMD bundle plus ES module shims, since
 * rxjs's own ES build uses extensionless imports a browser cannot resolve), msgpackr's ES
 * modules, reflect-metadata, and the `peerchannel/browser` module tree.
 * @internal
 */
export class PageVendor {
  private readonly files = new Map<string, PageAsset>();
  private readonly msgpackrDir: string;
  private readonly browserDir: string;
  /** Bare specifier → URL. */
  readonly imports: Readonly<Record<string, string>> = {
    rxjs: '/vendor/rxjs.mjs',
    'rxjs/operators': '/vendor/rxjs-operators.mjs',
    msgpackr: '/vendor/msgpackr/index.js',
    'reflect-metadata': '/vendor/reflect-metadata.js',
    'peerchannel/browser': '/peerchannel/browser/index.js',
  };

  private constructor(rxjsNames: readonly string[], operatorNames: readonly string[]) {
    const require = createRequire(import.meta.url);
    const rxjsDir = installedPackageDir('rxjs');
    const js = TYPES['.js'] as string;
    this.files.set('/vendor/rxjs.umd.min.js', { type: js, body: readFileSync(join(rxjsDir, 'dist', 'bundles', 'rxjs.umd.min.js')) });
    this.files.set('/vendor/rxjs.mjs', { type: js, body: shim('globalThis.rxjs', rxjsNames) });
    this.files.set('/vendor/rxjs-operators.mjs', { type: js, body: shim('globalThis.rxjs?.operators', operatorNames) });
    this.files.set('/vendor/reflect-metadata.js', { type: js, body: readFileSync(require.resolve('reflect-metadata')) });
    this.msgpackrDir = installedPackageDir('msgpackr');
    this.browserDir = join(pageBuildDir(), 'lib');
  }

  /** Loads the vendored files (once per gateway). */
  static async load(): Promise<PageVendor> {
    const [rxjs, operators] = await Promise.all([import('rxjs'), import('rxjs/operators')]);
    return new PageVendor(Object.keys(rxjs), Object.keys(operators));
  }

  /** The script tags a page's `<head>` needs before its own modules: import map and rxjs bundle. */
  head(extra: Readonly<Record<string, string>>): { html: string; importMapHash: string } {
    const importMap = JSON.stringify({ imports: { ...this.imports, ...extra } });
    return {
      html: `<script type="importmap">${importMap}</script>\n<script src="/vendor/rxjs.umd.min.js"></script>\n`,
      importMapHash: createHash('sha256').update(importMap).digest('base64'),
    };
  }

  /** The vendored file at `path`, if it is one. */
  get(path: string): PageAsset | undefined {
    const known = this.files.get(path);
    if (known !== undefined) return known;
    if (path.startsWith('/vendor/msgpackr/') && path.endsWith('.js') && !path.slice(17).includes('/')) return fileUnder(this.msgpackrDir, path.slice(16));
    if (path.startsWith('/peerchannel/')) return fileUnder(this.browserDir, path.slice(12));
    return undefined;
  }
}
