/**
 * One writer per ledger. The lock is an OS file lock, taken through SQLite on a small side file
 * `<db>.lock` held in EXCLUSIVE locking mode for as long as the ledger is open. The kernel drops
 * it the moment the process dies (SIGKILL, power cut, OOM), so a dead writer never leaves a stale
 * lock behind and a reused pid after a reboot cannot fool it (a pid file alone could be).
 *
 * `<db>.lock-owner` holds the holder's pid and start time, only to name it in the refusal message.
 *
 * Two rules keep the lock sound:
 * - never delete `<db>.lock` (a deleted-and-recreated file would let two writers lock two inodes);
 * - never open `<db>.lock` any other way in the holding process: POSIX locks are per process, and
 *   closing ANY descriptor of the file releases them.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import type { Logger } from '../log.js';
import { LedgerError, errorMessage, sqliteCode } from './errors.js';

interface OwnerInfo {
  pid: number;
  host: string;
  since: string;
}

/**
 * Strong references to the held lock handles. better-sqlite3 closes a connection that is garbage
 * collected, which would silently drop the lock of a ledger the app forgot to keep a reference to.
 */
const held = new Set<Database.Database>();

export class WriterLock {
  private constructor(
    private handle: Database.Database | null,
    private readonly ownerFile: string,
  ) {}

  /** Takes the writer lock of `dbFile` or throws a LedgerError naming the process that holds it. */
  static acquire(dbFile: string, log: Logger): WriterLock {
    const lockFile = `${dbFile}.lock`;
    const ownerFile = `${dbFile}.lock-owner`;
    let handle: Database.Database | null = null;
    try {
      handle = new Database(lockFile, { timeout: 0 });
      handle.pragma('locking_mode = EXCLUSIVE');
      handle.pragma('journal_mode = MEMORY'); // no journal file next to the lock; nothing is ever written
      // In EXCLUSIVE locking mode the lock taken here is kept after COMMIT, until the handle closes.
      handle.exec('BEGIN EXCLUSIVE; COMMIT');
    } catch (err) {
      handle?.close();
      const code = sqliteCode(err);
      if (code?.startsWith('SQLITE_BUSY') || code?.startsWith('SQLITE_LOCKED')) {
        const owner = readOwner(ownerFile);
        const who = owner ? `process ${owner.pid} on ${owner.host}, running since ${owner.since}` : 'another process';
        throw new LedgerError(
          `Ledger ${dbFile} is already open for writing by ${who}. ` +
            `Only one niftybox may run per ledger: stop the other one (systemctl stop niftybox) ` +
            `or point this one at another file (NIFTYBOX_DB). Read-only commands such as "niftybox report" still work.`,
          'in_use',
          code,
        );
      }
      throw new LedgerError(
        `Cannot take the writer lock ${lockFile}: ${errorMessage(err)}. ` +
          `Check that the directory is writable by this user; if no niftybox is running, deleting ${lockFile} is safe.`,
        'io',
        code,
      );
    }
    const previous = readOwner(ownerFile);
    if (previous && previous.pid !== process.pid) {
      log.warn('ledger: previous writer did not close cleanly; taking over its lock', {
        file: dbFile,
        previousPid: previous.pid,
        previousSince: previous.since,
      });
    }
    const me: OwnerInfo = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
    try {
      fs.writeFileSync(ownerFile, JSON.stringify(me) + '\n');
    } catch (err) {
      log.warn('ledger: could not write the lock owner file (only used in messages)', {
        file: ownerFile,
        error: errorMessage(err),
      });
    }
    held.add(handle);
    return new WriterLock(handle, ownerFile);
  }

  release(): void {
    if (!this.handle) return;
    try {
      const owner = readOwner(this.ownerFile);
      if (owner?.pid === process.pid) fs.rmSync(this.ownerFile, { force: true });
    } catch {
      // the owner file is informational only
    }
    held.delete(this.handle);
    this.handle.close();
    this.handle = null;
  }
}

function readOwner(file: string): OwnerInfo | null {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<OwnerInfo>;
    return typeof parsed.pid === 'number'
      ? { pid: parsed.pid, host: String(parsed.host ?? '?'), since: String(parsed.since ?? '?') }
      : null;
  } catch {
    return null;
  }
}
