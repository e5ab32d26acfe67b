#!/usr/bin/env node
/** `niftybox <command>`: the one entry point. Each command lives in src/commands/. */
import { ConfigError } from './config.js';
import { LedgerError } from './store/ledger.js';
import { CliError, HelpRequested } from './lib/errors.js';
import { COMMANDS, usageLine, type CommandName } from './commands/usage.js';

const USAGE =
  'usage: niftybox <command> [options]      ' +
  `("niftybox help CMD" or "niftybox CMD --help": that command's usage)

commands:
${(Object.keys(COMMANDS) as CommandName[]).map((n) => `  ${usageLine(n, 64, { bare: true })}`).join('\n')}`;

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  backtest: async () => (await import('./commands/backtest.js')).backtestCommand,
  run: async () => (await import('./commands/run.js')).runCommand,
  report: async () => (await import('./commands/report.js')).reportCommand,
  strategies: async () => (await import('./commands/strategies.js')).strategiesCommand,
  halt: async () => (await import('./commands/control.js')).haltCommand,
  resume: async () => (await import('./commands/control.js')).resumeCommand,
  status: async () => (await import('./commands/control.js')).statusCommand,
  login: async () => (await import('./commands/login.js')).loginCommand,
  doctor: async () => (await import('./commands/doctor.js')).doctorCommand,
  mqtt: async () => (await import('./commands/mqtt.js')).mqttCommand,
  fetch: async () => (await import('./commands/fetch.js')).fetchCommand,
  export: async () => (await import('./commands/export.js')).exportCommand,
  verify: async () => (await import('./commands/verify.js')).verifyCommand,
  backup: async () => (await import('./commands/backup.js')).backupCommand,
  restore: async () => (await import('./commands/backup.js')).restoreCommand,
  sweep: async () => (await import('./commands/sweep.js')).sweepCommand,
};

export async function main(argv: string[]): Promise<number> {
  let [name, ...rest] = argv;
  // `niftybox help CMD [SUB]` is `CMD [SUB] --help`
  if (name === 'help' && rest.length) [name, ...rest] = [...rest, '--help'];
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE + '\n');
    return name ? 0 : 64;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`niftybox: unknown command "${name}"\n${USAGE}\n`);
    return 64;
  }
  try {
    return await (await load())(rest);
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(`usage: ${err.usage}\n`);
      return 0;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`niftybox: bad configuration:\n${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof CliError) {
      process.stderr.write(`niftybox ${name}: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof LedgerError) {
      process.stderr.write(`niftybox ${name}: ${err.message}\n`);
      return 74; // EX_IOERR
    }
    const { CsvError } = await import('./feed/csv.js'); // loaded on an error only: a live box never reads CSV
    if (err instanceof CsvError) {
      process.stderr.write(`niftybox ${name}: ${err.message}\n`);
      return 65;
    }
    process.stderr.write(`niftybox ${name}: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Everything is closed by now; a handle something forgot (a socket, stdin) must not keep us alive.
    setTimeout(() => process.exit(code), 3000).unref();
  },
  (err) => {
    process.stderr.write(`niftybox: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
