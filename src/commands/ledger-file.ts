/** The ledger a reading command (report, export, verify) needs: missing → exit 65, unreadable → exit 74 naming why. */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DataError, IoError } from '../lib/errors.js';

const FIX = 'join group niftybox (sudo usermod -aG niftybox $USER, then log in again) or run it with sudo';

/**
 * Fails unless `file` is a ledger this user can read. `existsSync` says "no file" for a file in a
 * folder the user may not enter, so each folder on the way is checked for search permission first.
 */
export function requireReadableLedger(file: string): void {
  const full = resolve(file);
  const folders: string[] = [];
  for (let d = dirname(full); ; d = dirname(d)) {
    folders.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const dir of folders) {
    try {
      accessSync(dir, constants.X_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') break; // the ledger is missing: said below
      throw new IoError(
        `cannot read the ledger ${full}: permission denied on its folder ${dir} (${code};` +
          ` this user may not enter it): ${FIX}`,
      );
    }
  }
  try {
    statSync(full);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new DataError(`no ledger at ${full}: run the appliance first ("niftybox run"), or name one with --db`);
    throw new IoError(`cannot read the ledger ${full}: ${code ?? (err as Error).message}: ${FIX}`);
  }
  try {
    accessSync(full, constants.R_OK);
  } catch (err) {
    throw new IoError(
      `cannot read the ledger ${full}: permission denied on the file (${(err as NodeJS.ErrnoException).code};` +
        ` this user may not read it): ${FIX}`,
    );
  }
}
