import { describe, expect, it } from 'vitest';
import { paise, ratesOn, roundTripCharges } from '../../src/core/charges.js';

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
