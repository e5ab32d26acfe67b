/**
 * Indicator warm-up: enough earlier 5-minute candles that no decision is taken on cold indicators.
 * Local candles first, then Upstox history for the missing earlier days, then today's intraday.
 */
import type { MarketCalendar } from '../../core/calendar.js';
import { BUCKET_MS, istDate } from '../../core/time.js';
import { NIFTY_INDEX_KEY, type Candle } from '../../core/types.js';
import type { UpstoxRest } from './rest.js';

/** Merges candle lists into one ascending list, one candle per ts (a later list wins on a duplicate). */
export function mergeCandles(...lists: readonly (readonly Candle[])[]): Candle[] {
  const byTs = new Map<number, Candle>();
  for (const list of lists) for (const c of list) byTs.set(c.ts, c);
  return [...byTs.values()].sort((a, b) => a.ts - b.ts);
}

/** Drops candles that have not closed yet at `now` (intraday may include the forming one). */
export function closedCandles(candles: readonly Candle[], now: number, bucketMs = BUCKET_MS): Candle[] {
  return candles.filter((c) => c.ts + bucketMs <= now);
}

export interface WarmUpOptions {
  rest: Pick<UpstoxRest, 'historicalCandles' | 'intradayCandles'>;
  /** Candles already stored locally (any days). */
  local: readonly Candle[];
  calendar: MarketCalendar;
  /** Today's IST date, YYYY-MM-DD. */
  today: string;
  /** Earlier trading days required besides today (default 5). */
  minDays?: number;
  /** For dropping the still-forming candle (default Date.now()). */
  now?: number;
  instrumentKey?: string;
}

/** The earlier trading days (before today) warm-up needs, oldest first. */
export function warmUpDays(calendar: MarketCalendar, today: string, minDays: number): string[] {
  const days: string[] = [];
  let d = today;
  while (days.length < minDays) {
    d = calendar.previousTradingDay(d);
    days.unshift(d);
  }
  return days;
}

function expectedCandles(calendar: MarketCalendar, day: string): number {
  const s = calendar.session(day);
  return s ? Math.ceil((s.closeTs - s.openTs) / BUCKET_MS) : 0;
}

/**
 * ≥ minDays earlier trading days plus today's closed candles of the NIFTY index (or `instrumentKey`),
 * 5-minute, ascending, de-duplicated. History is fetched only for days the local store lacks.
 */
export async function warmUpIndexCandles(opts: WarmUpOptions): Promise<Candle[]> {
  const { rest, local, calendar, today } = opts;
  const key = opts.instrumentKey ?? NIFTY_INDEX_KEY;
  const now = opts.now ?? Date.now();
  const days = warmUpDays(calendar, today, opts.minDays ?? 5);
  const localCount = new Map<string, number>();
  for (const c of local) localCount.set(istDate(c.ts), (localCount.get(istDate(c.ts)) ?? 0) + 1);
  const missing = days.filter((d) => (localCount.get(d) ?? 0) < expectedCandles(calendar, d));

  const lists: Candle[][] = [local.filter((c) => istDate(c.ts) < today)];
  if (missing.length) {
    // One call spans the missing days (≤ 1 month for minutes candles, far more than warm-up needs).
    const hist = await rest.historicalCandles(key, 'minutes', 5, missing[0]!, missing[missing.length - 1]!);
    lists.push(hist.filter((c) => istDate(c.ts) < today));
  }
  if (calendar.isTradingDay(today)) {
    lists.push(local.filter((c) => istDate(c.ts) === today));
    const intraday = await rest.intradayCandles(key, 'minutes', 5);
    lists.push(intraday.filter((c) => istDate(c.ts) === today)); // intraday has been seen returning the previous day
  }
  return closedCandles(mergeCandles(...lists), now);
}
