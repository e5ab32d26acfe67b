/**
 * No source line over 120 characters in src/, test/ and scripts/ (*.ts, *.mjs): Biome's formatter wraps code at
 * 120 columns but leaves long strings, template literals, regexes and comments alone, so this holds the rest.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './support/shared-data.js';

const MAX = 120;
const DIRS = ['src', 'test', 'scripts'];
const SKIP = new Set(['node_modules', 'dist']);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.isFile() && /\.(ts|mjs)$/.test(e.name)) out.push(p);
  }
  return out;
}

describe('source lines', () => {
  it(`are at most ${MAX} characters in ${DIRS.join(', ')}`, () => {
    const files = DIRS.flatMap((d) => sourceFiles(join(repoRoot, d)));
    expect(files.length).toBeGreaterThan(0);
    const long: string[] = [];
    for (const f of files) {
      readFileSync(f, 'utf8')
        .split(/\r?\n/)
        .forEach((line, i) => {
          // characters as the grep counts them (code points), not UTF-16 units
          const length = [...line].length;
          if (length > MAX) long.push(`${relative(repoRoot, f)}:${i + 1}: ${length} characters`);
        });
    }
    expect(long, long.join('\n')).toEqual([]);
  });
});
