/**
 * Ledger backups: online copies made with SQLite's backup API (the box keeps trading while one is
 * made), kept in `backups/` beside the ledger (`<stateDir>/backups/` for the default ledger) as
 * `<ledger name>-<YYYYMMDD-HHMMSS>.db`, each a self-contained SQLite file (rollback journal, no WAL),
 * written durably. A restore checks a file before it replaces anything and keeps the old ledger beside it.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { istIso } from '../core/time.js';
import { copyFileDurable, fsyncDir, replaceFileDurable } from '../lib/durable-file.js';
import type { Logger } from '../log.js';
import { LedgerError, errorMessage, sqliteCode } from './errors.js';
import { LATEST_SCHEMA_VERSION } from './migrations.js';
import { WriterLock } from './lock.js';

/** Tables every niftybox ledger has (migration 1): a file without them is not a ledger. */
const LEDGER_TABLES = ['orders', 'fills', 'trades', 'positions', 'checkpoints'];

export function backupDir(dbFile: string): string {
  return path.join(path.dirname(path.resolve(dbFile)), 'backups');
}

/** `20261207-153012`: the IST time `at` in a file name (a fixed offset, so names sort in time order). */
function stamp(at: number): string {
  return istIso(at).slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
}

/** `ledger-20261207-153012.db` for ledger.db at that moment. */
export function backupName(dbFile: string, at: number): string {
  return `${path.basename(dbFile).replace(/\.db$/, '')}-${stamp(at)}.db`;
}

/** The backups of `dbFile` in `dir`, oldest first. */
export function listBackups(dbFile: string, dir: string = backupDir(dbFile)): string[] {
  const prefix = `${path.basename(dbFile).replace(/\.db$/, '')}-`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(prefix) && /^\d{8}-\d{6}\.db$/.test(n.slice(prefix.length)))
    .sort()
    .map((n) => path.join(dir, n));
}

export function newestBackup(dbFile: string): string | null {
  return listBackups(dbFile).at(-1) ?? null;
}

/** The sentence an error message ends with when the ledger is lost: the command and the newest backup. */
export function restoreAdvice(dbFile: string): string {
  const newest = newestBackup(dbFile);
  return newest
    ? `restore it from the newest backup: niftybox restore ${newest}`
    : `restore it from a backup: niftybox restore FILE (there is none in ${backupDir(dbFile)};` +
        ` use a copy from backup.copyTo if you have one)`;
}

/**
 * An online backup of the open database `db` into `file`, durably. The copy is made in steps, between
 * which the event loop (and the trading loop) runs; commits made meanwhile on the same connection
 * are carried into the copy by SQLite.
 */
export async function writeBackup(db: Database.Database, file: string): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await replaceFileDurable(file, async (tmp) => {
    await db.backup(tmp);
    const copy = new Database(tmp);
    try {
      copy.pragma('journal_mode = DELETE'); // one self-contained file, readable anywhere (a USB stick, another machine)
    } finally {
      copy.close();
    }
  });
}

/** Deletes the oldest backups of `dbFile` in `dir` beyond the newest `keep`; returns what was deleted. */
export function pruneBackups(dbFile: string, dir: string, keep: number): string[] {
  const all = listBackups(dbFile, dir);
  const gone = all.slice(0, Math.max(0, all.length - keep));
  // A backup cut short (a power cut, a kill) leaves its temporary file (durable-file.ts names it); another process's
  // may be under way.
  const prefix = `.${path.basename(dbFile).replace(/\.db$/, '')}-`;
  for (const n of fs.readdirSync(dir)) {
    const m = /\.db\.(\d+)\.\d+\.tmp$/.exec(n);
    if (n.startsWith(prefix) && m && Number(m[1]) !== process.pid && !processAlive(Number(m[1])))
      gone.push(path.join(dir, n));
  }
  for (const f of gone) fs.rmSync(f, { force: true });
  if (gone.length) fsyncDir(dir);
  return gone;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Copies a finished backup into a second folder (a USB stick) and prunes there too. */
export function copyBackup(dbFile: string, backup: string, copyTo: string, keep: number): string {
  if (!fs.existsSync(copyTo) || !fs.statSync(copyTo).isDirectory())
    throw new Error(`backup.copyTo ${copyTo} is not a folder (is the USB stick mounted?)`);
  const dest = path.join(copyTo, path.basename(backup));
  copyFileDurable(backup, dest);
  pruneBackups(dbFile, copyTo, keep);
  return dest;
}

export interface BackupSummary {
  schemaVersion: number;
  trades: number;
  lastTradeDay: string | null;
}

/**
 * Checks that the file at `source` (named `file` in messages) is a sound niftybox ledger this release can use: SQLite's
 * full integrity_check,
 * the ledger's tables, and a schema version it knows (an older one is upgraded on the next run).
 * Throws a LedgerError ('corrupt' or 'schema') that names the file and the problem.
 */
export function checkBackupFile(source: string, file: string = source): BackupSummary {
  let db: Database.Database | null = null;
  try {
    db = new Database(source, { fileMustExist: true });
    const problems = (db.pragma('integrity_check(10)') as { integrity_check: string }[])
      .map((r) => r.integrity_check)
      .filter((r) => r !== 'ok');
    if (problems.length)
      throw new LedgerError(
        `${file} is damaged (integrity check: ${problems.join('; ')}); nothing was changed. Try an older backup.`,
        'corrupt',
        'SQLITE_CORRUPT',
      );
    const tables = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]);
    const missing = LEDGER_TABLES.filter((t) => !tables.has(t));
    if (missing.length)
      throw new LedgerError(
        `${file} is a SQLite file but not a niftybox ledger (no table ${missing.join(', ')}); nothing was changed.`,
        'corrupt',
      );
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version < 1 || version > LATEST_SCHEMA_VERSION) {
      throw new LedgerError(
        `${file} has schema version ${version}; this niftybox knows versions 1 to ` +
          `${LATEST_SCHEMA_VERSION}` +
          (version > LATEST_SCHEMA_VERSION ? ' (it was written by a newer release: upgrade niftybox first)' : '') +
          `;` +
          ` nothing was changed.`,
        'schema',
      );
    }
    const trades = db.prepare('SELECT COUNT(*) FROM trades').pluck().get() as number;
    const lastTradeDay = (db.prepare('SELECT MAX(day) FROM trades').pluck().get() as string | null) ?? null;
    return { schemaVersion: version, trades, lastTradeDay };
  } catch (err) {
    if (err instanceof LedgerError) throw err;
    const code = sqliteCode(err);
    if (code === 'SQLITE_NOTADB' || code?.startsWith('SQLITE_CORRUPT'))
      throw new LedgerError(
        `${file} is not a readable SQLite database (${errorMessage(err)}); nothing was changed. Try an older backup.`,
        'corrupt',
        code,
      );
    throw new LedgerError(`cannot read ${file}: ${errorMessage(err)}`, 'io', code);
  } finally {
    db?.close();
  }
}

export interface RestoreResult extends BackupSummary {
  /** Where the ledger that was replaced now is (null when there was none). */
  keptAs: string | null;
}

/**
 * Replaces the ledger `dbFile` by the backup `from`. Takes the writer lock first, so it refuses
 * (LedgerError 'in_use') while a box runs on the ledger; checks a copy of the backup (the file given
 * is never written) before anything is replaced; moves the old ledger and its WAL aside as
 * `<ledger>.before-restore-<stamp>` (and `…-wal`), then renames the checked copy into place durably.
 */
export async function restoreLedger(dbFile: string, from: string, log: Logger, now: number): Promise<RestoreResult> {
  const target = path.resolve(dbFile);
  if (!fs.existsSync(from) || !fs.statSync(from).isFile())
    throw new LedgerError(
      `no backup file at ${from}: give the path of a file made by "niftybox ` +
        `backup" (newest: ${newestBackup(target) ?? 'none'})`,
      'missing',
    );
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const lock = WriterLock.acquire(target, log);
  try {
    let summary: BackupSummary | null = null;
    let keptAs: string | null = null;
    await replaceFileDurable(
      target,
      (tmp) => {
        fs.copyFileSync(from, tmp);
        summary = checkBackupFile(tmp, from);
        const copy = new Database(tmp);
        try {
          copy.pragma('journal_mode = DELETE');
        } finally {
          copy.close();
        }
      },
      {
        beforeRename: () => {
          if (!fs.existsSync(target)) return;
          keptAs = `${target}.before-restore-${stamp(now)}`;
          for (const suffix of ['-wal', '-shm', '']) {
            if (fs.existsSync(target + suffix)) fs.renameSync(target + suffix, keptAs + suffix);
          }
        },
      },
    );
    log.info('ledger restored', { file: target, from, keptAs });
    return { ...summary!, keptAs };
  } finally {
    lock.release();
  }
}
