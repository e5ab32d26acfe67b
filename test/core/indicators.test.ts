import { readFileSync } from 'node:fs';
import { EMA, MACD } from 'technicalindicators';
import { describe, expect, it } from 'vitest';
import { parseIndexCsv } from '../../src/feed/csv.js';
import { hasSharedData, indexCsv } from '../support/shared-data.js';
import { ChopIndicator, DayAtr, EmaIndicator, MacdHistogram, trueRange } from '../../src/core/indicators.js';
import type { Candle } from '../../src/core/types.js';

const c = (high: number, low: number, close: number, open = close): Candle => ({
  ts: 0,
  open,
  high,
  low,
  close,
  volume: 0,
});

describe('EMA', () => {
  it('is undefined until n closes, seeds with their mean, then smooths by 2/(n+1)', () => {
    const ema = new EmaIndicator(3);
    expect(ema.next(1)).toBeUndefined();
    expect(ema.next(2)).toBeUndefined();
    expect(ema.next(3)).toBe(2); // (1+2+3)/3
    expect(ema.next(6)).toBe(4); // 2 + (6−2)×0.5
    expect(ema.next(2)).toBe(3); // 4 + (2−4)×0.5
  });
});

describe('EMA and MACD through update()', () => {
  it('keep the same values as next(), and ready says whether value is defined', () => {
    const a = new EmaIndicator(5);
    const b = new EmaIndicator(5);
    const m = new MacdHistogram(3, 6, 4);
    const n = new MacdHistogram(3, 6, 4);
    for (let i = 0; i < 200; i++) {
      const close = 100 + 10 * Math.sin(i / 7) + (i % 3);
      const e = a.next(close);
      b.update(close);
      expect(b.value).toBe(e);
      expect(b.ready).toBe(e !== undefined);
      const h = m.next(close);
      n.update(close);
      expect(n.value).toBe(h);
      expect(n.ready).toBe(h !== undefined);
    }
    expect(b.ready && n.ready).toBe(true);
  });
});

describe('MACD histogram', () => {
  it('is undefined until the signal EMA has seeded, then equals macd − signal (worked by hand)', () => {
    // fast 2, slow 3, signal 2 on closes 1,2,3,4,6
    const m = new MacdHistogram(2, 3, 2);
    expect(m.next(1)).toBeUndefined();
    expect(m.next(2)).toBeUndefined();
    // t3: fast EMA2: seed (1+2)/2=1.5 at t2, then 1.5+(3−1.5)×2/3=2.5; slow EMA3 seed (1+2+3)/3=2 → macd 0.5
    expect(m.next(3)).toBeUndefined(); // one MACD value, signal needs 2
    // t4: fast 2.5+(4−2.5)×2/3=3.5; slow 2+(4−2)×0.5=3 → macd 0.5; signal seed mean(0.5,0.5)=0.5 → hist 0
    expect(m.next(4)).toBeCloseTo(0, 12);
    // t5: fast 3.5+(6−3.5)×2/3=5.1667; slow 3+(6−3)×0.5=4.5 → macd 0.6667; signal 0.5+(0.6667−0.5)×2/3=0.6111 → hist
    // 0.0556
    expect(m.next(6)).toBeCloseTo(0.6666667 - 0.6111111, 6);
  });
});

describe("MACD histogram against technicalindicators' MACD class", () => {
  /** Every step's histogram of both (undefined as NaN), compared with Object.is: the same doubles, not close ones. */
  function mismatches(
    closes: readonly number[],
    fast: number,
    slow: number,
    signal: number,
  ): { at: number; ours: number; library: number }[] {
    const ours = new MacdHistogram(fast, slow, signal);
    const library = new MACD({
      fastPeriod: fast,
      slowPeriod: slow,
      signalPeriod: signal,
      SimpleMAOscillator: false,
      SimpleMASignal: false,
      values: [],
    });
    const bad: { at: number; ours: number; library: number }[] = [];
    closes.forEach((close, at) => {
      ours.update(close);
      const a = ours.value ?? NaN;
      const b = library.nextValue(close)?.histogram ?? NaN;
      if (!Object.is(a, b) && bad.length < 5) bad.push({ at, ours: a, library: b });
    });
    return bad;
  }
  let seed = 11;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const walk = (n: number, from: number) => {
    let x = from;
    return Array.from({ length: n }, () => (x = Math.max(0, x + (rnd() - 0.5) * 4)));
  };
  const series: [string, number[]][] = [
    ['a random walk', walk(5000, 100)],
    ['zeros first (an EMA of 0 keeps the last macd and signal)', [...Array(40).fill(0), ...walk(400, 0.5)]],
    ['a walk that touches 0 often', walk(3000, 2)],
    ['fewer closes than the slow period', walk(20, 50)],
  ];
  for (const [name, closes] of series) {
    for (const [f, sl, sg] of [
      [12, 26, 9],
      [3, 6, 4],
      [2, 3, 2],
      [5, 5, 5],
    ] as const) {
      it(`gives the library's histogram step for step on ${name} (${f}/${sl}/${sg})`, () => {
        expect(mismatches(closes, f, sl, sg)).toEqual([]);
      });
    }
  }
  it.skipIf(!hasSharedData)(
    "gives the library's histogram step for step on every NIFTY close of " +
      '../shared/data (12/26/9), and EmaIndicator its EMA',
    () => {
      const closes = parseIndexCsv(readFileSync(indexCsv), indexCsv).map((c) => c.close);
      expect(closes.length).toBeGreaterThan(18_000);
      expect(mismatches(closes, 12, 26, 9)).toEqual([]);
      const ours = new EmaIndicator(21);
      const library = new EMA({ period: 21, values: [] }); // the library's defaults, format included
      expect(closes.filter((c) => !Object.is(ours.next(c) ?? NaN, library.nextValue(c) ?? NaN))).toEqual([]);
    },
  );
});

describe('true range', () => {
  it('is H−L for the first candle and includes gaps after', () => {
    expect(trueRange(c(10, 8, 9), undefined)).toBe(2);
    expect(trueRange(c(10, 8, 9), 12)).toBe(4); // |L − prevC|
    expect(trueRange(c(15, 13, 14), 10)).toBe(5); // |H − prevC|
  });
});

describe('Choppiness Index', () => {
  it('is undefined for n−1 candles, then 100·log10(ΣTR/range)/log10(n)', () => {
    const chop = new ChopIndicator(2);
    expect(chop.next(c(10, 8, 9))).toBeUndefined();
    // TRs: 2 (first), max(3, |12−9|, |9−9|)=3 → Σ=5; range = 12 − 8 = 4
    expect(chop.next(c(12, 9, 11))).toBeCloseTo((100 * Math.log10(5 / 4)) / Math.log10(2), 10);
    // window slides: TRs 3 and max(1, |11.5−11|, |10.5−11|)=1 → 4; range 12 − 9 = 3
    expect(chop.next(c(11.5, 10.5, 11))).toBeCloseTo((100 * Math.log10(4 / 3)) / Math.log10(2), 10);
  });

  it('equals the whole-window formula on every candle of a long series with many ties and gaps', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const n = 14;
    const candles: Candle[] = [];
    let x = 100;
    for (let i = 0; i < 20_000; i++) {
      x += Math.round((rnd() - 0.5) * 6); // whole points: equal highs and lows are common
      const high = x + Math.round(rnd() * 3);
      const low = x - Math.round(rnd() * 3);
      candles.push(c(high, low, i % 50 === 0 ? high : x));
    }
    const chop = new ChopIndicator(n);
    for (let i = 0; i < candles.length; i++) {
      const got = chop.next(candles[i]!);
      if (i < n - 1) {
        expect(got).toBeUndefined();
        continue;
      }
      // The definition over the last n candles; the TRs summed in the ring's slot order, as the indicator does.
      const win = candles.slice(i - n + 1, i + 1);
      const hi = Math.max(...win.map((k) => k.high));
      const lo = Math.min(...win.map((k) => k.low));
      const trs = win.map((k, j) => trueRange(k, i - n + j >= 0 ? candles[i - n + j]!.close : undefined));
      let sum = 0;
      for (let slot = 0; slot < n; slot++) sum += trs[(slot - ((i + 1) % n) + n) % n]!;
      const want = hi - lo > 0 ? (100 * Math.log10(sum / (hi - lo))) / Math.log10(n) : undefined;
      if (!Object.is(got, want)) expect({ i, got }).toEqual({ i, got: want });
    }
  });

  it('gives the same values however it is read: ready only, value only, both, or not at all between candles', () => {
    let seed = 3;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const n = 14;
    const every = new ChopIndicator(n); // read after every candle through next()
    const sometimes = new ChopIndicator(n); // the engine's way: update, then maybe ready, maybe value
    let x = 100;
    for (let i = 0; i < 5_000; i++) {
      x += Math.round((rnd() - 0.5) * 4);
      // flat stretches: zero range
      const k = i % 300 < 20 ? c(x, x, x) : c(x + Math.round(rnd() * 2), x - Math.round(rnd() * 2), x);
      const want = every.next(k);
      sometimes.update(k);
      const r = rnd();
      if (r < 0.25) continue;
      if (r < 0.5) expect(sometimes.ready).toBe(want !== undefined);
      else if (r < 0.75) expect(sometimes.value).toBe(want);
      else {
        expect(sometimes.ready).toBe(want !== undefined);
        expect(sometimes.value).toBe(want);
        expect(sometimes.value).toBe(want);
      }
    }
  });

  it('is undefined when the window has zero range', () => {
    const chop = new ChopIndicator(3);
    chop.next(c(5, 5, 5));
    chop.next(c(5, 5, 5));
    expect(chop.next(c(5, 5, 5))).toBeUndefined();
    expect(chop.next(c(6, 5, 6))).toBeDefined();
  });
});

describe('day ATR', () => {
  it('is the mean of TRs until n, then Wilder smoothing', () => {
    const atr = new DayAtr(3);
    expect(atr.next(c(10, 8, 9))).toBe(2); // TR 2
    expect(atr.next(c(13, 9, 12))).toBe(3); // TR max(4, 4, 0) = 4 → (2+4)/2
    expect(atr.next(c(12, 11, 11))).toBe(7 / 3); // TR max(1, 0, 1)=1 → (2+4+1)/3
    expect(atr.next(c(16, 11, 15))).toBeCloseTo(((7 / 3) * 2 + 5) / 3, 12); // TR 5
  });
});
