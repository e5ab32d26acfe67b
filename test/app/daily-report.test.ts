import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dailyReportText } from '../../src/app/daily-report.js';
import { reconcileCandles } from '../../src/store/candle-check.js';
import { MarketCalendar } from '../../src/core/calendar.js';
import { istTime } from '../../src/core/time.js';
import { createLogger, setLogSink } from '../../src/log.js';
import { Ledger } from '../../src/store/ledger.js';
import { closedTrade } from '../store/helpers.js';

describe('daily report', () => {
  it('compares tick-built candles with the official ones and names the largest deviation', async () => {
    setLogSink(() => undefined);
    const ledger = Ledger.open(join(mkdtempSync(join(tmpdir(), 'niftybox-dr-')), 'l.db'), { log: createLogger() });
    const t = (hhmm: string) => istTime('2025-06-02', hhmm);
    const mine = [
      { ts: t('09:15'), open: 100, high: 110, low: 95, close: 105, volume: 0 },
      { ts: t('09:20'), open: 105, high: 108, low: 101, close: 102, volume: 0 },
    ];
    ledger.commit(
      mine.map((candle) => ({ type: 'candle' as const, ts: candle.ts + 300_000, instrumentKey: 'K', candle })),
      null,
    );
    const official = [
      { ...mine[0]!, open: 99.5 },
      { ...mine[1]!, low: 100.25 },
      { ts: t('09:25'), open: 1, high: 1, low: 1, close: 1, volume: 0 }, // not built by us: not compared
    ];
    const rec = await reconcileCandles({
      day: '2025-06-02',
      ledger,
      keys: ['K'],
      calendar: new MarketCalendar(),
      official: async () => official,
    });
    expect(rec).toEqual({ compared: 2, maxDev: 0.75, where: 'K 09:20 low' });
    const text = await dailyReportText({
      day: '2025-06-02',
      ledger,
      keys: ['K'],
      calendar: new MarketCalendar(),
      official: async () => {
        throw new Error('UDAPI100050 token expired');
      },
    });
    expect(text).toBe(
      'Daily report 2025-06-02: 0 trades, 0 wins; gross ₹0.00, charges ₹0.00, net ₹0.00\n' +
        'Charges by kind: brokerage ₹0.00 + STT ₹0.00 + exchange+IPFT ₹0.00 + SEBI ₹0.00 + stamp ₹0.00 + GST ₹0.00\n' +
        'Candle check vs Upstox intraday: not possible (UDAPI100050 token expired)',
    );
    ledger.close();
  });

  it("lists the day's charges by kind, summing to the charges to the paisa", async () => {
    setLogSink(() => undefined);
    const ledger = Ledger.open(join(mkdtempSync(join(tmpdir(), 'niftybox-dr-')), 'l.db'), { log: createLogger() });
    // brokerage 40, STT 8.7787, exchange 7.6011, SEBI 0.0164, stamp 0.228, GST 5.2132: ₹61.84
    const trade = closedTrade(1);
    ledger.commit([{ type: 'exit', ts: trade.exitTime, trade }], null);
    const lines = (
      await dailyReportText({
        day: '2025-06-02',
        ledger,
        keys: [],
        calendar: new MarketCalendar(),
        official: async () => [],
      })
    ).split('\n');
    expect(lines[0]).toBe('Daily report 2025-06-02: 1 trades, 1 wins; gross ₹1177.50, charges ₹61.84, net ₹1115.66');
    expect(lines[1]).toBe(
      'Charges by kind: brokerage ₹40.00 + STT ₹8.78 + exchange+IPFT ₹7.60 + SEBI ₹0.02 + stamp ₹0.23 + GST ₹5.21',
    );
    ledger.close();
  });
});
