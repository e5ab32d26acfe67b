/**
 * What the page draws for one trading day, in one JSON shape for the live box (`/api/day/D`) and
 * the offline HTML export: the index candles with the chosen strategy's readings as the engine computes
 * them (EMA / MACD histogram / CHOP for V25), the day's CE and PE candles, the trades (exactly `niftybox report
 * --json`'s shape) and the
 * open position's levels. Candle rows are compact arrays `[tsSeconds, open, high, low, close]`
 * (epoch seconds, UTC) so a six-month export stays small.
 */
import { contractName } from '../core/contracts.js';
import { paise } from '../core/charges.js';
import type { StrategyChoice } from '../core/strategies/index.js';
import type { Candle, ClosedTrade, OptionContract, Side } from '../core/types.js';
import { tradeJson, type summaryJson } from '../report/format.js';

export type CandleRow = [number, number, number, number, number];
export type TradeJson = ReturnType<typeof tradeJson>;

export interface IndexPane {
  candles: CandleRow[];
  /** Each reading the strategy draws, aligned with candles; null while it warms up. */
  series: Record<string, (number | null)[]>;
}

/** What the page draws of the strategy's readings (contract.ts ReadingPlot, with the level's value). */
export interface StrategyPlots {
  name: string;
  plots: {
    reading: string;
    pane: 'price' | 'lower';
    kind: 'line' | 'histogram';
    level?: { name: string; value: number };
  }[];
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
  strategy: StrategyPlots;
  index: IndexPane;
  options: Record<Side, OptionPane | null>;
  trades: TradeJson[];
  position: PositionLevels | null;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

export function candleRow(c: Candle): CandleRow {
  return [Math.round(c.ts / 1000), paise(c.open), paise(c.high), paise(c.low), paise(c.close)];
}

export function strategyPlots(s: StrategyChoice): StrategyPlots {
  const params = s.params as unknown as Record<string, unknown>;
  return {
    name: s.strategy.name,
    plots: s.strategy.plots.map((p) => ({
      reading: p.reading,
      pane: p.pane,
      kind: p.kind,
      ...(p.levelParam ? { level: { name: p.levelParam, value: params[p.levelParam] as number } } : {}),
    })),
  };
}

/**
 * The strategy's drawn readings over a continuous candle history, one value per candle, as the engine computes them.
 */
export function indicatorSeries(candles: readonly Candle[], s: StrategyChoice): Record<string, number | null>[] {
  const run = s.strategy.create(s.params);
  const names = s.strategy.plots.map((p) => p.reading);
  return candles.map((c) => {
    run.update(c);
    const r = run.readings();
    const row: Record<string, number | null> = {};
    for (const n of names) row[n] = r[n] === undefined ? null : n === 'hist' ? r3(r[n]) : paise(r[n]);
    return row;
  });
}

export function emptyIndexPane(s: StrategyChoice): IndexPane {
  return { candles: [], series: Object.fromEntries(s.strategy.plots.map((p) => [p.reading, []])) };
}

/** Appends one candle and its readings to a pane. */
export function pushRow(pane: IndexPane, c: Candle, readings: Record<string, number | null>): void {
  pane.candles.push(candleRow(c));
  for (const [n, values] of Object.entries(pane.series)) values.push(readings[n] ?? null);
}

/** The index pane of one session: candles in [fromTs, toTs] with indicators warmed on everything before. */
export function indexPane(history: readonly Candle[], fromTs: number, toTs: number, s: StrategyChoice): IndexPane {
  const ind = indicatorSeries(history, s);
  const pane = emptyIndexPane(s);
  history.forEach((c, i) => {
    if (c.ts < fromTs || c.ts > toTs) return;
    pushRow(pane, c, ind[i]!);
  });
  return pane;
}

export function optionPane(
  contract: Pick<OptionContract, 'instrumentKey' | 'expiry' | 'strike' | 'side'> | { instrumentKey: string },
  candles: readonly Candle[],
): OptionPane {
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
