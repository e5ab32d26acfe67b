/** What the fake exchange needs from a world: listed contracts and trades over time. */
import type { Candle, OptionContract } from '../core/types.js';
import { BUCKET_MS, istDate } from '../core/time.js';

export interface SimContract extends OptionContract {
  tradingSymbol: string;
  exchangeToken: string;
}

export interface Trade {
  ts: number;
  price: number;
  qty: number;
}

export interface PriceSource {
  readonly indexKey: string;
  /** Option contracts listed on a date (IST). */
  contracts(date: string): SimContract[];
  /** A contract by instrument key, or null. */
  contract(key: string): SimContract | null;
  /** Trades with fromTs < ts ≤ toTs, ascending. */
  trades(key: string, fromTs: number, toTs: number): Trade[];
  /** The last trade at or before ts (earlier days included), or null. */
  lastTrade(key: string, ts: number): Trade | null;
  /** The close of the trading day before `date`, or null. */
  previousClose(key: string, date: string): number | null;
  /** Session bounds of a date, or null when closed. */
  session(date: string): { openTs: number; closeTs: number } | null;
}

/** Buckets trades into candles (ascending). */
export function candlesFromTrades(trades: readonly Trade[], bucketMs = BUCKET_MS): Candle[] {
  const out: Candle[] = [];
  let cur: Candle | null = null;
  for (const t of trades) {
    const ts = Math.floor(t.ts / bucketMs) * bucketMs;
    if (!cur || cur.ts !== ts) {
      cur = { ts, open: t.price, high: t.price, low: t.price, close: t.price, volume: 0 };
      out.push(cur);
    }
    if (t.price > cur.high) cur.high = t.price;
    if (t.price < cur.low) cur.low = t.price;
    cur.close = t.price;
    cur.volume += t.qty;
  }
  return out;
}

/** Candles of one instrument for one date, up to `untilTs` (the last one may still be forming). */
export function dayCandles(
  source: PriceSource,
  key: string,
  date: string,
  untilTs = Infinity,
  bucketMs = BUCKET_MS,
): Candle[] {
  const s = source.session(date);
  if (!s) return [];
  const to = Math.min(s.closeTs, untilTs);
  if (to < s.openTs) return [];
  return candlesFromTrades(source.trades(key, s.openTs - 1, to), bucketMs).filter((c) => istDate(c.ts) === date);
}

export const round05 = (x: number): number => Math.max(0.05, Math.round(x * 20) / 20);
