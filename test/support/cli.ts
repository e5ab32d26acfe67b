import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './shared-data.js';

export const builtCli = join(repoRoot, 'dist', 'cli.js');

/** Runs the built CLI (`npm test` builds first) and returns its exit code and output. */
export function runCli(args: string[], opts: SpawnSyncOptions = {}) {
  if (!existsSync(builtCli)) throw new Error(`${builtCli} is missing: run "npm run build" (npm test does it for you)`);
  const r = spawnSync(process.execPath, [builtCli, ...args], {
    encoding: 'utf8',
    cwd: repoRoot,
    timeout: 120_000,
    ...opts,
  });
  return { code: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}
