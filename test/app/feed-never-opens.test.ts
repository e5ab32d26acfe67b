/**
 * Issue 27 item 5: a start during market hours whose feed never opens. The fake exchange refuses every
 * feed handshake from the start; after staleFeedSeconds of open market the box raises FEED_DOWN (the OLED's
 * take-over, Home Assistant's feed_connected, the state's alarms that MQTT and the page show) and
 * STALE_FEED (its buzzer alarm), takes no entries, and recovers when the feed arrives.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAppliance } from '../../src/app.js';
import { startDemo } from '../../src/app/demo.js';
import { parseConfig } from '../../src/config.js';
import { ALERTS } from '../../src/core/alerts.js';
import { MarketCalendar } from '../../src/core/calendar.js';
import type { EngineEvent } from '../../src/core/events.js';
import type { ApplianceState } from '../../src/core/state.js';
import { istTime } from '../../src/core/time.js';
import { ManualClock } from '../../src/lib/clock.js';
import { createLogger, setLogSink } from '../../src/log.js';
import type { Output } from '../../src/output.js';
import { Ledger } from '../../src/store/ledger.js';
import { refuseFeeds } from '../../src/sim/fake-behaviours.js';
import { driveClock } from '../support/drive-clock.js';

describe('a mid-session start whose feed never opens', () => {
  it('raises FEED_DOWN after staleFeedSeconds, blocks entries, and recovers when the feed arrives', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'niftybox-feed-never-'));
    setLogSink(() => undefined);
    const staleFeedSeconds = 60;
    const config = parseConfig(
      {
        db: join(dir, 'l.db'),
        stateDir: dir,
        demo: { seed: 11 },
        upstox: { staleFeedSeconds },
        mqtt: { embeddedBroker: { enabled: false } },
        device: { display: { kind: 'none' }, button: { simulated: true }, buzzer: { simulated: true } },
      },
      {},
    );
    const log = createLogger();
    const day = '2026-08-07';
    const at = (t: string) => istTime(day, t.slice(0, 5)) + (t.length > 5 ? Number(t.slice(6)) * 1000 : 0);
    let clock!: ManualClock;
    const demo = await startDemo({
      config,
      calendar: new MarketCalendar(),
      log,
      sessions: 1,
      day,
      clock: (start) => (clock = new ManualClock(start)),
      pumpIntervalMs: 5,
    });
    clock.set(at('10:30')); // the box is switched on mid-session
    const refused = refuseFeeds();
    demo.exchange.use(refused);
    const states: ApplianceState[] = [];
    const events: EngineEvent[] = [];
    const recorder: Output = {
      name: 'recorder',
      onEvents: (e, s) => (events.push(...e), states.push(s)),
      onState: (s) => states.push(s),
      close: async () => undefined,
    };
    const app = await startAppliance({ config, log, source: demo.source, outputs: [() => recorder] });
    const started = clock.now();
    const alarms = () => app.loop.state().alarms.map((a) => a.code);
    const drive = driveClock(clock, demo.stream, { stepMs: 5_000, expectFrames: false });

    await drive.to(started + (staleFeedSeconds - 10) * 1000);
    expect(demo.exchange.stats.feedHandshakes, 'the box kept trying').toBeGreaterThan(1);
    expect(alarms(), 'not before staleFeedSeconds').not.toContain('FEED_DOWN');
    await drive.until(() => alarms().includes('FEED_DOWN'), started + (staleFeedSeconds + 10) * 1000);
    expect(clock.now() - started).toBeGreaterThanOrEqual(staleFeedSeconds * 1000);
    expect(alarms()).toContain('STALE_FEED');
    const state = app.loop.state();
    expect(state.feed.connected).toBe(false); // Home Assistant's feed_connected binary sensor reads this
    expect(state.alarms.find((a) => a.code === 'FEED_DOWN')!.message).toMatch(
      /feed not connected for \d+ s \(handshake HTTP 503\); retrying/,
    );
    // What each output does with them comes from the one table: the OLED takes over, the buzzer sounds STALE_FEED.
    expect(ALERTS.FEED_DOWN.oled).toBe('takeover');
    expect(ALERTS.FEED_DOWN.haBinarySensor).toBe('feed_connected');
    expect(ALERTS.STALE_FEED.buzzer).toBe('alarm');
    // what MQTT and the page were given
    expect(states.at(-1)!.alarms.map((a) => a.code)).toEqual(expect.arrayContaining(['FEED_DOWN', 'STALE_FEED']));
    expect(events.some((e) => e.type === 'alert' && e.code === 'FEED_DOWN')).toBe(true);

    await drive.to(at('11:30')); // an hour of market without a feed: no entries (there is nothing to enter on)
    expect(app.loop.engine.view().position).toBeNull();

    demo.exchange.remove(refused);
    await drive.until(() => !alarms().includes('FEED_DOWN') && !alarms().includes('STALE_FEED'), at('11:35'), {
      expectFrames: true,
      stepMs: 2_000,
    });
    expect(app.loop.state().feed.connected).toBe(true);
    const recoveredAt = clock.now();

    await app.stop();
    await demo.close();
    const ledger = Ledger.open(join(dir, 'l.db'), { log, readonly: true });
    const codes = ledger.alerts(500).map((a) => a.code);
    expect(codes).toEqual(
      expect.arrayContaining(['FEED_DOWN', 'FEED_DOWN_CLEARED', 'STALE_FEED', 'STALE_FEED_CLEARED']),
    );
    for (const t of ledger.trades()) expect(t.entryTime).toBeGreaterThanOrEqual(recoveredAt);
    ledger.close();
  }, 90_000);
});
