import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { Ledger } from '../../src/store/ledger.js';
import { hasSharedData, noSharedDataReason } from '../support/shared-data.js';
import {
  backtestDay,
  expectBacktestTrades,
  ledgerTrades,
  liveDay,
  testConfig,
  waitUntil,
} from './live-parity-harness.js';
import { rejectToken } from '../../src/sim/fake-behaviours.js';

describe.skipIf(!hasSharedData)(`guards are facts about now${hasSharedData ? '' : ` (${noSharedDataReason})`}`, () => {
  it('a restart after a mid-day re-login resumes entries once the new token ' +
    'works (2025-11-04): TOKEN_EXPIRED is not restored from the checkpoint', async () => {
    const d = await liveDay('2025-11-04', '13:50');
    try {
      d.fake.use(rejectToken()); // the token died mid-day
      const first = await d.start();
      await waitUntil(() => first.loop.state().alarms.some((a) => a.code === 'TOKEN_EXPIRED'), 'TOKEN_EXPIRED', 5_000);
      expect(first.loop.state().alarms.map((a) => a.code)).toContain('TOKEN_EXPIRED');
      await first.stop();
      const ledger = Ledger.open(join(d.dir, 'l.db'), { log: createLogger(), readonly: true });
      expect(Object.keys((ledger.loadCheckpoint()!.data as { guards: object }).guards)).toContain('TOKEN_EXPIRED');
      ledger.close();

      d.fake.behave(); // the user logged in again: the stored token works
      d.clock.set(d.at('14:05:30'));
      const second = await d.start();
      await d.advanceUntil(
        () => (second.loop.status.lastTickTs ?? 0) >= d.at('14:05:30'),
        d.at('14:10'),
        'a live tick after the restart',
      ); // the token works again
      expect(second.loop.state().alarms.map((a) => a.code)).not.toContain('TOKEN_EXPIRED');
      await d.until(d.at('15:31'));
      await second.stop();
      expectBacktestTrades(
        ledgerTrades(d.dir),
        backtestDay(d.day, testConfig(d.dir, d.fake)),
        d.at('14:05:30'),
        d.at('15:31'),
      );
    } finally {
      await d.close();
    }
  }, 150_000);

  it('a restart holding a position replays the candles it missed through the ' +
    'engine: the stop crossed while it was down exits as the backtest ' +
    '(2025-11-28)', async () => {
    const d = await liveDay('2025-11-28', '12:00');
    try {
      const first = await d.start();
      await d.until(d.at('12:26'));
      expect(first.loop.engine.view().position?.side).toBe('PE');
      await first.stop(); // down from 12:26; the PE stop is crossed in the 12:30 candle
      d.clock.set(d.at('12:37'));
      const second = await d.start();
      await d.until(d.at('12:45'));
      await second.stop();
      const live = ledgerTrades(d.dir);
      expectBacktestTrades(live, backtestDay(d.day, testConfig(d.dir, d.fake)), d.at('12:00'), d.at('12:45'));
      expect(live.at(-1)!.reason).toBe('SL');
    } finally {
      await d.close();
    }
  }, 120_000);
});
