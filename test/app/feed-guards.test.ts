import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAppliance } from '../../src/app.js';
import { startDemo } from '../../src/app/demo.js';
import { parseConfig } from '../../src/config.js';
import { MarketCalendar } from '../../src/core/calendar.js';
import { istTime } from '../../src/core/time.js';
import { NIFTY_INDEX_KEY } from '../../src/core/types.js';
import { ManualClock } from '../../src/lib/clock.js';
import { createLogger, setLogSink } from '../../src/log.js';
import { Ledger } from '../../src/store/ledger.js';
import { rejectToken, silence } from '../../src/sim/fake-behaviours.js';
import { driveClock } from '../support/drive-clock.js';

describe('feed guards against the misbehaving fake exchange (real client, virtual clock)', () => {
  it('a silent feed raises STALE_FEED, blocks entries while it lasts, ' +
    'reconnects; a dead token raises TOKEN_EXPIRED without a reconnect storm', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'niftybox-guards-'));
    setLogSink(() => undefined);
    // Everything runs on a clock the test advances: the exchange, the feed client's silence watchdog and
    // reconnect backoff, the candle clock and the day's phases. staleFeedSeconds is virtual time here.
    const config = parseConfig(
      {
        db: join(dir, 'l.db'),
        stateDir: dir,
        demo: { sessionSeconds: 40, seed: 11 },
        upstox: { staleFeedSeconds: 60 },
        mqtt: { embeddedBroker: { enabled: false } },
        device: { display: { kind: 'none' }, button: { simulated: true }, buzzer: { simulated: true } },
      },
      {},
    );
    const log = createLogger();
    let clock!: ManualClock;
    const demo = await startDemo({
      config,
      calendar: new MarketCalendar(),
      log,
      sessions: 1,
      day: '2026-08-07',
      clock: (start) => (clock = new ManualClock(start)),
      pumpIntervalMs: 5,
    });
    const app = await startAppliance({ config, log, source: demo.source });
    const at = (t: string) => istTime('2026-08-07', t.slice(0, 5)) + (t.length > 5 ? Number(t.slice(6)) * 1000 : 0);
    const drive = driveClock(clock, demo.stream);
    await drive.to(at('09:15'), { expectFrames: false, stepMs: 60_000 }); // before the open: no market data
    const alarms = () => app.loop.state().alarms.map((a) => a.code);
    await drive.to(at('10:00'));
    expect(alarms()).not.toContain('STALE_FEED');

    demo.exchange.use(silence());
    const silentFrom = clock.now();
    // > 60 s of market silence
    await drive.until(() => alarms().includes('STALE_FEED'), at('10:05'), { expectFrames: false });
    expect(clock.now() - silentFrom).toBeGreaterThanOrEqual(60_000);
    demo.exchange.behave();
    const silentTo = clock.now();
    await drive.until(() => !alarms().includes('STALE_FEED'), at('10:10'));
    expect(alarms()).not.toContain('STALE_FEED');

    await drive.to(at('11:15'));
    // the ticks up to now have reached the engine
    await drive.caughtUp(() => (app.loop.status.lastTickTs ?? 0) >= at('11:14:30'));
    const handshakesBefore = demo.exchange.stats.feedHandshakes;
    demo.exchange.use(rejectToken());
    await drive.until(() => alarms().includes('TOKEN_EXPIRED'), at('11:20'), { expectFrames: false });
    const tokenDeadFrom = clock.now();
    await drive.to(at('11:45'), { expectFrames: false }); // half an hour of market later: still no reconnect storm
    expect(alarms()).toContain('TOKEN_EXPIRED');
    expect(demo.exchange.stats.feedHandshakes - handshakesBefore).toBeLessThanOrEqual(2);

    await app.stop();
    expect(clock.pendingTimers, 'the stopped components and feed client left timers behind').toBe(0);
    await demo.close();
    const ledger = Ledger.open(join(dir, 'l.db'), { log, readonly: true });
    const alerts = ledger.alerts(500).map((a) => a.code);
    expect(alerts).toContain('STALE_FEED');
    expect(alerts).toContain('STALE_FEED_CLEARED');
    expect(alerts).toContain('TOKEN_EXPIRED');
    // Every 5-minute index candle from the open to the one before the token died closed, the silent one
    // completed from Upstox (the 11:10 candle ends as the token dies: whether it closed is a race).
    const candles = ledger.candles(NIFTY_INDEX_KEY, at('09:15'), at('11:14')).map((c) => c.ts);
    const want = Array.from({ length: 23 }, (_, i) => at('09:15') + i * 300_000);
    expect(want.filter((b) => !candles.includes(b)).map((b) => new Date(b).toISOString())).toEqual([]);
    for (const t of ledger.trades()) {
      expect(t.entryTime > silentFrom && t.entryTime < silentTo).toBe(false);
      expect(t.entryTime < tokenDeadFrom).toBe(true);
    }
    const blocked = ledger.signals().filter((x) => x.action === 'blocked');
    for (const b of blocked)
      expect(b.blockedBy!.some((g) => ['STALE_FEED', 'FEED_DOWN', 'TOKEN_EXPIRED'].includes(g))).toBe(true);
    ledger.close();
  }, 60_000);
});
