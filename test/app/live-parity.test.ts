import { describe, expect, it } from 'vitest';
import { hasSharedData, noSharedDataReason } from '../support/shared-data.js';
import { backtestDay, expectBacktestTrades, ledgerTrades, liveDay, testConfig } from './live-parity-harness.js';
import { feedOutageUntil, silence } from '../../src/sim/fake-behaviours.js';

describe.skipIf(!hasSharedData)(
  `live sessions on recorded days trade as the backtest${hasSharedData ? '' : ` (${noSharedDataReason})`}`,
  () => {
    it('a start inside a candle (2025-11-28 12:21:30): the 12:20 candles are ' +
      'completed from Upstox; the PE trade and its stop match', async () => {
      const d = await liveDay('2025-11-28', '12:21:30');
      try {
        const app = await d.start();
        await d.until(d.at('12:45'));
        await app.stop();
        const bt = backtestDay(d.day, testConfig(d.dir, d.fake));
        expectBacktestTrades(ledgerTrades(d.dir), bt, d.at('12:21:30'), d.at('12:45'));
      } finally {
        await d.close();
      }
    }, 120_000);

    it('a start on a boundary (2025-10-29 10:25:00): the pair comes from the ' +
      "day's first index trade (26000, not the spot's 26050)", async () => {
      const d = await liveDay('2025-10-29', '10:25');
      try {
        const app = await d.start();
        await d.until(d.at('12:40'));
        await app.stop();
        const bt = backtestDay(d.day, testConfig(d.dir, d.fake));
        expectBacktestTrades(ledgerTrades(d.dir), bt, d.at('10:25'), d.at('12:40'));
      } finally {
        await d.close();
      }
    }, 120_000);

    it('a start 30 s after a boundary (2025-11-04 14:05:30) trades the rest of the day as the backtest', async () => {
      const d = await liveDay('2025-11-04', '14:05:30');
      try {
        const app = await d.start();
        await d.until(d.at('15:31'));
        await app.stop();
        const bt = backtestDay(d.day, testConfig(d.dir, d.fake));
        expectBacktestTrades(ledgerTrades(d.dir), bt, d.at('14:05:30'), d.at('15:31'));
      } finally {
        await d.close();
      }
    }, 120_000);

    it('a reconnect inside a candle (2025-11-28, drop at 12:20:50 across the PE ' +
      "candle's low): the candle is repaired and the PE trade matches", async () => {
      const d = await liveDay('2025-11-28', '12:00');
      try {
        const app = await d.start();
        await d.until(d.at('12:20:50'));
        // the reconnect (the feed client's backoff, on the clock) stays inside the 12:20 candle but misses its low
        // (12:21:00)
        d.fake.use(feedOutageUntil(d.at('12:21:15')));
        await d.until(d.at('12:21:15'), { stepMs: 1_000 });
        await d.advanceUntil(() => d.fake.connections > 0, d.at('12:24'), 'the feed to reconnect', { stepMs: 1_000 });
        expect(d.fake.connections).toBeGreaterThan(0);
        expect(d.clock.now()).toBeLessThan(d.at('12:24'));
        await d.until(d.at('12:45'));
        await app.stop();
        const bt = backtestDay(d.day, testConfig(d.dir, d.fake));
        expectBacktestTrades(ledgerTrades(d.dir), bt, d.at('12:00'), d.at('12:45'));
      } finally {
        await d.close();
      }
    }, 120_000);

    it('a feed stall longer than 5 minutes during a position, across its stop ' +
      "(2025-11-28 12:26–12:37): the SL exit is the backtest's", async () => {
      const d = await liveDay('2025-11-28', '12:00');
      try {
        const app = await d.start();
        await d.until(d.at('12:26'));
        expect(app.loop.engine.view().position?.side).toBe('PE');
        d.fake.use(silence());
        await d.until(d.at('12:37'));
        d.fake.behave();
        await d.until(d.at('12:45'));
        await app.stop();
        const bt = backtestDay(d.day, testConfig(d.dir, d.fake));
        const live = ledgerTrades(d.dir);
        expectBacktestTrades(live, bt, d.at('12:00'), d.at('12:45'));
        expect(live.at(-1)!.reason).toBe('SL');
      } finally {
        await d.close();
      }
    }, 120_000);
  },
);
