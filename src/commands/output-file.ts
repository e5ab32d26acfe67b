/**
 * Files a command writes on request (`--csv F`): checked before the work starts, written after, errors in one sentence
 * (exit 74).
 */
import { accessSync, constants, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { IoError } from '../lib/errors.js';

const REASONS: Record<string, string> = {
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'a part of its path is a file, not a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  EISDIR: 'it is a directory',
  ENOSPC: 'the disk is full',
};

/** A file system error in plain words, with its code: "its folder does not exist (ENOENT)". */
export function fsReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return `${REASONS[code] ?? (err as Error).message}${code ? ` (${code})` : ''}`;
}

function ioError(flag: string, path: string, err: unknown): IoError {
  return new IoError(`cannot write ${flag} ${path}: ${fsReason(err)}`);
}

/** Fails now, before a long run, if `path` could not be written later. Creates nothing. */
export function checkWritable(path: string | undefined, flag: string): void {
  if (path === undefined) return;
  const full = resolve(path);
  try {
    let isDir = false;
    try {
      isDir = statSync(full).isDirectory();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const dir = statSync(dirname(full)); // ENOENT here: the folder is missing
      if (!dir.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      accessSync(dirname(full), constants.W_OK);
      return;
    }
    if (isDir) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    accessSync(full, constants.W_OK);
  } catch (err) {
    throw ioError(flag, path, err);
  }
}

export function writeOutput(path: string, flag: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (err) {
    throw ioError(flag, path, err);
  }
}
