import { spawnSync } from 'node:child_process';

/**
 * Builds `dist/` once so multi-process specs can start real Node processes on compiled code.
 *
 * @remarks tsc emits even when a file has type errors; `npm test` typechecks separately first,
 * so a type error still fails the test command, while a focused `vitest run` stays usable.
 */
export default function setup(): void {
  // The second project is the inspector's browser page (DOM types, ES modules).
  for (const project of ['tsconfig.build.json', 'tsconfig.page.json']) {
    const result = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project], { encoding: 'utf8' });
    if (result.status !== 0) {
      process.stderr.write(`global-setup: tsc -p ${project} reported errors (dist/ was still emitted):\n${result.stdout.slice(0, 4000)}\n`);
    }
  }
}
