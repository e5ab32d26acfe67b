/**
 * `niftybox backup [--out F]`: an online copy of the ledger (works while the box runs), by default into
 * backups/ beside it, keeping the newest `backup.keep` and copying to `backup.copyTo` as the box does
 * after each close. `niftybox restore F`: the ledger replaced by a checked backup, the old one kept
 * beside it; refused while a box runs on the ledger.
 */
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { dbPath, isDirectory, loadConfig } from '../config.js';
import { createLogger, setLogSink } from '../log.js';
import {
  backupDir,
  backupName,
  copyBackup,
  listBackups,
  pruneBackups,
  restoreLedger,
  type RestoreResult,
} from '../store/backups.js';
import { Ledger, LedgerError } from '../store/ledger.js';
import { CONFIG_FLAGS, ledgerFlag, parseFlags } from './args.js';
import { DataError, IoError, UnavailableError, UsageError } from '../lib/errors.js';
import { usageOf } from './usage.js';
import { fsReason } from './output-file.js';

const BACKUP_USAGE = usageOf('backup');
const RESTORE_USAGE = usageOf('restore');

export async function backupCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { ...CONFIG_FLAGS, out: { type: 'string' } }, BACKUP_USAGE);
  setLogSink((line) => process.stderr.write(line + '\n'));
  const { config } = loadConfig(values.config);
  const db = resolve(ledgerFlag(values.db) ?? dbPath(config));
  let out = values.out === undefined ? join(backupDir(db), backupName(db, Date.now())) : resolve(values.out);
  if (values.out !== undefined && isDirectory(out)) out = join(out, backupName(db, Date.now()));
  if (values.out !== undefined && !isDirectory(dirname(out)))
    throw new IoError(`cannot write --out ${values.out}: its folder ${dirname(out)} does not exist`);
  const ledger = Ledger.open(db, { log: createLogger({ area: 'ledger' }), readonly: true });
  const started = performance.now();
  try {
    await ledger.backup(out);
  } catch (err) {
    if (err instanceof LedgerError) throw err;
    throw new IoError(`cannot write the backup ${out}: ${fsReason(err)}`);
  } finally {
    ledger.close();
  }
  const bytes = statSync(out).size;
  process.stdout.write(
    `backup of ${db} written to ${out} (${(bytes / 1048576).toFixed(1)} MB in ` +
      `${Math.round(performance.now() - started)} ms)\n`,
  );
  if (values.out !== undefined) return 0;
  const pruned = pruneBackups(db, backupDir(db), config.backup.keep);
  if (pruned.length) {
    const removed = pruned.map((f) => f.slice(backupDir(db).length + 1)).join(', ');
    process.stdout.write(`kept the newest ${config.backup.keep} backups; removed ${removed}\n`);
  }
  if (config.backup.copyTo) {
    try {
      process.stdout.write(`copied to ${copyBackup(db, out, config.backup.copyTo, config.backup.keep)}\n`);
    } catch (err) {
      process.stderr.write(`niftybox backup: the copy to backup.copyTo failed: ${(err as Error).message}\n`);
      return 74;
    }
  }
  return 0;
}

export async function restoreCommand(argv: string[]): Promise<number> {
  const positionals: string[] = [];
  const flags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if ((a === '--config' || a === '--db') && i + 1 < argv.length) flags.push(a, argv[++i]!);
    else if (a.startsWith('-')) flags.push(a);
    else positionals.push(a);
  }
  const { values } = parseFlags(flags, { ...CONFIG_FLAGS }, RESTORE_USAGE);
  if (positionals.length !== 1)
    throw new UsageError(
      `restore takes one backup ` +
        `file${positionals.length ? `, not ${positionals.length}` : ''}\nusage: ${RESTORE_USAGE}`,
    );
  setLogSink((line) => process.stderr.write(line + '\n'));
  const { config } = loadConfig(values.config);
  const db = resolve(ledgerFlag(values.db) ?? dbPath(config));
  const from = resolve(positionals[0]!);
  let result: RestoreResult;
  try {
    result = await restoreLedger(db, from, createLogger({ area: 'ledger' }), Date.now());
  } catch (err) {
    if (!(err instanceof LedgerError)) throw new IoError(`restore of ${db} from ${from} failed: ${fsReason(err)}`);
    if (err.kind === 'in_use')
      throw new UnavailableError(
        `${err.message.replace(/ Read-only commands.*$/, '')} A restore needs the ` +
          `box stopped: sudo systemctl stop niftybox, then niftybox restore ${from},` +
          ` then sudo systemctl start niftybox.`,
      );
    if (err.kind === 'corrupt' || err.kind === 'schema') {
      const others = listBackups(db).filter((f) => f !== from);
      const newest = others.length
        ? ` The newest other backup: niftybox restore ${others.at(-1)} (${others.length} in ${backupDir(db)})`
        : '';
      throw new DataError(`${err.message}${newest}`);
    }
    if (err.kind === 'missing') throw new IoError(err.message);
    throw err;
  }
  process.stdout.write(
    `restored ${db} from ${from}: ${result.trades} trades` +
      (result.lastTradeDay ? ` (last on ${result.lastTradeDay})` : '') +
      `,` +
      ` schema version ${result.schemaVersion}\n` +
      (result.keptAs ? `the ledger it replaced is kept as ${result.keptAs}\n` : 'there was no ledger before\n'),
  );
  return 0;
}
