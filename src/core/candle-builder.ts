/**
 * Ticks → 5-minute candles. One bucket is open at a time; the engine closes it when time (the clock,
 * or the first tick of a later bucket) passes its end plus the grace. The three bars (index, CE, PE)
 * are reused bucket after bucket (`filled` false = no trade yet): a backtest builds ~55,000 candles
 * and they need not be garbage.
 */
import { BUCKET_MS } from './time.js';
import type { Candle, Side, Tick } from './types.js';

/** A candle being built; `filled` is false until its first trade. */
export interface CandleBar extends Candle {
  filled: boolean;
}

export class CandleBuilder {
  readonly index: CandleBar = emptyBar();
  readonly options: Record<Side, CandleBar> = { CE: emptyBar(), PE: emptyBar() };
  // Bucket starts as plain numbers, NaN for none (a number | null field boxes every new value: three
  // allocations per bucket in a backtest); the engine's view() and checkpoint() say null.
  /** Start of the bucket being built, NaN between buckets. */
  current = NaN;
  /** [from, to) of the open bucket; both −∞ when none is open, so every tick falls outside. */
  from = -Infinity;
  to = -Infinity;
  /** Start of the last bucket closed (decided), NaN before the first. */
  lastClosed = NaN;
  /** Trades that arrived for a bucket already closed: too late to count. */
  lateTicks = 0;

  /** @param graceMs live: how long after a boundary late trades may still join the closing candle (0 in backtest). */
  constructor(readonly graceMs: number) {}

  /** The bar of one side (a `options[side]` lookup with two keys would be a megamorphic keyed load). */
  optionBar(side: Side): CandleBar {
    return side === 'CE' ? this.options.CE : this.options.PE;
  }

  get isOpen(): boolean {
    return !Number.isNaN(this.current);
  }

  /** Starts building the bucket that begins at `bucket`; all three bars start empty. */
  open(bucket: number): void {
    this.current = this.from = bucket;
    this.to = bucket + BUCKET_MS;
    this.index.filled = this.options.CE.filled = this.options.PE.filled = false;
  }

  /**
   * Ends the open bucket. Returns its start, or NaN when it was closed before (a restart replaying a
   * decided bucket) — the caller then decides nothing.
   */
  close(): number {
    const t = this.current;
    this.current = NaN;
    this.from = this.to = -Infinity;
    if (t <= this.lastClosed) return NaN; // false while none closed (NaN)
    this.lastClosed = t;
    return t;
  }

  /** Whether time `ts` has passed the open bucket's end plus the grace (false while none is open). */
  due(ts: number): boolean {
    return ts >= this.current + BUCKET_MS + this.graceMs;
  }

  /** A new contract pair: what the old pair's bars held does not belong to the new one. */
  forgetOptions(): void {
    this.options.CE.filled = this.options.PE.filled = false;
  }

  /** Forgets the open bucket (restore from a checkpoint); `lastClosed` comes from the checkpoint. */
  reset(lastClosed: number): void {
    this.current = NaN;
    this.from = this.to = -Infinity;
    this.lastClosed = lastClosed;
  }
}

/**
 * Start of the 5-minute bucket holding ts (IST buckets align with UTC ones: 5:30 is a multiple of 5 min).
 * A floor division rather than `ts % BUCKET_MS` (a slow fmod on epoch ms); the correction step keeps it
 * exact where the division rounds up to the next whole bucket.
 */
export function bucketOf(ts: number): number {
  const b = Math.floor(ts / BUCKET_MS) * BUCKET_MS;
  return b > ts ? b - BUCKET_MS : b;
}

/** A trade joins the bar: the first sets open, high, low and close; later ones move them. */
export function extend(bar: CandleBar, bucket: number, tick: Tick): void {
  const px = tick.ltp;
  const vol = tick.volume ?? 0;
  if (!bar.filled) {
    bar.filled = true;
    bar.ts = bucket;
    bar.open = bar.high = bar.low = bar.close = px;
    bar.volume = vol;
    return;
  }
  if (px > bar.high) bar.high = px;
  if (px < bar.low) bar.low = px;
  bar.close = px;
  bar.volume += vol;
}

/**
 * `extend` by the ticks open, low, high, close (volume 0, 0, 0, the candle's): the same comparisons in the same order.
 */
export function extendByCandle(bar: CandleBar, bucket: number, c: Candle): void {
  let high: number;
  let low: number;
  let volume: number;
  if (!bar.filled) {
    bar.filled = true;
    bar.ts = bucket;
    bar.open = high = low = c.open;
    volume = 0;
  } else {
    high = bar.high;
    low = bar.low;
    volume = bar.volume;
    if (c.open > high) high = c.open;
    if (c.open < low) low = c.open;
  }
  if (c.low > high) high = c.low;
  if (c.low < low) low = c.low;
  if (c.high > high) high = c.high;
  if (c.high < low) low = c.high;
  if (c.close > high) high = c.close;
  if (c.close < low) low = c.close;
  bar.high = high;
  bar.low = low;
  bar.close = c.close;
  bar.volume = volume + c.volume;
}

/** Upstox's official candle replaces what this box built from the ticks it saw. */
export function replaceBar(bar: CandleBar, c: Candle): void {
  bar.filled = true;
  bar.ts = c.ts;
  bar.open = c.open;
  bar.high = c.high;
  bar.low = c.low;
  bar.close = c.close;
  bar.volume = c.volume;
}

/** A snapshot of the bar (the reused bar itself must not leave the engine). */
export function candleOf(b: CandleBar): Candle {
  return { ts: b.ts, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume };
}

function emptyBar(): CandleBar {
  return { ts: 0, open: 0, high: 0, low: 0, close: 0, volume: 0, filled: false };
}
