import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every benchmark, in the order `npm run bench` prints them. Pass names to run a subset. */
const suites = ['codec', 'mesh-load', 'memory-flood', 'ws-transport', 'ws-flood', 'ws-flood-processes', 'mesh-sim', 'pnrp', 'records', 'node-records', 'hosts', 'trace'];

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
for (const name of suites) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const file = join(here, `${name}.bench.js`);
  if (!existsSync(file)) continue;
  console.log(`\n== ${name} ==`);
  const mod = (await import(file)) as { run: () => Promise<void> };
  await mod.run();
}
process.exit(0);
