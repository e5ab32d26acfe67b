/** The page's server on its own: password, resume only when allowed, the API's answers for bad days and paths. */
import { mkdtempSync, rmSync } from 'node:fs';
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
    deviceId: 't', mode: 'demo', session: 'open', day: '2026-08-07', trading, haltReason: trading === 'halted' ? 'x' : null,
    feed: { connected: true, lastTickAgeMs: 100 }, spot: 24500, position: null,
    pnl: { realized: 0, unrealized: 0, charges: 0, net: 0, trades: 0, wins: 0 },
    clock: { synced: true, skewMs: 3 }, alarms: [], loginUrl: null, ts: Date.now(),
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
    control: { halt: (_r, s) => (calls.push(`halt:${s}`), (trading = 'halted')), resume: (s) => (calls.push(`resume:${s}`), (trading = 'active')) },
    state: () => state(trading),
    engine: () => ({ guards: {}, contracts: null }),
    log,
    clock,
  });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => w.close());
  const html = await (await fetch(w.url, { headers: web.password ? { Authorization: `Basic ${Buffer.from(`u:${web.password}`).toString('base64')}` } : {} })).text();
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
    const post = (p: string) => fetch(`${w.url}${p}`, { method: 'POST', headers: { Origin: origin, 'X-CSRF-Token': token } });
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
    expect(empty).toMatchObject({ day: '2026-08-07', trades: [], options: { CE: null, PE: null }, strategy: { name: 'v25', plots: [{ reading: 'ema', pane: 'price', kind: 'line' }, { reading: 'hist', pane: 'lower', kind: 'histogram' }, { reading: 'chop', pane: 'lower', kind: 'line', level: { name: 'chopMax', value: 57 } }] } });
    expect((await (await fetch(`${w.url}api/days`)).json())).toEqual({ days: [], today: '2026-08-07' });
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
        if (Date.now() > deadline) throw new Error(`no ${JSON.stringify(what)} on /api/events; got ${JSON.stringify(text)}`);
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
