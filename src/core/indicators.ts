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

/** EMA as technicalindicators computes it (v25.md: TradingView's convention), one close at a time. */
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

/** The MACD histogram of technicalindicators (exponential oscillator and signal), one close at a time. */
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
  private readonly tr: Float64Array;
  private readonly high: Float64Array;
  private readonly low: Float64Array;
  private readonly log10n: number;
  private prevClose = 0;
  private count = 0;
  /** max H and min L of the window, kept as candles come and go (−∞/+∞ while empty). */
  private hi = -Infinity;
  private lo = Infinity;
  private chop = 0;
  private has = false;
  constructor(readonly period: number) {
    this.tr = new Float64Array(period);
    this.high = new Float64Array(period);
    this.low = new Float64Array(period);
    this.log10n = Math.log10(period);
  }

  get value(): number | undefined {
    return this.has ? this.chop : undefined;
  }

  next(c: Candle): number | undefined {
    const n = this.period;
    const i = this.count % n;
    const full = this.count >= n;
    const leavingHigh = this.high[i]!;
    const leavingLow = this.low[i]!;
    this.tr[i] = this.count === 0 ? c.high - c.low : trueRange(c, this.prevClose);
    this.high[i] = c.high;
    this.low[i] = c.low;
    this.prevClose = c.close;
    this.count++;
    // The window's extremes change only when the new candle passes them or the leaving one held them.
    if (c.high >= this.hi) this.hi = c.high;
    else if (full && leavingHigh === this.hi) this.hi = maxOf(this.high);
    if (c.low <= this.lo) this.lo = c.low;
    else if (full && leavingLow === this.lo) this.lo = minOf(this.low);
    this.has = false;
    if (this.count < n) return undefined;
    let sum = 0; // re-summed each time: a running sum would drift by float error over a year of candles
    for (let k = 0; k < n; k++) sum += this.tr[k]!;
    const range = this.hi - this.lo;
    if (!(range > 0)) return undefined;
    this.has = true;
    return (this.chop = (100 * Math.log10(sum / range)) / this.log10n);
  }
}

function maxOf(xs: Float64Array): number {
  let m = -Infinity;
  for (let k = 0; k < xs.length; k++) if (xs[k]! > m) m = xs[k]!;
  return m;
}

function minOf(xs: Float64Array): number {
  let m = Infinity;
  for (let k = 0; k < xs.length; k++) if (xs[k]! < m) m = xs[k]!;
  return m;
}

/**
 * Option ATR over one contract's candles of the current day (the caller resets it each day).
 * Mean of the TRs until `period` candles exist; then Wilder's smoothing (atr × (n−1) + tr) / n.
 */
export class DayAtr {
  private prevClose = 0;
  private count = 0;
  private sum = 0;
  private atr = 0;
  constructor(readonly period: number) {}

  get value(): number | undefined {
    return this.count > 0 ? this.atr : undefined;
  }

  next(c: Candle): number {
    const tr = this.count === 0 ? c.high - c.low : trueRange(c, this.prevClose);
    this.prevClose = c.close;
    this.count++;
    if (this.count <= this.period) {
      this.sum += tr;
      this.atr = this.sum / this.count;
    } else {
      this.atr = (this.atr * (this.period - 1) + tr) / this.period;
    }
    return this.atr;
  }
}
