import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { istTime } from '../../src/core/time.js';
import { NIFTY_INDEX_KEY } from '../../src/core/types.js';
import { setLogSink } from '../../src/log.js';
import { VirtualClock } from '../../src/sim/clock.js';
import {
  duplicateFrames,
  plusOnly,
  rejectToken,
  restRateLimit,
  silence,
  type FakeFrame,
  type FakeUpstoxBehaviour,
} from '../../src/sim/fake-behaviours.js';
import { startFakeUpstox, type FakeUpstox } from '../../src/sim/fake-upstox.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
beforeAll(() => setLogSink(() => {}));

async function fake(behaviours: FakeUpstoxBehaviour[] = []): Promise<FakeUpstox> {
  const f = await startFakeUpstox({
    clock: new VirtualClock(istTime('2025-11-10', '10:00'), 30),
    pumpIntervalMs: 10,
    behaviours,
  });
  cleanups.push(() => f.close());
  return f;
}

async function get(f: FakeUpstox, path: string): Promise<{ status: number; code?: string }> {
  const res = await fetch(`${f.apiBaseUrl}${path}`, { headers: { Authorization: `Bearer ${f.token}` } });
  const body = (await res.json()) as { errors?: { error_code: string }[] };
  return { status: res.status, code: body.errors?.[0]?.error_code };
}

/** The HTTP status of a feed handshake (307 = accepted, redirected to the feeder). */
function handshake(f: FakeUpstox): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(f.feedUrl, { headers: { Authorization: `Bearer ${f.token}` }, followRedirects: false });
    ws.on('unexpected-response', (_req, res) => (resolve(res.statusCode ?? 0), ws.terminate()));
    ws.on('error', () => undefined);
  });
}

const EXPIRIES = `/v2/expired-instruments/expiries?instrument_key=${encodeURIComponent(NIFTY_INDEX_KEY)}`;

describe('the fake Upstox with composable behaviours', () => {
  it(
    'behaviours given at start and added later act together, in order; ' +
      'counted ones take themselves off; each can be removed alone',
    async () => {
      const f = await fake([restRateLimit(2)]);
      const noPlus = plusOnly();
      f.use(noPlus);
      expect(f.behaviours.map((b) => b.name)).toEqual(['REST 429 ×2', 'no Upstox Plus']);
      expect(await get(f, EXPIRIES)).toEqual({ status: 429, code: 'UDAPI10005' });
      expect(await get(f, '/v2/user/profile')).toEqual({ status: 429, code: 'UDAPI10005' });
      expect(f.behaviours.map((b) => b.name)).toEqual(['no Upstox Plus']); // spent
      expect(f.stats.rateLimited).toBe(2);
      expect(await get(f, EXPIRIES)).toEqual({ status: 403, code: 'UDAPI1149' });
      expect((await get(f, '/v2/user/profile')).status).toBe(200);

      const dead = f.use(rejectToken());
      expect(await get(f, EXPIRIES)).toEqual({ status: 401, code: 'UDAPI100050' }); // the token check comes before Plus
      expect(await handshake(f)).toBe(401);
      dead();
      expect(await handshake(f)).toBe(307);
      expect(await get(f, EXPIRIES)).toEqual({ status: 403, code: 'UDAPI1149' });
      f.remove(noPlus);
      expect((await get(f, EXPIRIES)).status).toBe(200);
      expect(f.behaviours).toEqual([]);
    },
  );

  it(
    'a test can write its own behaviour: it sees every frame after the ones ' +
      'added before it, and answers calls like the built-ins',
    async () => {
      const f = await fake();
      const seen: FakeFrame['kind'][] = [];
      const watcher: FakeUpstoxBehaviour = { name: 'frame watcher', onFrameOut: (fr) => (seen.push(fr.kind), [fr]) };
      const maintenance: FakeUpstoxBehaviour = {
        name: 'profile down for maintenance',
        onAuthorized: (call) =>
          call.url.pathname === '/v2/user/profile' ? call.answerError(503, 'UDAPI100500', 'maintenance') : undefined,
      };
      f.use(duplicateFrames(), watcher, maintenance);
      expect(await get(f, '/v2/user/profile')).toEqual({ status: 503, code: 'UDAPI100500' });
      expect((await get(f, '/v2/market/timings/2025-11-10')).status).toBe(200);

      const url = await fetch(`${f.apiBaseUrl}/v3/feed/market-data-feed/authorize`, {
        headers: { Authorization: `Bearer ${f.token}` },
      }).then((r) => r.json() as Promise<{ data: { authorized_redirect_uri: string } }>);
      const ws = new WebSocket(url.data.authorized_redirect_uri);
      cleanups.push(() => ws.terminate());
      let frames = 0;
      ws.on('message', () => frames++);
      await new Promise((r) => ws.on('open', r));
      ws.send(
        Buffer.from(
          JSON.stringify({ guid: 'g', method: 'sub', data: { mode: 'ltpc', instrumentKeys: [NIFTY_INDEX_KEY] } }),
        ),
      );
      const until = Date.now() + 3000;
      while (seen.filter((k) => k === 'live_feed').length < 6 && Date.now() < until)
        await new Promise((r) => setTimeout(r, 20));
      expect(seen.slice(0, 2)).toEqual(['market_info', 'initial_feed']);
      const live = seen.filter((k) => k === 'live_feed').length;
      expect(live).toBeGreaterThanOrEqual(6);
      expect(live % 2).toBe(0); // the watcher comes after duplicateFrames: it sees each live frame twice

      const quiet = f.use(silence());
      await new Promise((r) => setTimeout(r, 100));
      const during = frames;
      await new Promise((r) => setTimeout(r, 300));
      expect(frames).toBe(during); // silenced: nothing reaches the socket
      quiet();
      for (let i = 0; i < 150 && frames === during; i++) await new Promise((r) => setTimeout(r, 20));
      expect(frames).toBeGreaterThan(during);
      f.behave();
      expect(f.behaviours).toEqual([]);
      expect((await get(f, '/v2/user/profile')).status).toBe(200);
    },
  );
});
