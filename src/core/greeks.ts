/**
 * IV and Greeks of an index option by Black-76: the option priced on the forward F = S·e^{rT} of the
 * index S (NIFTY's dividends left out), so that the Greeks are with respect to the index itself — what a
 * trader reads (the option moves delta × the index's points). Time is trading time: the session minutes
 * left until the expiry day's close, over a year of 252 sessions of 375 minutes.
 */
import type { MarketCalendar } from './calendar.js';
import { istDate } from './time.js';

export const TRADING_MINUTES_PER_YEAR = 252 * 375;

export interface Greeks {
  /** Implied volatility in percent (14.2 = 14.2 %). */
  iv: number;
  /** Per point of the index. */
  delta: number;
  /** Per point of the index, per point. */
  gamma: number;
  /** Price points per trading day (negative: time decay). */
  theta: number;
  /** Price points per 1 % of volatility. */
  vega: number;
}

/**
 * Standard normal CDF (Hart 1968, algorithm 5666, as in West, "Better approximations to cumulative normal functions";
 * |error| < 1e-14).
 */
export function normCdf(x: number): number {
  const z = Math.abs(x);
  let p: number;
  if (z > 37) p = 0;
  else {
    const e = Math.exp((-z * z) / 2);
    if (z < 7.07106781186547) {
      let n = 3.52624965998911e-2 * z + 0.700383064443688;
      n = n * z + 6.37396220353165;
      n = n * z + 33.912866078383;
      n = n * z + 112.079291497871;
      n = n * z + 221.213596169931;
      n = n * z + 220.206867912376;
      let d = 8.83883476483184e-2 * z + 1.75566716318264;
      d = d * z + 16.064177579207;
      d = d * z + 86.7807322029461;
      d = d * z + 296.564248779674;
      d = d * z + 637.333633378831;
      d = d * z + 793.826512519948;
      d = d * z + 440.413735824752;
      p = (e * n) / d;
    } else {
      const d = z + 1 / (z + 2 / (z + 3 / (z + 4 / (z + 0.65))));
      p = e / d / 2.506628274631;
    }
  }
  return x > 0 ? 1 - p : p;
}

const normPdf = (x: number) => Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);

/** Black-76: the value of a European option on a forward/future F, discounted at r over T years. */
export function black76Price(
  isCall: boolean,
  forward: number,
  strike: number,
  years: number,
  vol: number,
  rate: number,
): number {
  const df = Math.exp(-rate * years);
  if (years <= 0 || vol <= 0) return df * Math.max(0, isCall ? forward - strike : strike - forward);
  const sq = vol * Math.sqrt(years);
  const d1 = (Math.log(forward / strike) + (vol * vol * years) / 2) / sq;
  const d2 = d1 - sq;
  return isCall
    ? df * (forward * normCdf(d1) - strike * normCdf(d2))
    : df * (strike * normCdf(-d2) - forward * normCdf(-d1));
}

/** The option's value on the index S: Black-76 on F = S·e^{rT}. */
export function indexOptionPrice(
  isCall: boolean,
  spot: number,
  strike: number,
  years: number,
  vol: number,
  rate: number,
): number {
  return black76Price(isCall, spot * Math.exp(rate * years), strike, years, vol, rate);
}

/** Greeks with respect to the index (per year for theta, per 1.00 of vol for vega: `greeksOf` rescales). */
export function indexOptionGreeksRaw(
  isCall: boolean,
  spot: number,
  strike: number,
  years: number,
  vol: number,
  rate: number,
) {
  const t = Math.max(years, 1e-9);
  const sq = vol * Math.sqrt(t);
  const forward = spot * Math.exp(rate * t);
  const d1 = (Math.log(forward / strike) + (vol * vol * t) / 2) / sq;
  const d2 = d1 - sq;
  const df = Math.exp(-rate * t);
  const pdf = normPdf(d1);
  // dV/dS = e^{-rT}·N(d1)·dF/dS = N(d1) (calls); the rest likewise through F = S·e^{rT}.
  const delta = isCall ? normCdf(d1) : normCdf(d1) - 1;
  const gamma = pdf / (spot * sq);
  const vega = spot * pdf * Math.sqrt(t);
  const thetaYear =
    -(spot * pdf * vol) / (2 * Math.sqrt(t)) - (isCall ? 1 : -1) * rate * strike * df * normCdf(isCall ? d2 : -d2);
  return { delta, gamma, vega, thetaYear };
}

/** The volatility at which the model gives `price` (bisection on [0.1 %, 500 %]); null when no volatility does. */
export function impliedVol(
  isCall: boolean,
  price: number,
  spot: number,
  strike: number,
  years: number,
  rate: number,
): number | null {
  if (!(years > 0) || !(price > 0)) return null;
  let lo = 0.001;
  let hi = 5;
  const f = (v: number) => indexOptionPrice(isCall, spot, strike, years, v, rate) - price;
  if (f(lo) > 0 || f(hi) < 0) return null; // below intrinsic value, or beyond any sensible volatility
  for (let i = 0; i < 100 && hi - lo > 1e-7; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) > 0) hi = mid;
    else lo = mid;
  }
  return (lo + hi) / 2;
}

/** Years of trading time from `now` to the close of `expiry`'s session: session minutes left, over 252 × 375. */
export function tradingYearsToExpiry(calendar: MarketCalendar, now: number, expiry: string): number {
  const today = istDate(now);
  if (expiry < today) return 0;
  let minutes = 0;
  for (const day of calendar.tradingDays(today, expiry)) {
    const s = calendar.session(day);
    if (!s) continue;
    const from = Math.max(now, s.openTs);
    if (s.closeTs > from) minutes += (s.closeTs - from) / 60_000;
  }
  return minutes / TRADING_MINUTES_PER_YEAR;
}

/** IV and Greeks of a held option from its last price and the index; null when no volatility fits the price. */
export function greeksOf(o: {
  isCall: boolean;
  price: number;
  spot: number;
  strike: number;
  years: number;
  rate: number;
}): Greeks | null {
  const vol = impliedVol(o.isCall, o.price, o.spot, o.strike, o.years, o.rate);
  if (vol === null) return null;
  const g = indexOptionGreeksRaw(o.isCall, o.spot, o.strike, o.years, vol, o.rate);
  return {
    iv: vol * 100,
    delta: g.delta,
    gamma: g.gamma,
    theta: (g.thetaYear / TRADING_MINUTES_PER_YEAR) * 375,
    vega: g.vega / 100,
  };
}
