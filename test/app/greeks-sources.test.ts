/**
 * Issue 27 item 3: the held option's IV and Greeks from both sources side by side on one simulated day —
 * what the fake Upstox's feed sends in `full` mode (its market model: Black-Scholes with a smile, calendar
 * time) as the state shows it, and Black-76 on the same tick's price and index (trading time, the config's
 * rate).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAppliance } from '../../src/app.js';
import { startDemo } from '../../src/app/demo.js';
import { parseConfig } from '../../src/config.js';
import { MarketCalendar } from '../../src/core/calendar.js';
import { greeksOf, tradingYearsToExpiry } from '../../src/core/greeks.js';
import { istTime } from '../../src/core/time.js';
import { ManualClock } from '../../src/lib/clock.js';
import { createLogger, setLogSink } from '../../src/log.js';
import { driveClock } from '../support/drive-clock.js';

describe('Greeks of the held option, both sources', () => {
  it("the feed's and Black-76's agree in sign and size through a simulated day", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'niftybox-greeks-'));
    setLogSink(() => undefined);
    const config = parseConfig(
      {
        db: join(dir, 'l.db'),
        stateDir: dir,
        demo: { seed: 25 },
        upstox: { staleFeedSeconds: 300 },
        mqtt: { embeddedBroker: { enabled: false } },
        device: { display: { kind: 'none' }, button: { simulated: true }, buzzer: { simulated: true } },
      },
      {},
    );
    const log = createLogger();
    const day = '2026-12-07';
    const calendar = new MarketCalendar();
    let clock!: ManualClock;
    const demo = await startDemo({
      config,
      calendar,
      log,
      sessions: 1,
      day,
      clock: (start) => (clock = new ManualClock(start)),
      pumpIntervalMs: 5,
    });
    const app = await startAppliance({ config, log, source: demo.source });
    const drive = driveClock(clock, demo.stream);
    await drive.to(istTime(day, '09:15'), { expectFrames: false, stepMs: 60_000 });
    const rows: { time: string; symbol: string; feed: Record<string, number>; model: Record<string, number> }[] = [];
    while (clock.now() < istTime(day, '15:10') && rows.length < 10) {
      await drive.to(clock.now() + 60_000, { stepMs: 60_000 });
      const s = app.loop.state();
      const p = s.position;
      if (!p?.greeks || s.spot === null) continue;
      expect(p.greeks.source).toBe('upstox');
      const c = app.loop.engine.view().contracts![p.side];
      const model = greeksOf({
        isCall: p.side === 'CE',
        price: p.ltp,
        spot: s.spot,
        strike: p.strike,
        years: tradingYearsToExpiry(calendar, clock.now(), c.expiry),
        rate: config.riskFreeRate,
      });
      if (!model) continue;
      const { source: _s, ...feed } = p.greeks;
      rows.push({
        time: new Date(clock.now() + 19_800_000).toISOString().slice(11, 16),
        symbol: p.symbol,
        feed,
        model: { ...model },
      });
    }
    await app.stop();
    await demo.close();
    const f = (x: number, d = 3) => x.toFixed(d).padStart(8);
    console.log(
      [
        'time  contract                    IV feed/B76      delta feed/B76    ' +
          'gamma feed/B76        theta feed/B76    vega feed/B76',
      ]
        .concat(
          rows.map(
            (r) =>
              `${r.time} ${r.symbol.padEnd(26)} ${f(r.feed.iv!, 2)} ${f(r.model.iv!, 2)} ` +
              `${f(r.feed.delta!)} ${f(r.model.delta!)} ${f(r.feed.gamma!, 5)} ${f(r.model.gamma!, 5)} ` +
              `${f(r.feed.theta!, 2)} ${f(r.model.theta!, 2)} ${f(r.feed.vega!, 2)} ${f(r.model.vega!, 2)}`,
          ),
        )
        .join('\n'),
    );
    expect(rows.length, 'the demo held a position with Greeks for some minutes').toBeGreaterThan(3);
    for (const r of rows) {
      expect(Math.sign(r.model.delta!), r.time).toBe(Math.sign(r.feed.delta!));
      expect(Math.abs(r.model.delta! - r.feed.delta!), `${r.time} delta`).toBeLessThan(0.2);
      expect(r.model.iv! / r.feed.iv!, `${r.time} IV`).toBeGreaterThan(0.5);
      expect(r.model.iv! / r.feed.iv!, `${r.time} IV`).toBeLessThan(2);
      expect(r.model.gamma!).toBeGreaterThan(0);
      expect(r.model.theta!).toBeLessThan(0);
    }
  }, 300_000);
});
