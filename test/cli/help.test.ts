import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

/**
 * Every command the top-level usage lists, read from `niftybox help` itself, so a command added later
 * (with its line in the usage) is covered too: "mqtt forget [--device ID]" → ["mqtt", "forget"].
 */
function listedCommands(usage: string): string[][] {
  const lines = usage.split('\n');
  const start = lines.findIndex((l) => l.trim() === 'commands:');
  const out: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.trim()) continue;
    const synopsis = line.trim().split(/\s{2,}/)[0]!;
    for (const part of synopsis.split(' | ')) {
      const words: string[] = [];
      for (const w of part.trim().split(/\s+/)) {
        if (/^[[\-<]/.test(w)) break;
        words.push(w);
      }
      if (words.length) out.push(words);
    }
  }
  return out;
}

describe('help', () => {
  const top = runCli(['help']);
  const commands = listedCommands(top.stdout);

  it('`niftybox help` lists the commands on stdout and exits 0', () => {
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^usage: niftybox <command>/);
    expect(commands.map((c) => c.join(' '))).toEqual(
      expect.arrayContaining(['run', 'backtest', 'report', 'login', 'doctor', 'halt', 'resume', 'status']),
    );
  });

  it('every command answers `CMD --help`, `CMD -h` and `help CMD` with its ' +
    'usage on stdout, exit 0, nothing on stderr; the list shows that same ' +
    'usage', () => {
    const synopses = top.stdout.split('\n').map((l) => l.trim().split(/\s{2,}/)[0]!);
    for (const cmd of commands) {
      const name = cmd.join(' ');
      const long = runCli([...cmd, '--help']);
      expect([name, long.code, long.stderr]).toEqual([name, 0, '']);
      expect(long.stdout.startsWith(`usage: niftybox ${name}`), `${name} --help printed: ${long.stdout}`).toBe(true);
      expect(synopses, `niftybox help lists ${name} as its --help does`).toContain(
        long.stdout
          .slice('usage: niftybox '.length)
          .split(/\s{2,}|\n/)[0]!
          .trim(),
      );
      expect(runCli([...cmd, '-h']).stdout).toBe(long.stdout);
      const viaHelp = runCli(['help', ...cmd]);
      expect([name, viaHelp.code, viaHelp.stdout]).toEqual([name, 0, long.stdout]);
    }
  }, 180_000); // three CLI starts per command (17 of them): about 70 s on a loaded 2-core machine

  it('--help wins over other flags, even bad ones, and does nothing else (no ledger, no backtest)', () => {
    const r = runCli(['backtest', '--index', '/nonexistent.csv', '--bogus', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: niftybox backtest --index F --options F/);
  });

  it(
    'a --help given as the value of a flag is the value (halt --reason --help ' +
      'is refused as no appliance, not help)',
    () => {
      const r = runCli(['halt', '--db', '/nonexistent/dir/ledger.db', '--reason', '--help']);
      expect(r.stdout).not.toMatch(/^usage:/);
      expect(r.code).not.toBe(0);
    },
  );

  it('help for an unknown command says so, exit 64', () => {
    const r = runCli(['help', 'frobnicate']);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/unknown command "frobnicate"/);
  });
});
