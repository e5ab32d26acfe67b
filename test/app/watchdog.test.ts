import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UNHANDLED_EXIT_CODE, unhandledRejectionHandler } from '../../src/app/crash.js';
import { startWatchdog } from '../../src/app/systemd-notify.js';
import { TradingLoop } from '../../src/app/trading-loop.js';
import { MarketCalendar } from '../../src/core/calendar.js';
import { Engine } from '../../src/core/engine.js';
import { ManualClock } from '../../src/lib/clock.js';
import { DEFAULT_RISK, DEFAULT_V25 } from '../../src/core/params.js';
import { createLogger, setLogSink } from '../../src/log.js';
import { Ledger } from '../../src/store/ledger.js';
import { chooseStrategy } from '../../src/core/strategies/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The test hook: blocks the event loop as a hung synchronous call would. */
function blockEventLoop(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    /* spin */
  }
}

describe('systemd watchdog sees a hang', () => {
  it(
    'pings while the event loop turns; a blocked loop stops the pings (and ' + 'the first late tick is not a ping)',
    async () => {
      const pings: number[] = [];
      const skips: string[] = [];
      const w = startWatchdog({
        intervalMs: 50,
        maxLagMs: 100,
        notify: () => pings.push(Date.now()),
        onSkip: (why) => skips.push(why),
      });
      await sleep(400);
      const before = pings.length;
      expect(before).toBeGreaterThanOrEqual(3);
      const blockedFrom = Date.now();
      blockEventLoop(600);
      const blockedTo = Date.now();
      await sleep(30);
      expect(pings.filter((t) => t >= blockedFrom && t <= blockedTo + 30)).toHaveLength(0);
      expect(skips.some((s) => /event loop blocked/.test(s))).toBe(true);
      await sleep(300);
      expect(pings.length).toBeGreaterThan(before); // it turns again: pings again
      w.stop();
    },
  );

  it(
    'a stuck pipeline (no tick or clock step in the session) or a ledger that ' + 'does not commit stops the pings',
    async () => {
      setLogSink(() => undefined);
      const log = createLogger();
      const ledger = Ledger.open(join(mkdtempSync(join(tmpdir(), 'nbx-wd-')), 'l.db'), { log });
      const loop = new TradingLoop(
        new Engine({ strategy: chooseStrategy('v25'), risk: DEFAULT_RISK, calendar: new MarketCalendar() }),
        ledger,
        log,
        () => 0,
        'box',
        'live',
      );
      const t0 = performance.now();
      loop.status.session = 'closed';
      expect(loop.unhealthy(1000, t0 + 5000)).toBeNull(); // nothing is expected of a closed market
      loop.status.session = 'open';
      expect(loop.unhealthy(1000, t0 + 5000)).toMatch(/no tick or clock step/);
      loop.heartbeat();
      expect(loop.unhealthy(1000, performance.now() + 10)).toBeNull();

      const pings: number[] = [];
      let stuck: string | null = null;
      const clock = new ManualClock(0);
      const w = startWatchdog({
        intervalMs: 30,
        maxLagMs: 1000,
        unhealthy: () => stuck,
        notify: () => pings.push(1),
        clock,
        now: () => clock.now(),
      });
      clock.advance(150);
      expect(pings).toHaveLength(5);
      stuck = 'no tick or clock step reached the engine for 130 s';
      clock.advance(150);
      expect(pings).toHaveLength(5);
      stuck = null;
      clock.advance(30);
      expect(pings).toHaveLength(6);
      w.stop();
      ledger.close();
    },
  );

  it('an unhandled rejection logs, raises an alert and exits non-zero', () => {
    const logs: string[] = [];
    setLogSink((l) => logs.push(l));
    const alerts: string[] = [];
    let code: number | null = null;
    unhandledRejectionHandler({ log: createLogger(), alert: (m) => alerts.push(m), exit: (c) => (code = c) })(
      new Error('daily report: boom'),
    );
    expect(code).toBe(UNHANDLED_EXIT_CODE);
    expect(code).not.toBe(0);
    expect(alerts[0]).toMatch(/daily report: boom/);
    expect(logs.join('\n')).toMatch(/unhandled promise rejection/);
  });
});
