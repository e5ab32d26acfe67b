/**
 * Overfitting statistics of a parameter search (../shared/reference/research-statistics.md):
 * the Probabilistic and Deflated Sharpe Ratios (Bailey & López de Prado 2012, 2014) and the
 * Probability of Backtest Overfitting by combinatorially symmetric cross-validation (Bailey,
 * Borwein, López de Prado & Zhu 2017). Sharpe ratios here are per period (daily), not annualised.
 */
import { meanStd, periodSharpe } from './metrics.js';

const SQRT2PI = Math.sqrt(2 * Math.PI);
export const EULER_GAMMA = 0.5772156649015329;

/** Standard normal density. */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / SQRT2PI;
}

/**
 * Standard normal CDF to ~1e-15: Marsaglia's series Φ(x) = ½ + φ(x)·(x + x³/3 + x⁵/15 + …) for |x| ≤ 3,
 * and the tail's continued fraction Q(x) = φ(x) / (x + 1/(x + 2/(x + 3/(x + …)))) beyond.
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return 1;
  if (x === -Infinity) return 0;
  const a = Math.abs(x);
  if (a <= 3) {
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let k = 3; Math.abs(term) > 1e-17 * Math.abs(sum); k += 2) {
      term *= x2 / k;
      sum += term;
    }
    return 0.5 + normalPdf(x) * sum;
  }
  let f = a;
  for (let k = 80; k >= 1; k--) f = a + k / f;
  const tail = normalPdf(a) / f;
  return x > 0 ? 1 - tail : tail;
}

// Acklam's rational approximation of the normal quantile (relative error 1.15e-9), refined below.
const A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
  2.506628277459239,
];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

/** Φ⁻¹(p): Acklam's approximation and one Halley step on normalCdf (accurate to ~1e-13 and better). */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((C[0]! * q + C[1]!) * q + C[2]!) * q + C[3]!) * q + C[4]!) * q + C[5]!) /
      ((((D[0]! * q + D[1]!) * q + D[2]!) * q + D[3]!) * q + 1);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((A[0]! * r + A[1]!) * r + A[2]!) * r + A[3]!) * r + A[4]!) * r + A[5]!) * q) /
      (((((B[0]! * r + B[1]!) * r + B[2]!) * r + B[3]!) * r + B[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((C[0]! * q + C[1]!) * q + C[2]!) * q + C[3]!) * q + C[4]!) * q + C[5]!) /
      ((((D[0]! * q + D[1]!) * q + D[2]!) * q + D[3]!) * q + 1);
  }
  const e = normalCdf(x) - p;
  const u = e * SQRT2PI * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** Skewness and kurtosis (not excess: 3 for a normal) from the population moments; 0 and 3 for a constant series. */
export function skewKurtosis(r: ArrayLike<number>): { skew: number; kurtosis: number } {
  const n = r.length;
  const { mean } = meanStd(r);
  let m2 = 0,
    m3 = 0,
    m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = r[i]! - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  if (n === 0 || m2 === 0) return { skew: 0, kurtosis: 3 };
  m2 /= n;
  m3 /= n;
  m4 /= n;
  return { skew: m3 / m2 ** 1.5, kurtosis: m4 / (m2 * m2) };
}

/**
 * PSR(SR*) = Φ((SR − SR*)·√(T − 1) / √(1 − γ₃·SR + ((γ₄ − 1)/4)·SR²)); null when T < 2 or the
 * radicand is not positive.
 */
export function probabilisticSharpe(
  sr: number,
  benchmark: number,
  t: number,
  skew: number,
  kurtosis: number,
): number | null {
  const radicand = 1 - skew * sr + ((kurtosis - 1) / 4) * sr * sr;
  if (t < 2 || !(radicand > 0)) return null;
  return normalCdf(((sr - benchmark) * Math.sqrt(t - 1)) / Math.sqrt(radicand));
}

/**
 * SR₀ = √V·((1 − γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e))): the per-period Sharpe the best of N trials reaches by luck; 0
 * for N = 1.
 */
export function expectedMaxSharpe(trials: number, variance: number): number {
  if (trials <= 1 || variance <= 0) return 0;
  return (
    Math.sqrt(variance) *
    ((1 - EULER_GAMMA) * normalQuantile(1 - 1 / trials) + EULER_GAMMA * normalQuantile(1 - 1 / (trials * Math.E)))
  );
}

export interface DeflatedSharpe {
  /** DSR: the probability that the chosen variant's true Sharpe is above zero, given how many were tried. */
  deflatedSharpe: number | null;
  /** PSR(0): the same without the correction for the number of trials. */
  probabilisticSharpe: number | null;
  /** The chosen variant's per-period Sharpe, skewness, kurtosis and number of daily returns. */
  sharpe: number;
  skew: number;
  kurtosis: number;
  days: number;
  trials: number;
  /** Sample variance (n − 1) of the trials' per-period Sharpe ratios, and the benchmark SR₀ it gives. */
  sharpeVariance: number;
  benchmarkSharpe: number;
}

/**
 * The DSR of the chosen variant's daily returns, against all trials' per-period Sharpe ratios (the chosen one's
 * included).
 */
export function deflatedSharpe(chosenDaily: ArrayLike<number>, trialSharpes: ArrayLike<number>): DeflatedSharpe {
  const sr = periodSharpe(chosenDaily);
  const { skew, kurtosis } = skewKurtosis(chosenDaily);
  const trials = trialSharpes.length;
  const { std } = meanStd(trialSharpes);
  const variance = std * std;
  const sr0 = expectedMaxSharpe(trials, variance);
  const t = chosenDaily.length;
  return {
    deflatedSharpe: probabilisticSharpe(sr, sr0, t, skew, kurtosis),
    probabilisticSharpe: probabilisticSharpe(sr, 0, t, skew, kurtosis),
    sharpe: sr,
    skew,
    kurtosis,
    days: t,
    trials,
    sharpeVariance: variance,
    benchmarkSharpe: sr0,
  };
}

export interface Pbo {
  /**
   * The share of splits whose in-sample winner ranks at or below the median out of sample; null when it cannot be
   * computed.
   */
  pbo: number | null;
  /** Why pbo is null. */
  reason?: string;
  blocks: number;
  splits: number;
  /** Days per block, and the days at the end left out so that every block has as many. */
  blockDays: number;
  droppedDays: number;
  /** The median logit λ over the splits. */
  medianLogit: number | null;
}

/**
 * PBO by CSCV. `daily` holds the N variants' daily net P&L, variant by variant (variant n's T days at
 * n·T … n·T + T − 1). Ties: the in-sample winner is the earliest variant; an out-of-sample rank among
 * equal values is their average rank.
 */
export function probabilityOfBacktestOverfitting(daily: Float64Array, variants: number, blocks: number): Pbo {
  const t = variants > 0 ? daily.length / variants : 0;
  const none = (reason: string): Pbo => ({
    pbo: null,
    reason,
    blocks,
    splits: 0,
    blockDays: 0,
    droppedDays: 0,
    medianLogit: null,
  });
  if (blocks < 2 || blocks % 2 !== 0) return none(`the number of blocks must be even and at least 2 (got ${blocks})`);
  if (variants < 2) return none('PBO needs at least 2 variants');
  if (t < blocks) return none(`PBO needs at least as many trading days as blocks (${t} days < ${blocks} blocks)`);
  const size = Math.floor(t / blocks);
  // Per variant and block: the sum and the sum of squares of its days.
  const sum = new Float64Array(variants * blocks);
  const sq = new Float64Array(variants * blocks);
  for (let n = 0; n < variants; n++) {
    for (let b = 0; b < blocks; b++) {
      let s = 0,
        q = 0;
      for (let d = b * size; d < (b + 1) * size; d++) {
        const x = daily[n * t + d]!;
        s += x;
        q += x * x;
      }
      sum[n * blocks + b] = s;
      sq[n * blocks + b] = q;
    }
  }
  const totalSum = new Float64Array(variants);
  const totalSq = new Float64Array(variants);
  for (let n = 0; n < variants; n++) {
    for (let b = 0; b < blocks; b++) {
      totalSum[n]! += sum[n * blocks + b]!;
      totalSq[n]! += sq[n * blocks + b]!;
    }
  }
  const half = blocks / 2;
  const m = half * size; // days on each side
  const sharpe = (s: number, q: number) => {
    const mean = s / m;
    const v = m > 1 ? (q - m * mean * mean) / (m - 1) : 0;
    return v > 1e-12 * (q / m || 1) ? mean / Math.sqrt(v) : 0;
  };
  const oos = new Float64Array(variants);
  const logits: number[] = [];
  let overfit = 0;
  for (let mask = 0; mask < 1 << blocks; mask++) {
    if (popcount(mask) !== half) continue;
    let best = -Infinity;
    let winner = 0;
    for (let n = 0; n < variants; n++) {
      let s = 0,
        q = 0;
      for (let b = 0; b < blocks; b++) {
        if (mask & (1 << b)) {
          s += sum[n * blocks + b]!;
          q += sq[n * blocks + b]!;
        }
      }
      const is = sharpe(s, q);
      oos[n] = sharpe(totalSum[n]! - s, totalSq[n]! - q);
      if (is > best) {
        best = is;
        winner = n;
      }
    }
    const w = oos[winner]!;
    let below = 0,
      equal = 0;
    for (let n = 0; n < variants; n++) {
      if (oos[n]! < w) below++;
      else if (oos[n] === w) equal++;
    }
    const omega = (below + (equal + 1) / 2) / (variants + 1);
    const lambda = Math.log(omega / (1 - omega));
    logits.push(lambda);
    if (lambda <= 0) overfit++;
  }
  logits.sort((a, b) => a - b);
  const mid = logits.length / 2;
  return {
    pbo: overfit / logits.length,
    blocks,
    splits: logits.length,
    blockDays: size,
    droppedDays: t - size * blocks,
    medianLogit: logits.length % 2 ? logits[Math.floor(mid)]! : (logits[mid - 1]! + logits[mid]!) / 2,
  };
}

function popcount(x: number): number {
  let c = 0;
  while (x) {
    x &= x - 1;
    c++;
  }
  return c;
}
