/**
 * Black-76 and the held option's Greeks against published values of Hull, "Options, Futures, and Other
 * Derivatives": the Black-76 futures-option example (F = K = 20, r = 9 %, σ = 25 %, T = 4 months: c = p =
 * 1.1166) and the Greeks example of the BSM chapter (S = 49, K = 50, r = 5 %, σ = 20 %, T = 20 weeks:
 * price 2.40, delta 0.522, gamma 0.066, theta −4.31 a year, vega 12.1 per unit of σ) — on the index, Black-76
 * on F = S·e^{rT} is that model.
 */
import { describe, expect, it } from 'vitest';
import { MarketCalendar } from '../../src/core/calendar.js';
import {
  black76Price,
  greeksOf,
  impliedVol,
  indexOptionGreeksRaw,
  indexOptionPrice,
  normCdf,
  TRADING_MINUTES_PER_YEAR,
  tradingYearsToExpiry,
} from '../../src/core/greeks.js';
import { istTime } from '../../src/core/time.js';

describe('Black-76 against Hull', () => {
  it('the futures option: F = K = 20, r = 9 %, σ = 25 %, T = 4/12 → c = p = 1.1166', () => {
    expect(black76Price(true, 20, 20, 4 / 12, 0.25, 0.09)).toBeCloseTo(1.1166, 4);
    expect(black76Price(false, 20, 20, 4 / 12, 0.25, 0.09)).toBeCloseTo(1.1166, 4);
  });
  it(
    'on the index: S = 49, K = 50, r = 5 %, σ = 20 %, T = 20/52 → 2.40; delta ' +
      '0.522, gamma 0.066, theta −4.31/yr, vega 12.1',
    () => {
      const [S, K, r, v, T] = [49, 50, 0.05, 0.2, 20 / 52];
      expect(indexOptionPrice(true, S, K, T, v, r)).toBeCloseTo(2.4, 2);
      const g = indexOptionGreeksRaw(true, S, K, T, v, r);
      expect(g.delta).toBeCloseTo(0.522, 3);
      expect(g.gamma).toBeCloseTo(0.066, 3);
      expect(g.thetaYear).toBeCloseTo(-4.31, 2);
      expect(g.vega).toBeCloseTo(12.1, 1);
      // put–call parity on the index, and the put's delta
      const put = indexOptionPrice(false, S, K, T, v, r);
      expect(indexOptionPrice(true, S, K, T, v, r) - put).toBeCloseTo(S - K * Math.exp(-r * T), 10);
      expect(indexOptionGreeksRaw(false, S, K, T, v, r).delta).toBeCloseTo(0.522 - 1, 3);
    },
  );
  it('the normal CDF to 1e-12 at known points; implied vol returns the volatility that priced the option', () => {
    expect(normCdf(0)).toBe(0.5);
    expect(normCdf(1.96)).toBeCloseTo(0.9750021048517795, 12);
    expect(normCdf(-1)).toBeCloseTo(0.15865525393145707, 12);
    for (const [isCall, K] of [
      [true, 24500],
      [false, 24500],
      [true, 24800],
      [false, 24200],
    ] as const) {
      const price = indexOptionPrice(isCall, 24510, K, 3 / 252, 0.135, 0.065);
      expect(impliedVol(isCall, price, 24510, K, 3 / 252, 0.065)).toBeCloseTo(0.135, 6);
    }
    expect(impliedVol(true, 1, 24510, 24000, 3 / 252, 0.065)).toBeNull(); // below intrinsic value
  });
});

describe('the held option', () => {
  const cal = new MarketCalendar();
  it(
    'time to expiry is trading minutes: from Monday 2025-06-02 12:00 to ' +
      'Thursday 06-05 15:30 is 210 + 3 × 375 minutes',
    () => {
      expect(
        tradingYearsToExpiry(cal, istTime('2025-06-02', '12:00'), '2025-06-05') * TRADING_MINUTES_PER_YEAR,
      ).toBeCloseTo(210 + 3 * 375, 6);
      expect(tradingYearsToExpiry(cal, istTime('2025-06-05', '15:30'), '2025-06-05')).toBe(0);
      expect(tradingYearsToExpiry(cal, istTime('2025-06-02', '08:00'), '2025-06-02') * TRADING_MINUTES_PER_YEAR).toBe(
        375,
      );
    },
  );
  it("greeksOf: IV in percent, theta per trading day, vega per vol point (Hull's example rescaled)", () => {
    const T = 20 / 52;
    const g = greeksOf({
      isCall: true,
      price: indexOptionPrice(true, 49, 50, T, 0.2, 0.05),
      spot: 49,
      strike: 50,
      years: T,
      rate: 0.05,
    })!;
    expect(g.iv).toBeCloseTo(20, 4);
    expect(g.delta).toBeCloseTo(0.522, 3);
    expect(g.gamma).toBeCloseTo(0.066, 3);
    expect(g.theta).toBeCloseTo(-4.31 / 252, 4);
    expect(g.vega).toBeCloseTo(0.121, 3);
  });
});
