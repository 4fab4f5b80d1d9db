import { execFileSync } from 'node:child_process';

/** Builds `dist/` once so multi-process specs can start real Node processes on compiled code. */
export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
}
