import { describe, expect, it } from 'vitest';
import { bucketOf } from '../../src/core/candle-builder.js';
import {
  BUCKET_MS,
  DAY_MS,
  IST_OFFSET_MS,
  MINUTE_MS,
  dateOfDayNumber,
  istDate,
  istDayNumber,
  istMinuteOfDay,
} from '../../src/core/time.js';

// The engine's per-candle time arithmetic is written without Date objects and without `%` on epoch ms (both
// slow); these check it against the plain definitions.
describe('IST time arithmetic', () => {
  it(
    'dateOfDayNumber writes what Date.toISOString writes (four centuries of ' +
      'days, and the ends of the 4-digit years)',
    () => {
      const spans: [number, number][] = [
        [Date.UTC(1800, 0, 1) / DAY_MS, Date.UTC(2200, 0, 1) / DAY_MS],
        [Date.UTC(999, 11, 1) / DAY_MS, Date.UTC(1000, 1, 1) / DAY_MS],
        [Date.UTC(9999, 11, 1) / DAY_MS, Date.UTC(10000, 1, 1) / DAY_MS],
      ];
      for (const [first, last] of spans) {
        for (let n = first; n <= last; n++) {
          const want = new Date(n * DAY_MS).toISOString().slice(0, 10);
          if (dateOfDayNumber(n) !== want) expect({ n, got: dateOfDayNumber(n) }).toEqual({ n, got: want });
        }
      }
    },
  );

  it('istDate, istDayNumber and istMinuteOfDay agree with Date and % around day and minute boundaries', () => {
    let seed = 11;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const cases: number[] = [];
    for (let day = Date.UTC(2019, 0, 1); day < Date.UTC(2031, 0, 1); day += DAY_MS) {
      const istMidnight = day - IST_OFFSET_MS;
      for (const d of [-1, 0, 1, MINUTE_MS - 1, MINUTE_MS, DAY_MS - 1]) cases.push(istMidnight + d);
      cases.push(istMidnight + Math.floor(rnd() * DAY_MS));
    }
    for (const ts of cases) {
      const date = new Date(ts + IST_OFFSET_MS).toISOString().slice(0, 10);
      const minute = Math.floor(((((ts + IST_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS);
      if (istDate(ts) !== date || istMinuteOfDay(ts) !== minute)
        expect({ ts, date: istDate(ts), minute: istMinuteOfDay(ts) }).toEqual({ ts, date, minute });
      if ((istDayNumber(ts) === istDayNumber(ts + MINUTE_MS)) !== (istDate(ts) === istDate(ts + MINUTE_MS)))
        expect({ ts }).toBe('same day number ⇔ same date');
    }
  });

  it('bucketOf is ts − ts % 5 min for epoch ms, on and around every boundary', () => {
    let seed = 5;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 50_000; i++) {
      const base = Math.floor((rnd() * 6e12) / BUCKET_MS) * BUCKET_MS; // 1970 … 2160
      for (const ts of [base, base - 1, base + 1, base + Math.floor(rnd() * BUCKET_MS), base + rnd() * BUCKET_MS]) {
        const want = ts - (ts % BUCKET_MS);
        if (bucketOf(ts) !== want) expect({ ts, got: bucketOf(ts) }).toEqual({ ts, got: want });
      }
    }
  });
});
