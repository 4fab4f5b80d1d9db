import { ErrorCode, PeerChannelError } from '../errors/index.js';

/**
 * What to do when decorator metadata is missing, said once for contracts, record types and services.
 *
 * @remarks Names the options and plugins that emit `design:*` metadata, and the transpilers that
 * drop it, so a user of tsx or esbuild learns the fix rather than a symptom.
 */
export const DECORATOR_METADATA_HINT =
  'PeerChannel reads the types TypeScript emits for decorated members (design:paramtypes, design:returntype, design:type). ' +
  'Compile with "experimentalDecorators": true and "emitDecoratorMetadata": true in tsconfig.json, using a compiler that honours ' +
  'them: tsc, swc with jsc.transform.decoratorMetadata: true (vite/vitest: unplugin-swc), or vite 8 (Oxc). ' +
  'tsx and esbuild never emit this metadata: build with tsc and run the JavaScript, or give esbuild a plugin that ' +
  'compiles decorated files with tsc or swc (e.g. esbuild-plugin-tsc).';

let missingSeen = false;

/** Whether some decorated class was found without metadata in this process (for later hints). */
export function decoratorMetadataMissingSeen(): boolean {
  return missingSeen;
}

/**
 * Fails when every decorated member of `what` lacks its `design:*` metadata — the sign of a
 * transpiler that drops it — instead of letting each member's own check report a misleading
 * symptom ("must declare a return type").
 *
 * @param what - the class as the user knows it, e.g. `contract chat (Chat)`
 * @param present - one flag per decorated member: whether its metadata exists
 * @throws PeerChannelError `PC_ERR_DECORATOR_METADATA_MISSING`
 */
export function assertDecoratorMetadata(what: string, present: readonly boolean[]): void {
  if (present.length === 0 || present.some((p) => p)) return;
  missingSeen = true;
  throw new PeerChannelError(ErrorCode.DECORATOR_METADATA_MISSING, `${what} was compiled without decorator metadata. ${DECORATOR_METADATA_HINT}`);
}
