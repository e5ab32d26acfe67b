/** Black–Scholes prices and greeks for European index options (no dividends). */

export interface BsGreeks {
  delta: number;
  gamma: number;
  /** Per calendar day, in price points. */
  theta: number;
  /** Per 1 vol point (1%). */
  vega: number;
  /** Per 1% rate. */
  rho: number;
}

/** Standard normal CDF (Abramowitz–Stegun 26.2.17, |error| < 7.5e-8). */
function normCdf(x: number): number {
  const t = 1 / (1 + 0.2316419 * Math.abs(x));
  const d = 0.3989422804014327 * Math.exp((-x * x) / 2);
  const p = d * t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  return x >= 0 ? 1 - p : p;
}

const normPdf = (x: number) => 0.3989422804014327 * Math.exp((-x * x) / 2);

export function bsPrice(
  isCall: boolean,
  spot: number,
  strike: number,
  years: number,
  vol: number,
  rate: number,
): number {
  if (years <= 0 || vol <= 0) return Math.max(0, isCall ? spot - strike : strike - spot);
  const sq = vol * Math.sqrt(years);
  const d1 = (Math.log(spot / strike) + (rate + (vol * vol) / 2) * years) / sq;
  const d2 = d1 - sq;
  const df = Math.exp(-rate * years);
  return isCall ? spot * normCdf(d1) - strike * df * normCdf(d2) : strike * df * normCdf(-d2) - spot * normCdf(-d1);
}

export function bsGreeks(
  isCall: boolean,
  spot: number,
  strike: number,
  years: number,
  vol: number,
  rate: number,
): BsGreeks {
  const t = Math.max(years, 1e-6);
  const sq = vol * Math.sqrt(t);
  const d1 = (Math.log(spot / strike) + (rate + (vol * vol) / 2) * t) / sq;
  const d2 = d1 - sq;
  const df = Math.exp(-rate * t);
  const pdf = normPdf(d1);
  const delta = isCall ? normCdf(d1) : normCdf(d1) - 1;
  const gamma = pdf / (spot * sq);
  const thetaYear =
    -(spot * pdf * vol) / (2 * Math.sqrt(t)) + (isCall ? -1 : 1) * rate * strike * df * normCdf(isCall ? d2 : -d2);
  const vega = (spot * pdf * Math.sqrt(t)) / 100;
  const rho = ((isCall ? 1 : -1) * strike * t * df * normCdf(isCall ? d2 : -d2)) / 100;
  return { delta, gamma, theta: thetaYear / 365, vega, rho };
}

/** A simple smile with a put skew: IV rises with |moneyness| and a little more for lower strikes. */
export function smileVol(atmVol: number, spot: number, strike: number, curvature = 40, skew = 0.3): number {
  const m = (strike - spot) / spot;
  return Math.max(0.03, atmVol * (1 + curvature * m * m) - skew * m * atmVol);
}
