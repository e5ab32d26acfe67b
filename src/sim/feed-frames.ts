/** Builds Market Data Feed V3 frames (as protobuf bytes) from a price source, the way Upstox shapes them. */
import { FeedResponseType } from '../feed/upstox/proto.js';
import { paise } from '../core/charges.js';
import { istDate, istTime } from '../core/time.js';
import type { MarketSimulator } from './market.js';
import type { PriceSource, Trade } from './price-source.js';

export type FeedMode = 'ltpc' | 'full' | 'option_greeks' | 'full_d30';
const REQUEST_MODE: Record<FeedMode, string> = {
  ltpc: 'ltpc',
  full: 'full_d5',
  option_greeks: 'option_greeks',
  full_d30: 'full_d30',
};

export function encodeFrame(obj: Record<string, unknown>): Uint8Array {
  return FeedResponseType.encode(FeedResponseType.fromObject(obj)).finish();
}

export function marketInfoFrame(currentTs: number, open: boolean): Uint8Array {
  const status = open ? 'NORMAL_OPEN' : 'NORMAL_CLOSE';
  return encodeFrame({
    type: 'market_info',
    currentTs,
    marketInfo: {
      segmentStatus: {
        NSE_EQ: status,
        NSE_FO: status,
        NSE_INDEX: status,
        BSE_EQ: status,
        BSE_FO: status,
        MCX_FO: 'NORMAL_OPEN',
      },
    },
  });
}

interface Ohlc {
  interval: string;
  open: number;
  high: number;
  low: number;
  close: number;
  vol: number;
  ts: number;
}

/** One instrument's Feed object for a mode at a trade. */
export function feedFor(
  source: PriceSource,
  key: string,
  mode: FeedMode,
  trade: Trade,
  shiftMs = 0,
): Record<string, unknown> {
  const date = istDate(trade.ts);
  const cp = source.previousClose(key, date) ?? trade.price;
  const ltpc = { ltp: trade.price, ltt: trade.ts + shiftMs, ltq: trade.qty, cp };
  const requestMode = REQUEST_MODE[mode];
  if (mode === 'ltpc') return { ltpc, requestMode };
  const isIndex = key === source.indexKey;
  const marketOHLC = { ohlc: ohlcSet(source, key, trade).map((o) => ({ ...o, ts: o.ts + shiftMs })) };
  if (isIndex) {
    return mode === 'option_greeks'
      ? { firstLevelWithGreeks: { ltpc }, requestMode }
      : { fullFeed: { indexFF: { ltpc, marketOHLC } }, requestMode };
  }
  const levels = mode === 'full_d30' ? 30 : 5;
  const tickSize = 0.05;
  const depth = Array.from({ length: levels }, (_, i) => ({
    bidQ: 75 * (10 + ((i * 7 + trade.qty) % 40)),
    bidP: Math.max(0.05, paise(trade.price - tickSize * (i + 1))),
    askQ: 75 * (10 + ((i * 11 + trade.qty) % 40)),
    askP: paise(trade.price + tickSize * (i + 1)),
  }));
  const sim = source as Partial<MarketSimulator>;
  const c = source.contract(key);
  const spot = source.lastTrade(source.indexKey, trade.ts)?.price ?? trade.price;
  const g = c && sim.greeks ? sim.greeks(c, spot, trade.ts) : { delta: 0, theta: 0, gamma: 0, vega: 0, rho: 0, iv: 0 };
  const optionGreeks = {
    delta: round4(g.delta),
    theta: round4(g.theta),
    gamma: round6(g.gamma),
    vega: round4(g.vega),
    rho: round4(g.rho),
  };
  const day = marketOHLC.ohlc[0]!;
  const oi = 1_000_000 + ((Math.floor(trade.ts / 60_000) * 7919) % 500_000) * 75;
  if (mode === 'option_greeks') {
    return {
      firstLevelWithGreeks: { ltpc, firstDepth: depth[0], optionGreeks, vtt: day.vol, oi, iv: round4(g.iv) },
      requestMode,
    };
  }
  return {
    fullFeed: {
      marketFF: {
        ltpc,
        marketLevel: { bidAskQuote: depth },
        optionGreeks,
        marketOHLC,
        atp: paise((day.open + day.high + day.low + day.close) / 4),
        vtt: day.vol,
        oi,
        iv: round4(g.iv),
        tbq: depth.reduce((a, q) => a + q.bidQ, 0) * 20,
        tsq: depth.reduce((a, q) => a + q.askQ, 0) * 20,
      },
    },
    requestMode,
  };
}

/** Open, high, low, close and traded quantity of a run of trades (one bar of an Ohlc). */
type Agg = Omit<Ohlc, 'interval' | 'ts'>;

function aggregate(trades: readonly Trade[], into?: Agg): Agg | null {
  if (!trades.length) return into ?? null;
  const a: Agg = into ? { ...into } : { open: trades[0]!.price, high: -Infinity, low: Infinity, close: 0, vol: 0 };
  for (const t of trades) {
    if (t.price > a.high) a.high = t.price;
    if (t.price < a.low) a.low = t.price;
    a.vol += t.qty;
  }
  a.close = trades[trades.length - 1]!.price;
  return a;
}

/**
 * Running OHLC of one bar (day, minute, half hour) up to ts, extended incrementally: rescanning the
 * day's trades for every frame would cost O(day) per tick.
 */
const barCache = new WeakMap<PriceSource, Map<string, { upTo: number; agg: Agg | null }>>();
function runningBar(source: PriceSource, key: string, interval: string, start: number, ts: number): Agg | null {
  let m = barCache.get(source);
  if (!m) barCache.set(source, (m = new Map()));
  const id = `${key}|${interval}|${start}`;
  let e = m.get(id);
  if (!e || e.upTo > ts) e = { upTo: start - 1, agg: null };
  if (ts > e.upTo) {
    e = { upTo: ts, agg: aggregate(source.trades(key, e.upTo, ts), e.agg ?? undefined) };
    if (m.size > 2000) m.clear();
    m.set(id, e);
  }
  return e.agg;
}

/** 1d (today, ts = 00:00 IST), I1 previous+current minute, I30 previous+current half hour. */
function ohlcSet(source: PriceSource, key: string, trade: Trade): Ohlc[] {
  const dayStart = istTime(istDate(trade.ts), 0);
  const out: Ohlc[] = [];
  const bar = (interval: string, start: number, lenMs: number) => {
    const agg = runningBar(source, key, interval, start, Math.min(trade.ts, start + lenMs - 1));
    if (agg) out.push({ interval, ...agg, ts: start });
  };
  bar('1d', dayStart, 86_400_000);
  const minute = Math.floor(trade.ts / 60_000) * 60_000;
  bar('I1', minute - 60_000, 60_000);
  bar('I1', minute, 60_000);
  const half = Math.floor(trade.ts / 1_800_000) * 1_800_000;
  bar('I30', half - 1_800_000, 1_800_000);
  bar('I30', half, 1_800_000);
  return out;
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
