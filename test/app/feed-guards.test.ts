import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAppliance } from '../../src/app.js';
import { startDemo } from '../../src/app/demo.js';
import { parseConfig } from '../../src/config.js';
import { MarketCalendar } from '../../src/core/calendar.js';
import { istTime } from '../../src/core/time.js';
import { createLogger, setLogSink } from '../../src/log.js';
import { Ledger } from '../../src/store/ledger.js';
import { rejectToken, silence } from '../../src/sim/fake-behaviours.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('feed guards against the misbehaving fake exchange (real client, virtual clock)', () => {
  it('a silent feed raises STALE_FEED, blocks entries while it lasts, reconnects; a dead token raises TOKEN_EXPIRED without a reconnect storm', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'niftybox-guards-'));
    setLogSink(() => undefined);
    const config = parseConfig(
      { db: join(dir, 'l.db'), stateDir: dir, demo: { sessionSeconds: 40, seed: 11 }, upstox: { staleFeedSeconds: 1 }, mqtt: { embeddedBroker: { enabled: false } }, device: { display: { kind: 'none' }, button: { simulated: true }, buzzer: { simulated: true } } },
      {},
    );
    const log = createLogger();
    const demo = await startDemo({ config, calendar: new MarketCalendar(), log, sessions: 1, day: '2026-08-07' });
    const app = await startAppliance({ config, log, source: demo.source });
    const at = (t: string) => istTime('2026-08-07', t);
    while (demo.clock.now() < at('10:00')) await sleep(50);

    demo.exchange.use(silence());
    const silentFrom = demo.clock.now();
    await sleep(3000); // > staleFeedSeconds of real time
    const duringSilence = app.loop.state();
    expect(duringSilence.alarms.map((a) => a.code)).toContain('STALE_FEED');
    demo.exchange.behave();
    const silentTo = demo.clock.now();
    await sleep(1500);
    expect(app.loop.state().alarms.map((a) => a.code)).not.toContain('STALE_FEED');

    while (demo.clock.now() < at('11:15')) await sleep(50);
    const handshakesBefore = demo.exchange.stats.feedHandshakes;
    demo.exchange.use(rejectToken());
    await sleep(3000);
    const s = app.loop.state();
    expect(s.alarms.map((a) => a.code)).toContain('TOKEN_EXPIRED');
    expect(demo.exchange.stats.feedHandshakes - handshakesBefore).toBeLessThanOrEqual(2); // no storm
    const tokenDeadFrom = demo.clock.now();

    await app.stop();
    await demo.close();
    const ledger = Ledger.open(join(dir, 'l.db'), { log, readonly: true });
    const alerts = ledger.alerts(500).map((a) => a.code);
    expect(alerts).toContain('STALE_FEED');
    expect(alerts).toContain('STALE_FEED_CLEARED');
    expect(alerts).toContain('TOKEN_EXPIRED');
    for (const t of ledger.trades()) {
      expect(t.entryTime > silentFrom && t.entryTime < silentTo).toBe(false);
      expect(t.entryTime < tokenDeadFrom).toBe(true);
    }
    const blocked = ledger.signals().filter((x) => x.action === 'blocked');
    for (const b of blocked) expect(b.blockedBy!.some((g) => ['STALE_FEED', 'FEED_DOWN', 'TOKEN_EXPIRED'].includes(g))).toBe(true);
    ledger.close();
  }, 120_000);
});
