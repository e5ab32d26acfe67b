import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtCli } from '../support/cli.js';
import { repoRoot } from '../support/shared-data.js';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A home with `.niftybox/config.yaml` as a real install has it, pointing at `apiBaseUrl` with `token`. */
export function installHome(apiBaseUrl: string, token: string): string {
  const home = mkdtempSync(join(tmpdir(), 'niftybox-fetch-'));
  mkdirSync(join(home, '.niftybox'), { recursive: true });
  writeFileSync(join(home, '.niftybox', 'config.yaml'), `upstox:\n  token: ${token}\n  apiBaseUrl: ${apiBaseUrl}\n`);
  return home;
}

/** Starts the built CLI without blocking this process's event loop (the fake Upstox lives here). */
export function startCli(
  args: string[],
  home: string,
): { child: ChildProcess; done: Promise<CliResult>; stderr: () => string } {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  delete env.NIFTYBOX_CONFIG;
  delete env.NIFTYBOX_UPSTOX_TOKEN;
  delete env.NIFTYBOX_UPSTOX_API_BASE_URL;
  delete env.STATE_DIRECTORY;
  const child = spawn(process.execPath, [builtCli, ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done, stderr: () => stderr };
}

export function runCliAsync(args: string[], home: string): Promise<CliResult> {
  return startCli(args, home).done;
}
