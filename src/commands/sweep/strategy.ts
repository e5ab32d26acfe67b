/**
 * The sweep's one seam to the strategy: its parameters by name (strategies.md "Parameters by name",
 * per-side as `tp1Points.CE`), their kinds and ranges, and a variant's run. Today V25 only; the
 * strategy registry (issue 22) replaces this file.
 */
import { runBacktest, type BacktestDay } from '../../core/backtest.js';
import type { MarketCalendar } from '../../core/calendar.js';
import { dailyRecords } from '../../core/metrics.js';
import { DEFAULT_RISK, DEFAULT_V25, type V25Params } from '../../core/params.js';
import type { FlatParams } from '../../core/sweep.js';
import type { Candle } from '../../core/types.js';

export interface ParamSpec {
  name: string;
  kind: 'int' | 'number' | 'time';
  min: number;
  max: number;
}

const int = (name: string, min: number, max: number): ParamSpec => ({ name, kind: 'int', min, max });
const num = (name: string, min: number, max: number): ParamSpec => ({ name, kind: 'number', min, max });
const time = (name: string): ParamSpec => ({ name, kind: 'time', min: 9 * 60 + 15, max: 15 * 60 + 30 });

export interface SweepStrategy {
  name: string;
  params: readonly ParamSpec[];
  defaults: FlatParams;
}

export const V25_SWEEP: SweepStrategy = {
  name: 'v25',
  params: [
    int('emaPeriod', 1, 500),
    int('macdFast', 1, 200),
    int('macdSlow', 1, 500),
    int('macdSignal', 1, 200),
    int('chopPeriod', 2, 200),
    num('chopMax', 0, 100),
    time('entryStart'),
    time('entryEnd'),
    time('eodExit'),
    num('slAtrMult', 0, 20),
    int('atrPeriod', 1, 100),
    num('tp1Points.CE', 0, 1000),
    num('tp1Points.PE', 0, 1000),
    num('lockPoints.CE', 0, 1000),
    num('lockPoints.PE', 0, 1000),
    num('slippagePoints', 0, 50),
    int('lots', 1, 1000),
  ],
  defaults: flatten(DEFAULT_V25),
};

export function strategyByName(name: string): SweepStrategy | undefined {
  return name === V25_SWEEP.name ? V25_SWEEP : undefined;
}

export const STRATEGY_NAMES = [V25_SWEEP.name];

function flatten(p: V25Params): FlatParams {
  const { tp1Points, lockPoints, ...rest } = p;
  return { ...rest, 'tp1Points.CE': tp1Points.CE, 'tp1Points.PE': tp1Points.PE, 'lockPoints.CE': lockPoints.CE, 'lockPoints.PE': lockPoints.PE };
}

function unflatten(f: FlatParams): V25Params {
  const n = (k: string) => f[k] as number;
  const s = (k: string) => f[k] as string;
  return {
    emaPeriod: n('emaPeriod'),
    macdFast: n('macdFast'),
    macdSlow: n('macdSlow'),
    macdSignal: n('macdSignal'),
    chopPeriod: n('chopPeriod'),
    chopMax: n('chopMax'),
    entryStart: s('entryStart'),
    entryEnd: s('entryEnd'),
    eodExit: s('eodExit'),
    slAtrMult: n('slAtrMult'),
    atrPeriod: n('atrPeriod'),
    tp1Points: { CE: n('tp1Points.CE'), PE: n('tp1Points.PE') },
    lockPoints: { CE: n('lockPoints.CE'), PE: n('lockPoints.PE') },
    slippagePoints: n('slippagePoints'),
    lots: n('lots'),
  };
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
  const result = runBacktest({ index: data.index, options: data.options, from: data.from, to: data.to, params: unflatten(params), risk: DEFAULT_RISK, calendar: data.calendar });
  return dailyRecords(result.trades, data.days);
}
