/**
 * The core is pure (architecture.md): no I/O, no clock, no timers. This test reads every .ts file under
 * src/core and fails on an import that is not a relative one inside src/core or `technicalindicators`
 * (an allow-list: node builtins, I/O packages and the rest of src are all out), and on code that reads
 * the clock or sets a timer. Comments and the text of strings are ignored.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importsOf, lex } from '../support/imports.js';
import { repoRoot } from '../support/shared-data.js';

const CORE = join(repoRoot, 'src', 'core');
/** Packages the core may use: computation only. */
const ALLOWED_PACKAGES = new Set(['technicalindicators', 'zod']);

/** What the scanner treats as reading the clock, timers or the process. */
const FORBIDDEN_CODE: { name: string; re: RegExp }[] = [
  { name: 'Date.now()', re: /\bDate\s*\.\s*now\b/ },
  { name: 'new Date() without an argument', re: /\bnew\s+Date\s*\(\s*\)/ },
  { name: 'new Date without parentheses', re: /\bnew\s+Date\b(?!\s*\()/ },
  { name: 'performance.now', re: /\bperformance\s*\.\s*now\b/ },
  { name: 'setTimeout', re: /\bsetTimeout\b/ },
  { name: 'setInterval', re: /\bsetInterval\b/ },
  { name: 'setImmediate', re: /\bsetImmediate\b/ },
  { name: 'queueMicrotask', re: /\bqueueMicrotask\b/ },
  { name: 'process.', re: /\bprocess\s*\./ },
  { name: 'require(', re: /\brequire\s*\(/ },
  { name: 'Math.random (same inputs, same trades)', re: /\bMath\s*\.\s*random\b/ },
  { name: 'fetch(', re: /(?<![.\w])fetch\s*\(/ },
];

/** Every breach of purity in one core file (`file` is its absolute path, for resolving relative imports). */
export function violations(file: string, src: string): string[] {
  const { code, bare } = lex(src);
  const found: string[] = [];
  for (const spec of importsOf(code)) {
    if (spec.startsWith('./') || spec.startsWith('../')) {
      const target = resolve(dirname(file), spec);
      if (target !== CORE && !target.startsWith(CORE + sep)) found.push(`imports ${spec}, outside src/core`);
    } else if (!ALLOWED_PACKAGES.has(spec)) {
      found.push(`imports ${spec} (the core may import only src/core and ${[...ALLOWED_PACKAGES].join(', ')})`);
    }
  }
  const lines = bare.split('\n');
  for (const { name, re } of FORBIDDEN_CODE) {
    lines.forEach((line, n) => {
      if (re.test(line)) found.push(`line ${n + 1}: ${name}`);
    });
  }
  return found;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

describe('src/core is pure: no I/O, no clock, no timers', () => {
  const files = tsFiles(CORE);

  it('every file under src/core imports only src/core and technicalindicators, and reads no clock', () => {
    expect(files.length).toBeGreaterThanOrEqual(15); // the scan found the core (not an empty or wrong directory)
    const breaches = files.flatMap((f) =>
      violations(f, readFileSync(f, 'utf8')).map((v) => `${relative(repoRoot, f)}: ${v}`),
    );
    expect(breaches).toEqual([]);
  });

  it('the scanner sees the imports of a real core file (engine.ts)', () => {
    const engine = join(CORE, 'engine.ts');
    const specs = importsOf(lex(readFileSync(engine, 'utf8')).code);
    expect(specs).toEqual(
      expect.arrayContaining([
        './trade-rules.js',
        './candle-builder.js',
        './paper-broker.js',
        './risk-gate.js',
        './fill-model.js',
      ]),
    );
  });

  const planted = join(CORE, 'planted.ts');
  it.each([
    ["import { readFileSync } from 'node:fs';", 'imports node:fs'],
    ["import fs from 'fs';", 'imports fs'],
    ["import * as net from 'net';", 'imports net'],
    ["import type { Database } from 'better-sqlite3';", 'imports better-sqlite3'],
    ["export { connect } from 'mqtt';", 'imports mqtt'],
    ["import 'ws';", 'imports ws'],
    ["const cp = await import('child_process');", 'imports child_process'],
    ['const m = await import(name);', 'imports <dynamic: name>'],
    ["import { Ledger } from '../store/ledger.js';", 'imports ../store/ledger.js, outside src/core'],
    ["import { x } from '../../test/support/cli.js';", 'outside src/core'],
    ['export const t = Date.now();', 'Date.now()'],
    ['const d = new Date();', 'new Date() without an argument'],
    ['const d = new Date;', 'new Date without parentheses'],
    ['const t0 = performance.now();', 'performance.now'],
    ['setTimeout(() => undefined, 10);', 'setTimeout'],
    ['const h = setInterval(tick, 250);', 'setInterval'],
    ['setImmediate(run);', 'setImmediate'],
    ['const home = process.env.HOME;', 'process.'],
    ['const f = `${String(Date.now())}`;', 'Date.now()'],
  ])('catches a planted violation: %s', (src, expected) => {
    expect(violations(planted, src).join('\n')).toContain(expected);
  });

  it.each([
    ['// Date.now() is never called: time arrives as data', 'a comment'],
    ['/* setTimeout(f) */ const x = 1;', 'a block comment'],
    ["const msg = 'no process.env here, nor Date.now()';", 'a string'],
    ['const s = `${a} setInterval ${b}`;', 'template text'],
    ['const d = new Date(ts).toISOString();', 'new Date with an argument'],
    ["import { istDate } from './time.js';", 'a relative import inside src/core'],
    ["import { EMA } from 'technicalindicators';", 'the allowed package'],
    [
      "import type { Side } from './types.js';\nconst url = 'http://x/y'; // a URL in a string is not a comment",
      'a URL in a string',
    ],
  ])('lets through what is not a violation: %s (%s)', (src) => {
    expect(violations(planted, src)).toEqual([]);
  });
});
