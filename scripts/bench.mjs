// `npm run bench`: runs every scripts/bench-*.mjs in turn and prints their figures.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
let failed = 0;
for (const f of readdirSync(dir).filter((f) => /^bench-.+\.mjs$/.test(f)).sort()) {
  if (only && !f.includes(only)) continue;
  console.log(`\n== ${f}`);
  const r = spawnSync(process.execPath, [join(dir, f)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
