/**
 * The parsed candles, packed once into SharedArrayBuffers for the sweep's workers: each worker reads
 * the same memory (no copy, no CSV parse) and builds its Candle objects from it once.
 */
import type { BacktestDay } from '../../core/backtest.js';
import type { Candle, DayContracts } from '../../core/types.js';

const FIELDS = 6; // ts, open, high, low, close, volume

export interface SharedCandles {
  index: SharedArrayBuffer;
  options: SharedArrayBuffer;
  /** Per option day: its contracts and where its CE and PE candles lie in `options` (candle counts). */
  days: { day: string; contracts: DayContracts; ce: number; pe: number }[];
}

function pack(candles: readonly Candle[], into: Float64Array, at: number): void {
  let o = at * FIELDS;
  for (const c of candles) {
    into[o++] = c.ts;
    into[o++] = c.open;
    into[o++] = c.high;
    into[o++] = c.low;
    into[o++] = c.close;
    into[o++] = c.volume;
  }
}

function unpack(from: Float64Array, at: number, count: number): Candle[] {
  const out: Candle[] = new Array(count);
  for (let i = 0, o = at * FIELDS; i < count; i++, o += FIELDS)
    out[i] = {
      ts: from[o]!,
      open: from[o + 1]!,
      high: from[o + 2]!,
      low: from[o + 3]!,
      close: from[o + 4]!,
      volume: from[o + 5]!,
    };
  return out;
}

export function shareCandles(index: readonly Candle[], options: ReadonlyMap<string, BacktestDay>): SharedCandles {
  const indexBuf = new SharedArrayBuffer(index.length * FIELDS * 8);
  pack(index, new Float64Array(indexBuf), 0);
  const days = [...options.entries()].map(([day, od]) => ({
    day,
    contracts: od.contracts,
    ce: od.candles.CE.length,
    pe: od.candles.PE.length,
  }));
  const total = days.reduce((a, d) => a + d.ce + d.pe, 0);
  const optionsBuf = new SharedArrayBuffer(total * FIELDS * 8);
  const view = new Float64Array(optionsBuf);
  let at = 0;
  for (const d of days) {
    const od = options.get(d.day)!;
    pack(od.candles.CE, view, at);
    pack(od.candles.PE, view, at + d.ce);
    at += d.ce + d.pe;
  }
  return { index: indexBuf, options: optionsBuf, days };
}

export function unshareCandles(s: SharedCandles): { index: Candle[]; options: Map<string, BacktestDay> } {
  const idx = new Float64Array(s.index);
  const opt = new Float64Array(s.options);
  const options = new Map<string, BacktestDay>();
  let at = 0;
  for (const d of s.days) {
    options.set(d.day, {
      contracts: d.contracts,
      candles: { CE: unpack(opt, at, d.ce), PE: unpack(opt, at + d.ce, d.pe) },
    });
    at += d.ce + d.pe;
  }
  return { index: unpack(idx, 0, idx.length / FIELDS), options };
}
