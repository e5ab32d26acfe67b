import { statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { HelpRequested, UsageError } from '../lib/errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * parseArgs in strict mode, turning its errors into a UsageError that names the flag and the command's usage.
 * Every command gets `--help`/`-h` from here: it throws HelpRequested, which the CLI prints on stdout (exit 0).
 */
export function parseFlags<O extends Options>(argv: string[], options: O, usage: string) {
  if (asksForHelp(argv, options)) throw new HelpRequested(usage);
  try {
    return parseArgs({ args: joinNegativeNumbers(argv, options), options, strict: true, allowPositionals: false });
  } catch (err) {
    throw new UsageError(`${flagErrorSentence((err as Error).message)}\nusage: ${usage}`);
  }
}

/** `--help` or `-h` anywhere among the flags (not as the value of a string flag, `--reason --help`). */
function asksForHelp(argv: string[], options: Options): boolean {
  if (!argv.includes('--help') && !argv.includes('-h')) return false;
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  return tokens.some((t) => t.kind === 'option' && (t.rawName === '--help' || t.rawName === '-h'));
}

/** `--slippage -1` is a value, not a flag: pass it as `--slippage=-1` so the flag's own check can call it bad. */
function joinNegativeNumbers(argv: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    const opt = a.startsWith('--') && !a.includes('=') ? options[a.slice(2)] : undefined;
    if (opt?.type === 'string' && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** Node's parseArgs messages, as one sentence each. */
function flagErrorSentence(message: string): string {
  const ambiguous = /^Option '(--[\w-]+)[^']*' argument is ambiguous/.exec(message);
  if (ambiguous)
    return (
      `${ambiguous[1]} needs a value, but the next word is a flag (write ` +
      `${ambiguous[1]}=VALUE if the value starts with "-")`
    );
  const missing = /^Option '(--[\w-]+)[^']*' argument missing/.exec(message);
  if (missing) return `${missing[1]} needs a value`;
  return message.replace(/\. To specify a positional argument.*$/s, '').replace(/\n.*$/s, '');
}

/** A calendar date YYYY-MM-DD that exists (2025-02-30 does not). */
export function dateFlag(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(value);
  if (!m) throw new UsageError(`--${name} "${value}" is not a date YYYY-MM-DD`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const real = new Date(Date.UTC(y, mo - 1, d));
  if (real.getUTCFullYear() !== y || real.getUTCMonth() !== mo - 1 || real.getUTCDate() !== d) {
    const monthDays = new Date(Date.UTC(y, mo, 0)).getUTCDate();
    const why = mo >= 1 && mo <= 12 ? `that month has ${monthDays} days` : 'months run 01 … 12';
    throw new UsageError(`--${name} ${value} is not a real date (${why})`);
  }
  return value;
}

export function numberFlag(value: string | undefined, name: string, min = 0, max = Infinity): number | undefined {
  if (value === undefined) return undefined;
  const n = value.trim() === '' ? NaN : Number(value);
  const range = max === Infinity ? `≥ ${min}` : `from ${min} to ${max}`;
  if (!Number.isFinite(n) || n < min || n > max)
    throw new UsageError(`--${name} "${value}" is not a valid value: it must be a number ${range}`);
  return n;
}

/** A count (sessions, …): a whole number ≥ min. */
export function wholeNumberFlag(value: string | undefined, name: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\s*\d+\s*$/.test(value) || Number(value) < min)
    throw new UsageError(`--${name} "${value}" is not a valid value: it must be a whole number ≥ ${min}`);
  return Number(value);
}

/** A TCP port 1 … 65535. */
export function portFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535)
    throw new UsageError(`--${name} "${value}" is not a port: give a whole number from 1 to 65535`);
  return Number(value);
}

/** A string flag that must not be empty (`--token ''`). */
export function textFlag(value: string | undefined, name: string, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new UsageError(`--${name} is empty: give ${what}`);
  return value;
}

/** Flags that do nothing in the chosen mode are refused rather than ignored. */
export function refuseFlags(values: Record<string, unknown>, names: readonly string[], why: string): void {
  const given = names.filter((n) => values[n] !== undefined && values[n] !== false);
  if (given.length)
    throw new UsageError(
      `${given.map((n) => `--${n}`).join(', ')} ${given.length === 1 ? 'does' : 'do'} nothing ${why}`,
    );
}

/** `--db F`: a ledger file (it may not exist yet), never a directory. */
export function ledgerFlag(value: string | undefined, name = 'db'): string | undefined {
  if (value === undefined) return undefined;
  let dir = false;
  try {
    dir = statSync(value).isDirectory();
  } catch {
    // absent: the ledger will be created
  }
  if (dir)
    throw new UsageError(
      `--${name} ${value} is a directory: give the ledger file's path, e.g. ${join(value, 'ledger.db')}`,
    );
  return value;
}

/** Flags several commands share, spread into their parseFlags tables so each means the same everywhere. */
export const CONFIG_FLAGS = { config: { type: 'string' }, db: { type: 'string' } } as const;
export const DATE_RANGE_FLAGS = { from: { type: 'string' }, to: { type: 'string' } } as const;
/** The outputs of `backtest` and `report` (interfaces.md): --json, --csv F, --html F, --days. */
export const REPORT_OUTPUT_FLAGS = {
  json: { type: 'boolean', default: false },
  csv: { type: 'string' },
  html: { type: 'string' },
  days: { type: 'boolean', default: false },
} as const;

/** `--from D` and `--to D`, each a real date (either may be left out), --from not after --to. */
export function dateRangeFlags(values: { from?: string; to?: string }): {
  from: string | undefined;
  to: string | undefined;
} {
  const from = dateFlag(values.from, 'from');
  const to = dateFlag(values.to, 'to');
  if (from && to && from > to) throw new UsageError(`--from ${from} is after --to ${to}`);
  return { from, to };
}
