import { describe, expect, it } from 'vitest';
import { istTime } from '../../src/core/time.js';
import { indexCsv, optionsCsv } from '../../src/feed/candle-files.js';
import { parseIndexCsv, parseOptionsCsv } from '../../src/feed/csv.js';
import { nearestExpiry, spans } from '../../src/feed/upstox/history-fetch.js';
import { RequestBudget } from '../../src/feed/upstox/request-budget.js';

describe('fetch building blocks', () => {
  it('splits days into calls of at most a month and picks the nearest expiry not passed', () => {
    expect(spans(['2025-05-02', '2025-05-30', '2025-06-01', '2025-06-02', '2025-07-15'])).toEqual([
      ['2025-05-02', '2025-06-01'],
      ['2025-06-02', '2025-06-02'],
      ['2025-07-15', '2025-07-15'],
    ]);
    const expiries = ['2025-06-12', '2025-06-05', '2025-06-26', '2025-06-19'];
    expect(nearestExpiry(expiries, '2025-06-05')).toBe('2025-06-05'); // the expiry day itself has not passed
    expect(nearestExpiry(expiries, '2025-06-06')).toBe('2025-06-12');
    expect(nearestExpiry(expiries, '2025-06-27')).toBeNull();
  });

  it("the rate budget says before it waits and counts an earlier run's requests", async () => {
    let now = 1_000_000;
    const waits: number[] = [];
    const budget = new RequestBudget(
      [{ windowMs: 60_000, max: 3 }],
      () => now,
      async (ms) => void (now += ms),
      (ms) => waits.push(ms),
    );
    budget.seed([now - 70_000, now - 30_000, now - 10_000]); // the first is outside the window
    await budget.take();
    expect(waits).toEqual([]);
    await budget.take(); // 3 in the last minute: waits until the one from 30 s ago leaves the window
    expect(waits).toEqual([30_000]);
    // the seeded one from 10 s before, then this run's two
    expect(budget.recent()).toEqual([990_000, 1_000_000, 1_030_000]);
  });

  it(
    'writes the recorded layout: Python floats, CE before PE, is_expired on ' +
      'the expiry day; the parsers read it back',
    () => {
      const ts = istTime('2025-06-05', '09:15');
      const c = { ts, open: 71, high: 78, low: 37.2, close: 37.85, volume: 22434525, oi: 8385750 };
      const idx = indexCsv([{ ...c, ts: ts + 300_000 }, c]);
      expect(idx.split('\n').slice(0, 3)).toEqual([
        'datetime,open,high,low,close,volume',
        '2025-06-05 09:15:00+05:30,71.0,78.0,37.2,37.85,22434525',
        '2025-06-05 09:20:00+05:30,71.0,78.0,37.2,37.85,22434525',
      ]);
      const contract = (side: 'CE' | 'PE') => ({
        instrumentKey: `NSE_FO|4047${side === 'CE' ? 3 : 4}|05-06-2025`,
        strike: 24650,
        expiry: '2025-06-05',
      });
      const opt = optionsCsv([
        { day: '2025-06-05', contracts: { CE: contract('CE'), PE: contract('PE') }, candles: { PE: [c], CE: [c] } },
      ]);
      expect(opt.split('\n')[1]).toBe(
        '2025-06-05T09:15:00+05:30,71.0,78.0,37.2,37.85,22434525,8385750,' +
          '2025-06-05 09:15:00+05:30,2025-06-05,CE,24650,2025-06-05,' +
          'NSE_FO|40473|05-06-2025,2025-06-05,True',
      );
      expect(opt.split('\n')[2]).toMatch(/,PE,24650,2025-06-05,NSE_FO\|40474\|05-06-2025,2025-06-05,True$/);
      expect(parseIndexCsv(idx, 'i')).toHaveLength(2);
      expect(parseOptionsCsv(opt, 'o').get('2025-06-05')!.candles.CE[0]).toEqual({
        ts,
        open: 71,
        high: 78,
        low: 37.2,
        close: 37.85,
        volume: 22434525,
      });
    },
  );
});
