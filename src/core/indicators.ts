/**
 * The strategies' indicators, fed one candle at a time. EMA and MACD come from `technicalindicators`
 * (its EMA seeds with the simple mean of the first n closes, as v25.md requires); CHOP and the
 * day-reset option ATR are defined in v25.md, Wilder's RSI, the index ATR and the Supertrend in
 * strategies.md, and computed here (the library's RSI rounds, and says 100 where strategies.md says 50;
 * its ATR and Supertrend are not the spec's). `undefined` means "still warming up".
 */
import { EMA } from 'technicalindicators';
import type { Candle } from './types.js';

/** True range; the first candle of a series (no previous close) has TR = H − L. */
export function trueRange(c: Pick<Candle, 'high' | 'low'>, prevClose: number | undefined): number {
  const hl = c.high - c.low;
  if (prevClose === undefined) return hl;
  return Math.max(hl, Math.abs(c.high - prevClose), Math.abs(c.low - prevClose));
}

/**
 * The library's `format` for its EMAs' values: none, as its MACD passes to the EMAs inside it. (Its
 * default format reads the global `precision` setting on every value; niftybox never sets it.)
 */
const unrounded = (v: number) => v;

/**
 * EMA as technicalindicators computes it (v25.md: TradingView's convention), one close at a time.
 * `update` is the engine's call: it returns nothing, and the value is kept as a plain number (NaN while
 * warming up), so a backtest's ~18,000 closes box no doubles; `value` and `next` say `undefined` instead.
 */
export class EmaIndicator {
  private readonly ema: EMA;
  private v = NaN;
  constructor(readonly period: number) {
    this.ema = new EMA({ period, values: [], format: unrounded });
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

/**
 * The MACD histogram as v25.md defines it — macd = EMA(fast) − EMA(slow), signal = EMA(signal) of
 * macd, hist = macd − signal — on technicalindicators' EMA, step for step what its MACD class gives
 * with SimpleMAOscillator and SimpleMASignal false (test/core/indicators.test.ts holds the two side by
 * side): the first macd at the slow period's close, macd and signal kept when an EMA is 0, the
 * histogram undefined until the signal is seeded. Three EMAs, not the MACD class: that class runs a
 * fourth generator and allocates an output object per close, ~20 % of the backtest's indicator time.
 */
export class MacdHistogram {
  private readonly fast: EMA;
  private readonly slow: EMA;
  private readonly signal: EMA;
  private closes = 0;
  private macd = NaN;
  private sig = NaN;
  private v = NaN;
  constructor(
    fast: number,
    private readonly slowPeriod: number,
    signal: number,
  ) {
    this.fast = new EMA({ period: fast, values: [], format: unrounded });
    this.slow = new EMA({ period: slowPeriod, values: [], format: unrounded });
    this.signal = new EMA({ period: signal, values: [], format: unrounded });
  }
  get value(): number | undefined {
    return Number.isNaN(this.v) ? undefined : this.v;
  }
  /** Whether `value` is defined (a boolean: asking costs no boxed double). */
  get ready(): boolean {
    return !Number.isNaN(this.v);
  }
  update(close: number): void {
    const fast = this.fast.nextValue(close);
    const slow = this.slow.nextValue(close);
    if (++this.closes < this.slowPeriod) return;
    // As the library: an EMA of 0 (falsy) keeps the last macd and signal.
    if (fast && slow) {
      this.macd = fast - slow;
      this.sig = this.signal.nextValue(this.macd) ?? NaN;
    }
    this.v = this.macd - this.sig;
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
 * A candle goes into the window and moves the window's max high / min low as candles come and go (a
 * rescan only when the leaving candle held one of them), so readiness is known at once. ΣTR and the
 * logarithm are worked out only when the value is read, once per candle: the engine reads it only at a
 * close where V25 may decide an entry, so the warm-up history and closes with a position held skip them.
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
  /** max H and min L of the window (−∞/+∞ while empty). */
  private hi = -Infinity;
  private lo = Infinity;
  /** The value for the window as it is; NaN until worked out for it. */
  private chop = NaN;
  constructor(readonly period: number) {
    this.tr = new Float64Array(period);
    this.high = new Float64Array(period);
    this.low = new Float64Array(period);
    this.log10n = Math.log10(period);
  }

  get value(): number | undefined {
    if (!this.ready) return undefined;
    if (Number.isNaN(this.chop)) {
      // ΣTR re-summed in slot order each time: a running sum would drift by float error over a year of candles
      let sum = 0;
      for (let k = 0; k < this.period; k++) sum += this.tr[k]!;
      this.chop = (100 * Math.log10(sum / (this.hi - this.lo))) / this.log10n;
    }
    return this.chop;
  }

  /** Whether `value` is defined: n candles seen and a range above zero. */
  get ready(): boolean {
    return this.count >= this.period && this.hi - this.lo > 0;
  }

  next(c: Candle): number | undefined {
    this.update(c);
    return this.value;
  }

  update(c: Candle): void {
    const i = this.slot;
    this.slot = i + 1 === this.period ? 0 : i + 1;
    const full = this.count >= this.period;
    const leavingHigh = this.high[i]!;
    const leavingLow = this.low[i]!;
    this.tr[i] = this.count === 0 ? c.high - c.low : trueRange(c, this.prevClose);
    this.high[i] = c.high;
    this.low[i] = c.low;
    this.prevClose = c.close;
    this.count++;
    this.chop = NaN;
    // The window's extremes change only when the new candle passes them or the leaving one held them.
    if (c.high >= this.hi) this.hi = c.high;
    else if (full && leavingHigh === this.hi) this.hi = maxOf(this.high);
    if (c.low <= this.lo) this.lo = c.low;
    else if (full && leavingLow === this.lo) this.lo = minOf(this.low);
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

/**
 * Wilder's RSI (strategies.md): the first average gain and loss are the plain means of the first n
 * changes (n + 1 closes), then `avg = (avg × (n−1) + x) / n`; RSI = 100 − 100 / (1 + avgGain / avgLoss),
 * 100 when avgLoss is 0, 50 when both are. Never rounded.
 */
export class RsiIndicator {
  private prevClose = NaN;
  private changes = 0;
  private avgGain = 0;
  private avgLoss = 0;
  private v = NaN;
  constructor(readonly period: number) {}
  get value(): number | undefined {
    return Number.isNaN(this.v) ? undefined : this.v;
  }
  get ready(): boolean {
    return !Number.isNaN(this.v);
  }
  update(close: number): void {
    const prev = this.prevClose;
    this.prevClose = close;
    if (Number.isNaN(prev)) return;
    const d = close - prev;
    const gain = d > 0 ? d : 0;
    const loss = d < 0 ? -d : 0;
    const n = this.period;
    this.changes++;
    if (this.changes < n) {
      this.avgGain += gain;
      this.avgLoss += loss;
      return;
    }
    if (this.changes === n) {
      this.avgGain = (this.avgGain + gain) / n;
      this.avgLoss = (this.avgLoss + loss) / n;
    } else {
      this.avgGain = (this.avgGain * (n - 1) + gain) / n;
      this.avgLoss = (this.avgLoss * (n - 1) + loss) / n;
    }
    if (this.avgLoss === 0) this.v = this.avgGain === 0 ? 50 : 100;
    else this.v = 100 - 100 / (1 + this.avgGain / this.avgLoss);
  }
  next(close: number): number | undefined {
    this.update(close);
    return this.value;
  }
}

/**
 * ATR(n) of a continuous series (strategies.md, for the Supertrend): TR as v25.md (the first candle's
 * is H − L); undefined until n candles exist; at the n-th the mean of the first n TRs; then Wilder's
 * `atr = (atr × (n−1) + tr) / n`. (DayAtr, the option ATR, is defined from the first candle on.)
 */
export class WilderAtr {
  private prevClose = 0;
  private count = 0;
  private sum = 0;
  private atr = NaN;
  constructor(readonly period: number) {}
  get value(): number | undefined {
    return Number.isNaN(this.atr) ? undefined : this.atr;
  }
  update(c: Candle): void {
    const tr = this.count === 0 ? c.high - c.low : trueRange(c, this.prevClose);
    this.prevClose = c.close;
    const n = this.period;
    this.count++;
    if (this.count < n) this.sum += tr;
    else if (this.count === n) this.atr = (this.sum + tr) / n;
    else this.atr = (this.atr * (n - 1) + tr) / n;
  }
}

/**
 * Supertrend(n, m) (strategies.md): bands hl2 ∓ m × ATR(n); on the first candle with ATR defined the
 * bands are these and the trend is up. After that the lower band never falls while the previous close
 * stayed above the previous lower band (and the upper never rises while it stayed below the upper);
 * the trend turns up when it was down and the close is above the previous upper band, down when it was
 * up and the close is below the previous lower band.
 */
export class Supertrend {
  private readonly atr: WilderAtr;
  private lower = NaN;
  private upper = NaN;
  private prevClose = NaN;
  /** +1 up, −1 down, 0 undefined. */
  private dir = 0;
  constructor(
    readonly period: number,
    readonly mult: number,
  ) {
    this.atr = new WilderAtr(period);
  }
  /** 'up' or 'down'; undefined while the ATR warms up. */
  get trend(): 'up' | 'down' | undefined {
    return this.dir === 0 ? undefined : this.dir > 0 ? 'up' : 'down';
  }
  /** +1 up, −1 down (undefined while warming up): the trend as a reading. */
  get direction(): number | undefined {
    return this.dir === 0 ? undefined : this.dir;
  }
  /** The band the trend rides: the lower band while up, the upper while down. */
  get line(): number | undefined {
    return this.dir === 0 ? undefined : this.dir > 0 ? this.lower : this.upper;
  }
  get bands(): { lower: number; upper: number } | undefined {
    return this.dir === 0 ? undefined : { lower: this.lower, upper: this.upper };
  }
  update(c: Candle): void {
    this.atr.update(c);
    const atr = this.atr.value;
    const prevClose = this.prevClose;
    this.prevClose = c.close;
    if (atr === undefined) return;
    const hl2 = (c.high + c.low) / 2;
    let lower = hl2 - this.mult * atr;
    let upper = hl2 + this.mult * atr;
    if (this.dir === 0) {
      this.lower = lower;
      this.upper = upper;
      this.dir = 1;
      return;
    }
    const lower1 = this.lower;
    const upper1 = this.upper;
    if (prevClose > lower1) lower = Math.max(lower, lower1);
    if (prevClose < upper1) upper = Math.min(upper, upper1);
    if (this.dir < 0 && c.close > upper1) this.dir = 1;
    else if (this.dir > 0 && c.close < lower1) this.dir = -1;
    this.lower = lower;
    this.upper = upper;
  }
}
