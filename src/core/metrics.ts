/**
 * A run's performance figures, defined once: the backtest's summary and every sweep variant carry the
 * same fields, computed here. They are built from per-day records (one row of DAY_FIELDS numbers per
 * trading day of the range, a day without trades all zeros), so that any window of days — a
 * walk-forward fold, all test windows together — is measured without running the strategy again.
 *
 * Choices where the papers are silent: the Sharpe's standard deviation is the sample one (n − 1); a
 * deviation of 0 (a constant series) gives a Sharpe or Sortino of 0; a ratio whose denominator is 0
 * while its numerator is positive (no losing trade, no drawdown) is null, as `profitFactor` was.
 */
import { paise } from './charges.js';
import type { ClosedTrade } from './types.js';

export interface Metrics {
  trades: number;
  wins: number;
  winRate: number;
  grossPnl: number;
  charges: number;
  netPnl: number;
  /** Sum of winning nets ÷ sum of losing nets; null when there is no loss but a win. */
  profitFactor: number | null;
  /** Net per trade. */
  expectancy: number;
  /** Largest fall of net equity, trade by trade, from a peak (the start counts as a peak of 0). */
  maxDrawdown: number;
  /** Of daily net P&L, annualised × √252. */
  sharpe: number;
  sortino: number;
  /** Annualised net (net × 252 ÷ trading days) ÷ maxDrawdown; null when there is no drawdown and net > 0. */
  calmar: number | null;
  tradingDays: number;
}

/**
 * Fields of one day's record, in order. peak/trough: the highest/lowest running net of the day (from 0, both include
 * 0); dd: the day's own deepest fall.
 */
export const DAY_FIELDS = 10;
const NET = 0,
  GROSS = 1,
  CHARGES = 2,
  TRADES = 3,
  WINS = 4,
  WIN_SUM = 5,
  LOSS_SUM = 6,
  PEAK = 7,
  TROUGH = 8,
  DD = 9;

export const ANNUAL_DAYS = 252;

/**
 * Per-day records of `trades` over `days` (the range's trading days, ascending): a Float64Array of
 * days.length × DAY_FIELDS. A trade whose day is not in `days` is an error (it cannot happen in a backtest).
 */
export function dailyRecords(trades: readonly ClosedTrade[], days: readonly string[]): Float64Array {
  const out = new Float64Array(days.length * DAY_FIELDS);
  let d = 0;
  let run = 0;
  for (const t of trades) {
    while (d < days.length && days[d]! < t.day) d++;
    if (days[d] !== t.day) throw new Error(`trade on ${t.day} outside the range's trading days`);
    const r = d * DAY_FIELDS;
    if (out[r + TRADES] === 0) run = 0;
    // A trade's money as its CSV row has it (to the paisa), so that every total is the sum of its trades' rows.
    const net = paise(t.netPnl);
    out[r + NET]! += net;
    out[r + GROSS]! += paise(t.grossPnl);
    out[r + CHARGES]! += paise(t.charges);
    out[r + TRADES]!++;
    if (net > 0) {
      out[r + WINS]!++;
      out[r + WIN_SUM]! += net;
    } else out[r + LOSS_SUM]! -= net;
    run += net;
    if (run > out[r + PEAK]!) out[r + PEAK] = run;
    if (run < out[r + TROUGH]!) out[r + TROUGH] = run;
    if (out[r + PEAK]! - run > out[r + DD]!) out[r + DD] = out[r + PEAK]! - run;
  }
  return out;
}

/** The day records of several windows [from, to) (day indices) of one record array, end to end. */
export function concatDays(parts: readonly { records: Float64Array; from: number; to: number }[]): Float64Array {
  const n = parts.reduce((a, p) => a + p.to - p.from, 0);
  const out = new Float64Array(n * DAY_FIELDS);
  let at = 0;
  for (const p of parts) {
    out.set(p.records.subarray(p.from * DAY_FIELDS, p.to * DAY_FIELDS), at);
    at += (p.to - p.from) * DAY_FIELDS;
  }
  return out;
}

/** The daily net P&L of days [from, to). */
export function dailyNet(records: Float64Array, from = 0, to = records.length / DAY_FIELDS): Float64Array {
  const out = new Float64Array(to - from);
  for (let d = from; d < to; d++) out[d - from] = records[d * DAY_FIELDS + NET]!;
  return out;
}

/** Mean and sample standard deviation (n − 1; 0 for fewer than two values). */
export function meanStd(r: ArrayLike<number>): { mean: number; std: number } {
  const n = r.length;
  if (n === 0) return { mean: 0, std: 0 };
  let s = 0;
  for (let i = 0; i < n; i++) s += r[i]!;
  const mean = s / n;
  if (n < 2) return { mean, std: 0 };
  let v = 0;
  for (let i = 0; i < n; i++) v += (r[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(v / (n - 1)) };
}

/** Per-period Sharpe: mean ÷ sample stdev; 0 when the stdev is 0 (or only rounding: a constant series of 0.1s). */
export function periodSharpe(r: ArrayLike<number>): number {
  const { mean, std } = meanStd(r);
  return std > 1e-12 * Math.abs(mean) ? mean / std : 0;
}

/** Per-period Sortino: mean ÷ sqrt(mean(min(r, 0)²)); 0 when there is no down day. */
export function periodSortino(r: ArrayLike<number>): number {
  const n = r.length;
  if (n === 0) return 0;
  let s = 0;
  let down = 0;
  for (let i = 0; i < n; i++) {
    s += r[i]!;
    if (r[i]! < 0) down += r[i]! ** 2;
  }
  return down > 0 ? s / n / Math.sqrt(down / n) : 0;
}

/** The metrics of days [from, to) of a record array. */
export function metricsOf(records: Float64Array, from = 0, to = records.length / DAY_FIELDS): Metrics {
  let net = 0,
    gross = 0,
    charges = 0,
    trades = 0,
    wins = 0,
    winSum = 0,
    lossSum = 0;
  let peak = 0,
    maxDrawdown = 0;
  const daily = new Float64Array(to - from);
  for (let d = from; d < to; d++) {
    const r = d * DAY_FIELDS;
    // The equity before the day is `net`: the day can fall from the running peak to its trough, or within itself.
    const fall = Math.max(peak - (net + records[r + TROUGH]!), records[r + DD]!);
    if (fall > maxDrawdown) maxDrawdown = fall;
    if (net + records[r + PEAK]! > peak) peak = net + records[r + PEAK]!;
    net += records[r + NET]!;
    gross += records[r + GROSS]!;
    charges += records[r + CHARGES]!;
    trades += records[r + TRADES]!;
    wins += records[r + WINS]!;
    winSum += records[r + WIN_SUM]!;
    lossSum += records[r + LOSS_SUM]!;
    daily[d - from] = records[r + NET]!;
  }
  const days = to - from;
  const annualNet = days > 0 ? (net * ANNUAL_DAYS) / days : 0;
  return {
    trades,
    wins,
    winRate: trades ? wins / trades : 0,
    grossPnl: paise(gross),
    charges: paise(charges),
    netPnl: paise(net),
    profitFactor: lossSum > 0 ? winSum / lossSum : winSum > 0 ? null : 0,
    expectancy: trades ? net / trades : 0,
    maxDrawdown: paise(maxDrawdown),
    sharpe: periodSharpe(daily) * Math.sqrt(ANNUAL_DAYS),
    sortino: periodSortino(daily) * Math.sqrt(ANNUAL_DAYS),
    calmar: maxDrawdown > 0 ? annualNet / maxDrawdown : net > 0 ? null : 0,
    tradingDays: days,
  };
}

/** The metrics of a list of trades over the range's trading days (the backtest's summary). */
export function tradeMetrics(trades: readonly ClosedTrade[], days: readonly string[]): Metrics {
  return metricsOf(dailyRecords(trades, days));
}

export type Objective = 'net' | 'sharpe' | 'sortino' | 'calmar' | 'profitFactor';
export const OBJECTIVES: readonly Objective[] = ['net', 'sharpe', 'sortino', 'calmar', 'profitFactor'];

/** The number an objective ranks by (higher is better; an unbounded ratio, null, ranks above every number). */
export function objectiveValue(m: Metrics, o: Objective): number {
  const v = o === 'net' ? m.netPnl : m[o];
  return v === null ? Infinity : v;
}
