/** How a sweep leaves the program: metrics for JSON and CSV, the overfitting statistics in words, the text report. */
import type { Metrics } from '../core/metrics.js';
import type { DeflatedSharpe, Pbo } from '../core/overfitting.js';
import type { FlatParams } from '../core/sweep.js';
import { groupIndian } from './rupees.js';

const round = (x: number | null, places: number): number | null =>
  x === null ? null : Math.round(x * 10 ** places) / 10 ** places;

/** Money to the paisa, ratios to 4 decimals, counts as they are. */
export function metricsJson(m: Metrics) {
  return {
    trades: m.trades,
    wins: m.wins,
    winRate: round(m.winRate, 4),
    grossPnl: round(m.grossPnl, 2),
    charges: round(m.charges, 2),
    netPnl: round(m.netPnl, 2),
    profitFactor: round(m.profitFactor, 4),
    expectancy: round(m.expectancy, 2),
    maxDrawdown: round(m.maxDrawdown, 2),
    sharpe: round(m.sharpe, 4),
    sortino: round(m.sortino, 4),
    calmar: round(m.calmar, 4),
    tradingDays: m.tradingDays,
  };
}

export const METRIC_NAMES = Object.keys(
  metricsJson({
    trades: 0,
    wins: 0,
    winRate: 0,
    grossPnl: 0,
    charges: 0,
    netPnl: 0,
    profitFactor: 0,
    expectancy: 0,
    maxDrawdown: 0,
    sharpe: 0,
    sortino: 0,
    calmar: 0,
    tradingDays: 0,
  }),
);

export function csvHeader(paramNames: readonly string[]): string {
  return ['variant', 'default', ...paramNames, ...METRIC_NAMES].join(',') + '\n';
}

export function csvRow(
  i: number,
  isDefault: boolean,
  params: FlatParams,
  paramNames: readonly string[],
  m: Metrics,
): string {
  const mj = metricsJson(m) as Record<string, number | null>;
  return (
    [i, isDefault ? 1 : 0, ...paramNames.map((n) => params[n]), ...METRIC_NAMES.map((k) => mj[k] ?? '')].join(',') +
    '\n'
  );
}

const p2 = (x: number | null) => (x === null ? 'n/a' : x.toFixed(2));

export function deflatedJson(d: DeflatedSharpe) {
  return {
    deflatedSharpe: round(d.deflatedSharpe, 4),
    probabilisticSharpe: round(d.probabilisticSharpe, 4),
    periodSharpe: round(d.sharpe, 6),
    skew: round(d.skew, 4),
    kurtosis: round(d.kurtosis, 4),
    days: d.days,
    sharpeVariance: round(d.sharpeVariance, 8),
    benchmarkSharpe: round(d.benchmarkSharpe, 6),
  };
}

export function pboJson(p: Pbo) {
  return {
    pbo: round(p.pbo, 4),
    ...(p.reason ? { reason: p.reason } : {}),
    blocks: p.blocks,
    splits: p.splits,
    blockDays: p.blockDays,
    droppedDays: p.droppedDays,
    medianLogit: round(p.medianLogit, 4),
  };
}

/** "the best of 96 variants has a 0.31 probability of a true Sharpe above zero; PBO 0.72: …" */
export function overfittingWords(d: DeflatedSharpe, p: Pbo): string[] {
  const dsr =
    d.deflatedSharpe === null
      ? `the deflated Sharpe ratio cannot be computed ` +
        `(${d.days < 2 ? 'fewer than 2 trading days' : 'the returns’ skew and kurtosis leave no variance'})`
      : `the best of ${d.trials} variant${d.trials === 1 ? '' : 's'} has a ${p2(d.deflatedSharpe)} ` +
        `probability of a true Sharpe above zero (deflated for ${d.trials} trial${d.trials === 1 ? '' : 's'};` +
        ` ${d.deflatedSharpe >= 0.95 ? 'above' : 'below'} the usual 0.95 bar)`;
  const pbo =
    p.pbo === null
      ? `PBO not computed: ${p.reason}`
      : `PBO ${p2(p.pbo)}: the in-sample winner ` +
        (p.pbo > 0.5
          ? 'usually lands at or below the median out of sample'
          : 'usually stays above the median out of sample') +
        ` ` +
        `(${p.splits} splits of ${p.blocks} blocks of ${p.blockDays} ` +
        `days${p.droppedDays ? `, the last ${p.droppedDays} days left out` : ''})`;
  return [dsr, pbo];
}

export const rupees = (x: number) => `${x < 0 ? '−' : ''}₹${groupIndian(Math.abs(x), 0)}`;

export function paramsText(p: FlatParams, names: readonly string[]): string {
  return names.map((n) => `${n}=${p[n]}`).join(' ');
}

export function metricsLine(m: Metrics): string {
  return (
    `${m.trades} trades, net ${rupees(m.netPnl)} (gross ${rupees(m.grossPnl)},` +
    ` charges ${rupees(m.charges)}), win rate ` +
    `${(m.winRate * 100).toFixed(1)}%, PF ${p2(m.profitFactor)}, max DD ${rupees(m.maxDrawdown)},` +
    ` Sharpe ${m.sharpe.toFixed(2)}, Sortino ${m.sortino.toFixed(2)}, Calmar ${p2(m.calmar)}`
  );
}
