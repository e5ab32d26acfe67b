/** Errors the ledger raises. Messages name the file, what went wrong, and what to do about it. */

/**
 * Why the ledger refused: `corrupt` (not SQLite or damaged), `in_use` (another niftybox writes it),
 * `locked` (another program holds a SQLite lock), `schema` (written by a newer/older niftybox),
 * `missing` (read-only open of a file that does not exist), `io` (directory or permissions),
 * `usage` (a call that makes no sense: commit on a read-only or closed ledger, a bad date),
 * `write` (a commit failed: see LedgerWriteError).
 */
export type LedgerErrorKind = 'corrupt' | 'in_use' | 'locked' | 'schema' | 'missing' | 'io' | 'usage' | 'write';

/** The ledger cannot be opened or used as asked. The message names the file and what to do. */
export class LedgerError extends Error {
  override readonly name: string = 'LedgerError';
  constructor(
    message: string,
    readonly kind: LedgerErrorKind,
    /** The SQLite error code behind it, when there is one (SQLITE_NOTADB, SQLITE_BUSY …). */
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

/** What kind of failure stopped a commit. `disk_full` and `io` call for an alert about the SD card. */
export type LedgerWriteFailure = 'disk_full' | 'io' | 'busy' | 'corrupt' | 'readonly' | 'invalid_data' | 'other';

/**
 * A batch could not be written; nothing of it is on disk (the transaction rolled back).
 * The app must not announce the batch, must stop entering trades and should raise a DISK alert.
 */
export class LedgerWriteError extends LedgerError {
  override readonly name: string = 'LedgerWriteError';
  constructor(
    message: string,
    code: string | null,
    readonly failure: LedgerWriteFailure,
  ) {
    super(message, 'write', code);
  }
}

/** Classifies a SQLite error code (better-sqlite3 puts extended codes like SQLITE_IOERR_WRITE in `code`). */
export function classifyWriteFailure(code: string | null): LedgerWriteFailure {
  if (!code) return 'other';
  if (code === 'SQLITE_FULL') return 'disk_full';
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN') return 'io';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'busy';
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return 'corrupt';
  if (code.startsWith('SQLITE_READONLY')) return 'readonly';
  if (code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH') return 'invalid_data';
  return 'other';
}

/** The SQLite error code of an error thrown by better-sqlite3, or null. */
export function sqliteCode(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
