/**
 * The sweep's one seam to the strategies: a registered strategy's parameters by name (strategies.md
 * "Parameters by name", per-side as `tp1Points.CE`) with their kinds and ranges read from its schema,
 * and a variant's run through runBacktest. A variant's whole parameter set is validated by the
 * strategy's own schema (chooseStrategy) before any variant runs.
 */
import { runBacktest, type BacktestDay } from '../../core/backtest.js';
import type { MarketCalendar } from '../../core/calendar.js';
import { dailyRecords } from '../../core/metrics.js';
import { DEFAULT_RISK } from '../../core/params.js';
import {
  chooseStrategy,
  describeParams,
  strategies,
  strategyByName as registered,
} from '../../core/strategies/index.js';
import type { FlatParams } from '../../core/sweep.js';
import type { Candle } from '../../core/types.js';

export interface ParamSpec {
  name: string;
  kind: 'int' | 'number' | 'time';
  min: number;
  max: number;
}

export interface SweepStrategy {
  name: string;
  params: readonly ParamSpec[];
  defaults: FlatParams;
}

/** Times: a 5-minute candle's start within the session. */
const SESSION = { min: 9 * 60 + 15, max: 15 * 60 + 30 };

export function strategyByName(name: string): SweepStrategy | undefined {
  const s = registered(name);
  if (!s) return undefined;
  const params = describeParams(s).map(
    (p): ParamSpec =>
      p.type === 'time'
        ? { name: p.name, kind: 'time', ...SESSION }
        : {
            name: p.name,
            kind: p.type === 'integer' ? 'int' : 'number',
            min: p.min ?? -Infinity,
            max: p.max ?? Infinity,
          },
  );
  return { name: s.name, params, defaults: Object.fromEntries(describeParams(s).map((p) => [p.name, p.default])) };
}

export const STRATEGY_NAMES = strategies.map((s) => s.name);

/** `tp1Points.CE` → `{tp1Points: {CE}}`: the shape the strategy's schema takes. */
export function nestParams(f: FlatParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) {
    const dot = k.indexOf('.');
    if (dot < 0) out[k] = v;
    else ((out[k.slice(0, dot)] ??= {}) as Record<string, unknown>)[k.slice(dot + 1)] = v;
  }
  return out;
}

/**
 * The strategy's own verdict on a whole parameter set (ranges, cross-checks such as entryStart ≤ entryEnd); throws
 * StrategyChoiceError.
 */
export function checkVariant(strategy: SweepStrategy, params: FlatParams): void {
  chooseStrategy(strategy.name, nestParams(params));
}

export interface VariantData {
  index: readonly Candle[];
  options: ReadonlyMap<string, BacktestDay>;
  from: string;
  to: string;
  /** The range's trading days (those the backtest trades), ascending. */
  days: readonly string[];
  calendar: MarketCalendar;
}

/** One variant: a full backtest with fills and charges as `backtest`, as per-day records over the range's days. */
export function runVariant(strategy: SweepStrategy, params: FlatParams, data: VariantData): Float64Array {
  const result = runBacktest({
    index: data.index,
    options: data.options,
    from: data.from,
    to: data.to,
    strategy: strategy.name,
    params: nestParams(params),
    risk: DEFAULT_RISK,
    calendar: data.calendar,
  });
  return dailyRecords(result.trades, data.days);
}
