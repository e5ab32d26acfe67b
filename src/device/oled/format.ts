/** Number formats for a 21-character line: Indian digit grouping, short ages, IST clock. */
import { IST_OFFSET_MS } from '../../core/time.js';
import { groupIndian } from '../../report/rupees.js';

/** Signed whole rupees: +₹1,234 / -₹56 / ₹0. */
export function formatRupees(n: number, withSymbol = true): string {
  const r = Math.round(n);
  const sign = r > 0 ? '+' : r < 0 ? '-' : '';
  return `${sign}${withSymbol ? '₹' : ''}${groupIndian(r, 0)}`;
}

/** Unsigned whole rupees: ₹1,234. */
export function formatRupeesPlain(n: number): string {
  return `₹${groupIndian(Math.round(n), 0)}`;
}

/**
 * An option price at a precision: 'full' two decimals (10.55, 102.50); 'exact' drops only zeros that
 * say nothing (102.5, 10.55); 1 decimal rounds (10.6); 0 whole rupees. Rounds half away from zero on the
 * paisa value, so 118.05 never shows as 118.0 (toFixed's binary artefact).
 */
export type PricePrecision = 'full' | 'exact' | 1 | 0;

export function formatPrice(p: number, precision: PricePrecision = 'full'): string {
  const paise = Math.round(Math.abs(p) * 100 + 1e-6) * Math.sign(p);
  if (precision === 0) return String(Math.round(paise / 100));
  if (precision === 1) return (Math.round(paise / 10) / 10).toFixed(1);
  const full = (paise / 100).toFixed(2);
  return precision === 'full' ? full : full.replace(/\.?0+$/, '');
}

/** The first of `line` at 2 decimals, exact, 1 decimal, whole rupees that fits `maxChars`. */
export function fitPrices(maxChars: number, line: (price: (p: number) => string) => string): string {
  let out = '';
  for (const precision of ['full', 'exact', 1, 0] as const) {
    out = line((p) => formatPrice(p, precision));
    if ([...out].length <= maxChars) return out;
  }
  return out;
}

/** "Thu 05 Jun 2025" for a YYYY-MM-DD date. */
export function formatDate(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return date;
  const wd = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  return `${wd} ${date.slice(8, 10)} ${mon} ${date.slice(0, 4)}`;
}

/** NIFTY spot with grouping and 2 decimals: 24,512.35. */
export function formatSpot(p: number): string {
  return `${p < 0 ? '-' : ''}${groupIndian(p, 2)}`;
}

/** Tick age: 0.4s, 12s, 3m, 2h. */
export function formatAge(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 120_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)}m`;
  return `${Math.round(ms / 3_600_000)}h`;
}

/** HH:MM:SS in IST. */
export function istClock(ts: number): string {
  return new Date(ts + IST_OFFSET_MS).toISOString().slice(11, 19);
}

/** HH:MM in IST from minutes since midnight. */
export function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
