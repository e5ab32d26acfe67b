import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/shared-data.js';

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('the app reads time and waits only through a Clock', () => {
  it('no file in src/app (nor src/app.ts) calls setTimeout, setInterval or Date.now: src/lib/clock.ts does', () => {
    const files = [...tsFiles(join(repoRoot, 'src/app')), join(repoRoot, 'src/app.ts')];
    expect(files.length).toBeGreaterThan(20);
    const offenders = files.flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .map((line, i) => ({ line: line.replace(/\/\/.*$/, ''), at: `${relative(repoRoot, f)}:${i + 1}` }))
        .filter(({ line }) => /\b(setTimeout|setInterval|Date\.now)\s*\(/.test(line))
        .map(({ at, line }) => `${at}: ${line.trim()}`),
    );
    expect(offenders).toEqual([]);
    expect(readFileSync(join(repoRoot, 'src/lib/clock.ts'), 'utf8')).toMatch(/setTimeout\(/);
  });
});
