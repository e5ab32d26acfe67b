import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/shared-data.js';

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const withoutComments = (line: string) =>
  /^\s*(\*|\/\*)/.test(line) ? '' : line.replace(/\/\*.*?\*\//g, '').replace(/\/\/.*$/, '');

/** Lines (comments dropped) that call setTimeout, setInterval or Date.now directly, or pass Date.now as the clock. */
function directTimeUse(files: string[]): string[] {
  return files.flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .map((line, i) => ({ line: withoutComments(line), at: `${relative(repoRoot, f)}:${i + 1}` }))
      .filter(({ line }) => /\b(setTimeout|setInterval)\s*\(|\bDate\.now\b/.test(line))
      .map(({ at, line }) => `${at}: ${line.trim()}`),
  );
}

describe('the app reads time and waits only through a Clock', () => {
  it('no file in src/app (nor src/app.ts) calls setTimeout, setInterval or Date.now: src/lib/clock.ts does', () => {
    const files = [...tsFiles(join(repoRoot, 'src/app')), join(repoRoot, 'src/app.ts')];
    expect(files.length).toBeGreaterThan(20);
    expect(directTimeUse(files)).toEqual([]);
    expect(readFileSync(join(repoRoot, 'src/lib/clock.ts'), 'utf8')).toMatch(/setTimeout\(/);
  });

  it('nor does any output: src/device, src/mqtt, src/web (the browser code in src/web/client aside)', () => {
    const client = join(repoRoot, 'src/web/client');
    const files = ['src/device', 'src/mqtt', 'src/web']
      .flatMap((d) => tsFiles(join(repoRoot, d)))
      .filter((f) => !f.startsWith(client));
    expect(files.filter((f) => f.includes('/src/device/'))).toContain(join(repoRoot, 'src/device/kill-switch.ts'));
    expect(files.length).toBeGreaterThan(40);
    expect(directTimeUse(files)).toEqual([]);
  });

  it('the check catches a direct timer or clock read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nbx-clock-use-'));
    const f = join(dir, 'x.ts');
    writeFileSync(
      f,
      [
        '// setTimeout(fn, 1) in a comment is fine',
        '/** nor setInterval(fn) in a doc comment */',
        ' * Date.now() inside one',
        'const t = setTimeout(fn, 1);',
        'const n = opts.now ?? Date.now;',
        'setInterval (tick, 5);',
        'clock.after(1, fn);',
      ].join('\n'),
    );
    expect(directTimeUse([f]).map((l) => l.replace(/^.*x\.ts:/, ''))).toEqual([
      '4: const t = setTimeout(fn, 1);',
      '5: const n = opts.now ?? Date.now;',
      '6: setInterval (tick, 5);',
    ]);
  });
});
