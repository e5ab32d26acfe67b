import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../src/core/backtest.js';
import { MarketCalendar } from '../../src/core/calendar.js';
import { CHARGE_KINDS } from '../../src/core/charges.js';
import { sellFill } from '../../src/core/fill-model.js';
import { DEFAULT_RISK, DEFAULT_V25 } from '../../src/core/params.js';
import { istIso } from '../../src/core/time.js';
import { parseIndexCsv, parseOptionsCsv } from '../../src/feed/csv.js';
import { hasSharedData, indexCsv, noSharedDataReason, optionsCsv, readShared } from '../support/shared-data.js';

describe('a sale never fills below one tick (v25.md "Exits")', () => {
  it('exit = max(0.05, price − slippage); a stop level off the 0.05 grid stays exact', () => {
    expect(sellFill(0.1, 0.5)).toBe(0.05);
    expect(sellFill(0.55, 0.5)).toBeCloseTo(0.05, 10);
    expect(sellFill(10.55, 0.5)).toBeCloseTo(10.05, 10);
    expect(sellFill(123.4567, 0)).toBe(123.4567);
    expect(sellFill(0.02, 0)).toBe(0.05);
  });
});

describe.skipIf(!hasSharedData)(
  `the shared data at the default 0.5 pt slippage${hasSharedData ? '' : ` (${noSharedDataReason})`}`,
  () => {
    it(
      'has no sale below 0.05: the nine that used to fill negative now fill at ' + '0.05, and no charge is negative',
      () => {
        const result = runBacktest({
          index: parseIndexCsv(readShared(indexCsv), indexCsv),
          options: parseOptionsCsv(readShared(optionsCsv), optionsCsv),
          params: DEFAULT_V25,
          risk: DEFAULT_RISK,
          calendar: new MarketCalendar(),
        });
        expect(DEFAULT_V25.slippagePoints).toBe(0.5);
        for (const t of result.trades) {
          expect(t.exitPrice).toBeGreaterThanOrEqual(0.05);
          for (const k of CHARGE_KINDS) expect(t.chargeBreakdown[k]).toBeGreaterThanOrEqual(0);
        }
        // Before the floor these sold at −0.40 … −0.26 (the contract quoted 0.10 … 0.24 less 0.5 slippage).
        const floored = result.trades
          .filter((t) => t.exitPrice < 0.05 + 1e-9)
          .map((t) => `${istIso(t.exitTime)} ${t.side} ${t.reason}`);
        expect(floored).toEqual([
          '2025-06-05T15:25:00+05:30 PE EOD',
          '2025-06-19T15:25:00+05:30 PE EOD',
          '2025-07-31T15:25:00+05:30 PE EOD',
          '2025-08-14T15:25:00+05:30 CE EOD',
          '2025-08-21T15:05:00+05:30 PE SL',
          '2025-08-21T15:25:00+05:30 PE EOD',
          '2025-09-09T15:25:00+05:30 CE EOD',
          '2025-10-20T15:25:00+05:30 CE EOD',
          '2025-10-28T15:25:00+05:30 CE EOD',
        ]);
        for (const t of result.trades.filter((x) => x.exitPrice < 0.05 + 1e-9)) {
          expect(t.points).toBeCloseTo(0.05 - t.entryPrice, 10);
          // Only the entry leg's slippage and what the floor left of the exit's are inside the gross.
          expect(t.slippageCost).toBeLessThan(2 * 0.5 * t.quantity);
        }
      },
    );
  },
);
