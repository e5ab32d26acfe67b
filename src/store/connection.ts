/**
 * Opening the SQLite file behind the ledger: the checks that turn a bad file into a clear
 * LedgerError, and the pragmas that make commits survive a power cut while writing little.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { restoreAdvice } from './backups.js';
import { LedgerError, errorMessage, sqliteCode } from './errors.js';

/**
 * 4 KiB pages: the ext4 block size and the SD card's smallest write unit, so one changed page is
 * one block written. Smaller pages would not write fewer bytes (the filesystem writes whole
 * blocks); larger ones would rewrite more bytes per small commit.
 */
const PAGE_SIZE = 4096;

/**
 * Checkpoint the WAL into the database every ~4 MiB of WAL (1000 pages, SQLite's default).
 * A session writes a few MiB of WAL, so hot pages (the checkpoint row, the tail of the candles
 * b-tree) are copied into the main file about once a session instead of once per commit.
 */
const WAL_AUTOCHECKPOINT_PAGES = 1000;

/** After a checkpoint, truncate a WAL that grew past this (a big batch) so it does not keep the space. */
const JOURNAL_SIZE_LIMIT_BYTES = 8 * 1024 * 1024;

/**
 * SQLite's page cache of the writing connection, in KiB (its default is 2,000). The cache keeps the
 * pages a long-lived process has touched up to this bound, and the ledger grows ~25 KB a session, so
 * with the default it filled by ~30 KB of malloc'd memory a session for the box's first months (a
 * 250-session soak, issue 25; with 256 KiB malloc's in-use stayed flat). The hot pages — the tails of
 * the candles and events b-trees, the checkpoint row, the indexes' upper levels — fit in far less; the
 * rest is read through the kernel's page cache, which is not the box's memory.
 */
export const CACHE_KIB = 512;

export type FileKind = 'missing' | 'empty' | 'present';

/**
 * Whether the ledger file exists, by stat alone. The file is never opened outside SQLite: POSIX
 * locks belong to the process, so closing any descriptor of the database file would silently drop
 * the locks SQLite holds on it for a ledger already open in this process. A file that is not a
 * database is reported by SQLite itself (SQLITE_NOTADB) on its first read, before anything is written.
 */
export function fileKind(file: string): FileKind {
  try {
    return fs.statSync(file).size === 0 ? 'empty' : 'present';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw new LedgerError(
      `Cannot read ledger ${file}: ${errorMessage(err)}. Check the path and its permissions.`,
      'io',
    );
  }
}

function corruptLedgerError(file: string, detail: string, code: string | null = null): LedgerError {
  return new LedgerError(
    `Ledger ${file} is not a readable SQLite database (${detail}). niftybox left it untouched and will not ` +
      (`start on it. Move it aside (mv "${file}" "${file}.damaged"; also move ` +
        `any "${path.basename(file)}-wal" next to it) `) +
      `to begin a new, empty ledger, or ${restoreAdvice(file)}.`,
    'corrupt',
    code,
  );
}

function lockedLedgerError(file: string, code: string | null): LedgerError {
  return new LedgerError(
    `Ledger ${file} is locked by another program (${code ?? 'busy'}). Close whatever holds it ` +
      `(an open sqlite3 shell, a backup or copy in progress) and start again.`,
    'locked',
    code,
  );
}

/** Maps an error thrown while opening to a LedgerError that says what to do. */
export function openFailure(file: string, err: unknown): LedgerError {
  if (err instanceof LedgerError) return err;
  const code = sqliteCode(err);
  if (code === 'SQLITE_NOTADB' || code?.startsWith('SQLITE_CORRUPT'))
    return corruptLedgerError(file, errorMessage(err), code);
  if (code?.startsWith('SQLITE_BUSY') || code?.startsWith('SQLITE_LOCKED')) return lockedLedgerError(file, code);
  if (code === 'SQLITE_FULL')
    return new LedgerError(
      `Cannot open ledger ${file}: the disk is full. Free space on the SD card and start again.`,
      'io',
      code,
    );
  return new LedgerError(
    `Cannot open ledger ${file}: ${errorMessage(err)}${code ? ` (${code})` : ''}. Check the path and its permissions.`,
    'io',
    code,
  );
}

/** Fails with a LedgerError unless SQLite's quick_check says the file is sound. Reads only. */
export function assertIntact(db: Database.Database, file: string): void {
  const rows = db.pragma('quick_check(5)') as { quick_check: string }[];
  const problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
  if (problems.length > 0)
    throw corruptLedgerError(file, `integrity check failed: ${problems.join('; ')}`, 'SQLITE_CORRUPT');
}

/**
 * Pragmas of the one writing connection.
 *
 * synchronous=FULL, not NORMAL: in WAL mode NORMAL skips the fsync of the WAL at commit, so a power
 * cut can roll back the last commits — trades the OLED, buzzer and MQTT already announced
 * ("persist before announcing" would be a lie). FULL fsyncs the WAL once per commit; the app commits
 * about a hundred small batches per session, so the cost is ~100 fsyncs a day. (An SD card that
 * acknowledges a flush before the data is in flash can still lose it; no software setting fixes that.)
 */
export function configureWriter(db: Database.Database): void {
  db.pragma(`page_size = ${PAGE_SIZE}`); // only takes effect on a new, empty file
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal')
    throw new LedgerError(
      `Ledger ${db.name} could not switch to WAL mode (got "${String(mode)}"); ` +
        `is the filesystem read-only or a network mount?`,
      'io',
    );
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
  db.pragma('temp_store = MEMORY');
  db.pragma(`cache_size = -${CACHE_KIB}`);
}

export function configureReader(db: Database.Database): void {
  db.pragma('foreign_keys = ON');
  db.pragma('query_only = ON');
}
