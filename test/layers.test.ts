/**
 * The floors of src (docs/architecture.md "Floors"): a file imports its own folder and folders on lower
 * floors only, never a folder on its own floor or above. Every import in src is read (static, re-export,
 * side-effect, dynamic import() and require()); a breach names the file, the import and both floors.
 * The core's purity (no I/O, no clock) is test/core/core-purity.test.ts.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importsOf, lex } from './support/imports.js';
import { repoRoot } from './support/shared-data.js';

/** Bottom first. A top-level file of src (app.ts, config.ts …) is a unit of its own name; app.ts goes with src/app. */
export const FLOORS: readonly (readonly string[])[] = [
  ['core', 'lib'],
  ['log', 'output'],
  ['feed', 'report', 'store'],
  ['device', 'mqtt', 'sim'],
  ['web'],
  ['config'],
  ['app'],
  ['commands'],
  ['cli'],
];

const floorOf = new Map(FLOORS.flatMap((units, i) => units.map((u) => [u, i + 1] as const)));

/** The unit a path under `src` belongs to: its first folder, or a top-level file's name without `.ts`. */
function unitOf(src: string, file: string): string {
  const [first, ...rest] = relative(src, file).split(sep);
  return rest.length ? first! : first!.replace(/\.(ts|js)$/, '');
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The breaches of one file under `src`, each naming file → import and both floors. */
export function breaches(src: string, file: string, text: string): string[] {
  const name = relative(dirname(src), file);
  const from = unitOf(src, file);
  const fromFloor = floorOf.get(from);
  if (fromFloor === undefined) return [`${name}: ${from} is on no floor (add it to FLOORS and docs/architecture.md)`];
  const out: string[] = [];
  for (const spec of importsOf(lex(text).code)) {
    if (spec.startsWith('<dynamic:')) {
      out.push(`${name} → ${spec}: an import nobody can read (name the module as a string)`);
      continue;
    }
    if (!spec.startsWith('.')) continue; // a package: the core's allow-list is core-purity's business
    const target = resolve(dirname(file), spec);
    if (target !== src && !target.startsWith(src + sep)) {
      out.push(`${name} → ${spec}: outside src`);
      continue;
    }
    const to = unitOf(src, target);
    if (to === from) continue;
    const toFloor = floorOf.get(to);
    if (toFloor === undefined) out.push(`${name} → ${spec}: ${to} is on no floor`);
    else if (toFloor >= fromFloor) {
      const how = toFloor === fromFloor ? 'its own floor' : 'a floor above';
      out.push(`${name} → ${spec}: ${from} (floor ${fromFloor}) imports ${to} (floor ${toFloor}), ${how}`);
    }
  }
  return out;
}

function scan(src: string): string[] {
  return tsFiles(src).flatMap((f) => breaches(src, f, readFileSync(f, 'utf8')));
}

const SRC = join(repoRoot, 'src');

describe('each folder of src imports only from the floors below it', () => {
  it('no file in src imports its own floor or a floor above', () => {
    expect(tsFiles(SRC).length).toBeGreaterThan(150); // the scan found the tree
    expect(scan(SRC)).toEqual([]);
  });

  it('every unit of src is on a floor, and every floor names a unit that exists', () => {
    const units = new Set(tsFiles(SRC).map((f) => unitOf(SRC, f)));
    expect([...units].filter((u) => !floorOf.has(u))).toEqual([]);
    expect([...floorOf.keys()].filter((u) => !units.has(u))).toEqual([]);
  });

  it('docs/architecture.md lists the same floors', () => {
    const doc = readFileSync(join(repoRoot, 'docs/architecture.md'), 'utf8');
    const block = /## Floors[\s\S]*?```\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block, 'docs/architecture.md has a "## Floors" section with a code block').toBeDefined();
    // one line a floor, top first: "7  app  …"
    const listed = block!
      .split('\n')
      .map((l) => /^\s*(\d+)\s+(\S.*?)\s{2,}/.exec(l + '  '))
      .filter((m) => m !== null)
      .map(
        (m) =>
          [
            Number(m![1]),
            m![2]!
              .split(/,\s*/)
              .map((u) => u.replace(/^src\/|\/$|\.ts$/g, ''))
              .sort(),
          ] as const,
      );
    expect(listed.reverse()).toEqual(FLOORS.map((units, i) => [i + 1, [...units].sort()]));
  });

  const planted = join(SRC, 'feed', 'planted.ts');
  it.each([
    [
      "import type { TradingLoop } from '../app/trading-loop.js';",
      'src/feed/planted.ts → ../app/trading-loop.js: feed (floor 3) imports app (floor 7), a floor above',
    ],
    ["import { x } from '../app.js';", 'src/feed/planted.ts → ../app.js: feed (floor 3) imports app (floor 7)'],
    ["export { y } from '../store/ledger.js';", 'feed (floor 3) imports store (floor 3), its own floor'],
    ["import '../web/server.js';", 'feed (floor 3) imports web (floor 5)'],
    ["const m = await import('../commands/run.js');", 'feed (floor 3) imports commands (floor 8)'],
    ["const m = require('../config.js');", 'feed (floor 3) imports config (floor 6)'],
    ['const m = await import(name);', 'an import nobody can read'],
    ["import { z } from '../../test/support/cli.js';", 'outside src'],
  ])('catches a planted bad import: %s', (text, expected) => {
    expect(breaches(SRC, planted, text).join('\n')).toContain(expected);
  });

  it.each([
    ["import { Engine } from '../core/engine.js';", 'a floor below'],
    ["import { parse } from './csv.js';", 'its own folder'],
    ["import { UpstoxRest } from './upstox/index.js';", 'its own folder, deeper'],
    ["import { z } from 'zod';", 'a package'],
    ["// import { x } from '../app.js';\nconst s = \"from '../app.js'\";", 'a comment; a string that is no import'],
  ])('lets through: %s (%s)', (text) => {
    expect(breaches(SRC, planted, text)).toEqual([]);
  });

  const tmp = mkdtempSync(join(tmpdir(), 'nbx-layers-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('a bad import planted in a copy of src is found by the same scan, named with both floors', () => {
    const copy = join(tmp, 'src');
    cpSync(SRC, copy, { recursive: true });
    writeFileSync(
      join(copy, 'web', 'planted.ts'),
      "import { runCommand } from '../commands/run.js';\nexport const r = runCommand;\n",
    );
    mkdirSync(join(copy, 'newfolder'));
    writeFileSync(join(copy, 'newfolder', 'x.ts'), 'export const x = 1;\n');
    expect(scan(copy).sort()).toEqual([
      'src/newfolder/x.ts: newfolder is on no floor (add it to FLOORS and docs/architecture.md)',
      'src/web/planted.ts → ../commands/run.js: web (floor 5) imports commands (floor 8), a floor above',
    ]);
  });
});
