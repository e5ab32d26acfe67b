/**
 * What the page draws for one trading day, in one JSON shape for the live box (`/api/day/D`) and
 * the offline HTML export: the index candles with EMA / MACD histogram / CHOP as the engine computes
 * them, the day's CE and PE candles, the trades (exactly `niftybox report --json`'s shape) and the
 * open position's levels. Candle rows are compact arrays `[tsSeconds, open, high, low, close]`
 * (epoch seconds, UTC) so a six-month export stays small.
 */
import { contractName } from '../core/contracts.js';
import { paise } from '../core/charges.js';
import { ChopIndicator, EmaIndicator, MacdHistogram } from '../core/indicators.js';
import type { V25Params } from '../core/params.js';
import type { Candle, ClosedTrade, OptionContract, Side } from '../core/types.js';
import { tradeJson, type summaryJson } from '../report/format.js';

export type CandleRow = [number, number, number, number, number];
export type TradeJson = ReturnType<typeof tradeJson>;

export interface IndexPane {
  candles: CandleRow[];
  /** Aligned with candles; null while the indicator warms up. */
  ema: (number | null)[];
  hist: (number | null)[];
  chop: (number | null)[];
}

export interface OptionPane {
  instrumentKey: string;
  /** As a broker names it (`NIFTY 05 JUN 25 24550 CE`); null when the ledger cannot tell. */
  symbol: string | null;
  candles: CandleRow[];
}

export interface PositionLevels {
  side: Side;
  instrumentKey: string;
  symbol: string | null;
  entryTime: number | null;
  entryPrice: number;
  ltp: number;
  sl: number;
  tp1: number;
  /** Where the stop moves once TP1 is reached (entry + lockPoints). */
  lock: number;
  tp1Hit: boolean;
  quantity: number;
  unrealizedPnl: number;
}

export interface DayView {
  day: string;
  chopMax: number;
  index: IndexPane;
  options: Record<Side, OptionPane | null>;
  trades: TradeJson[];
  position: PositionLevels | null;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

export function candleRow(c: Candle): CandleRow {
  return [Math.round(c.ts / 1000), paise(c.open), paise(c.high), paise(c.low), paise(c.close)];
}

/** The engine's index indicators over a continuous candle history, one value per candle (v25.md). */
export function indicatorSeries(candles: readonly Candle[], p: Pick<V25Params, 'emaPeriod' | 'macdFast' | 'macdSlow' | 'macdSignal' | 'chopPeriod'>) {
  const ema = new EmaIndicator(p.emaPeriod);
  const macd = new MacdHistogram(p.macdFast, p.macdSlow, p.macdSignal);
  const chop = new ChopIndicator(p.chopPeriod);
  return candles.map((c) => {
    const e = ema.next(c.close);
    const h = macd.next(c.close);
    const x = chop.next(c);
    return { ema: e === undefined ? null : paise(e), hist: h === undefined ? null : r3(h), chop: x === undefined ? null : paise(x) };
  });
}

/** The index pane of one session: candles in [fromTs, toTs] with indicators warmed on everything before. */
export function indexPane(history: readonly Candle[], fromTs: number, toTs: number, p: V25Params): IndexPane {
  const ind = indicatorSeries(history, p);
  const pane: IndexPane = { candles: [], ema: [], hist: [], chop: [] };
  history.forEach((c, i) => {
    if (c.ts < fromTs || c.ts > toTs) return;
    pane.candles.push(candleRow(c));
    pane.ema.push(ind[i]!.ema);
    pane.hist.push(ind[i]!.hist);
    pane.chop.push(ind[i]!.chop);
  });
  return pane;
}

export function optionPane(contract: Pick<OptionContract, 'instrumentKey' | 'expiry' | 'strike' | 'side'> | { instrumentKey: string }, candles: readonly Candle[]): OptionPane {
  const named = 'expiry' in contract ? contractName(contract) : null;
  return { instrumentKey: contract.instrumentKey, symbol: named, candles: candles.map(candleRow) };
}

export function dayTrades(trades: readonly ClosedTrade[]): TradeJson[] {
  return trades.map(tradeJson);
}

export interface EquityPoint {
  day: string;
  net: number;
  equity: number;
  drawdown: number;
  trades: number;
}

/** Net P&L per day, its running total and the drawdown from the running peak. */
export function equityCurve(trades: readonly ClosedTrade[]): EquityPoint[] {
  const byDay = new Map<string, { net: number; trades: number }>();
  for (const t of trades) {
    const d = byDay.get(t.day) ?? { net: 0, trades: 0 };
    d.net += t.netPnl;
    d.trades++;
    byDay.set(t.day, d);
  }
  let equity = 0;
  let peak = 0;
  return [...byDay.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([day, d]) => {
      equity += d.net;
      peak = Math.max(peak, equity);
      return { day, net: paise(d.net), equity: paise(equity), drawdown: paise(equity - peak), trades: d.trades };
    });
}

/** Everything the offline report needs besides the days. */
export interface ReportView {
  title: string;
  summary: ReturnType<typeof summaryJson>;
  sensitivity: { slippage: number; trades: number; netPnl: number }[];
  equity: EquityPoint[];
  trades: TradeJson[];
  notes: string[];
}
