/**
 * The NSE F&O calendar as a pure function of dates: trading days, session hours, weekly expiries
 * and lot sizes. Facts come from market-data.ts; special sessions from the config extend them.
 */
import {
  FNO_SESSION_HOURS,
  NIFTY_LOT_SIZE,
  NSE_HOLIDAYS,
  SPECIAL_SESSIONS,
  WEEKLY_EXPIRY_WEEKDAY,
  type SpecialSession,
} from './market-data.js';
import { addDays, istTime, parseHhmm, weekday } from './time.js';

export interface Session {
  date: string;
  /** Minutes since IST midnight. */
  openMin: number;
  closeMin: number;
  /** Epoch ms. */
  openTs: number;
  closeTs: number;
  kind: 'normal' | 'special';
  label: string;
}

export class MarketCalendar {
  private readonly special = new Map<string, SpecialSession>();

  constructor(
    extraSessions: readonly SpecialSession[] = [],
    private readonly holidays: Record<string, string> = NSE_HOLIDAYS,
  ) {
    for (const s of SPECIAL_SESSIONS) this.special.set(s.date, s);
    for (const s of extraSessions) this.special.set(s.date, s);
  }

  /** A weekday that is not a holiday: a day with a normal F&O session. */
  isNormalTradingDay(date: string): boolean {
    const wd = weekday(date);
    return wd !== 0 && wd !== 6 && !(date in this.holidays);
  }

  holidayName(date: string): string | null {
    return this.holidays[date] ?? null;
  }

  /** The session of a date, or null when the market is shut. A special session replaces the normal one. */
  session(date: string): Session | null {
    const special = this.special.get(date);
    if (special) return this.makeSession(date, special.open, special.close, 'special', special.label);
    if (!this.isNormalTradingDay(date)) return null;
    const hours = [...FNO_SESSION_HOURS].reverse().find((h) => date >= h.from)!;
    return this.makeSession(date, hours.open, hours.close, 'normal', 'normal');
  }

  isTradingDay(date: string): boolean {
    return this.session(date) !== null;
  }

  nextTradingDay(date: string): string {
    let d = addDays(date, 1);
    while (!this.isTradingDay(d)) d = addDays(d, 1);
    return d;
  }

  previousTradingDay(date: string): string {
    let d = addDays(date, -1);
    while (!this.isTradingDay(d)) d = addDays(d, -1);
    return d;
  }

  /** Trading days from..to inclusive. */
  tradingDays(from: string, to: string): string[] {
    const out: string[] = [];
    for (let d = from; d <= to; d = addDays(d, 1)) if (this.isTradingDay(d)) out.push(d);
    return out;
  }

  /**
   * The nearest weekly expiry that has not passed on `date` (the expiry day itself has not passed).
   * Scheduled on the regime's weekday; a holiday moves it to the previous normal trading day.
   */
  weeklyExpiry(date: string): string {
    for (let d = date, i = 0; i < 30; d = addDays(d, 1), i++) {
      const regime = WEEKLY_EXPIRY_WEEKDAY.find((r) => d >= r.from && d <= r.to);
      if (!regime || weekday(d) !== regime.weekday) continue;
      let expiry = d;
      while (!this.isNormalTradingDay(expiry)) expiry = addDays(expiry, -1);
      if (expiry >= date) return expiry;
    }
    throw new Error(`no weekly expiry found within 30 days of ${date}`);
  }

  /** NIFTY lot size of a contract by its expiry (use the contract's own lot size when known). */
  lotSize(expiry: string): number {
    return [...NIFTY_LOT_SIZE].reverse().find((l) => expiry >= l.fromExpiry)!.lot;
  }

  private makeSession(date: string, open: string, close: string, kind: Session['kind'], label: string): Session {
    const openMin = parseHhmm(open);
    const closeMin = parseHhmm(close);
    return { date, openMin, closeMin, openTs: istTime(date, openMin), closeTs: istTime(date, closeMin), kind, label };
  }
}
