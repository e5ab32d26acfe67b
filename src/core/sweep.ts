/**
 * A parameter sweep, pure: the grid and its order, a reproducible random draw from it, the rolling
 * walk-forward folds over trading weeks, and the accumulator that takes each variant's per-day records
 * in grid order and keeps only what the output needs (each fold's train-only choice, the best, the
 * daily net P&L matrix for the overfitting statistics). Running a variant is the caller's.
 */
import {
  concatDays,
  dailyNet,
  DAY_FIELDS,
  metricsOf,
  objectiveValue,
  periodSharpe,
  type Metrics,
  type Objective,
} from './metrics.js';
import { deflatedSharpe, probabilityOfBacktestOverfitting, type DeflatedSharpe, type Pbo } from './overfitting.js';
import { isoWeek } from './time.js';

export type ParamValue = number | string;
export type FlatParams = Record<string, ParamValue>;

export interface GridAxis {
  name: string;
  values: ParamValue[];
}

/** The grid's size: the product of its axes' lengths (1 for no axis). */
export function gridSize(axes: readonly GridAxis[]): number {
  return axes.reduce((n, a) => n * a.values.length, 1);
}

/** The i-th point of the grid, the first axis varying slowest (nested loops in the order given). */
export function gridPoint(axes: readonly GridAxis[], i: number): FlatParams {
  const out: FlatParams = {};
  for (let k = axes.length - 1; k >= 0; k--) {
    const a = axes[k]!;
    out[a.name] = a.values[i % a.values.length]!;
    i = Math.floor(i / a.values.length);
  }
  return Object.fromEntries(axes.map((a) => [a.name, out[a.name]!]));
}

/** mulberry32: a small seeded generator, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` distinct grid indices out of `size`, drawn with `seed` (Floyd's algorithm), ascending. */
export function randomIndices(size: number, count: number, seed: number): number[] {
  const rnd = seededRandom(seed);
  const chosen = new Set<number>();
  for (let j = size - count; j < size; j++) {
    const r = Math.floor(rnd() * (j + 1));
    chosen.add(chosen.has(r) ? j : r);
  }
  return [...chosen].sort((a, b) => a - b);
}

export interface DayRange {
  /** Day indices [from, to) into the range's trading days. */
  from: number;
  to: number;
}

export interface Fold {
  train: DayRange;
  test: DayRange;
}

/**
 * Rolling folds over the trading days' ISO weeks: train on `trainWeeks`, test on the next `testWeeks`,
 * step by `testWeeks`; only whole test windows. Empty when the data holds fewer than train + test weeks.
 */
export function walkForwardFolds(days: readonly string[], trainWeeks: number, testWeeks: number): Fold[] {
  const weekStart: number[] = [];
  let last = '';
  days.forEach((d, i) => {
    const w = isoWeek(d);
    if (w !== last) weekStart.push(i);
    last = w;
  });
  weekStart.push(days.length);
  const weeks = weekStart.length - 1;
  const folds: Fold[] = [];
  for (let k = 0; k * testWeeks + trainWeeks + testWeeks <= weeks; k++) {
    const a = k * testWeeks;
    folds.push({
      train: { from: weekStart[a]!, to: weekStart[a + trainWeeks]! },
      test: { from: weekStart[a + trainWeeks]!, to: weekStart[a + trainWeeks + testWeeks]! },
    });
  }
  return folds;
}

/** The number of ISO weeks the days span. */
export function weekCount(days: readonly string[]): number {
  return new Set(days.map(isoWeek)).size;
}

export interface FoldResult {
  fold: Fold;
  /** The grid-order index of the variant chosen on the train days. */
  chosen: number;
  inSample: Metrics;
  outOfSample: Metrics;
}

export interface SweepSummary {
  best: { index: number; metrics: Metrics };
  folds: FoldResult[];
  /** All test windows together: the chosen variants' and the defaults'. */
  outOfSample: Metrics | null;
  defaultsOutOfSample: Metrics | null;
  /** Daily net of the test windows, end to end: the chosen variants' and the defaults'. */
  outOfSampleDaily: Float64Array;
  defaultsOutOfSampleDaily: Float64Array;
  deflated: DeflatedSharpe;
  pbo: Pbo;
}

interface Leader {
  index: number;
  value: number;
  records: Float64Array;
}

/**
 * Takes each variant's per-day records in grid order (`add` must be called with index 0, 1, 2 …) and
 * keeps: the best on the whole range, for each fold the best on its train days (a tie keeps the
 * earlier index) with that variant's test days, the defaults' records, and every variant's daily net
 * (T numbers a variant) for DSR and PBO.
 */
export class SweepAccumulator {
  private readonly t: number;
  private readonly daily: Float64Array;
  private readonly sharpes: Float64Array;
  private next = 0;
  private best: Leader | null = null;
  private readonly foldLeaders: (Leader | null)[];
  private defaults: Float64Array | null = null;

  constructor(
    readonly variants: number,
    days: number,
    readonly folds: readonly Fold[],
    readonly objective: Objective,
    readonly defaultIndex: number,
    readonly pboBlocks: number,
  ) {
    this.t = days;
    this.daily = new Float64Array(variants * days);
    this.sharpes = new Float64Array(variants);
    this.foldLeaders = folds.map(() => null);
  }

  /** Variant `index`'s records (days × DAY_FIELDS); returns its metrics on the whole range. */
  add(index: number, records: Float64Array): Metrics {
    if (index !== this.next) throw new Error(`sweep results out of order: ${index} after ${this.next - 1}`);
    if (records.length !== this.t * DAY_FIELDS)
      throw new Error(`variant ${index}: ${records.length / DAY_FIELDS} days of records, expected ${this.t}`);
    this.next++;
    const metrics = metricsOf(records);
    const net = dailyNet(records);
    this.daily.set(net, index * this.t);
    this.sharpes[index] = periodSharpe(net);
    const value = objectiveValue(metrics, this.objective);
    if (!this.best || value > this.best.value) this.best = { index, value, records };
    this.folds.forEach((f, k) => {
      const v = objectiveValue(metricsOf(records, f.train.from, f.train.to), this.objective);
      const lead = this.foldLeaders[k];
      if (!lead || v > lead.value)
        this.foldLeaders[k] = {
          index,
          value: v,
          records: records.slice(f.train.from * DAY_FIELDS, f.test.to * DAY_FIELDS),
        };
    });
    if (index === this.defaultIndex) this.defaults = records;
    return metrics;
  }

  finish(): SweepSummary {
    if (this.next !== this.variants || !this.best)
      throw new Error(`sweep incomplete: ${this.next} of ${this.variants} variants`);
    const folds: FoldResult[] = this.folds.map((fold, k) => {
      const lead = this.foldLeaders[k]!;
      const base = fold.train.from;
      return {
        fold,
        chosen: lead.index,
        inSample: metricsOf(lead.records, 0, fold.train.to - base),
        outOfSample: metricsOf(lead.records, fold.test.from - base, fold.test.to - base),
      };
    });
    const chosenTests = concatDays(
      this.folds.map((f, k) => ({
        records: this.foldLeaders[k]!.records,
        from: f.test.from - f.train.from,
        to: f.test.to - f.train.from,
      })),
    );
    const defaultTests = this.defaults
      ? concatDays(this.folds.map((f) => ({ records: this.defaults!, from: f.test.from, to: f.test.to })))
      : new Float64Array(0);
    const any = this.folds.length > 0;
    return {
      best: { index: this.best.index, metrics: metricsOf(this.best.records) },
      folds,
      outOfSample: any ? metricsOf(chosenTests) : null,
      defaultsOutOfSample: any && this.defaults ? metricsOf(defaultTests) : null,
      outOfSampleDaily: dailyNet(chosenTests),
      defaultsOutOfSampleDaily: dailyNet(defaultTests),
      deflated: deflatedSharpe(
        this.daily.subarray(this.best.index * this.t, (this.best.index + 1) * this.t),
        this.sharpes,
      ),
      pbo: probabilityOfBacktestOverfitting(this.daily, this.variants, this.pboBlocks),
    };
  }
}
