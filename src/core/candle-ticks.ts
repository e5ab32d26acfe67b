/**
 * A recorded candle as the ticks that replay it: the open, then the low, high and close as path ticks
 * (the close carries the candle's volume). The one definition for the backtest, `run --replay`, the
 * engine's onCandle fast path and the live box's repaired candles.
 */
import type { Candle, Tick } from './types.js';

/**
 * Hands `tick`, rewritten in place, to `onTick` four times: no allocation (a replay feeds ~150,000).
 * The receiver copies what it keeps.
 */
export function forEachCandleTick(key: string, c: Candle, onTick: (tick: Tick) => void, tick: Tick = scratch): void {
  tick.instrumentKey = key;
  tick.ts = c.ts;
  tick.volume = 0;
  tick.ltp = c.open;
  tick.path = false;
  onTick(tick);
  tick.path = true;
  tick.ltp = c.low;
  onTick(tick);
  tick.ltp = c.high;
  onTick(tick);
  tick.ltp = c.close;
  tick.volume = c.volume;
  onTick(tick);
}

/** The same four ticks as new objects (a caller that keeps them). */
export function candleTicks(key: string, c: Candle): Tick[] {
  const out: Tick[] = [];
  forEachCandleTick(key, c, (t) => out.push({ ...t }), { instrumentKey: key, ts: c.ts, ltp: 0 });
  return out;
}

const scratch: Tick = { instrumentKey: '', ts: 0, ltp: 0, path: false, volume: 0 };
