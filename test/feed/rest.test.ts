import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarketCalendar } from '../../src/core/calendar.js';
import { atmStrike, pickAtmPair } from '../../src/core/contracts.js';
import { istDate, istTime } from '../../src/core/time.js';
import { NIFTY_INDEX_KEY } from '../../src/core/types.js';
import { TokenExpired, UpstoxApiError, UpstoxShapeError } from '../../src/feed/upstox/errors.js';
import { RequestBudget } from '../../src/feed/upstox/request-budget.js';
import { UpstoxRest, type FetchLike } from '../../src/feed/upstox/rest.js';
import type { FakeUpstox } from '../../src/sim/fake-upstox.js';
import type { ManualClock } from '../../src/sim/clock.js';
import { fakeAt, quietLogs, recordSleep } from './helpers/fake.js';
import { restRateLimit, serverError } from '../../src/sim/fake-behaviours.js';

const calendar = new MarketCalendar();
let fake: FakeUpstox;
let clock: ManualClock;

beforeAll(async () => {
  quietLogs();
  ({ fake, clock } = await fakeAt('2025-11-10', '11:00'));
});
afterAll(() => fake.close());

const client = (extra: Partial<ConstructorParameters<typeof UpstoxRest>[0]> = {}) =>
  new UpstoxRest({ baseUrl: fake.apiBaseUrl, token: fake.token, ...recordSleep(), ...extra });

async function atmPairOn(date: string) {
  clock.set(istTime(date, '10:00'));
  const rest = client();
  const contracts = await rest.optionContracts();
  const spot = (await rest.ltp([NIFTY_INDEX_KEY])).get(NIFTY_INDEX_KEY)!.ltp;
  const expiry = calendar.weeklyExpiry(date);
  return { pair: pickAtmPair(contracts, spot, expiry), spot, expiry, contracts };
}

describe('UpstoxRest against the fake exchange', () => {
  it('contracts → ATM pair in a Tuesday-expiry week', async () => {
    const { pair, spot, expiry } = await atmPairOn('2025-11-10');
    expect(expiry).toBe('2025-11-11');
    expect(pair).not.toBeNull();
    expect(pair!.CE).toMatchObject({ side: 'CE', strike: atmStrike(spot), expiry, lotSize: 75 });
    expect(pair!.PE).toMatchObject({ side: 'PE', strike: atmStrike(spot), expiry, lotSize: 75 });
    expect(pair!.CE.instrumentKey).toMatch(/^NSE_FO\|\d+$/);
  });

  it('contracts → ATM pair on a holiday-shifted Monday expiry (2025-10-20, 2026-11-23)', async () => {
    const a = await atmPairOn('2025-10-16');
    expect(a.expiry).toBe('2025-10-20');
    expect(a.pair!.CE.expiry).toBe('2025-10-20');
    expect(a.contracts.some((c) => c.expiry === '2025-10-21')).toBe(false);
    const b = await atmPairOn('2026-11-23');
    expect(b.expiry).toBe('2026-11-23');
    expect(b.pair).toMatchObject({
      CE: { strike: atmStrike(b.spot), lotSize: 65 },
      PE: { strike: atmStrike(b.spot), lotSize: 65 },
    });
  });

  it('historical candles: to_date before from_date in the path, newest-first answer returned ascending', async () => {
    clock.set(istTime('2025-11-10', '11:00'));
    const urls: string[] = [];
    const rest = client({ fetch: (u, i) => (urls.push(u), fetch(u, i)) });
    const candles = await rest.historicalCandles(NIFTY_INDEX_KEY, 'minutes', 5, '2025-11-03', '2025-11-07');
    expect(urls[0]).toContain('/v3/historical-candle/NSE_INDEX%7CNifty%2050/minutes/5/2025-11-07/2025-11-03');
    expect(candles).toHaveLength(4 * 75); // 5 Nov is a holiday
    for (let i = 1; i < candles.length; i++) expect(candles[i]!.ts).toBeGreaterThan(candles[i - 1]!.ts);
    expect(new Set(candles.map((c) => istDate(c.ts)))).toEqual(
      new Set(['2025-11-03', '2025-11-04', '2025-11-06', '2025-11-07']),
    );
    const intraday = await rest.intradayCandles(NIFTY_INDEX_KEY, 'minutes', 5);
    expect(intraday.length).toBe(22); // 09:15 … 11:00 (the forming 11:00 candle included)
    expect(intraday[0]!.ts).toBe(istTime('2025-11-10', '09:15'));
  });

  it('LTP maps "SEGMENT:SYMBOL" keys back to instrument keys; holidays and timings parse', async () => {
    const rest = client();
    const opt = (await rest.optionContracts())[0]!;
    const q = await rest.ltp([NIFTY_INDEX_KEY, opt.instrumentKey]);
    expect([...q.keys()].sort()).toEqual([NIFTY_INDEX_KEY, opt.instrumentKey].sort());
    expect(q.get(opt.instrumentKey)!.ltp).toBeGreaterThan(0);
    const hol = await rest.holidays();
    expect(hol.map((h) => h.date)).toContain('2025-10-21');
    const t = await rest.timings('2025-11-10');
    expect(t.find((x) => x.exchange === 'NFO')).toEqual({
      exchange: 'NFO',
      start_time: istTime('2025-11-10', '09:15'),
      end_time: istTime('2025-11-10', '15:30'),
    });
    expect(await rest.timings('2025-11-09')).toEqual([]);
    expect(await rest.feedAuthorize()).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/market-data-feeder\/v3\/.*code=/);
  });

  it('401 → TokenExpired at once, no retry', async () => {
    const before = fake.stats.restRequests;
    const { sleeps, sleep } = recordSleep();
    const rest = new UpstoxRest({ baseUrl: fake.apiBaseUrl, token: 'stale-token-123', sleep });
    await expect(rest.optionContracts()).rejects.toBeInstanceOf(TokenExpired);
    expect(fake.stats.restRequests - before).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('429 is honoured with growing backoff, then succeeds', async () => {
    const { sleeps, sleep } = recordSleep();
    const rest = client({ sleep, random: () => 0.5 });
    fake.use(restRateLimit(3));
    const before = fake.stats.rateLimited;
    const c = await rest.optionContracts();
    expect(c.length).toBeGreaterThan(0);
    expect(fake.stats.rateLimited - before).toBe(3);
    expect(rest.stats.rateLimited).toBe(3);
    expect(sleeps).toHaveLength(3);
    expect(sleeps[0]).toBeGreaterThanOrEqual(500);
    expect(sleeps[1]).toBeGreaterThan(sleeps[0]!);
    expect(sleeps[2]).toBeGreaterThan(sleeps[1]!);
  });

  it('429 for too long fails with a clear error', async () => {
    const rest = client({ maxRateLimitRetries: 2 });
    fake.use(restRateLimit(10));
    await expect(rest.optionContracts()).rejects.toThrow(/rate limited \(429 UDAPI10005\)/);
    fake.behave();
  });

  it('5xx and network errors are retried with backoff; an HTML error page gives a clear error', async () => {
    const { sleeps, sleep } = recordSleep();
    fake.use(serverError(2));
    expect((await client({ sleep }).optionContracts()).length).toBeGreaterThan(0);
    expect(sleeps).toHaveLength(2);

    let failures = 2;
    const flaky: FetchLike = (u, i) => (failures-- > 0 ? Promise.reject(new TypeError('fetch failed')) : fetch(u, i));
    expect((await client({ fetch: flaky }).holidays()).length).toBeGreaterThan(0);

    fake.use(serverError(5, { html: true }));
    await expect(client({ maxRetries: 2 }).optionContracts()).rejects.toThrow(/HTML page \(HTTP 502\) instead of JSON/);
    fake.behave();
    const html403: FetchLike = async () =>
      new Response('<html>error 1010</html>', { status: 403, headers: { 'content-type': 'text/html' } });
    await expect(client({ fetch: html403 }).ltp([NIFTY_INDEX_KEY])).rejects.toThrow(/HTML page \(HTTP 403\)/);
  });

  it('times out a hanging request', async () => {
    const hang: FetchLike = (_u, init) =>
      new Promise((_, reject) =>
        init.signal!.addEventListener('abort', () =>
          reject(Object.assign(new Error('aborted'), { name: 'TimeoutError' })),
        ),
      );
    await expect(client({ fetch: hang, timeoutMs: 30, maxRetries: 1 }).holidays()).rejects.toThrow(
      /timed out after 30 ms/,
    );
  });

  it('a changed response shape fails loudly, naming the field', async () => {
    const bad: FetchLike = async () =>
      new Response(
        JSON.stringify({
          status: 'success',
          data: [{ instrument_key: 'NSE_FO|1', expiry: '2025-11-11', instrument_type: 'CE', strike_price: 25000 }],
        }),
        {
          headers: { 'content-type': 'application/json' },
        },
      );
    await expect(client({ fetch: bad }).optionContracts()).rejects.toThrow(UpstoxShapeError);
    await expect(client({ fetch: bad }).optionContracts()).rejects.toThrow(/data\.0\.lot_size/);
  });

  it('other 4xx errors carry the Upstox code', async () => {
    const err = await client()
      .historicalCandles(NIFTY_INDEX_KEY, 'minutes', 5, '2025-11-07', '2025-11-03')
      .catch((e) => e);
    expect(err).toBeInstanceOf(UpstoxApiError);
    expect(err.code).toBe('UDAPI1015');
  });
});

describe('RequestBudget', () => {
  it('paces requests under every window', async () => {
    let t = 0;
    const sleeps: number[] = [];
    const b = new RequestBudget(
      [
        { windowMs: 1000, max: 3 },
        { windowMs: 60_000, max: 5 },
      ],
      () => t,
      async (ms) => void (sleeps.push(ms), (t += ms)),
    );
    for (let i = 0; i < 6; i++) await b.take();
    expect(sleeps[0]).toBe(1000); // 4th request waits for the 1-s window
    expect(t).toBe(60_000); // 6th waits for the 1-min window
  });
});
