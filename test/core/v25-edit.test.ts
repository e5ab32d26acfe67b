/**
 * V25 is changed through src/core/strategies/v25.ts alone (its shared parameters through
 * strategies/contract.ts): a copy of src/core whose v25.ts text is edited trades differently on the
 * shared data, while an unedited copy still gives the 466 expected trades.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { BacktestDay, BacktestResult } from '../../src/core/backtest.js';
import type { Candle } from '../../src/core/types.js';
import { parseIndexCsv, parseOptionsCsv } from '../../src/feed/csv.js';
import {
  hasSharedData,
  indexCsv,
  noSharedDataReason,
  optionsCsv,
  readShared,
  repoRoot,
} from '../support/shared-data.js';

const work = mkdtempSync(join(tmpdir(), 'niftybox-v25-edit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
// The copies import technicalindicators like src/core does: give them the repo's node_modules.
symlinkSync(join(repoRoot, 'node_modules'), join(work, 'node_modules'), 'dir');

/** A copy of src/core with `edit` applied to the text of its strategies/v25.ts, or `file` (which must change it). */
function coreCopy(name: string, edit?: (v25: string) => string, fileName = 'strategies/v25.ts'): string {
  const dir = join(work, name);
  cpSync(join(repoRoot, 'src', 'core'), dir, { recursive: true });
  const file = join(dir, fileName);
  const before = readFileSync(file, 'utf8');
  const after = edit ? edit(before) : before;
  if (edit) expect(after, `the edit of ${name} must change v25.ts`).not.toBe(before);
  writeFileSync(file, after);
  return dir;
}

/** Replaces exactly one occurrence (the test fails loudly when v25.ts no longer has that text). */
function once(find: string, replace: string): (s: string) => string {
  return (s) => {
    expect(s.split(find).length - 1, `v25.ts should contain "${find}" once`).toBe(1);
    return s.replace(find, replace);
  };
}

async function backtestWith(
  dir: string,
  data: { index: Candle[]; options: Map<string, BacktestDay> },
): Promise<BacktestResult> {
  const url = (f: string) => pathToFileURL(join(dir, f)).href;
  const { runBacktest } = (await import(url('backtest.ts'))) as typeof import('../../src/core/backtest.js');
  const { MarketCalendar } = (await import(url('calendar.ts'))) as typeof import('../../src/core/calendar.js');
  const { DEFAULT_V25 } = (await import(url('strategies/v25.ts'))) as typeof import('../../src/core/strategies/v25.js');
  const { DEFAULT_RISK } = (await import(url('risk-gate.ts'))) as typeof import('../../src/core/risk-gate.js');
  // The expected-trades file is at slippage 0; everything else is the copy's own defaults.
  return runBacktest({
    ...data,
    from: '2025-06-01',
    to: '2025-08-31',
    params: { ...DEFAULT_V25, slippagePoints: 0 },
    risk: DEFAULT_RISK,
    calendar: new MarketCalendar(),
  });
}

const summary = (r: BacktestResult) =>
  r.trades.map((t) => `${t.entryTime} ${t.side} ${t.entryPrice.toFixed(2)} ${t.exitTime} ${t.reason}`);

describe.skipIf(!hasSharedData)(
  `changing V25 through v25.ts alone (${hasSharedData ? 'shared data present' : noSharedDataReason})`,
  () => {
    const data = hasSharedData
      ? {
          index: parseIndexCsv(readShared(indexCsv), indexCsv),
          options: parseOptionsCsv(readShared(optionsCsv), optionsCsv),
        }
      : null;
    let unedited: BacktestResult;

    it('an unedited copy of src/core still gives the 466 expected trades', async () => {
      unedited = await backtestWith(coreCopy('unedited'), data!);
      expect(unedited.trades).toHaveLength(466);
      expect(summary(unedited)).toEqual(summary(await backtestWith(join(repoRoot, 'src', 'core'), data!)));
    });

    it(
      'a parameter: the CHOP threshold 57 → 45 in v25.ts changes the trades ' + '(fewer: a stricter trend filter)',
      async () => {
        const edited = await backtestWith(
          coreCopy(
            'chop-45',
            once(
              'chopMax: z.number().positive().max(100).default(57),',
              'chopMax: z.number().positive().max(100).default(45),',
            ),
          ),
          data!,
        );
        expect(edited.trades.length).toBeGreaterThan(0);
        expect(edited.trades.length).toBeLessThan(466);
        expect(summary(edited)).not.toEqual(summary(unedited));
      },
    );

    it('a rule: entries on one rising (falling) histogram bar instead of two change the trades', async () => {
      const edit = (s: string) =>
        once(
          "if (hist > this.hist1 && this.hist1 > this.hist2 && close > ema) side = 'CE';",
          "if (hist > this.hist1 && close > ema) side = 'CE';",
        )(
          once(
            "else if (hist < this.hist1 && this.hist1 < this.hist2 && close < ema) side = 'PE';",
            "else if (hist < this.hist1 && close < ema) side = 'PE';",
          )(s),
        );
      const edited = await backtestWith(coreCopy('one-bar', edit), data!);
      expect(edited.trades.length).toBeGreaterThan(0);
      expect(summary(edited)).not.toEqual(summary(unedited));
    });

    it(
      'the entry window, a shared parameter in strategies/contract.ts: no entry ' +
        'decided before 11:00 once entryStart is 11:00',
      async () => {
        const edited = await backtestWith(
          coreCopy(
            'late-start',
            once("entryStart: hhmm.default('09:30'),", "entryStart: hhmm.default('11:00'),"),
            'strategies/contract.ts',
          ),
          data!,
        );
        const early = unedited.trades.filter((t) => istMinute(t.entryTime) < 11 * 60 + 5);
        expect(early.length).toBeGreaterThan(0); // the unedited copy does enter early
        // An entry fills at the open of the candle after the signal candle: 11:05 at the earliest.
        expect(edited.trades.every((t) => istMinute(t.entryTime) >= 11 * 60 + 5)).toBe(true);
        expect(edited.trades.length).toBeGreaterThan(0);
      },
    );
  },
);

function istMinute(ts: number): number {
  return Math.floor(((ts + 330 * 60_000) % 86_400_000) / 60_000);
}
