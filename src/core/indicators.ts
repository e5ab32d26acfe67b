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

/**
 * EMA as technicalindicators computes it (v25.md: TradingView's convention), one close at a time.
 * `update` is the engine's call: it returns nothing, and the value is kept as a plain number (NaN while
 * warming up), so a backtest's ~18,000 closes box no doubles; `value` and `next` say `undefined` instead.
 */
export class EmaIndicator {
  private readonly ema: EMA;
  private v = NaN;
  constructor(readonly period: number) {
    this.ema = new EMA({ period, values: [] });
  }
  get value(): number | undefined {
    return Number.isNaN(this.v) ? undefined : this.v;
  }
  /** Whether `value` is defined (a boolean: asking costs no boxed double). */
  get ready(): boolean {
    return !Number.isNaN(this.v);
  }
  update(close: number): void {
    this.v = this.ema.nextValue(close) ?? NaN;
  }
  next(close: number): number | undefined {
    this.update(close);
    return this.value;
  }
}

/** The MACD histogram of technicalindicators (exponential oscillator and signal), one close at a time; as EmaIndicator. */
export class MacdHistogram {
  private readonly macd: MACD;
  private v = NaN;
  constructor(fast: number, slow: number, signal: number) {
    this.macd = new MACD({ fastPeriod: fast, slowPeriod: slow, signalPeriod: signal, SimpleMAOscillator: false, SimpleMASignal: false, values: [] });
  }
  get value(): number | undefined {
    return Number.isNaN(this.v) ? undefined : this.v;
  }
  /** Whether `value` is defined (a boolean: asking costs no boxed double). */
  get ready(): boolean {
    return !Number.isNaN(this.v);
  }
  update(close: number): void {
    this.v = this.macd.nextValue(close)?.histogram ?? NaN;
  }
  next(close: number): number | undefined {
    this.update(close);
    return this.value;
  }
}

/**
 * Choppiness Index: 100 × log10(ΣTR(n) / (max H(n) − min L(n))) / log10(n) over the last n candles.
 * Undefined until n candles exist, and when the n-candle range is zero.
 *
 * A candle only goes into the window (three stores); ΣTR and the range are worked out from the window
 * when asked, once per candle, and the logarithm only when the value itself is read. The engine asks
 * only at a close where V25 may decide, so the warm-up history never pays for them, and a close with a
 * position held (readiness asked, no entry to decide) skips the logarithm.
 */
export class ChopIndicator {
  private readonly tr: Float64Array;
  private readonly high: Float64Array;
  private readonly low: Float64Array;
  private readonly log10n: number;
  private prevClose = 0;
  private count = 0;
  /** The window slot the next candle goes into. */
  private slot = 0;
  /** ΣTR and max H − min L of the window as it is; valid while `stale` is false. */
  private sum = 0;
  private range = 0;
  private stale = false;
  /** The value from sum and range; NaN until worked out for them. */
  private chop = NaN;
  constructor(readonly period: number) {
    this.tr = new Float64Array(period);
    this.high = new Float64Array(period);
    this.low = new Float64Array(period);
    this.log10n = Math.log10(period);
  }

  get value(): number | undefined {
    if (!this.ready) return undefined;
    if (Number.isNaN(this.chop)) this.chop = (100 * Math.log10(this.sum / this.range)) / this.log10n;
    return this.chop;
  }

  /** Whether `value` is defined: n candles seen and a range above zero. */
  get ready(): boolean {
    if (this.count < this.period) return false;
    if (this.stale) this.measure();
    return this.range > 0;
  }

  next(c: Candle): number | undefined {
    this.update(c);
    return this.value;
  }

  update(c: Candle): void {
    const i = this.slot;
    this.slot = i + 1 === this.period ? 0 : i + 1;
    this.tr[i] = this.count === 0 ? c.high - c.low : trueRange(c, this.prevClose);
    this.high[i] = c.high;
    this.low[i] = c.low;
    this.prevClose = c.close;
    this.count++;
    this.stale = true;
  }

  private measure(): void {
    // ΣTR is re-summed in slot order each time (a running sum would drift by float error over a year of candles).
    let sum = 0;
    let hi = -Infinity;
    let lo = Infinity;
    for (let k = 0; k < this.period; k++) {
      sum += this.tr[k]!;
      if (this.high[k]! > hi) hi = this.high[k]!;
      if (this.low[k]! < lo) lo = this.low[k]!;
    }
    this.sum = sum;
    this.range = hi - lo;
    this.stale = false;
    this.chop = NaN;
  }
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
    this.update(c);
    return this.atr;
  }

  update(c: Candle): void {
    const tr = this.count === 0 ? c.high - c.low : trueRange(c, this.prevClose);
    this.prevClose = c.close;
    this.count++;
    if (this.count <= this.period) {
      this.sum += tr;
      this.atr = this.sum / this.count;
    } else {
      this.atr = (this.atr * (this.period - 1) + tr) / this.period;
    }
  }
}
