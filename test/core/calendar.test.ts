import { describe, expect, it } from 'vitest';
import { MarketCalendar } from '../../src/core/calendar.js';
import { addDays, istDate, istIso, istTime, isoWeek } from '../../src/core/time.js';
import { parseIndexCsv, parseOptionsCsv } from '../../src/feed/csv.js';
import { hasSharedData, indexCsv, noSharedDataReason, optionsCsv, readShared } from '../support/shared-data.js';

const cal = new MarketCalendar();

describe('calendar facts', () => {
  it('knows sessions: normal 15:30 close, 15:40 from 2026-08-03, special sessions and holidays', () => {
    expect(cal.session('2026-07-31')!.closeMin).toBe(15 * 60 + 30);
    expect(cal.session('2026-08-03')!.closeMin).toBe(15 * 60 + 40);
    const muhurat = cal.session('2025-10-21')!;
    expect([muhurat.kind, muhurat.openMin, muhurat.closeMin]).toEqual(['special', 13 * 60 + 45, 14 * 60 + 45]);
    expect(cal.isNormalTradingDay('2025-10-21')).toBe(false);
    expect(cal.session('2025-02-01')!.kind).toBe('special'); // Saturday budget session
    expect(cal.session('2026-02-01')!.closeMin).toBe(15 * 60 + 30); // Sunday budget session
    expect(cal.session('2025-08-15')).toBeNull();
    expect(cal.session('2026-11-21')).toBeNull(); // a Saturday
    expect(istIso(cal.session('2026-11-23')!.openTs)).toBe('2026-11-23T09:15:00+05:30');
  });

  it('takes extra special sessions from config (e.g. the 2026 Muhurat hour)', () => {
    const c = new MarketCalendar([{ date: '2026-11-08', open: '18:00', close: '19:00', label: 'Muhurat' }]);
    expect(c.session('2026-11-08')!.openMin).toBe(18 * 60);
  });

  it('resolves weekly expiries: Thursday, then Tuesday, holidays move to the previous trading day', () => {
    expect(cal.weeklyExpiry('2025-06-02')).toBe('2025-06-05');
    expect(cal.weeklyExpiry('2025-06-05')).toBe('2025-06-05'); // expiry day has not passed
    expect(cal.weeklyExpiry('2025-08-28')).toBe('2025-08-28');
    expect(cal.weeklyExpiry('2025-08-29')).toBe('2025-09-02');
    expect(cal.weeklyExpiry('2025-04-07')).toBe('2025-04-09'); // Thu 10 Apr holiday → Wed
    expect(cal.weeklyExpiry('2025-10-20')).toBe('2025-10-20'); // Tue 21 Oct holiday → Mon
    expect(cal.weeklyExpiry('2025-10-21')).toBe('2025-10-28'); // Muhurat day: Monday's expiry has passed
    expect(cal.weeklyExpiry('2026-11-18')).toBe('2026-11-23'); // Tue 24 Nov 2026 holiday → Mon 23
    expect(cal.weeklyExpiry('2026-03-27')).toBe('2026-03-30'); // Tue 31 Mar 2026 holiday → Mon 30
  });

  it('knows lot sizes by contract expiry', () => {
    expect(cal.lotSize('2025-06-05')).toBe(75);
    expect(cal.lotSize('2025-12-30')).toBe(75);
    expect(cal.lotSize('2026-01-06')).toBe(65);
  });

  it('IST helpers', () => {
    const t = istTime('2025-06-02', '09:15');
    expect(istIso(t)).toBe('2025-06-02T09:15:00+05:30');
    expect(istDate(istTime('2025-06-02', '23:59'))).toBe('2025-06-02');
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(isoWeek('2025-06-02')).toBe('2025-W23');
    expect(isoWeek('2024-12-30')).toBe('2025-W01');
    expect(isoWeek('2027-01-01')).toBe('2026-W53');
  });
});

describe.skipIf(!hasSharedData)(
  `calendar against the shared data${hasSharedData ? '' : ` (${noSharedDataReason})`}`,
  () => {
    it('returns the file expiry_date for every one of the 125 trading days of the options file', () => {
      const days = parseOptionsCsv(readShared(optionsCsv), optionsCsv);
      expect(days.size).toBe(125);
      const wrong: string[] = [];
      for (const [day, od] of days)
        if (cal.weeklyExpiry(day) !== od.contracts.CE.expiry)
          wrong.push(`${day}: ${cal.weeklyExpiry(day)} ≠ ${od.contracts.CE.expiry}`);
      expect(wrong).toEqual([]);
    });

    it('agrees with every trading day in the index file, and finds no missing one', () => {
      const index = parseIndexCsv(readShared(indexCsv), indexCsv);
      const present = new Set(index.map((c) => istDate(c.ts)));
      const first = istDate(index[0]!.ts);
      const last = istDate(index.at(-1)!.ts);
      expect([...present].filter((d) => !cal.isTradingDay(d))).toEqual([]);
      expect(cal.tradingDays(first, last).filter((d) => !present.has(d))).toEqual([]);
      expect(present.size).toBe(248);
      // Every candle starts inside its day's session. The Muhurat index series (2025-10-21) carries one
      // candle starting at the 14:45 close itself, so the close is allowed as a start for the index.
      const outside = index.filter((c) => {
        const s = cal.session(istDate(c.ts))!;
        return c.ts < s.openTs || c.ts > s.closeTs || (c.ts === s.closeTs && s.kind === 'normal');
      });
      expect(outside).toEqual([]);
    });
  },
);
