import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MarketCalendar } from '../../src/core/calendar.js';
import { atmStrike, pickAtmPair } from '../../src/core/contracts.js';
import { istDate, istTime } from '../../src/core/time.js';
import { NIFTY_INDEX_KEY } from '../../src/core/types.js';
import type { FeedTick } from '../../src/feed/upstox/feed-decoder.js';
import { UpstoxRest } from '../../src/feed/upstox/rest.js';
import { MarketDataStream, type MarketDataStreamOptions, type StreamEvents } from '../../src/feed/upstox/stream.js';
import { VirtualClock } from '../../src/sim/clock.js';
import { startFakeUpstox, type FakeUpstox } from '../../src/sim/fake-upstox.js';
import { quietLogs } from './helpers/fake.js';
import {
  dropFeeds,
  duplicateFrames,
  feedClockSkew,
  feedRateLimit,
  malformedFrames,
  outOfOrder,
  rejectToken,
  silence,
  textFrame,
} from '../../src/sim/fake-behaviours.js';

const calendar = new MarketCalendar();
const DAY = '2025-11-10';
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
beforeAll(() => void quietLogs());

async function waitFor(pred: () => boolean, timeoutMs = 4000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setup(time = '11:00', streamOpts: Partial<MarketDataStreamOptions> = {}, speed = 20) {
  const clock = new VirtualClock(istTime(DAY, time), speed);
  const fake = await startFakeUpstox({ clock, pumpIntervalMs: 20, pingIntervalMs: 100 });
  const rest = new UpstoxRest({ baseUrl: fake.apiBaseUrl, token: fake.token });
  const isMarketOpen = (ts: number) => {
    const s = calendar.session(istDate(ts));
    return !!s && ts >= s.openTs && ts < s.closeTs;
  };
  const stream = new MarketDataStream({
    feedUrl: fake.feedUrl,
    token: fake.token,
    isMarketOpen,
    marketTime: () => clock.now(),
    backoff: { initialMs: 40, maxMs: 400 },
    staleFeedSeconds: 1,
    ...streamOpts,
  });
  const events: { [K in keyof StreamEvents]?: StreamEvents[K][] } = {};
  for (const e of [
    'tick',
    'marketInfo',
    'connected',
    'disconnected',
    'stale',
    'gap',
    'tokenExpired',
    'error',
  ] as const) {
    stream.on(e, (p) => ((events[e] ??= []) as unknown[]).push(p));
  }
  cleanups.push(
    () => fake.close(),
    () => stream.stop(),
  );
  const contracts = await rest.optionContracts();
  const spot = (await rest.ltp([NIFTY_INDEX_KEY])).get(NIFTY_INDEX_KEY)!.ltp;
  const pair = pickAtmPair(contracts, spot, calendar.weeklyExpiry(DAY))!;
  return { clock, fake, rest, stream, events, pair, spot };
}

const ticksOf = (ev: { tick?: FeedTick[] }, key: string) => (ev.tick ?? []).filter((t) => t.instrumentKey === key);

describe('MarketDataStream against the fake exchange', () => {
  it('connects through the 307, gets market_info, then ticks for the index and the ATM CE/PE', async () => {
    const { stream, events, pair, spot, fake } = await setup();
    expect(pair.CE.strike).toBe(atmStrike(spot));
    stream.subscribe([NIFTY_INDEX_KEY], 'full');
    stream.subscribe([pair.CE.instrumentKey, pair.PE.instrumentKey], 'full');
    stream.start();
    await waitFor(
      () => ticksOf(events, pair.PE.instrumentKey).filter((t) => !t.initial).length > 3,
      4000,
      'live PE ticks',
    );
    expect(events.marketInfo![0]!.segmentStatus.NSE_FO).toBe('NORMAL_OPEN');
    const idx = ticksOf(events, NIFTY_INDEX_KEY);
    expect(idx[0]!.initial).toBe(true);
    expect(idx.at(-1)!.ohlc!.map((o) => o.interval)).toEqual(['1d', 'I1', 'I1', 'I30', 'I30']);
    const ce = ticksOf(events, pair.CE.instrumentKey).at(-1)!;
    expect(ce.mode).toBe('full_d5');
    expect(ce.bid).toBeLessThan(ce.ltp);
    expect(ce.ask).toBeGreaterThan(ce.ltp);
    expect(ce.greeks!.delta).toBeGreaterThan(0);
    expect(Math.abs(ce.currentTs - ce.ts)).toBeLessThan(1000);
    // one sub per mode, sent as binary JSON
    expect(fake.stats.subscriptionRequests).toEqual([
      { method: 'sub', mode: 'full', instrumentKeys: [NIFTY_INDEX_KEY, pair.CE.instrumentKey, pair.PE.instrumentKey] },
    ]);
    stream.changeMode([NIFTY_INDEX_KEY], 'ltpc');
    await waitFor(() => ticksOf(events, NIFTY_INDEX_KEY).at(-1)!.mode === 'ltpc', 2000, 'ltpc ticks');
  });

  it('also connects through the authorize endpoint (fresh single-use URL each time)', async () => {
    const { fake, rest, events } = await setup();
    const stream = new MarketDataStream({
      authorize: () => rest.feedAuthorize(),
      backoff: { initialMs: 40, maxMs: 400 },
    });
    cleanups.push(() => stream.stop());
    let n = 0;
    stream.on('tick', () => n++);
    stream.subscribe([NIFTY_INDEX_KEY], 'ltpc');
    stream.start();
    await waitFor(() => n > 2, 3000, 'ticks via authorize');
    fake.use(dropFeeds());
    const before = n;
    await waitFor(() => n > before + 2, 3000, 'ticks after reconnect via authorize');
    // A used code is refused.
    const url = await rest.feedAuthorize();
    const first = new WebSocket(url);
    await new Promise((r) => first.on('open', r));
    first.close();
    const again = new WebSocket(url);
    const err = await new Promise<Error>((r) => again.on('error', r));
    expect(err.message).toContain('403');
    expect(events).toBeDefined();
  });

  it(
    'reconnects after a drop, resubscribes every instrument in its mode, ' + 'reports the gap, which backfills',
    async () => {
      const { stream, events, pair, fake, clock, rest } = await setup();
      stream.subscribe([NIFTY_INDEX_KEY], 'full');
      stream.subscribe([pair.CE.instrumentKey], 'ltpc');
      stream.subscribe([pair.PE.instrumentKey], 'option_greeks');
      stream.start();
      await waitFor(() => ticksOf(events, NIFTY_INDEX_KEY).length > 3, 3000, 'first ticks');
      fake.use(dropFeeds());
      clock.shift(16 * 60_000); // the outage spans a quarter of an hour of market time
      await waitFor(() => (events.gap?.length ?? 0) > 0, 4000, 'gap event');
      expect(events.disconnected!.length).toBeGreaterThanOrEqual(1);
      expect(stream.stats.connects).toBe(2);
      const subs = fake.stats.subscriptionRequests.slice(3);
      expect(subs.map((s) => [s.mode, s.instrumentKeys]).sort()).toEqual(
        [
          ['full', [NIFTY_INDEX_KEY]],
          ['ltpc', [pair.CE.instrumentKey]],
          ['option_greeks', [pair.PE.instrumentKey]],
        ].sort(),
      );
      const gap = events.gap![0]!;
      expect(gap.to - gap.from).toBeGreaterThan(15 * 60_000);
      const candles = (await rest.intradayCandles(NIFTY_INDEX_KEY, 'minutes', 5))
        .filter((c) => c.ts + 5 * 60_000 > gap.from && c.ts < gap.to)
        .sort((a, b) => a.ts - b.ts);
      expect(candles.length).toBeGreaterThanOrEqual(3);
      expect(candles[0]!.ts).toBeLessThanOrEqual(gap.from);
      expect(candles.at(-1)!.ts + 5 * 60_000).toBeGreaterThanOrEqual(gap.to - 5 * 60_000);
      await waitFor(
        () => ticksOf(events, pair.PE.instrumentKey).some((t) => t.mode === 'option_greeks' && t.currentTs > gap.to),
        3000,
        'PE after reconnect',
      );
    },
  );

  it('a silent socket (pings only) is detected within the window and replaced', async () => {
    const { stream, events, fake } = await setup();
    stream.subscribe([NIFTY_INDEX_KEY], 'ltpc');
    stream.start();
    await waitFor(() => (events.tick?.length ?? 0) > 3, 3000, 'ticks');
    const pings = fake.stats.pingsSent;
    const unsilence = fake.use(silence());
    const t0 = Date.now();
    await waitFor(() => (events.stale?.length ?? 0) > 0, 3000, 'stale');
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(3000);
    expect(fake.stats.pingsSent - pings).toBeGreaterThanOrEqual(5); // pings kept flowing: they do not count as data
    expect(events.stale![0]!.silentMs).toBeGreaterThanOrEqual(1000);
    unsilence();
    const n = events.tick!.length;
    await waitFor(() => stream.stats.connects >= 2 && events.tick!.length > n + 3, 3000, 'recovered ticks');
  });

  it('no stale alarm outside market hours, even with a silent socket (server pings keep the link alive)', async () => {
    const { stream, events } = await setup('16:10', { idleTimeoutSeconds: 1 }, 1);
    stream.subscribe([NIFTY_INDEX_KEY], 'ltpc');
    stream.start();
    await waitFor(() => stream.isConnected && (events.tick?.length ?? 0) === 1, 3000, 'snapshot');
    await sleep(2500);
    expect(events.stale).toBeUndefined();
    expect(stream.stats.idleTimeouts).toBe(0);
    expect(stream.stats.connects).toBe(1);
    expect(events.marketInfo![0]!.segmentStatus.NSE_INDEX).toBe('NORMAL_CLOSE');
  });

  it('a link with neither frames nor pings is replaced quietly at any hour', async () => {
    const clock = new VirtualClock(istTime(DAY, '18:00'), 1);
    const fake = await startFakeUpstox({ clock, pumpIntervalMs: 20, pingIntervalMs: 60_000 });
    const stream = new MarketDataStream({
      feedUrl: fake.feedUrl,
      token: fake.token,
      idleTimeoutSeconds: 0.5,
      backoff: { initialMs: 20, maxMs: 50 },
    });
    cleanups.push(
      () => fake.close(),
      () => stream.stop(),
    );
    let stale = 0;
    stream.on('stale', () => stale++);
    stream.subscribe([NIFTY_INDEX_KEY], 'ltpc');
    stream.start();
    await waitFor(() => stream.stats.idleTimeouts >= 1 && stream.stats.connects >= 2, 4000, 'idle replacement');
    expect(stale).toBe(0);
  });

  it('401 → tokenExpired, the stream stops, no reconnect storm', async () => {
    const { stream, events, fake } = await setup();
    stream.subscribe([NIFTY_INDEX_KEY], 'ltpc');
    stream.start();
    await waitFor(() => (events.tick?.length ?? 0) > 2, 3000, 'ticks');
    const handshakes = fake.stats.feedHandshakes;
    fake.use(rejectToken()); // token rolled over: socket closed, handshakes refused
    await waitFor(() => (events.tokenExpired?.length ?? 0) > 0, 3000, 'tokenExpired');
    await sleep(1200);
    expect(fake.stats.feedHandshakes - handshakes).toBe(1);
    expect(stream.stats.connectAttempts).toBe(2);
    expect(events.tokenExpired).toHaveLength(1);
    expect(events.tokenExpired![0]!.name).toBe('TokenExpired');

    // A wrong token from the start: one attempt, then stop.
    const bad = new MarketDataStream({
      feedUrl: fake.feedUrl,
      token: 'wrong-token-123',
      backoff: { initialMs: 10, maxMs: 20 },
    });
    cleanups.push(() => bad.stop());
    let expired = 0;
    bad.on('tokenExpired', () => expired++);
    fake.behave();
    bad.start();
    await waitFor(() => expired === 1, 3000, 'bad token expired');
    await sleep(300);
    expect(bad.stats.connectAttempts).toBe(1);
  });

  it('429 on the handshake backs off (longer waits), then connects', async () => {
    const { stream, events, fake } = await setup('11:00', { random: () => 1 });
    stream.subscribe([NIFTY_INDEX_KEY], 'ltpc');
    stream.start();
    await waitFor(() => (events.tick?.length ?? 0) > 1, 3000, 'ticks');
    fake.use(feedRateLimit(2), dropFeeds());
    await waitFor(() => stream.stats.connects === 2, 5000, 'reconnected after 429s');
    const waits = events.disconnected!.map((d) => d.retryInMs);
    expect(events.disconnected!.map((d) => d.reason)).toEqual([
      expect.stringMatching(/closed/),
      'handshake HTTP 429',
      'handshake HTTP 429',
    ]);
    expect(waits[1]!).toBeGreaterThan(waits[0]! * 4); // 429 jumps ahead in the backoff
    expect(waits[2]!).toBeGreaterThanOrEqual(waits[1]!);
  });

  it(
    'garbage, truncated and text frames are counted and ignored; duplicates, ' +
      'reordering and clock skew pass through',
    async () => {
      const { stream, events, fake, clock } = await setup();
      stream.subscribe([NIFTY_INDEX_KEY], 'full');
      stream.start();
      await waitFor(() => (events.tick?.length ?? 0) > 2, 3000, 'ticks');
      // reorder, then send each twice
      fake.use(malformedFrames(50), textFrame(), outOfOrder(), duplicateFrames(), feedClockSkew(3000));
      const n = events.tick!.length;
      await waitFor(() => events.tick!.length > n + 20, 3000, 'ticks after misbehaviour');
      expect(stream.stats.badFrames).toBeGreaterThan(0);
      expect(stream.stats.textFrames).toBe(1);
      const later = events.tick!.slice(n);
      const seen = new Set<number>();
      let dup = 0;
      let back = 0;
      later.forEach((t, i) => {
        if (seen.has(t.ts)) dup++;
        seen.add(t.ts);
        if (i && t.ts < later[i - 1]!.ts) back++;
      });
      expect(dup).toBeGreaterThan(0);
      expect(back).toBeGreaterThan(0);
      // the newest frame: reordering may end on an older one
      const skew = Math.max(...later.map((t) => t.currentTs)) - clock.now();
      expect(skew).toBeGreaterThan(2000);
      expect(stream.stats.connects).toBe(1); // none of it broke the connection
    },
  );
});
