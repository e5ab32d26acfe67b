/**
 * The page's server on its own: password, resume only when allowed, the API's answers for bad days
 * and paths; and against a hostile LAN, through a real HTTP client: a forged Host (DNS rebinding)
 * gets 421 before anything else, security headers on every answer, capped event streams.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MarketCalendar } from '../../src/core/calendar.js';
import { chooseStrategy } from '../../src/core/strategies/index.js';
import type { ApplianceState } from '../../src/core/state.js';
import { ManualClock } from '../../src/lib/clock.js';
import { createLogger, setLogSink } from '../../src/log.js';
import { Ledger } from '../../src/store/ledger.js';
import { webConfigSchema } from '../../src/web/config.js';
import { WebServer } from '../../src/web/server.js';

setLogSink(() => undefined);
const log = createLogger();

function state(trading: 'active' | 'halted'): ApplianceState {
  return {
    deviceId: 't',
    mode: 'demo',
    session: 'open',
    day: '2026-08-07',
    trading,
    haltReason: trading === 'halted' ? 'x' : null,
    feed: { connected: true, lastTickAgeMs: 100 },
    spot: 24500,
    position: null,
    pnl: { realized: 0, unrealized: 0, charges: 0, net: 0, trades: 0, wins: 0 },
    clock: { synced: true, skewMs: 3 },
    alarms: [],
    loginUrl: null,
    ts: Date.now(),
  };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(web: Record<string, unknown>, clock?: ManualClock) {
  const dir = mkdtempSync(join(tmpdir(), 'niftybox-web-srv-'));
  const file = join(dir, 'l.db');
  Ledger.open(file, { log }).close();
  const calls: string[] = [];
  let trading: 'active' | 'halted' = 'active';
  const w = await WebServer.start({
    config: webConfigSchema.parse({ port: 0, bind: '127.0.0.1', ...web }),
    ledgerFile: file,
    calendar: new MarketCalendar(),
    strategy: chooseStrategy('v25'),
    control: {
      halt: (_r, s) => (calls.push(`halt:${s}`), (trading = 'halted')),
      resume: (s) => (calls.push(`resume:${s}`), (trading = 'active')),
    },
    state: () => state(trading),
    engine: () => ({ guards: {}, contracts: null }),
    log,
    clock,
  });
  cleanups.push(
    () => rmSync(dir, { recursive: true, force: true }),
    () => w.close(),
  );
  const html = await (
    await fetch(w.url, {
      headers: web.password ? { Authorization: `Basic ${Buffer.from(`u:${web.password}`).toString('base64')}` } : {},
    })
  ).text();
  const token = /name="csrf-token" content="([^"]+)"/.exec(html)?.[1] ?? '';
  return { w, calls, token, origin: w.url.replace(/\/$/, '') };
}

describe('the page server', () => {
  it('with web.password, every path needs it (HTTP Basic); with it, the page and the API answer', async () => {
    const { w } = await server({ password: 'pa55' });
    expect((await fetch(w.url)).status).toBe(401);
    expect((await fetch(`${w.url}api/state`)).status).toBe(401);
    const bad = { Authorization: `Basic ${Buffer.from('u:nope').toString('base64')}` };
    expect((await fetch(`${w.url}api/state`, { headers: bad })).status).toBe(401);
    const good = { Authorization: `Basic ${Buffer.from('anyone:pa55').toString('base64')}` };
    const r = await fetch(`${w.url}api/state`, { headers: good });
    expect(r.status).toBe(200);
    expect((await r.json()).trading).toBe('active');
  });

  it('resume works from the page only with web.allowRemoteResume', async () => {
    const { w, calls, token, origin } = await server({ allowRemoteResume: true });
    const post = (p: string) =>
      fetch(`${w.url}${p}`, { method: 'POST', headers: { Origin: origin, 'X-CSRF-Token': token } });
    expect((await post('api/halt')).status).toBe(200);
    const resumed = await post('api/resume');
    expect(resumed.status).toBe(200);
    expect((await resumed.json()).page.allowRemoteResume).toBe(true);
    expect(calls).toEqual(['halt:web', 'resume:web']);
  });

  it('answers a holiday, a bad path and a bad method with a clear error', async () => {
    const { w } = await server({});
    const holiday = await fetch(`${w.url}api/day/2026-08-08`); // a Saturday
    expect(holiday.status).toBe(404);
    expect((await holiday.json()).error).toMatch(/2026-08-08 is not a trading day/);
    const nope = await fetch(`${w.url}api/nope`);
    expect(nope.status).toBe(404);
    expect((await nope.json()).error).toMatch(/\/api\/day\/YYYY-MM-DD/);
    expect((await fetch(`${w.url}api/state`, { method: 'PUT' })).status).toBe(405);
    const empty = await (await fetch(`${w.url}api/day/2026-08-07`)).json();
    expect(empty).toMatchObject({
      day: '2026-08-07',
      trades: [],
      options: { CE: null, PE: null },
      strategy: {
        name: 'v25',
        plots: [
          { reading: 'ema', pane: 'price', kind: 'line' },
          { reading: 'hist', pane: 'lower', kind: 'histogram' },
          { reading: 'chop', pane: 'lower', kind: 'line', level: { name: 'chopMax', value: 57 } },
        ],
      },
    });
    expect(await (await fetch(`${w.url}api/days`)).json()).toEqual({ days: [], today: '2026-08-07' });
  });

  it('keeps the open pages alive every 15 s of its clock (SSE comment), and close stops it', async () => {
    const clock = new ManualClock(Date.now());
    const { w } = await server({}, clock);
    expect(clock.pendingTimers).toBe(1);
    const res = await fetch(`${w.url}api/events`);
    const reader = res.body!.getReader();
    let text = '';
    const readUntil = async (what: string) => {
      const deadline = Date.now() + 5000;
      while (!text.includes(what)) {
        if (Date.now() > deadline)
          throw new Error(`no ${JSON.stringify(what)} on /api/events; got ${JSON.stringify(text)}`);
        const { value, done } = await reader.read();
        if (done) throw new Error(`/api/events ended before ${JSON.stringify(what)}`);
        text += new TextDecoder().decode(value);
      }
    };
    await readUntil('event: state');
    expect(text).not.toContain('keep-alive');
    clock.advance(15_000);
    await readUntil(': keep-alive');
    await reader.cancel();
    await w.close();
    expect(clock.pendingTimers).toBe(0);
  });
});

/** A real HTTP request with the Host header we choose (fetch would not let us forge it). */
function raw(
  url: string,
  opts: { path?: string; method?: string; headers?: Record<string, string>; localAddress?: string } = {},
): Promise<{ res: IncomingMessage; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: opts.path ?? '/',
        method: opts.method ?? 'GET',
        headers: opts.headers,
        localAddress: opts.localAddress,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ res, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Opens /api/events and resolves once its status is known; the stream stays open until destroy. */
function openStream(url: string, localAddress: string): Promise<{ status: number; destroy: () => void }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: '/api/events', localAddress }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, destroy: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the page server on a hostile LAN', () => {
  it(
    'DNS rebinding: a forged Host gets 421 with no body (no page, no CSRF ' +
      'token), and a POST with that Origin does not halt',
    async () => {
      const { w, calls, token } = await server({});
      const page = await raw(w.url, { headers: { Host: 'attacker.example' } });
      expect(page.res.statusCode).toBe(421);
      expect(page.body).toBe('');
      const api = await raw(w.url, { path: '/api/state', headers: { Host: `attacker.example:${w.port}` } });
      expect(api.res.statusCode).toBe(421);
      const halt = await raw(w.url, {
        path: '/api/halt',
        method: 'POST',
        headers: {
          Host: `attacker.example:${w.port}`,
          Origin: `http://attacker.example:${w.port}`,
          'X-CSRF-Token': token,
        },
      });
      expect(halt.res.statusCode).toBe(421);
      expect(calls).toEqual([]);
      for (const bad of ['a b', '127.0.0.1.attacker.example', 'localhost.attacker.example', '[::2]']) {
        expect((await raw(w.url, { path: '/api/state', headers: { Host: bad } })).res.statusCode, bad).toBe(421);
      }
    },
  );

  it(
    "the box's own names answer: localhost, 127.0.0.1, [::1], its hostname, " + '<hostname>.local, and web.hosts',
    async () => {
      const { hostname } = await import('node:os');
      const { w } = await server({ hosts: ['niftybox.home.arpa'] });
      const name = hostname().toLowerCase();
      for (const host of [
        'localhost',
        `127.0.0.1:${w.port}`,
        '[::1]',
        `LOCALHOST:${w.port}`,
        name,
        `${name.split('.')[0]}.local`,
        'niftybox.home.arpa',
        `niftybox.home.arpa:${w.port}`,
      ]) {
        expect((await raw(w.url, { path: '/api/state', headers: { Host: host } })).res.statusCode, host).toBe(200);
      }
    },
  );

  it('sends the security headers on every answer, not only on /', async () => {
    const { w } = await server({ password: 'pa55' });
    const auth = { Authorization: `Basic ${Buffer.from('u:pa55').toString('base64')}` };
    const answers = [
      await raw(w.url, { path: '/', headers: auth }),
      await raw(w.url, { path: '/api/state', headers: auth }),
      await raw(w.url, { path: '/app.js', headers: auth }),
      await raw(w.url, { path: '/api/nope', headers: auth }),
      await raw(w.url, { path: '/login', headers: auth }),
      await raw(w.url, { path: '/api/state' }), // 401
      await raw(w.url, { path: '/api/state', headers: { Host: 'attacker.example' } }), // 421
      await raw(w.url, { path: '/api/halt', method: 'POST', headers: auth }), // 403
    ];
    expect(answers.map((a) => a.res.statusCode)).toEqual([200, 200, 200, 404, 200, 401, 421, 403]);
    for (const { res } of answers) {
      expect(res.headers['content-security-policy'], res.statusCode + '').toMatch(/frame-ancestors 'none'/);
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('same-origin');
    }
  });

  it('an impossible date in the path is 400, not 200', async () => {
    const { w } = await server({});
    for (const day of ['2026-13-45', '2026-02-30', '2026-00-10', 'yesterday', '2026-8-7', '']) {
      const r = await raw(w.url, { path: `/api/day/${day}` });
      expect(r.res.statusCode, day).toBe(400);
      expect(JSON.parse(r.body).error).toMatch(/is not a date: use \/api\/day\/YYYY-MM-DD/);
    }
    expect((await raw(w.url, { path: '/api/day/2026-13-45/reconcile' })).res.statusCode).toBe(400);
    expect((await raw(w.url, { path: '/api/day/2024-02-29' })).res.statusCode).toBe(200); // a real date (a leap day)
  });

  it('event streams: 8 per client address, 64 in all, 503 beyond; a closed one frees its place', async () => {
    const { w } = await server({});
    const open: { status: number; destroy: () => void }[] = [];
    cleanups.push(() => open.forEach((s) => s.destroy()));
    for (let i = 0; i < 8; i++) open.push(await openStream(w.url, '127.0.0.2'));
    expect(open.map((s) => s.status)).toEqual(Array(8).fill(200));
    const ninth = await openStream(w.url, '127.0.0.2');
    open.push(ninth);
    expect(ninth.status).toBe(503);
    const r = await raw(w.url, { path: '/api/events', localAddress: '127.0.0.2' });
    expect(JSON.parse(r.body).error).toMatch(/8 live-update streams are open from 127\.0\.0\.2/);
    // other addresses fill the box up to 64
    for (let a = 3; a <= 9; a++) for (let i = 0; i < 8; i++) open.push(await openStream(w.url, `127.0.0.${a}`));
    expect(open.filter((s) => s.status === 200)).toHaveLength(64);
    expect((await openStream(w.url, '127.0.0.10')).status).toBe(503);
    // the other pages still load; a closed stream frees its place
    expect((await raw(w.url, { path: '/api/state', localAddress: '127.0.0.10' })).res.statusCode).toBe(200);
    open[0]!.destroy();
    let again = 0;
    for (let i = 0; i < 100 && again !== 200; i++) {
      const s = await openStream(w.url, '127.0.0.2');
      open.push(s);
      again = s.status;
      if (again !== 200) await new Promise((res) => setTimeout(res, 20));
    }
    expect(again).toBe(200);
  });
});
