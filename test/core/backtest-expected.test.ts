import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../src/core/backtest.js';
import { MarketCalendar } from '../../src/core/calendar.js';
import { DEFAULT_RISK, DEFAULT_V25 } from '../../src/core/params.js';
import { istIso } from '../../src/core/time.js';
import { parseIndexCsv, parseOptionsCsv } from '../../src/feed/csv.js';
import {
  expectedTrades,
  hasSharedData,
  indexCsv,
  noSharedDataReason,
  optionsCsv,
  readShared,
} from '../support/shared-data.js';

describe.skipIf(!hasSharedData)(
  `V25 backtest on the shared data (${hasSharedData ? 'present' : noSharedDataReason})`,
  () => {
    it('matches v25-expected-trades-2025-06-to-08.json trade for trade at slippage 0', () => {
      const index = parseIndexCsv(readShared(indexCsv), indexCsv);
      const options = parseOptionsCsv(readShared(optionsCsv), optionsCsv);
      const result = runBacktest({
        index,
        options,
        from: '2025-06-01',
        to: '2025-08-31',
        params: { ...DEFAULT_V25, slippagePoints: 0 },
        risk: DEFAULT_RISK,
        calendar: new MarketCalendar(),
      });
      const expected = expectedTrades();
      const got = result.trades.map((t) => ({
        day: t.day,
        side: t.side,
        instrumentKey: t.instrumentKey,
        entryTime: istIso(t.entryTime),
        entryPrice: Math.round(t.entryPrice * 100) / 100,
        exitTime: istIso(t.exitTime),
        exitPrice: Math.round(t.exitPrice * 100) / 100,
        reason: t.reason,
        points: Math.round(t.points * 100) / 100,
      }));
      expect(got.length).toBe(466);
      for (let i = 0; i < expected.length; i++) {
        const e = expected[i]!;
        const g = got[i]!;
        expect({ ...g, entryPrice: 0, exitPrice: 0, points: 0 }).toEqual({
          ...e,
          entryPrice: 0,
          exitPrice: 0,
          points: 0,
        });
        expect(Math.abs(g.entryPrice - e.entryPrice)).toBeLessThanOrEqual(0.01);
        expect(Math.abs(g.exitPrice - e.exitPrice)).toBeLessThanOrEqual(0.01);
      }
    });
  },
);
