/**
 * A live session on a RECORDED day: the fake Upstox replays ../shared/data candles over the real REST +
 * WebSocket + protobuf protocol on a virtual clock started at any minute; the real Upstox client, source,
 * engine and ledger trade it. The same day's backtest is the reference the live trades must match.
 *
 * Everything runs on one ManualClock the test advances (`until`, `advanceUntil`): the exchange's feed,
 * the feed client's stale watchdog and reconnect backoff, the candle clock, the day's phases. Virtual
 * time moves in steps of at most STEP_MS that stop on every 5-minute boundary; after each step the
 * harness waits (real time, bounded) until the exchange has sent what its clock reached, the feed client
 * has received all of it and the engine has the ticks — so a candle never closes (at its boundary plus
 * the grace, in the next step) before its last trades arrived. No real-time wait stands in for market time.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { startAppliance, type ApplianceOptions, type RunningAppliance } from '../../src/app.js';
import { virtualClockSync } from '../../src/app/clock-sync.js';
import { UpstoxSource } from '../../src/app/upstox-source.js';
import { parseConfig, type Config } from '../../src/config.js';
import { runBacktest } from '../../src/core/backtest.js';
import { MarketCalendar } from '../../src/core/calendar.js';
import { phaseAt } from '../../src/core/schedule.js';
import { BUCKET_MS, istIso, istTime } from '../../src/core/time.js';
import type { Candle, ClosedTrade } from '../../src/core/types.js';
import { parseIndexCsv, parseOptionsCsv, type OptionDay } from '../../src/feed/csv.js';
import { MarketDataStream, UpstoxRest } from '../../src/feed/upstox/index.js';
import { createLogger, setLogSink, type Logger } from '../../src/log.js';
import { ManualClock, startFakeUpstox, type FakeUpstox } from '../../src/sim/index.js';
import { CandleReplay, replayOptions } from '../support/candle-replay.js';
import { Ledger } from '../../src/store/ledger.js';
import { hasSharedData, indexCsv, optionsCsv } from '../support/shared-data.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Virtual ms per step of the clock (also the most a tick's exchange time may lag the clock: the skew limit is twice
 * this).
 */
const STEP_MS = 20_000;
/** Virtual ms between the candle clock's and the scheduler's turns: 250 ms, as live. */
const POLL_MS = 250;
/** Real ms between the fake exchange's feed pumps: each pump sends everything up to its clock. */
const PUMP_MS = 5;
/**
 * Real ms between the fake exchange's WebSocket pings (its timer is real time, the feed client's idle
 * check is on market time): often enough that a silenced but open link still looks alive, as Upstox's
 * pings keep it, so a silence trips the stale-feed watchdog and not the idle one.
 */
const PING_MS = 10;
/**
 * The stale-feed window, in market seconds (the feed client's watchdog runs on the virtual clock): five
 * minutes, as the paced harness had (2 s of real time at 150×). The recorded index trades about once a
 * minute, so a window near a minute replaces a healthy socket.
 */
const STALE_FEED_SECONDS = 300;
const yieldToIo = () => new Promise<void>((r) => setTimeout(r, 1));
async function poll(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) return false;
    await yieldToIo();
  }
  return true;
}

/**
 * Polls (real time, the clock standing) until `cond` holds; throws after `timeoutMs`. For real-time work only (REST, a
 * restart): market time moves through `until` / `advanceUntil`.
 */
export async function waitUntil(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

let data: { index: Candle[]; options: Map<string, OptionDay> } | null = null;
export function recorded() {
  if (!hasSharedData) throw new Error('no shared data');
  data ??= {
    index: parseIndexCsv(readFileSync(indexCsv, 'utf8'), indexCsv),
    options: parseOptionsCsv(readFileSync(optionsCsv, 'utf8'), optionsCsv),
  };
  return data;
}

export function testConfig(dir: string, fake: FakeUpstox, extra: Record<string, unknown> = {}): Config {
  return parseConfig(
    {
      db: join(dir, 'l.db'),
      stateDir: dir,
      upstox: { apiBaseUrl: fake.apiBaseUrl, feedUrl: fake.feedUrl, staleFeedSeconds: STALE_FEED_SECONDS },
      mqtt: { embeddedBroker: { enabled: false } },
      device: { display: { kind: 'none' }, button: { simulated: true }, buzzer: { simulated: true } },
      ...extra,
    },
    {},
  );
}

export interface DriveOptions {
  /** Virtual ms per step (default STEP_MS; steps also stop on every 5-minute boundary). */
  stepMs?: number;
}

export interface LiveDay {
  day: string;
  calendar: MarketCalendar;
  clock: ManualClock;
  fake: FakeUpstox;
  dir: string;
  log: Logger;
  logs: string[];
  at(hhmmss: string): number;
  /**
   * Starts the appliance (a fresh process would: new source, new engine, same ledger) and waits (real time, bounded)
   * for its feed to connect.
   */
  start(config?: Config, outputs?: ApplianceOptions['outputs']): Promise<RunningAppliance>;
  /** Advances the virtual clock to `ts` in steps, the appliance catching up after each. */
  until(ts: number, o?: DriveOptions): Promise<void>;
  /** Advances in steps until `cond` holds; throws when the clock reaches `deadlineTs` first. */
  advanceUntil(cond: () => boolean, deadlineTs: number, what: string, o?: DriveOptions): Promise<void>;
  close(): Promise<void>;
}

export async function liveDay(day: string, start: string): Promise<LiveDay> {
  const { index, options } = recorded();
  const calendar = new MarketCalendar();
  const od = options.get(day)!;
  const source = new CandleReplay(index, replayOptions(new Map([[day, od]]), calendar), calendar, {
    optionPathStep: 0.1,
    chainStrikes: Number(process.env.CHAIN ?? 6),
  });
  const at = (t: string) => istTime(day, t.slice(0, 5)) + (t.length > 5 ? Number(t.slice(6)) * 1000 : 0);
  const clock = new ManualClock(at(start));
  const logs: string[] = [];
  setLogSink((l) => logs.push(l));
  const log = createLogger();
  const fake = await startFakeUpstox({
    source,
    calendar,
    clock,
    port: 0,
    pumpIntervalMs: PUMP_MS,
    pingIntervalMs: PING_MS,
    log: log.child({ area: 'fake' }),
  });
  const dir = mkdtempSync(join(tmpdir(), `niftybox-live-${day}-`));
  const apps: RunningAppliance[] = [];
  /**
   * The running appliance's feed client and engine, and the exchange time of the last live tick its feed client
   * received.
   */
  let live: { stream: MarketDataStream; app: RunningAppliance | null; lastReceivedTs: number | null } | null = null;

  /**
   * Every instrument the feed client subscribed has reached the exchange (the day's pair is asked for on the first
   * index tick).
   */
  const subscribed = (stream: MarketDataStream) => {
    const asked = new Set(
      fake.stats.subscriptionRequests.filter((r) => r.method === 'sub').flatMap((r) => r.instrumentKeys),
    );
    return [...stream.subscriptions.keys()].every((k) => asked.has(k));
  };
  /**
   * Whether the exchange has market data to send for (from, to]: the feed is up, not silenced, and the index traded.
   */
  const framesDue = (from: number, to: number) =>
    fake.connections > 0 &&
    !fake.behaviours.some((b) => b.onFrameOut) &&
    source.trades(source.indexKey, from, to).length > 0;

  /**
   * One step of virtual time, then the appliance catches up: the exchange sent it, the feed client received it, the
   * engine has it.
   */
  async function step(to: number): Promise<void> {
    const from = clock.now();
    const sent = fake.stats.framesSent;
    const received = live?.stream.stats.frames ?? 0;
    clock.advanceTo(to); // the feed client's timers run in it: its watchdog may have dropped the socket
    // The pump is synchronous: once it has sent anything for this clock, it has sent all of it.
    await poll(
      () => fake.stats.framesSent > sent,
      framesDue(from, to) && live?.stream.isConnected ? 2_000 : 3 * PUMP_MS,
    );
    if (!live) return;
    const { stream } = live;
    // frames sent to a socket that then dropped never arrive: bounded
    await poll(() => stream.stats.frames - received >= fake.stats.framesSent - sent, 2_000);
    await poll(
      () =>
        live!.app === null ||
        live!.lastReceivedTs === null ||
        (live!.app.loop.status.lastTickTs ?? 0) >= live!.lastReceivedTs,
      500,
    ); // a repair's gate may hold them for a later step
    await poll(() => !stream.isConnected || subscribed(stream), 500);
  }
  const nextBoundary = (ts: number) => ts - (ts % BUCKET_MS) + BUCKET_MS;
  const nextStop = (limit: number, o: DriveOptions) =>
    Math.min(limit, clock.now() + (o.stepMs ?? STEP_MS), nextBoundary(clock.now()));

  return {
    day,
    calendar,
    clock,
    fake,
    dir,
    log,
    logs,
    at,
    async start(config = testConfig(dir, fake), outputs = []) {
      const rest = new UpstoxRest({ baseUrl: fake.apiBaseUrl, token: fake.token, log: log.child({ area: 'rest' }) });
      const stream = new MarketDataStream({
        feedUrl: fake.feedUrl,
        token: fake.token,
        staleFeedSeconds: config.upstox.staleFeedSeconds,
        isMarketOpen: (ts) => phaseAt(calendar, ts) === 'open',
        clock, // the stale watchdog and the reconnect backoff run on market time
        log: log.child({ area: 'stream' }),
      });
      const current: NonNullable<typeof live> = { stream, app: null, lastReceivedTs: null };
      live = current;
      stream.on('tick', (t) => {
        if (!t.initial) current.lastReceivedTs = t.ts;
      });
      const src = new UpstoxSource({
        mode: 'live',
        rest,
        stream,
        calendar,
        clock,
        pollMs: POLL_MS,
        log: log.child({ area: 'source' }),
        clockSync: virtualClockSync,
        // a tick's exchange time lags the clock by up to a step
        maxClockSkewMs: Math.max(config.maxClockSkewMs, 2 * STEP_MS),
        useCron: false,
      });
      const app = await startAppliance({ config, log, source: src, outputs });
      current.app = app;
      apps.push(app);
      // warm-up (REST), then the feed connects and subscribes: real-time work at a standing clock
      await poll(
        () =>
          (stream.isConnected && subscribed(stream)) || app.loop.state().alarms.some((a) => a.code === 'TOKEN_EXPIRED'),
        10_000,
      );
      return app;
    },
    async until(ts: number, o: DriveOptions = {}) {
      while (clock.now() < ts) await step(nextStop(ts, o));
    },
    async advanceUntil(cond: () => boolean, deadlineTs: number, what: string, o: DriveOptions = {}) {
      while (!cond()) {
        if (clock.now() >= deadlineTs)
          throw new Error(`timed out waiting for ${what}: not by virtual time ${istIso(deadlineTs)}`);
        await step(nextStop(deadlineTs, o));
      }
    },
    async close() {
      for (const a of apps) await a.stop();
      await fake.close();
    },
  };
}

/** The backtest of the day (the reference), from the same recorded candles and the same parameters. */
export function backtestDay(day: string, config: Config): ClosedTrade[] {
  const { index, options } = recorded();
  return runBacktest({
    index,
    options: new Map([[day, options.get(day)!]]),
    from: day,
    to: day,
    strategy: config.strategy.name,
    params: config.strategy.params,
    risk: config.risk,
    calendar: new MarketCalendar(),
  }).trades;
}

export function ledgerTrades(dir: string): ClosedTrade[] {
  const ledger = Ledger.open(join(dir, 'l.db'), { log: createLogger(), readonly: true });
  try {
    return ledger.trades();
  } finally {
    ledger.close();
  }
}

const bucket = (ts: number) => ts - (ts % BUCKET_MS);
const show = (t: ClosedTrade) =>
  `${t.side} ${t.instrumentKey} ${istIso(t.entryTime)} @${t.entryPrice.toFixed(2)} ` +
  `→ ${istIso(t.exitTime)} @${t.exitPrice.toFixed(2)} ${t.reason}`;

/**
 * Live trades equal the backtest's trades entered in [fromTs, toTs): same contract, side, entry and exit
 * candle, and reason; entry within one tick (0.05), exit within 0.25.
 */
export function expectBacktestTrades(
  live: readonly ClosedTrade[],
  backtest: readonly ClosedTrade[],
  fromTs: number,
  toTs: number,
): void {
  const want = backtest.filter((t) => t.entryTime >= fromTs && t.exitTime < toTs);
  const got = live.filter((t) => t.exitTime < toTs);
  const msg = `live:\n  ${got.map(show).join('\n  ')}\nbacktest:\n  ${want.map(show).join('\n  ')}`;
  expect(got.length, msg).toBe(want.length);
  want.forEach((w, i) => {
    const g = got[i]!;
    expect([g.side, g.instrumentKey, bucket(g.entryTime), bucket(g.exitTime), g.reason], msg).toEqual([
      w.side,
      w.instrumentKey,
      bucket(w.entryTime),
      bucket(w.exitTime),
      w.reason,
    ]);
    expect(Math.abs(g.entryPrice - w.entryPrice), msg).toBeLessThanOrEqual(0.05 + 1e-9);
    expect(Math.abs(g.exitPrice - w.exitPrice), msg).toBeLessThanOrEqual(0.25 + 1e-9);
  });
}
