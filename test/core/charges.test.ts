import { describe, expect, it } from 'vitest';
import { chargesByKindInPaise, paise, ratesOn, roundTripCharges } from '../../src/core/charges.js';

describe('charges', () => {
  it('reproduces the market-facts.md worked example to the paisa (1 lot of 65, 100 → 110, 2026 rates)', () => {
    const c = roundTripCharges('2026-06-15', 65 * 100, 65 * 110);
    expect(paise(c.brokerage)).toBe(40);
    expect(paise(c.stt)).toBe(10.73);
    expect(paise(c.exchange)).toBe(4.85);
    expect(paise(c.sebi)).toBe(0.01);
    expect(paise(c.stamp)).toBe(0.2);
    expect(paise(c.gst)).toBe(8.08);
    expect(paise(c.total)).toBe(63.86);
    expect(paise(65 * 10 - c.total)).toBe(586.14);
  });

  it('uses 2025 rates for a 2025 trade (STT 0.10%): lot 75, 100 → 110 costs ≈ ₹62.30', () => {
    const c = roundTripCharges('2025-07-10', 75 * 100, 75 * 110);
    expect(ratesOn('2025-07-10').sttSell).toBe(0.001);
    expect(paise(c.stt)).toBe(8.25);
    expect(paise(c.total)).toBe(62.3);
  });

  it('lot 65 at STT 0.10% (Jan–Mar 2026) costs ≈ ₹60.28', () => {
    expect(paise(roundTripCharges('2026-02-10', 6500, 7150).total)).toBe(60.28);
  });

  it('refuses a date before the rate table', () => {
    expect(() => roundTripCharges('2020-01-01', 1, 1)).toThrow(/no charge rates/);
  });
});

describe('charges by kind, to the paisa', () => {
  const kinds = (c: ReturnType<typeof roundTripCharges>) => ({
    brokerage: c.brokerage,
    stt: c.stt,
    exchange: c.exchange,
    sebi: c.sebi,
    stamp: c.stamp,
    gst: c.gst,
  });
  const sumPaise = (k: Record<string, number>) => Object.values(k).reduce((a, b) => a + Math.round(b * 100), 0);

  it('the worked example sums to its ₹63.86, not to the ₹63.87 its rows round to one by one', () => {
    // market-facts.md rounds STT 10.725 and stamp 0.195 both up; only one half paisa can go up (the earlier kind, STT).
    const c = roundTripCharges('2026-06-15', 65 * 100, 65 * 110);
    expect(chargesByKindInPaise(kinds(c), c.total)).toEqual({
      brokerage: 40,
      stt: 10.73,
      exchange: 4.85,
      sebi: 0.01,
      stamp: 0.19,
      gst: 8.08,
    });
  });

  it('gives the paise that rounding each kind alone would lose to the kinds that lost the most', () => {
    // Each kind rounds to 0, but together they make 1.2 paise: one paisa, to the largest remainder.
    expect(
      chargesByKindInPaise({ brokerage: 0, stt: 0.004, exchange: 0.0045, sebi: 0.0035, stamp: 0, gst: 0 }, 0.012),
    ).toEqual({ brokerage: 0, stt: 0, exchange: 0.01, sebi: 0, stamp: 0, gst: 0 });
  });

  it('sums to the rounded total for every trade size and date', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let i = 0; i < 5000; i++) {
      const day = ['2025-07-10', '2026-03-15', '2026-06-15'][i % 3]!;
      const c = roundTripCharges(day, 65 * (0.05 + rnd() * 400), 65 * (0.05 + rnd() * 400));
      const k = chargesByKindInPaise(kinds(c), c.total);
      expect(sumPaise(k)).toBe(Math.round(paise(c.total) * 100));
      for (const v of Object.values(k)) expect(v).toBeGreaterThanOrEqual(0);
    }
  });
});
