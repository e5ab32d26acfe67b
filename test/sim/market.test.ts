import { describe, expect, it } from 'vitest';
import { MACD, EMA } from 'technicalindicators';
import { MarketCalendar } from '../../src/core/calendar.js';
import { atmStrike } from '../../src/core/contracts.js';
import type { Candle } from '../../src/core/types.js';
import { MarketSimulator } from '../../src/sim/market.js';
import { dayCandles } from '../../src/sim/price-source.js';

function chop(c: Candle[], i: number, n = 14): number | null {
  if (i < n) return null;
  let sumTr = 0;
  let hi = -Infinity;
  let lo = Infinity;
  for (let j = i - n + 1; j <= i; j++) {
    const prev = c[j - 1]!.close;
    sumTr += Math.max(c[j]!.high - c[j]!.low, Math.abs(c[j]!.high - prev), Math.abs(c[j]!.low - prev));
    hi = Math.max(hi, c[j]!.high);
    lo = Math.min(lo, c[j]!.low);
  }
  return hi > lo ? (100 * Math.log10(sumTr / (hi - lo))) / Math.log10(n) : null;
}

/** V25-like entries: hist rising (falling) three candles, close above (below) EMA21, CHOP < 57. */
function signalsPerDay(candles: Candle[], days: string[]): number[] {
  const closes = candles.map((c) => c.close);
  const macd = MACD.calculate({
    values: closes,
    fastPeriod: 12,
    slowPeriod: 26,
    signalPeriod: 9,
    SimpleMAOscillator: false,
    SimpleMASignal: false,
  });
  const ema = EMA.calculate({ values: closes, period: 21 });
  const hist = (i: number) => macd[i - (closes.length - macd.length)]?.histogram;
  const emaAt = (i: number) => ema[i - (closes.length - ema.length)];
  const perDay = new Map<string, number>(days.map((d) => [d, 0]));
  for (let i = 40; i < candles.length; i++) {
    const [h0, h1, h2, e, ch] = [hist(i), hist(i - 1), hist(i - 2), emaAt(i), chop(candles, i)];
    if (h0 === undefined || h1 === undefined || h2 === undefined || e === undefined || ch === null || ch >= 57)
      continue;
    const up = h0 > h1 && h1 > h2 && candles[i]!.close > e;
    const down = h0 < h1 && h1 < h2 && candles[i]!.close < e;
    const day = new Date(candles[i]!.ts + 330 * 60_000).toISOString().slice(0, 10);
    if ((up || down) && perDay.has(day)) perDay.set(day, perDay.get(day)! + 1);
  }
  return [...perDay.values()];
}

describe('MarketSimulator', () => {
  const cal = new MarketCalendar();
  const sim = new MarketSimulator({ seed: 25, calendar: cal });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = dayCandles(sim, sim.indexKey, '2025-07-01');
    const b = dayCandles(new MarketSimulator({ seed: 25 }), sim.indexKey, '2025-07-01');
    const c = dayCandles(new MarketSimulator({ seed: 26 }), sim.indexKey, '2025-07-01');
    expect(a).toHaveLength(75);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('has a U-shaped intraday volatility (open and close busier than midday)', () => {
    const ranges = Array.from({ length: 75 }, () => 0);
    const days = cal.tradingDays('2025-06-02', '2025-07-31');
    for (const d of days) dayCandles(sim, sim.indexKey, d).forEach((c, i) => (ranges[i]! += c.high - c.low));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const edges = mean([...ranges.slice(0, 10), ...ranges.slice(-10)]);
    const middle = mean(ranges.slice(32, 43));
    expect(edges).toBeGreaterThan(middle * 1.4);
  });

  it('produces trend-strategy entry signals with Choppiness < 57 several times a day', () => {
    const days = cal.tradingDays('2025-06-02', '2025-06-30');
    const candles = days.flatMap((d) => dayCandles(sim, sim.indexKey, d));
    const counts = signalsPerDay(candles, days.slice(2));
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    expect(mean).toBeGreaterThanOrEqual(3);
    expect(counts.filter((n) => n >= 2).length / counts.length).toBeGreaterThan(0.7);
  });

  it('prices options by Black–Scholes: ATM call ≈ put, deep ITM ≥ intrinsic, premium decays toward expiry', () => {
    const date = '2025-09-29'; // Monday; weekly expiry Tue 2025-09-30
    const ts = cal.session(date)!.openTs + 60 * 60_000;
    const spot = sim.spotAt(ts)!;
    const atm = atmStrike(spot);
    const expiry = cal.weeklyExpiry(date);
    const ce = sim.optionPrice({ side: 'CE', strike: atm, expiry }, spot, ts);
    const pe = sim.optionPrice({ side: 'PE', strike: atm, expiry }, spot, ts);
    expect(Math.abs(ce - pe)).toBeLessThan(Math.abs(spot - atm) + 15);
    expect(sim.optionPrice({ side: 'CE', strike: atm - 500, expiry }, spot, ts)).toBeGreaterThanOrEqual(
      spot - (atm - 500) - 0.05,
    );
    const later = sim.optionPrice({ side: 'CE', strike: atm, expiry }, spot, ts + 24 * 3600_000);
    expect(later).toBeLessThan(ce);
    // The smile: far OTM puts carry a higher IV than ATM.
    expect(sim.greeks({ side: 'PE', strike: atm - 1000, expiry }, spot, ts).iv).toBeGreaterThan(
      sim.greeks({ side: 'PE', strike: atm, expiry }, spot, ts).iv,
    );
  });

  it('lists strikes every 50 on the calendar expiries, keys resolve back to contracts', () => {
    const list = sim.contracts('2026-11-20');
    const expiries = [...new Set(list.map((c) => c.expiry))];
    expect(expiries[0]).toBe('2026-11-23'); // Tue 24 Nov 2026 is a holiday
    expect(new Set(list.map((c) => c.strike % 50))).toEqual(new Set([0]));
    for (const c of list.slice(0, 50)) expect(sim.contract(c.instrumentKey)).toEqual(c);
    expect(list.find((c) => c.expiry === '2026-11-23')!.lotSize).toBe(65);
  });

  it('option trades follow the index path and day candles are deterministic', () => {
    const c = sim.contracts('2025-10-20').find((x) => x.expiry === '2025-10-20' && x.side === 'CE')!;
    const candles = dayCandles(sim, c.instrumentKey, '2025-10-20');
    expect(candles).toHaveLength(75);
    expect(candles.every((k) => k.low > 0 && k.high >= k.low)).toBe(true);
  });
});
