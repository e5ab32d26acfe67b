/**
 * The metrics the backtest summary and every sweep variant carry, worked by hand on a few trades; and on the shared
 * data beside summarize().
 */
import { describe, expect, it } from 'vitest';
import { runBacktest, tradedDays } from '../../src/core/backtest.js';
import { MarketCalendar } from '../../src/core/calendar.js';
import { concatDays, dailyNet, dailyRecords, metricsOf, objectiveValue, tradeMetrics } from '../../src/core/metrics.js';
import { DEFAULT_RISK, DEFAULT_V25 } from '../../src/core/params.js';
import { summarize } from '../../src/core/report.js';
import type { ClosedTrade } from '../../src/core/types.js';
import { parseIndexCsv, parseOptionsCsv } from '../../src/feed/csv.js';
import { hasSharedData, indexCsv, noSharedDataReason, optionsCsv, readShared } from '../support/shared-data.js';

const trade = (day: string, netPnl: number, charges = 10): ClosedTrade =>
  ({ day, netPnl, grossPnl: netPnl + charges, charges }) as ClosedTrade;
const days = ['2025-06-02', '2025-06-03', '2025-06-04', '2025-06-05'];
// Day 1: +100, −50; day 2: none; day 3: −200, +30; day 4: +300. Daily net 50, 0, −170, 300.
const trades = [
  trade(days[0]!, 100),
  trade(days[0]!, -50),
  trade(days[2]!, -200),
  trade(days[2]!, 30),
  trade(days[3]!, 300),
];

describe('metrics', () => {
  it('worked by hand', () => {
    const m = tradeMetrics(trades, days);
    expect(m).toMatchObject({
      trades: 5,
      wins: 3,
      winRate: 0.6,
      netPnl: 180,
      grossPnl: 230,
      charges: 50,
      tradingDays: 4,
      expectancy: 36,
    });
    // Equity by trade 100, 50, 50(day 2), −150, −120, 180: peak 100, trough −150 → 250.
    expect(m.maxDrawdown).toBe(250);
    // Wins 100 + 30 + 300 = 430, losses 50 + 200 = 250.
    expect(m.profitFactor).toBeCloseTo(430 / 250, 12);
    // Daily 50, 0, −170, 300: mean 45; squared deviations 25 + 2025 + 46225 + 65025 = 113300; sample variance 113300/3.
    expect(m.sharpe).toBeCloseTo((45 / Math.sqrt(113300 / 3)) * Math.sqrt(252), 12);
    // Downside deviation √((0 + 0 + 170² + 0)/4) = 85.
    expect(m.sortino).toBeCloseTo((45 / 85) * Math.sqrt(252), 12);
    // Annualised net 180 × 252 / 4 = 11340, ÷ 250.
    expect(m.calmar).toBeCloseTo(11340 / 250, 12);
  });
  it('a window of days and windows end to end', () => {
    const rec = dailyRecords(trades, days);
    expect(Array.from(dailyNet(rec))).toEqual([50, 0, -170, 300]);
    const w = metricsOf(rec, 2, 4); // days 3 and 4: −200, +30, +300 → equity −200, −170, 130
    expect(w).toMatchObject({ trades: 3, netPnl: 130, maxDrawdown: 200, tradingDays: 2 });
    // Day 1 then day 3: 100, 50, −150, −120 → peak 100, DD 250.
    const joined = concatDays([
      { records: rec, from: 0, to: 1 },
      { records: rec, from: 2, to: 3 },
    ]);
    expect(metricsOf(joined)).toMatchObject({ trades: 4, netPnl: -120, maxDrawdown: 250, tradingDays: 2 });
  });
  it('no trades; no loss; a constant series', () => {
    expect(tradeMetrics([], days)).toMatchObject({
      trades: 0,
      netPnl: 0,
      profitFactor: 0,
      sharpe: 0,
      sortino: 0,
      calmar: 0,
      maxDrawdown: 0,
      tradingDays: 4,
    });
    const up = tradeMetrics(
      days.map((d) => trade(d, 10)),
      days,
    );
    expect(up).toMatchObject({ profitFactor: null, calmar: null, sharpe: 0, sortino: 0, maxDrawdown: 0 });
    expect(objectiveValue(up, 'profitFactor')).toBe(Infinity);
    expect(objectiveValue(up, 'net')).toBe(40);
  });
  it('a trade on a day outside the range is an error', () => {
    expect(() => dailyRecords([trade('2025-06-09', 1)], days)).toThrow(/outside/);
  });
});

describe.skipIf(!hasSharedData)(`metrics on the shared data${hasSharedData ? '' : ` (${noSharedDataReason})`}`, () => {
  it('trades, net, drawdown and profit factor equal summarize() on all 892 trades', () => {
    const index = parseIndexCsv(readShared(indexCsv), indexCsv);
    const options = parseOptionsCsv(readShared(optionsCsv), optionsCsv);
    const r = runBacktest({ index, options, params: DEFAULT_V25, risk: DEFAULT_RISK, calendar: new MarketCalendar() });
    const d = tradedDays(index, options);
    // daysTraded was 0 without an onProgress (its ++ sat inside the optional call)
    expect(d).toHaveLength(r.daysTraded);
    const m = tradeMetrics(r.trades, d);
    const s = summarize(r.trades);
    expect(m.trades).toBe(892);
    expect(m.netPnl).toBeCloseTo(s.netPnl, 6);
    expect(m.maxDrawdown).toBeCloseTo(s.maxDrawdown, 6);
    expect(m.profitFactor).toBeCloseTo(s.profitFactor!, 9);
    expect(m.winRate).toBe(s.winRate);
  });
});
