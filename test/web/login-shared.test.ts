/**
 * Live, with the page on the login port (the default: both 8080): a dead token's login page is
 * served by the page's own server — one HTTP server — and a fresh login clears the guard.
 */
import { mkdtempSync, rmSync } from 'node:fs';
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
import { startWebOutput } from '../../src/app/outputs.js';
import { freePort } from '../mqtt/helpers.js';
import { rejectToken } from '../../src/sim/fake-behaviours.js';

import { until } from '../support/wait.js';

describe('the page and the login page share one server', () => {
  it('a dead token: /login on the page port leads through the OAuth flow; the page keeps answering', async () => {
    setLogSink(() => undefined);
    const calendar = new MarketCalendar();
    const clock = new VirtualClock(istTime('2026-08-07', '10:00'), 30);
    const fake = await startFakeUpstox({
      source: new MarketSimulator({ seed: 3, calendar }),
      calendar,
      clock,
      port: 0,
      token: 'oauth-token-0123456789abcdef',
    });
    const dir = mkdtempSync(join(tmpdir(), 'niftybox-web-login-'));
    storeToken(dir, { token: fake.token, expiresAt: Date.now() + 3_600_000, kind: 'oauth' });
    const port = await freePort();
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
          loginPort: port,
        },
        mqtt: { embeddedBroker: { enabled: false } },
        device: { display: { kind: 'none' }, button: { simulated: true }, buzzer: { simulated: true } },
        web: { port, bind: '127.0.0.1' },
      },
      {},
    );
    const log = createLogger();
    const source = await startLive(config, log);
    const app = await startAppliance({
      config,
      log,
      source,
      outputs: [(loop, cal) => startWebOutput({ config, loop, calendar: cal, log })],
    });
    const base = `http://127.0.0.1:${port}`;
    try {
      expect(await (await fetch(`${base}/login`)).text()).toContain('No login needed');
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
      expect(state.loginUrl).toBe(`${base}/login`);
      const toDialog = (await until(
        async () => {
          const r = await fetch(state.loginUrl!, { redirect: 'manual' });
          return r.status === 302 && r;
        },
        5_000,
        'the login page behind the page server',
      )) as unknown as Response;
      const api = (await (await fetch(`${base}/api/state`)).json()) as { alarms: { code: string }[] };
      expect(api.alarms.map((a) => a.code)).toContain('TOKEN_EXPIRED');

      fake.behave();
      const dialog = new URL(toDialog.headers.get('location')!);
      expect(dialog.searchParams.get('redirect_uri')).toBe(`http://localhost:${port}/callback`);
      const toCallback = await fetch(dialog, { redirect: 'manual' });
      // The user's browser follows Upstox's redirect back to the box: the page's port, path /callback.
      const back = new URL(toCallback.headers.get('location')!);
      // the browser's, passed through the page's server
      const cookie = toDialog.headers.get('set-cookie')!.split(';')[0]!;
      const done = await fetch(`${base}${back.pathname}${back.search}`, {
        redirect: 'manual',
        headers: { Cookie: cookie },
      });
      expect(done.status).toBe(200);
      expect(await done.text()).toContain('Logged in');
      await until(() => !app.loop.state().alarms.some((a) => a.code === 'TOKEN_EXPIRED'), 10_000, 'the guard to clear');
      expect(await (await fetch(`${base}/login`)).text()).toContain('No login needed');
      expect((await fetch(`${base}/`)).status).toBe(200);
    } finally {
      await app.stop();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
