// @ts-check
/**
 * Groups the API reference by topic: every top-level export without an explicit `@category` gets
 * the category of the `lib/<layer>/` folder it is declared in, so new exports land in the right
 * section with no tag to remember. An explicit `@category` in a comment wins.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Comment, CommentTag, Converter, ReflectionKind } from 'typedoc';

/** Folder under lib/ → category title (in the order of the README's layout table). */
export const TOPICS = {
  node: 'Node',
  contracts: 'Contracts',
  channel: 'Calls and streams',
  errors: 'Errors',
  mesh: 'Mesh',
  transport: 'Transports',
  identity: 'Identity',
  security: 'Security',
  resolver: 'Resolvers',
  presence: 'People Near Me',
  records: 'Records',
  collaboration: 'People: identities, contacts, invitations',
  observe: 'Observability',
  codec: 'Wire limits',
};

/**
 * Each entry point's import specifier, from package.json `exports` (`./dist/lib/x.d.ts` is the
 * types of `lib/x.ts`): `peerchannel` for lib/index.ts, `peerchannel/prometheus`…
 * @param {string} root
 * @returns {Map<string, string>} absolute source path → specifier
 */
export function specifiers(root) {
  const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));
  const out = new Map();
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    const types = typeof target === 'string' ? target : target?.types ?? target?.import?.types;
    if (typeof types !== 'string') continue;
    const source = resolve(root, types.replace(/^\.\/dist\/(?:[^/]+\/)*?(?=lib\/)/, '').replace(/\.d\.[cm]?ts$/, '.ts'));
    out.set(source, subpath === '.' ? pkg.name : `${pkg.name}/${subpath.replace(/^\.\//, '')}`);
  }
  return out;
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  const names = specifiers(process.cwd());
  app.converter.on(
    Converter.EVENT_RESOLVE_BEGIN,
    (/** @type {import('typedoc').Context} */ context) => {
      for (const module of context.project.getReflectionsByKind(ReflectionKind.Module)) {
        const file = context.project.getSymbolIdFromReflection(module)?.fileName;
        const name = file === undefined ? undefined : names.get(resolve(file));
        if (name !== undefined) module.name = name;
      }
    },
    300,
  );
  app.converter.on(
    Converter.EVENT_RESOLVE_BEGIN,
    (/** @type {import('typedoc').Context} */ context) => {
      const project = context.project;
      for (const reflection of Object.values(project.reflections)) {
        const parent = reflection.parent;
        if (parent === undefined || !(parent === project || parent.kindOf(ReflectionKind.Module))) continue;
        const file = project.getSymbolIdFromReflection(reflection)?.fileName ?? '';
        const layer = /(?:^|\/)lib\/([^/]+)\//.exec(file)?.[1];
        const topic = layer === undefined ? undefined : TOPICS[/** @type {keyof typeof TOPICS} */ (layer)];
        if (topic === undefined) continue;
        reflection.comment ??= new Comment();
        if (reflection.comment.getTag('@category') !== undefined) continue;
        reflection.comment.blockTags.push(new CommentTag('@category', [{ kind: 'text', text: topic }]));
      }
    },
    200,
  );
}
