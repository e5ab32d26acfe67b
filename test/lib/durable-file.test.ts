import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyFileDurable, replaceFileDurable, writeFileDurable } from '../../src/lib/durable-file.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'niftybox-durable-'));

// Durability against a real power cut is the power-cut suite's (scripts/powercut.mjs, on LazyFS); these hold the
// contract.
describe('durable files', () => {
  it(
    'replace the old content whole, with the mode set before the new file is ' + 'visible, and leave no temporary file',
    () => {
      const dir = tmp();
      const file = join(dir, 'token.json');
      writeFileSync(file, 'old');
      let seenMode = -1;
      writeFileDurable(file, 'new content', {
        mode: 0o600,
        beforeRename: (t) => (seenMode = statSync(t).mode & 0o777),
      });
      expect(readFileSync(file, 'utf8')).toBe('new content');
      expect(seenMode).toBe(0o600);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      writeFileDurable(file, Buffer.alloc(3 * 1024 * 1024, 7));
      expect(statSync(file).size).toBe(3 * 1024 * 1024);
      expect(readdirSync(dir)).toEqual(['token.json']);
    },
  );

  it('on a failure leave the old file as it was and no temporary file behind', async () => {
    const dir = tmp();
    const target = join(dir, 'out');
    mkdirSync(target); // renaming a file over a folder fails
    expect(() => writeFileDurable(target, 'x')).toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    const file = join(dir, 'kept.txt');
    writeFileSync(file, 'kept');
    await expect(replaceFileDurable(file, () => Promise.reject(new Error('backup failed')))).rejects.toThrow(
      'backup failed',
    );
    expect(() => writeFileDurable(join(dir, 'no-such-folder', 'f'), 'x')).toThrow(/ENOENT/);
    expect(readFileSync(file, 'utf8')).toBe('kept');
    expect(readdirSync(dir).sort()).toEqual(['kept.txt', 'out']);
  });

  it('copy and replace put what was made in place', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'a'), 'ledger bytes');
    copyFileDurable(join(dir, 'a'), join(dir, 'b'));
    await replaceFileDurable(join(dir, 'c'), (t) => writeFileSync(t, 'made'));
    expect(readFileSync(join(dir, 'b'), 'utf8')).toBe('ledger bytes');
    expect(readFileSync(join(dir, 'c'), 'utf8')).toBe('made');
    expect(readdirSync(dir).sort()).toEqual(['a', 'b', 'c']);
  });
});
