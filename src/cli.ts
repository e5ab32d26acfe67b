#!/usr/bin/env node
/** `niftybox <command>`: the one entry point. Each command lives in src/commands/. */
import { ConfigError } from './config.js';
import { LedgerError } from './store/ledger.js';
import { CsvError } from './feed/csv.js';
import { DataError, IoError, UsageError } from './commands/errors.js';

const USAGE = `usage: niftybox <command> [options]

commands:
  run [--config F] [--demo] [--db F] [--replay INDEX,OPTIONS] …   the appliance (demo when no Upstox credentials)
  backtest --index F --options F [--from D] [--to D] [--slippage P] [--json] [--csv F]
  report [--db F] [--from D] [--to D] [--json] [--csv F]          the paper ledger
  login [--token T]                                               Upstox OAuth flow, or store an Analytics token
  doctor [--json]                                                 checks mode, paths, I2C, GPIO, clock, token, broker, disk
  halt [--reason R] | resume | status                             talk to the running appliance`;

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  backtest: async () => (await import('./commands/backtest.js')).backtestCommand,
  run: async () => (await import('./commands/run.js')).runCommand,
  report: async () => (await import('./commands/report.js')).reportCommand,
  halt: async () => (await import('./commands/control.js')).haltCommand,
  resume: async () => (await import('./commands/control.js')).resumeCommand,
  status: async () => (await import('./commands/control.js')).statusCommand,
  login: async () => (await import('./commands/login.js')).loginCommand,
  doctor: async () => (await import('./commands/doctor.js')).doctorCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
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
    if (err instanceof ConfigError) {
      process.stderr.write(`niftybox: bad configuration:\n${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof UsageError || err instanceof DataError || err instanceof IoError) {
      process.stderr.write(`niftybox ${name}: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof LedgerError) {
      process.stderr.write(`niftybox ${name}: ${err.message}\n`);
      return 74; // EX_IOERR
    }
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
