/** Number formats for a 21-character line: Indian digit grouping, short ages, IST clock. */
import { IST_OFFSET_MS } from '../../core/time.js';

/** 1234567 → "12,34,567" (Indian grouping), integer part only. */
export function groupIndian(n: number): string {
  const s = String(Math.trunc(Math.abs(n)));
  if (s.length <= 3) return s;
  const last3 = s.slice(-3);
  const rest = s.slice(0, -3).replace(/\B(?=(\d{2})+(?!\d))/g, ',');
  return `${rest},${last3}`;
}

/** Signed whole rupees: +₹1,234 / -₹56 / ₹0. */
export function formatRupees(n: number, withSymbol = true): string {
  const r = Math.round(n);
  const sign = r > 0 ? '+' : r < 0 ? '-' : '';
  return `${sign}${withSymbol ? '₹' : ''}${groupIndian(r)}`;
}

/** Unsigned whole rupees: ₹1,234. */
export function formatRupeesPlain(n: number): string {
  return `₹${groupIndian(Math.round(n))}`;
}

/** An option price in as few characters as stay honest: 102.5, 87.25 → 87.3, 1234. */
export function formatPrice(p: number): string {
  if (Math.abs(p) >= 1000) return String(Math.round(p));
  return p.toFixed(1);
}

/** NIFTY spot with grouping and 2 decimals: 24,512.35. */
export function formatSpot(p: number): string {
  const [int, dec] = Math.abs(p).toFixed(2).split('.');
  return `${p < 0 ? '-' : ''}${groupIndian(Number(int))}.${dec}`;
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
