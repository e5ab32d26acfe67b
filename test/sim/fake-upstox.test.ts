import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MarketCalendar } from '../../src/core/calendar.js';
import { BUCKET_MS, istDate, istTime } from '../../src/core/time.js';
import { NIFTY_INDEX_KEY, type Candle } from '../../src/core/types.js';
import type { FeedTick } from '../../src/feed/upstox/feed-decoder.js';
import { UpstoxRest } from '../../src/feed/upstox/rest.js';
import { MarketDataStream } from '../../src/feed/upstox/stream.js';
import { warmUpIndexCandles } from '../../src/feed/upstox/warmup.js';
import { setLogSink } from '../../src/log.js';
import { ManualClock, VirtualClock } from '../../src/sim/clock.js';
import { startFakeUpstox, type FakeUpstoxOptions } from '../../src/sim/fake-upstox.js';
import { MarketSimulator } from '../../src/sim/market.js';
import { candlesFromTrades, dayCandles } from '../../src/sim/price-source.js';
import { parseIndexCsv, parseOptionsCsv as parseOptionDays } from '../../src/feed/csv.js';
import { CandleReplay, replayOptions } from '../support/candle-replay.js';

const parseOptionsCsv = (text: string) => replayOptions(parseOptionDays(text, 'options.csv'));
import { hasSharedData, indexCsv, noSharedDataReason, optionsCsv, readShared } from '../support/shared-data.js';

const calendar = new MarketCalendar();
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
beforeAll(() => setLogSink(() => {}));

async function waitFor(pred: () => boolean, timeoutMs = 8000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function fake(opts: FakeUpstoxOptions) {
  const f = await startFakeUpstox({ pumpIntervalMs: 10, ...opts });
  cleanups.push(() => f.close());
  return f;
}

/** Streams `key` in ltpc mode from `from` for `virtualMs` at `speed`; returns the live ticks. */
async function streamTicks(opts: FakeUpstoxOptions & { clock: VirtualClock }, keys: string[], until: number) {
  const f = await fake({ maxCatchUpMs: 3_600_000, ...opts });
  const stream = new MarketDataStream({ feedUrl: f.feedUrl, token: f.token });
  cleanups.push(() => stream.stop());
  const ticks: FeedTick[] = [];
  stream.on('tick', (t) => !t.initial && ticks.push(t));
  stream.subscribe(keys, 'ltpc');
  stream.start();
  await waitFor(() => ticks.length > 0 && ticks.at(-1)!.ts >= until, 10_000, 'virtual time to pass');
  return { f, ticks, stream };
}

function candlesOf(ticks: FeedTick[], key: string): Candle[] {
  return candlesFromTrades(
    ticks.filter((t) => t.instrumentKey === key).map((t) => ({ ts: t.ts, price: t.ltp, qty: t.ltq ?? 0 })),
  );
}

describe('fake Upstox driven by the market simulator', () => {
  it(
    'fast-forwards on a virtual clock: ticks carry virtual times, and candles ' +
      'built from them equal the intraday API (no drift)',
    async () => {
      // The market moves only as fast as the client takes it in (a busy machine slows the test, never changes it):
      // a ManualClock stepped 5 s at a time, each step pumped and received in full before the next.
      const day = '2025-11-10';
      const start = istTime(day, '09:15');
      const clock = new ManualClock(start);
      const until = istTime(day, '10:15');
      const f = await fake({ clock, maxCatchUpMs: 3_600_000 });
      const stream = new MarketDataStream({ feedUrl: f.feedUrl, token: f.token });
      cleanups.push(() => stream.stop());
      const ticks: FeedTick[] = [];
      stream.on('tick', (t) => !t.initial && ticks.push(t));
      stream.subscribe([NIFTY_INDEX_KEY], 'ltpc');
      stream.start();
      await waitFor(
        () => f.stats.subscriptionRequests.length > 0 && stream.stats.frames >= f.stats.framesSent,
        30_000,
        'the subscription',
      );
      while (clock.now() < until) {
        clock.advance(5_000);
        f.pump();
        await waitFor(
          () => stream.stats.frames >= f.stats.framesSent,
          30_000,
          `the frames up to ${new Date(clock.now()).toISOString()}`,
        );
      }
      expect(ticks[0]!.ts).toBeGreaterThanOrEqual(start);
      expect(ticks.at(-1)!.ts).toBeGreaterThan(until - 5_000);
      for (let i = 1; i < ticks.length; i++) expect(ticks[i]!.ts).toBeGreaterThan(ticks[i - 1]!.ts);
      const built = candlesOf(ticks, NIFTY_INDEX_KEY).filter((c) => c.ts + BUCKET_MS <= until && c.ts > ticks[0]!.ts);
      // 09:20 … 10:10: every candle of the hour but the first, whose opening trade came with the subscription
      expect(built.length).toBe(11);
      const rest = new UpstoxRest({ baseUrl: f.apiBaseUrl, token: f.token });
      const official = new Map((await rest.intradayCandles(NIFTY_INDEX_KEY, 'minutes', 5)).map((c) => [c.ts, c]));
      for (const c of built) {
        const o = official.get(c.ts)!;
        expect([c.open, c.high, c.low, c.close]).toEqual([o.open, o.high, o.low, o.close]);
      }
    },
  );

  it('serves ≥ 5 previous trading days of history deterministically (warm-up works before the open)', async () => {
    const clock = new ManualClock(istTime('2026-11-23', '08:44'));
    const a = await fake({ clock, seed: 25 });
    const b = await fake({ clock, seed: 25 });
    const get = (f: typeof a) =>
      warmUpIndexCandles({
        rest: new UpstoxRest({ baseUrl: f.apiBaseUrl, token: f.token }),
        local: [],
        calendar,
        today: '2026-11-23',
        now: clock.now(),
      });
    const [ca, cb] = await Promise.all([get(a), get(b)]);
    expect(ca).toEqual(cb);
    expect(new Set(ca.map((c) => istDate(c.ts))).size).toBe(5);
    expect(ca).toHaveLength(5 * 77); // F&O closes at 15:40 from 3 Aug 2026
    expect(ca.every((c) => istDate(c.ts) < '2026-11-23')).toBe(true);
  });

  it('OAuth dialog refuses a wrong client_id; the code is single-use', async () => {
    const f = await fake({ clock: new ManualClock(Date.now()) });
    const bad = await fetch(
      `${f.loginBaseUrl}/v2/login/authorization/dialog?response_type=code&client_id=nope&redirect_uri=http://x/cb`,
      { redirect: 'manual' },
    );
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors[0].error_code).toBe('UDAPI100068');
    const ok = await fetch(
      `${f.loginBaseUrl}/v2/login/authorization/dialog` +
        `?response_type=code&client_id=${f.apiKey}&redirect_uri=http://x/cb&state=s1`,
      { redirect: 'manual' },
    );
    const code = new URL(ok.headers.get('location')!).searchParams.get('code')!;
    const rest = new UpstoxRest({ baseUrl: f.apiBaseUrl });
    const p = { code, apiKey: f.apiKey, apiSecret: f.apiSecret, redirectUri: 'http://x/cb' };
    expect((await rest.exchangeCode(p)).access_token).toBe(f.token);
    await expect(rest.exchangeCode(p)).rejects.toThrow(/UDAPI100016/);
  });

  it('streams option prices that move with the index (Black–Scholes), greeks in option_greeks mode', async () => {
    const day = '2025-11-10';
    const clock = new VirtualClock(istTime(day, '11:00'), 600);
    const sim = new MarketSimulator({ seed: 25 });
    const ce = sim
      .contracts(day)
      .find((c) => c.expiry === '2025-11-11' && c.side === 'CE' && Math.abs(c.strike - sim.dayOpen(day)) < 50)!;
    const { ticks } = await streamTicks(
      { clock, source: sim },
      [NIFTY_INDEX_KEY, ce.instrumentKey],
      istTime(day, '11:05'),
    );
    const opt = ticks.filter((t) => t.instrumentKey === ce.instrumentKey);
    expect(opt.length).toBeGreaterThan(100);
    for (const t of opt.slice(0, 50)) {
      const spot = sim.lastTrade(NIFTY_INDEX_KEY, t.ts)!.price;
      expect(t.ltp).toBe(sim.optionPrice(ce, spot, t.ts));
    }
  });
});

describe('fake Upstox replaying recorded candles', () => {
  const csvIndex = [
    'datetime,open,high,low,close,volume',
    '2025-10-20 09:15:00+05:30,25800.5,25850,25790.1,25840.2,0',
    '2025-10-20 09:20:00+05:30,25840,25860.3,25820,25825.9,0',
  ].join('\n');
  const csvOptions = [
    'timestamp,open,high,low,close,volume,oi,datetime,date,instrument_type,' +
      'strike_price,expiry_date,instrument_key,trading_day,is_expired',
    '2025-10-20T09:15:00+05:30,120,130,110,125,4000,1,2025-10-20 ' +
      '09:15:00+05:30,2025-10-20,CE,25850,2025-10-20,NSE_FO|11111,2025-10-20,' +
      'False',
    '2025-10-20T09:15:00+05:30,140,150,100,105,8000,1,2025-10-20 ' +
      '09:15:00+05:30,2025-10-20,PE,25850,2025-10-20,NSE_FO|22222,2025-10-20,' +
      'False',
  ].join('\n');

  it('sends each candle as open, low, high, close ticks inside its 5-minute bucket', async () => {
    const source = new CandleReplay(parseIndexCsv(csvIndex, 'index.csv'), parseOptionsCsv(csvOptions));
    // Two virtual minutes (200 ms real) before the open: the subscription lands before the first tick even on a loaded
    // machine.
    const clock = new VirtualClock(istTime('2025-10-20', '09:13'), 600);
    const { ticks, f } = await streamTicks(
      { clock, source },
      [NIFTY_INDEX_KEY, 'NSE_FO|11111'],
      istTime('2025-10-20', '09:24') + 50_000,
    );
    const idx = ticks.filter((t) => t.instrumentKey === NIFTY_INDEX_KEY);
    expect(idx.map((t) => t.ltp)).toEqual([25800.5, 25790.1, 25850, 25840.2, 25840, 25820, 25860.3, 25825.9]);
    const b0 = istTime('2025-10-20', '09:15');
    expect(idx.slice(0, 4).every((t) => t.ts > b0 && t.ts < b0 + BUCKET_MS)).toBe(true);
    expect(ticks.filter((t) => t.instrumentKey === 'NSE_FO|11111').map((t) => t.ltp)).toEqual([120, 110, 130, 125]);
    // The replayed day's candles come back unchanged from the candle API and the contract list.
    const rest = new UpstoxRest({ baseUrl: f.apiBaseUrl, token: f.token });
    expect(await rest.intradayCandles(NIFTY_INDEX_KEY, 'minutes', 5)).toEqual(parseIndexCsv(csvIndex, 'index.csv'));
    const listed = await rest.optionContracts();
    expect(listed.map((c) => [c.side, c.strike, c.expiry, c.lotSize])).toEqual([
      ['CE', 25850, '2025-10-20', 75],
      ['PE', 25850, '2025-10-20', 75],
    ]);
  });

  it.skipIf(!hasSharedData)(
    `replays the real data: a day's candles round-trip exactly ` +
      `(${hasSharedData ? 'shared data present' : noSharedDataReason})`,
    async () => {
      const index = parseIndexCsv(readShared(indexCsv), indexCsv);
      const options = parseOptionsCsv(readShared(optionsCsv));
      const source = new CandleReplay(index, options);
      const day = '2025-10-20';
      const expected = index.filter((c) => istDate(c.ts) === day);
      expect(expected).toHaveLength(75);
      expect(dayCandles(source, NIFTY_INDEX_KEY, day)).toEqual(expected);
      const listed = source.contracts(day);
      expect(listed.map((c) => c.expiry)).toEqual(['2025-10-20', '2025-10-20']);
      const f = await fake({ clock: new ManualClock(istTime('2025-10-23', '12:00')), source });
      const rest = new UpstoxRest({ baseUrl: f.apiBaseUrl, token: f.token });
      expect(await rest.historicalCandles(NIFTY_INDEX_KEY, 'minutes', 5, day, day)).toEqual(expected);
      const pe = listed.find((c) => c.side === 'PE')!;
      const expectedPe = options
        .find((o) => o.contract.instrumentKey === pe.instrumentKey)!
        .candles.filter((c) => istDate(c.ts) === day);
      // An expired contract: its candles come from the expired-instruments API, not the V3 historical one.
      expect(
        (await rest.expiredHistoricalCandles(pe.instrumentKey, '5minute', day, day)).map(({ oi: _oi, ...c }) => c),
      ).toEqual(expectedPe);
      await expect(rest.historicalCandles(pe.instrumentKey, 'minutes', 5, day, day)).rejects.toMatchObject({
        code: 'UDAPI100011',
      });
    },
  );
});
