/**
 * The indicators strategies.md defines for confluence — Wilder's RSI, the index ATR and the Supertrend —
 * against values worked out by hand from the spec on short series, against a second, array-at-once
 * implementation of the spec's words on random walks and on every shared index candle (Object.is: the
 * same doubles), and beside technicalindicators' RSI and ATR, which are not the spec's (why they are
 * written here).
 */
import { ATR, RSI } from 'technicalindicators';
import { describe, expect, it } from 'vitest';
import { RsiIndicator, Supertrend, WilderAtr, trueRange } from '../../src/core/indicators.js';
import type { Candle } from '../../src/core/types.js';
import { parseIndexCsv } from '../../src/feed/csv.js';
import { hasSharedData, indexCsv, noSharedDataReason, readShared } from '../support/shared-data.js';

const c = (high: number, low: number, close: number): Candle => ({ ts: 0, open: close, high, low, close, volume: 0 });
const U = undefined;

// ---------------------------------------------------------------- the spec's words, array at once

function rsiRef(closes: readonly number[], n: number): (number | undefined)[] {
  const out: (number | undefined)[] = closes.map(() => undefined);
  let g = 0;
  let l = 0;
  for (let t = 1; t < closes.length; t++) {
    const d = closes[t]! - closes[t - 1]!;
    const gain = Math.max(d, 0);
    const loss = Math.max(-d, 0);
    if (t < n) {
      g += gain;
      l += loss;
      continue;
    }
    if (t === n) {
      g = (g + gain) / n;
      l = (l + loss) / n;
    } else {
      g = (g * (n - 1) + gain) / n;
      l = (l * (n - 1) + loss) / n;
    }
    out[t] = l === 0 ? (g === 0 ? 50 : 100) : 100 - 100 / (1 + g / l);
  }
  return out;
}

function atrRef(candles: readonly Candle[], n: number): (number | undefined)[] {
  const tr = candles.map((x, i) => (i === 0 ? x.high - x.low : trueRange(x, candles[i - 1]!.close)));
  const out: (number | undefined)[] = candles.map(() => undefined);
  let atr = NaN;
  for (let t = n - 1; t < candles.length; t++) {
    if (t === n - 1) {
      let s = 0;
      for (let k = 0; k < n - 1; k++) s += tr[k]!;
      atr = (s + tr[t]!) / n;
    } else atr = (atr * (n - 1) + tr[t]!) / n;
    out[t] = atr;
  }
  return out;
}

function supertrendRef(
  candles: readonly Candle[],
  n: number,
  m: number,
): { dir: (number | undefined)[]; line: (number | undefined)[] } {
  const atr = atrRef(candles, n);
  const dir: (number | undefined)[] = [];
  const line: (number | undefined)[] = [];
  let lower1 = NaN;
  let upper1 = NaN;
  let up: boolean | undefined;
  candles.forEach((x, t) => {
    const a = atr[t];
    if (a === undefined) {
      dir.push(undefined);
      line.push(undefined);
      return;
    }
    const hl2 = (x.high + x.low) / 2;
    let lower = hl2 - m * a;
    let upper = hl2 + m * a;
    if (up === undefined) up = true;
    else {
      const close1 = candles[t - 1]!.close;
      if (close1 > lower1) lower = Math.max(lower, lower1);
      if (close1 < upper1) upper = Math.min(upper, upper1);
      if (!up && x.close > upper1) up = true;
      else if (up && x.close < lower1) up = false;
    }
    lower1 = lower;
    upper1 = upper;
    dir.push(up ? 1 : -1);
    line.push(up ? lower : upper);
  });
  return { dir, line };
}

function walk(seed: number, n: number): Candle[] {
  let s = seed >>> 0;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const out: Candle[] = [];
  let close = 24000;
  for (let i = 0; i < n; i++) {
    const open = close;
    // some flat stretches: zero changes and zero ranges are edge cases of RSI and TR
    close = rnd() < 0.1 ? open : Math.round((open + (rnd() - 0.5) * 40) * 20) / 20;
    const high = Math.max(open, close) + (rnd() < 0.2 ? 0 : rnd() * 10);
    const low = Math.min(open, close) - (rnd() < 0.2 ? 0 : rnd() * 10);
    out.push({ ts: i * 300_000, open, high, low, close, volume: 0 });
  }
  return out;
}

const same = (a: readonly (number | undefined)[], b: readonly (number | undefined)[]) =>
  a.every((x, i) => Object.is(x, b[i])) && a.length === b.length;

// ---------------------------------------------------------------- RSI

describe("RSI (Wilder's, strategies.md)", () => {
  it('worked by hand: period 3 on closes 10 11 12 11 13 13', () => {
    const r = new RsiIndicator(3);
    const got = [10, 11, 12, 11, 13, 13].map((x) => r.next(x));
    expect(got.slice(0, 3)).toEqual([U, U, U]); // 4 closes (3 changes) before the first value
    // changes +1 +1 −1: avgGain 2/3, avgLoss 1/3 → RS 2 → 100 − 100/3
    expect(got[3]).toBeCloseTo(100 - 100 / 3, 12);
    // +2: avgGain (2/3·2 + 2)/3 = 10/9, avgLoss (1/3·2)/3 = 2/9 → RS 5 → 100 − 100/6
    expect(got[4]).toBeCloseTo(100 - 100 / 6, 12);
    // 0: both shrink by 2/3 → RS still 5
    expect(got[5]).toBeCloseTo(100 - 100 / 6, 12);
  });

  it('is 50 when nothing moved, 100 with no loss, 0 with no gain', () => {
    const flat = new RsiIndicator(2);
    const rising = new RsiIndicator(2);
    const falling = new RsiIndicator(2);
    for (let i = 0; i < 5; i++) {
      flat.update(100);
      rising.update(100 + i);
      falling.update(100 - i);
    }
    expect(flat.value).toBe(50);
    expect(rising.value).toBe(100);
    expect(falling.value).toBe(0);
  });

  it("equals the spec's array form step for step on random walks", () => {
    for (const seed of [1, 2, 3]) {
      const closes = walk(seed, 2000).map((x) => x.close);
      for (const n of [2, 14, 30]) {
        const r = new RsiIndicator(n);
        expect(
          same(
            closes.map((x) => r.next(x)),
            rsiRef(closes, n),
          ),
        ).toBe(true);
      }
    }
  });

  it("is not technicalindicators' RSI: that one rounds to 2 decimals and says 100 where nothing moved", () => {
    const closes = walk(7, 300).map((x) => x.close);
    const lib = RSI.calculate({ period: 14, values: closes });
    const ours = rsiRef(closes, 14).filter((x) => x !== undefined);
    expect(lib.length).toBe(ours.length);
    expect(lib.every((x) => Math.abs(x * 100 - Math.round(x * 100)) < 1e-6)).toBe(true); // all on a 0.01 grid
    expect(lib.some((x, i) => !Object.is(x, ours[i]))).toBe(true);
    expect(RSI.calculate({ period: 2, values: [100, 100, 100, 100] }).at(-1)).toBe(100);
  });
});

// ---------------------------------------------------------------- ATR

describe('index ATR (strategies.md)', () => {
  it(
    'worked by hand: period 3 — undefined for two candles, the mean of three ' +
      'TRs (the first is H − L), then Wilder',
    () => {
      const a = new WilderAtr(3);
      const got = [c(12, 10, 11), c(13, 11, 12), c(15, 12, 14), c(14, 13, 13)].map((x) => (a.update(x), a.value));
      // TRs: 2 (the first: H − L), max(2, |13−11|, |11−11|) = 2, max(3, |15−12|, |12−12|) = 3
      expect(got[0]).toBeUndefined();
      expect(got[1]).toBeUndefined();
      expect(got[2]).toBeCloseTo((2 + 2 + 3) / 3, 12);
      // TR4 = max(1, |14−14|, |13−14|) = 1 → (7/3 × 2 + 1) / 3
      expect(got[3]).toBeCloseTo(((7 / 3) * 2 + 1) / 3, 12);
    },
  );

  it("equals the spec's array form step for step on random walks", () => {
    for (const seed of [4, 5]) {
      const candles = walk(seed, 2000);
      for (const n of [1, 10, 14]) {
        const a = new WilderAtr(n);
        expect(
          same(
            candles.map((x) => (a.update(x), a.value)),
            atrRef(candles, n),
          ),
        ).toBe(true);
      }
    }
  });

  it(
    "is not technicalindicators' ATR, which skips the first candle's TR (its " + 'first value comes a candle later)',
    () => {
      const candles = walk(9, 100);
      const lib = ATR.calculate({
        period: 10,
        high: candles.map((x) => x.high),
        low: candles.map((x) => x.low),
        close: candles.map((x) => x.close),
      });
      const ours = atrRef(candles, 10).filter((x) => x !== undefined);
      expect(lib.length).toBe(ours.length - 1);
    },
  );
});

// ---------------------------------------------------------------- Supertrend

describe('Supertrend (strategies.md)', () => {
  it('worked by hand: period 2, multiplier 1', () => {
    const st = new Supertrend(2, 1);
    const candles = [c(11, 9, 10), c(12, 10, 11), c(11, 7, 8), c(9, 7, 8.5), c(14, 10, 13)];
    const seen = candles.map((x) => (st.update(x), { dir: st.direction, line: st.line, bands: st.bands }));
    expect(seen[0]).toEqual({ dir: U, line: U, bands: U }); // no ATR yet
    // c2: ATR (2 + 2)/2 = 2, hl2 11 → bands 9 / 13, first candle with ATR: up
    expect(seen[1]).toEqual({ dir: 1, line: 9, bands: { lower: 9, upper: 13 } });
    // c3: TR 4, ATR 3, hl2 9 → 6 / 12; close₁ 11 > 9 → lower max(6, 9) = 9; 11 < 13 → upper min(12, 13) = 12; close 8 <
    // lower₁ 9 → down
    expect(seen[2]).toEqual({ dir: -1, line: 12, bands: { lower: 9, upper: 12 } });
    // c4: TR 2, ATR 2.5, hl2 8 → 5.5 / 10.5; close₁ 8 ≤ 9 → lower 5.5; 8 < 12 → upper 10.5; close 8.5 ≤ upper₁ 12 →
    // stays down
    expect(seen[3]).toEqual({ dir: -1, line: 10.5, bands: { lower: 5.5, upper: 10.5 } });
    // c5: TR max(4, 5.5, 1.5) = 5.5, ATR 4, hl2 12 → 8 / 16; 8.5 > 5.5 → lower 8; 8.5 < 10.5 → upper 10.5; close 13 >
    // upper₁ 10.5 → up
    expect(seen[4]).toEqual({ dir: 1, line: 8, bands: { lower: 8, upper: 10.5 } });
    expect(st.trend).toBe('up');
  });

  it("equals the spec's array form step for step on random walks", () => {
    for (const seed of [6, 8]) {
      const candles = walk(seed, 3000);
      for (const [n, m] of [
        [10, 3],
        [7, 1.5],
        [1, 2],
      ] as const) {
        const st = new Supertrend(n, m);
        const dir: (number | undefined)[] = [];
        const line: (number | undefined)[] = [];
        for (const x of candles) {
          st.update(x);
          dir.push(st.direction);
          line.push(st.line);
        }
        const ref = supertrendRef(candles, n, m);
        expect(same(dir, ref.dir)).toBe(true);
        expect(same(line, ref.line)).toBe(true);
        expect(dir.filter((d) => d === -1).length).toBeGreaterThan(0); // both trends seen
      }
    }
  });
});

describe.skipIf(!hasSharedData)(
  `on every shared index candle (${hasSharedData ? 'present' : noSharedDataReason})`,
  () => {
    const index = hasSharedData ? parseIndexCsv(readShared(indexCsv), indexCsv) : [];
    it('RSI, ATR and Supertrend equal the spec step for step, at default and other periods', () => {
      const closes = index.map((x) => x.close);
      for (const n of [14, 9]) {
        const r = new RsiIndicator(n);
        expect(
          same(
            closes.map((x) => r.next(x)),
            rsiRef(closes, n),
          ),
        ).toBe(true);
      }
      for (const [n, m] of [
        [10, 3],
        [14, 2],
      ] as const) {
        const a = new WilderAtr(n);
        expect(
          same(
            index.map((x) => (a.update(x), a.value)),
            atrRef(index, n),
          ),
        ).toBe(true);
        const st = new Supertrend(n, m);
        const dir = index.map((x) => (st.update(x), st.direction));
        expect(same(dir, supertrendRef(index, n, m).dir)).toBe(true);
      }
      expect(index.length).toBeGreaterThan(10_000);
    });
  },
);
