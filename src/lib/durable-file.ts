/**
 * Files that survive a power cut whole: the new content goes to a temporary file in the same folder,
 * is fsynced, renamed over the old name, and the folder is fsynced so the rename itself is on disk.
 * After a cut the name holds the old content or the new, never an empty or torn file.
 *
 *   writeFileDurable(file, text, { mode: 0o600 });
 *   await replaceFileDurable(file, (tmp) => db.backup(tmp));   // a file something else makes
 */
import { chmodSync, closeSync, copyFileSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface DurableOptions {
  /** File mode of the new file (applied before the rename, so it is never visible wider). */
  mode?: number;
  /** Called with the finished temporary file before it is renamed into place (e.g. to chown it). */
  beforeRename?: (tmp: string) => void;
}

let counter = 0;

/** A temporary name beside `file` (same folder, so the same file system and an atomic rename). */
function tempNameFor(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}.${++counter}.tmp`);
}

/** fsyncs a folder, so that a rename or a new file in it is on disk. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } catch (err) {
    // Some file systems cannot fsync a directory (they sync names with their data); nothing more to do there.
    if (!['EINVAL', 'ENOTSUP', 'ENOSYS', 'EISDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    closeSync(fd);
  }
}

function fsyncFile(file: string): void {
  const fd = openSync(file, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function install(tmp: string, file: string, opts: DurableOptions): void {
  if (opts.mode !== undefined) chmodSync(tmp, opts.mode); // an inherited umask cannot widen it; chmod makes it exact
  opts.beforeRename?.(tmp);
  renameSync(tmp, file);
  fsyncDir(dirname(file));
}

/** Writes `data` to `file` durably (see the top of this file). The folder must exist. */
export function writeFileDurable(file: string, data: string | Uint8Array, opts: DurableOptions = {}): void {
  const tmp = tempNameFor(file);
  try {
    const fd = openSync(tmp, 'wx', opts.mode ?? 0o666);
    try {
      const buf = typeof data === 'string' ? Buffer.from(data) : data;
      let off = 0;
      while (off < buf.byteLength) off += writeSync(fd, buf, off, buf.byteLength - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    install(tmp, file, opts);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Copies `from` to `to` durably. */
export function copyFileDurable(from: string, to: string, opts: DurableOptions = {}): void {
  const tmp = tempNameFor(to);
  try {
    copyFileSync(from, tmp);
    fsyncFile(tmp);
    install(tmp, to, opts);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Puts a file that `make(tmp)` writes (a SQLite backup, say) at `file` durably; `make` need not fsync. */
export async function replaceFileDurable(
  file: string,
  make: (tmp: string) => Promise<unknown> | unknown,
  opts: DurableOptions = {},
): Promise<void> {
  const tmp = tempNameFor(file);
  try {
    await make(tmp);
    fsyncFile(tmp);
    install(tmp, file, opts);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
