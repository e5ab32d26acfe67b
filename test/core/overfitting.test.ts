/**
 * DSR, PSR and PBO against values worked by hand from the formulas in
 * ../shared/reference/research-statistics.md, on small series and matrices, and the edge cases.
 */
import { describe, expect, it } from 'vitest';
import {
  deflatedSharpe,
  EULER_GAMMA,
  expectedMaxSharpe,
  normalCdf,
  normalQuantile,
  probabilisticSharpe,
  probabilityOfBacktestOverfitting,
  skewKurtosis,
} from '../../src/core/overfitting.js';

describe('the standard normal', () => {
  // Published quantiles (Abramowitz & Stegun tables; the 1.96 of every statistics course to 15 digits).
  const quantiles: [number, number][] = [
    [0.5, 0],
    [0.975, 1.959963984540054],
    [0.025, -1.959963984540054],
    [0.9, 1.2815515655446004],
    [0.995, 2.5758293035489004],
    [0.999, 3.090232306167813],
    [0.02, -2.053748910631823], // inside Acklam's lower tail region (p < 0.02425)
    [1e-6, -4.753424308822899],
    [0.8413447460685429, 1], // Φ(1)
  ];
  it.each(quantiles)('Φ⁻¹(%f) = %f to 1e-9', (p, x) => {
    expect(Math.abs(normalQuantile(p) - x)).toBeLessThan(1e-9);
  });
  it('Φ at known points, and Φ(Φ⁻¹(p)) = p', () => {
    expect(Math.abs(normalCdf(1) - 0.8413447460685429)).toBeLessThan(1e-14);
    expect(Math.abs(normalCdf(-1.959963984540054) - 0.025)).toBeLessThan(1e-14);
    expect(Math.abs(normalCdf(1.5) - 0.9331927987311419)).toBeLessThan(1e-14);
    expect(Math.abs(normalCdf(-5) / 2.866515718791939e-7 - 1)).toBeLessThan(1e-10); // the tail, relative
    for (const p of [1e-9, 0.001, 0.3, 0.7, 0.99, 1 - 1e-7])
      expect(Math.abs(normalCdf(normalQuantile(p)) - p)).toBeLessThan(1e-12 * Math.max(1, p / (1 - p)));
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(normalQuantile(1.5)).toBeNaN();
  });
});

describe('PSR and DSR', () => {
  // r = 2, 0, 2, 0: mean 1, sample stdev √(4/3), SR = √3/2 = 0.8660…; symmetric → skew 0;
  // population m2 = 1, m4 = 1 → kurtosis 1. PSR(0) = Φ(SR·√(T−1)/√(1 − 0 + 0·SR²)) = Φ((√3/2)·√3) = Φ(1.5).
  const r = [2, 0, 2, 0];
  const sr = Math.sqrt(3) / 2;
  it('skewness and kurtosis from the population moments', () => {
    expect(skewKurtosis(r)).toEqual({ skew: 0, kurtosis: 1 });
    // 0, 0, 0, 4: mean 1, deviations −1 −1 −1 3: m2 = 12/4 = 3, m3 = (−3 + 27)/4 = 6, m4 = (3 + 81)/4 = 21.
    const sk = skewKurtosis([0, 0, 0, 4]);
    expect(sk.skew).toBeCloseTo(6 / 3 ** 1.5, 12);
    expect(sk.kurtosis).toBeCloseTo(21 / 9, 12);
  });
  it('PSR(0) of 2, 0, 2, 0 is Φ(1.5) = 0.93319…', () => {
    expect(probabilisticSharpe(sr, 0, 4, 0, 1)).toBeCloseTo(0.9331927987311419, 12);
    // With skew and kurtosis: 0, 0, 0, 4 has SR = 1/√(16/3·… ) — sample stdev √(12/3) = 2, SR = 0.5;
    // radicand 1 − γ₃·0.5 + ((γ₄ − 1)/4)·0.25 with γ₃ = 2/√3, γ₄ = 7/3.
    const g3 = 2 / Math.sqrt(3);
    const g4 = 7 / 3;
    const z = (0.5 * Math.sqrt(3)) / Math.sqrt(1 - g3 * 0.5 + ((g4 - 1) / 4) * 0.25);
    const d = deflatedSharpe([0, 0, 0, 4], [0.5]);
    expect(d.sharpe).toBeCloseTo(0.5, 12);
    expect(d.probabilisticSharpe).toBeCloseTo(normalCdf(z), 12);
  });
  it('one variant: SR₀ = 0 and DSR = PSR(0)', () => {
    const d = deflatedSharpe(r, [sr]);
    expect(d.trials).toBe(1);
    expect(d.benchmarkSharpe).toBe(0);
    expect(d.deflatedSharpe).toBeCloseTo(0.9331927987311419, 12);
    expect(d.deflatedSharpe).toBe(d.probabilisticSharpe);
  });
  it('two trials: V is the sample variance of their Sharpes; SR₀ = √V·((1−γ)Φ⁻¹(1/2) + γΦ⁻¹(1 − 1/(2e)))', () => {
    // Sharpes √3/2 and √3/2 − 0.6: sample variance (0.3² + 0.3²)/1 = 0.18; Φ⁻¹(1/2) = 0.
    const sr0 = Math.sqrt(0.18) * EULER_GAMMA * normalQuantile(1 - 1 / (2 * Math.E));
    expect(expectedMaxSharpe(2, 0.18)).toBeCloseTo(sr0, 14);
    const d = deflatedSharpe(r, [sr, sr - 0.6]);
    expect(d.sharpeVariance).toBeCloseTo(0.18, 14);
    expect(d.benchmarkSharpe).toBeCloseTo(sr0, 14);
    // DSR = Φ((SR − SR₀)·√3 / 1), the kurtosis-1 radicand being 1 at skew 0.
    expect(d.deflatedSharpe).toBeCloseTo(normalCdf((sr - sr0) * Math.sqrt(3)), 12);
    expect(d.deflatedSharpe!).toBeLessThan(d.probabilisticSharpe!);
  });
  it('more trials, the same spread: a higher bar (SR₀ grows with N)', () => {
    expect(expectedMaxSharpe(100, 0.01)).toBeGreaterThan(expectedMaxSharpe(10, 0.01));
    // N = 40: 1 − 1/40 = 0.975 → Φ⁻¹ = 1.95996…
    expect(expectedMaxSharpe(40, 0.04)).toBeCloseTo(
      0.2 * ((1 - EULER_GAMMA) * 1.959963984540054 + EULER_GAMMA * normalQuantile(1 - 1 / (40 * Math.E))),
      12,
    );
  });
  it('trials of zero variance: SR₀ = 0', () => {
    expect(deflatedSharpe(r, [sr, sr, sr]).benchmarkSharpe).toBeCloseTo(0, 12); // √V is a rounding error of the mean
    expect(deflatedSharpe(r, [0.5, 0.5]).benchmarkSharpe).toBe(0);
  });
  it('a constant series: SR 0, skew 0, kurtosis 3, PSR Φ(0) = ½; fewer than 2 days: none', () => {
    const d = deflatedSharpe([5, 5, 5, 5], [0, 0]);
    expect([d.sharpe, d.skew, d.kurtosis]).toEqual([0, 0, 3]);
    expect(d.probabilisticSharpe).toBe(0.5);
    expect(d.deflatedSharpe).toBe(0.5);
    expect(deflatedSharpe([3], [0]).deflatedSharpe).toBeNull();
  });
});

describe('PBO by CSCV', () => {
  // Variant by variant, T days each.
  const matrix = (...variants: number[][]) => Float64Array.from(variants.flat());

  it('S = 2: a winner that flips out of sample every time → PBO 1', () => {
    // A: blocks [1, 3] (SR 2/√2 = 1.414) and [−1, −3] (−1.414); B: [0, 2] (1/√2 = 0.707) and [1, 1.5] (1.25/0.354 =
    // 3.54).
    // Split IS = block 0: A wins (1.414 > 0.707); out of sample A −1.414 < B 3.54 → rank 1, ω = 1/3, λ = ln ½ < 0.
    // Split IS = block 1: B wins (3.54 > −1.414); out of sample B 0.707 < A 1.414 → rank 1 → λ < 0. Both overfit.
    const p = probabilityOfBacktestOverfitting(matrix([1, 3, -1, -3], [0, 2, 1, 1.5]), 2, 2);
    expect(p).toMatchObject({ pbo: 1, splits: 2, blocks: 2, blockDays: 2, droppedDays: 0 });
    expect(p.medianLogit).toBeCloseTo(Math.log(0.5), 12);
  });
  it('S = 2: a variant better in both halves → PBO 0', () => {
    // A: [1, 3] SR 1.414, [2, 4] SR 2.12; B: [0, 2] 0.707, [−1, 1] 0. A wins in sample and ranks 2 of 2 out: ω = 2/3, λ
    // = ln 2 > 0.
    const p = probabilityOfBacktestOverfitting(matrix([1, 3, 2, 4], [0, 2, -1, 1]), 2, 2);
    expect(p.pbo).toBe(0);
    expect(p.medianLogit).toBeCloseTo(Math.log(2), 12);
  });
  it('S = 4, C(4,2) = 6 splits; remainder days at the end are dropped and counted', () => {
    // A rises in every block (blocks of 2 days: [1, 2] each, so every union has mean 1.5, stdev of 1,2,1,2 = 0.577 → SR
    // 2.6);
    // B is [0, 1] in each block (SR 0.5/0.577 = 0.87). A wins in and out of every split: PBO 0, ω = 2/3 each time.
    // A ninth day (99 and −99) lies beyond 4 × 2 days and is left out.
    const a = [1, 2, 1, 2, 1, 2, 1, 2, 99];
    const b = [0, 1, 0, 1, 0, 1, 0, 1, -99];
    const p = probabilityOfBacktestOverfitting(matrix(a, b), 2, 4);
    expect(p).toMatchObject({ pbo: 0, splits: 6, blockDays: 2, droppedDays: 1 });
    // Mirror images: C good in blocks 0–1 ([2, 3]) and poor in 2–3 ([0, 1]); D the reverse. IS {0,1}: C wins, OOS {2,3}
    // C is
    // the lower → overfit; IS {2,3} the same for D. IS {0,2}, {0,3}, {1,2}, {1,3}: each holds one good and one poor
    // block
    // of both, identical statistics → C wins the tie (earlier), and out of sample they tie too: average rank 1.5, ω =
    // ½,
    // λ = 0 → counted (at the median). PBO = 6/6.
    const c = [2, 3, 2, 3, 0, 1, 0, 1];
    const d = [0, 1, 0, 1, 2, 3, 2, 3];
    expect(probabilityOfBacktestOverfitting(matrix(c, d), 2, 4).pbo).toBe(1);
  });
  it(
    'constant series: every out-of-sample Sharpe ties at 0, ω = ½, λ = 0 → ' +
      'PBO 1 (no variant is better than another)',
    () => {
      expect(probabilityOfBacktestOverfitting(matrix([5, 5, 5, 5], [5, 5, 5, 5], [0, 0, 0, 0]), 3, 2).pbo).toBe(1);
    },
  );
  it('one variant, T < S, an odd S: no PBO, and it says why', () => {
    expect(probabilityOfBacktestOverfitting(matrix([1, 2, 3, 4]), 1, 2)).toMatchObject({
      pbo: null,
      reason: 'PBO needs at least 2 variants',
    });
    expect(probabilityOfBacktestOverfitting(matrix([1, 2, 3], [3, 2, 1]), 2, 4).reason).toMatch(/3 days < 4 blocks/);
    expect(probabilityOfBacktestOverfitting(matrix([1, 2, 3], [3, 2, 1]), 2, 3).reason).toMatch(/even/);
  });
  it('S = 16 gives C(16, 8) = 12,870 splits', () => {
    const t = 32;
    const m = new Float64Array(3 * t).map((_, i) => Math.sin(i * 1.7) + (i % 5));
    expect(probabilityOfBacktestOverfitting(m, 3, 16).splits).toBe(12870);
  });
});
