import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAppliance } from '../../src/app.js';
import { startLive } from '../../src/app/live.js';
import { parseConfig } from '../../src/config.js';
import { MarketCalendar } from '../../src/core/calendar.js';
import { istTime } from '../../src/core/time.js';
import { storeToken } from '../../src/feed/upstox/token-store.js';
import { createLogger, setLogSink } from '../../src/log.js';
import { MarketSimulator, startFakeUpstox, VirtualClock } from '../../src/sim/index.js';
import { freePort } from '../mqtt/helpers.js';
import { rejectToken } from '../../src/sim/fake-behaviours.js';

import { sleep, until } from '../support/wait.js';

describe('live mode: a dead OAuth token', () => {
  it('raises TOKEN_EXPIRED with the login URL, serves the login page, and ' +
    'resumes the feed after a fresh login', async () => {
    const logs: string[] = [];
    setLogSink((l) => logs.push(l));
    const calendar = new MarketCalendar();
    const clock = new VirtualClock(istTime('2026-08-07', '10:00'), 30);
    const fake = await startFakeUpstox({
      source: new MarketSimulator({ seed: 3, calendar }),
      calendar,
      clock,
      port: 0,
      token: 'oauth-token-0123456789abcdef',
    });
    const dir = mkdtempSync(join(tmpdir(), 'niftybox-relogin-'));
    storeToken(dir, { token: fake.token, expiresAt: Date.now() + 3_600_000, kind: 'oauth' });
    const loginPort = await freePort();
    const config = parseConfig(
      {
        db: join(dir, 'l.db'),
        stateDir: dir,
        upstox: {
          apiKey: fake.apiKey,
          apiSecret: fake.apiSecret,
          apiBaseUrl: fake.apiBaseUrl,
          loginBaseUrl: fake.loginBaseUrl,
          feedUrl: fake.feedUrl,
          loginHost: '127.0.0.1',
          loginPort,
        },
        mqtt: { embeddedBroker: { enabled: false } },
        device: { display: { kind: 'none' }, button: { simulated: true }, buzzer: { simulated: true } },
      },
      {},
    );
    const log = createLogger();
    const source = await startLive(config, log);
    const app = await startAppliance({ config, log, source });
    try {
      await until(() => fake.connections > 0, 10_000, 'the feed to connect');
      fake.use(rejectToken());
      const state = await until(
        () => {
          const s = app.loop.state();
          return s.alarms.some((a) => a.code === 'TOKEN_EXPIRED') && s;
        },
        15_000,
        'TOKEN_EXPIRED',
      );
      expect(state.loginUrl).toBe(`http://127.0.0.1:${loginPort}/login`);
      const handshakes = fake.stats.feedHandshakes;
      await sleep(2000);
      expect(fake.stats.feedHandshakes - handshakes).toBeLessThanOrEqual(1); // stopped, no storm

      fake.behave(); // the user logs in again: Upstox issues a working token
      const toDialog = await fetch(state.loginUrl!, { redirect: 'manual' });
      const toCallback = await fetch(toDialog.headers.get('location')!, { redirect: 'manual' });
      const cookie = toDialog.headers.get('set-cookie')!.split(';')[0]!; // the browser's: the state is tied to it
      const done = await fetch(toCallback.headers.get('location')!, {
        redirect: 'manual',
        headers: { Cookie: cookie },
      });
      expect(done.status).toBe(200);
      await until(() => !app.loop.state().alarms.some((a) => a.code === 'TOKEN_EXPIRED'), 10_000, 'the guard to clear');
      expect(app.loop.state().loginUrl).toBeNull();
      await until(() => fake.connections > 0, 10_000, 'the feed to reconnect');
      expect(logs.join('\n')).not.toContain(fake.token);
    } finally {
      await app.stop();
      await fake.close();
    }
  }, 60_000);
});
