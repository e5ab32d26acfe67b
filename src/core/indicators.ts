/**
 * The indicators V25 reads, fed one candle at a time. EMA and MACD come from `technicalindicators`
 * (its EMA seeds with the simple mean of the first n closes, as v25.md requires); CHOP and the
 * day-reset option ATR are defined in v25.md and computed here. `undefined` means "still warming up".
 */
import { EMA, MACD } from 'technicalindicators';
import type { Candle } from './types.js';

/** True range; the first candle of a series (no previous close) has TR = H − L. */
export function trueRange(c: Pick<Candle, 'high' | 'low'>, prevClose: number | undefined): number {
  const hl = c.high - c.low;
  if (prevClose === undefined) return hl;
  return Math.max(hl, Math.abs(c.high - prevClose), Math.abs(c.low - prevClose));
}

export class EmaIndicator {
  private readonly ema: EMA;
  value: number | undefined;
  constructor(readonly period: number) {
    this.ema = new EMA({ period, values: [] });
  }
  next(close: number): number | undefined {
    this.value = this.ema.nextValue(close);
    return this.value;
  }
}

export class MacdHistogram {
  private readonly macd: MACD;
  value: number | undefined;
  constructor(fast: number, slow: number, signal: number) {
    this.macd = new MACD({ fastPeriod: fast, slowPeriod: slow, signalPeriod: signal, SimpleMAOscillator: false, SimpleMASignal: false, values: [] });
  }
  next(close: number): number | undefined {
    const out = this.macd.nextValue(close);
    this.value = out?.histogram;
    return this.value;
  }
}

/**
 * Choppiness Index: 100 × log10(ΣTR(n) / (max H(n) − min L(n))) / log10(n) over the last n candles.
 * Undefined until n candles exist, and when the n-candle range is zero.
 */
export class ChopIndicator {
  private readonly tr: number[] = [];
  private readonly high: number[] = [];
  private readonly low: number[] = [];
  private prevClose: number | undefined;
  private count = 0;
  private trSum = 0;
  value: number | undefined;
  constructor(readonly period: number) {}

  next(c: Candle): number | undefined {
    const n = this.period;
    const i = this.count % n;
    const tr = trueRange(c, this.prevClose);
    if (this.count >= n) this.trSum -= this.tr[i]!;
    this.tr[i] = tr;
    this.high[i] = c.high;
    this.low[i] = c.low;
    this.trSum += tr;
    this.prevClose = c.close;
    this.count++;
    if (this.count < n) return (this.value = undefined);
    let hi = -Infinity;
    let lo = Infinity;
    let sum = 0; // re-summed each time: a running sum would drift by float error over a year of candles
    for (let k = 0; k < n; k++) {
      if (this.high[k]! > hi) hi = this.high[k]!;
      if (this.low[k]! < lo) lo = this.low[k]!;
      sum += this.tr[k]!;
    }
    this.trSum = sum;
    const range = hi - lo;
    if (!(range > 0)) return (this.value = undefined);
    return (this.value = (100 * Math.log10(sum / range)) / Math.log10(n));
  }
}

/**
 * Option ATR over one contract's candles of the current day (the caller resets it each day).
 * Mean of the TRs until `period` candles exist; then Wilder's smoothing (atr × (n−1) + tr) / n.
 */
export class DayAtr {
  private prevClose: number | undefined;
  private count = 0;
  private sum = 0;
  value: number | undefined;
  constructor(readonly period: number) {}

  next(c: Candle): number {
    const tr = trueRange(c, this.prevClose);
    this.prevClose = c.close;
    this.count++;
    if (this.count <= this.period) {
      this.sum += tr;
      this.value = this.sum / this.count;
    } else {
      this.value = (this.value! * (this.period - 1) + tr) / this.period;
    }
    return this.value;
  }
}
