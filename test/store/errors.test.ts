import { describe, expect, it } from 'vitest';
import { classifyWriteFailure } from '../../src/store/errors.js';

describe('classifyWriteFailure', () => {
  it('maps SQLite codes to what the app must do about them', () => {
    expect(classifyWriteFailure('SQLITE_FULL')).toBe('disk_full');
    expect(classifyWriteFailure('SQLITE_IOERR')).toBe('io');
    expect(classifyWriteFailure('SQLITE_IOERR_WRITE')).toBe('io');
    expect(classifyWriteFailure('SQLITE_IOERR_FSYNC')).toBe('io');
    expect(classifyWriteFailure('SQLITE_BUSY_SNAPSHOT')).toBe('busy');
    expect(classifyWriteFailure('SQLITE_CORRUPT')).toBe('corrupt');
    expect(classifyWriteFailure('SQLITE_READONLY_DBMOVED')).toBe('readonly');
    expect(classifyWriteFailure('SQLITE_CONSTRAINT_NOTNULL')).toBe('invalid_data');
    expect(classifyWriteFailure('SQLITE_MISUSE')).toBe('other');
    expect(classifyWriteFailure(null)).toBe('other');
  });
});
