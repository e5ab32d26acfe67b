import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarketCalendar } from '../../src/core/calendar.js';
import { BUCKET_MS, istDate, istTime } from '../../src/core/time.js';
import { NIFTY_INDEX_KEY, type Candle } from '../../src/core/types.js';
import { UpstoxRest } from '../../src/feed/upstox/rest.js';
import { closedCandles, mergeCandles, warmUpIndexCandles } from '../../src/feed/upstox/warmup.js';
import type { ManualClock } from '../../src/sim/clock.js';
import type { FakeUpstox } from '../../src/sim/fake-upstox.js';
import { dayCandles } from '../../src/sim/price-source.js';
import { fakeAt, quietLogs } from './helpers/fake.js';

const calendar = new MarketCalendar();
let fake: FakeUpstox;
let clock: ManualClock;
let rest: UpstoxRest;

beforeAll(async () => {
  quietLogs();
  ({ fake, clock } = await fakeAt('2025-10-23', '11:02'));
  rest = new UpstoxRest({ baseUrl: fake.apiBaseUrl, token: fake.token });
});
afterAll(() => fake.close());

const c = (ts: number, close = 1): Candle => ({ ts, open: close, high: close, low: close, close, volume: 0 });

function expectContinuous(candles: Candle[], days: string[], todayUntil: number) {
  for (let i = 1; i < candles.length; i++) expect(candles[i]!.ts).toBeGreaterThan(candles[i - 1]!.ts);
  for (const d of days) {
    const s = calendar.session(d)!;
    const mine = candles.filter((k) => istDate(k.ts) === d);
    const end = Math.min(s.closeTs, todayUntil);
    const expected = Math.floor((end - s.openTs) / BUCKET_MS);
    expect(mine.length, `candles on ${d}`).toBe(expected);
    mine.forEach((k, i) => expect(k.ts).toBe(s.openTs + i * BUCKET_MS));
  }
}

describe('mergeCandles', () => {
  it('de-duplicates by ts (later list wins) and sorts ascending', () => {
    const m = mergeCandles([c(300), c(0), c(600, 5)], [c(600, 7), c(900)], []);
    expect(m.map((k) => k.ts)).toEqual([0, 300, 600, 900]);
    expect(m[2]!.close).toBe(7);
  });
});

describe('warm-up against the fake exchange', () => {
  it(
    '≥ 5 earlier trading days + today, overlapping local/historical/intraday ' + 'merged without duplicates or gaps',
    async () => {
      const now = clock.now();
      const today = '2025-10-23'; // after the Diwali holidays (21, 22 Oct; 21 Oct had a Muhurat hour)
      // Local store already has part of two days (overlapping what history and intraday will return).
      const local = [
        ...dayCandles(fake.source, NIFTY_INDEX_KEY, '2025-10-17').slice(0, 30),
        ...dayCandles(fake.source, NIFTY_INDEX_KEY, today, now).slice(0, 10),
      ];
      const candles = await warmUpIndexCandles({ rest, local, calendar, today, minDays: 5, now });
      const days = [...new Set(candles.map((k) => istDate(k.ts)))];
      expect(days).toEqual(['2025-10-15', '2025-10-16', '2025-10-17', '2025-10-20', '2025-10-21', today]);
      expect(candles.filter((k) => istDate(k.ts) === '2025-10-21')).toHaveLength(12); // the Muhurat hour
      expectContinuous(candles, ['2025-10-15', '2025-10-16', '2025-10-17', '2025-10-20', today], now);
      expect(candles.at(-1)!.ts + BUCKET_MS).toBeLessThanOrEqual(now); // the forming 11:00 candle is dropped
      expect(candles.at(-1)!.ts).toBe(istTime(today, '10:55'));
      // Values agree with the exchange's own candles.
      expect(candles.find((k) => k.ts === istTime('2025-10-16', '12:00'))).toEqual(
        dayCandles(fake.source, NIFTY_INDEX_KEY, '2025-10-16').find((k) => k.ts === istTime('2025-10-16', '12:00')),
      );
    },
  );

  it('skips the history call when local candles already cover the days', async () => {
    const now = clock.now();
    const today = '2025-10-23';
    const local = ['2025-10-15', '2025-10-16', '2025-10-17', '2025-10-20', '2025-10-21'].flatMap((d) =>
      dayCandles(fake.source, NIFTY_INDEX_KEY, d),
    );
    const before = Object.entries(fake.stats.restByPath)
      .filter(([k]) => k.includes('historical') && !k.includes('intraday'))
      .reduce((a, [, v]) => a + v, 0);
    const candles = await warmUpIndexCandles({ rest, local, calendar, today, now });
    const after = Object.entries(fake.stats.restByPath)
      .filter(([k]) => k.includes('historical') && !k.includes('intraday'))
      .reduce((a, [, v]) => a + v, 0);
    expect(after).toBe(before);
    expect(candles.length).toBe(local.length + 21);
  });

  it("an option's candles for today, and a gap backfill over [from, to)", async () => {
    const opt = (await rest.optionContracts())[0]!;
    const now = clock.now();
    const candles = closedCandles(await rest.intradayCandles(opt.instrumentKey, 'minutes', 5), now);
    expect(candles).toHaveLength(21);
    const gap = { from: istTime('2025-10-23', '10:12'), to: istTime('2025-10-23', '10:31') };
    const back = (await rest.intradayCandles(NIFTY_INDEX_KEY, 'minutes', 5)).filter(
      (c) => c.ts + 300_000 > gap.from && c.ts < gap.to,
    );
    expect(back.map((k) => k.ts).sort()).toEqual([10, 15, 20, 25, 30].map((m) => istTime('2025-10-23', `10:${m}`)));
  });
});
