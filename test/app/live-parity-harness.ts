/**
 * A live session on a RECORDED day: the fake Upstox replays ../shared/data candles over the real REST +
 * WebSocket + protobuf protocol on a virtual clock started at any minute; the real Upstox client, source,
 * engine and ledger trade it. The same day's backtest is the reference the live trades must match.
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
import { startFakeUpstox, VirtualClock, type FakeUpstox } from '../../src/sim/index.js';
import { CandleReplay, replayOptions } from '../support/candle-replay.js';
import { Ledger } from '../../src/store/ledger.js';
import { hasSharedData, indexCsv, optionsCsv } from '../support/shared-data.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls (real time) until `cond` holds; throws after `timeoutMs`. */
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
  data ??= { index: parseIndexCsv(readFileSync(indexCsv, 'utf8'), indexCsv), options: parseOptionsCsv(readFileSync(optionsCsv, 'utf8'), optionsCsv) };
  return data;
}

export function testConfig(dir: string, fake: FakeUpstox, extra: Record<string, unknown> = {}): Config {
  return parseConfig(
    {
      db: join(dir, 'l.db'),
      stateDir: dir,
      upstox: { apiBaseUrl: fake.apiBaseUrl, feedUrl: fake.feedUrl, staleFeedSeconds: 2 },
      mqtt: { embeddedBroker: { enabled: false } },
      device: { display: { kind: 'none' }, button: { simulated: true }, buzzer: { simulated: true } },
      ...extra,
    },
    {},
  );
}

export interface LiveDay {
  day: string;
  calendar: MarketCalendar;
  clock: VirtualClock;
  fake: FakeUpstox;
  dir: string;
  log: Logger;
  logs: string[];
  at(hhmmss: string): number;
  /** Starts the appliance (a fresh process would: new source, new engine, same ledger). */
  start(config?: Config, outputs?: ApplianceOptions['outputs']): Promise<RunningAppliance>;
  /** Real-time waits until the virtual clock reaches `ts`. */
  until(ts: number): Promise<void>;
  close(): Promise<void>;
}

export async function liveDay(day: string, start: string, speed: number): Promise<LiveDay> {
  const { index, options } = recorded();
  const calendar = new MarketCalendar();
  const od = options.get(day)!;
  const source = new CandleReplay(index, replayOptions(new Map([[day, od]]), calendar), calendar, { optionPathStep: 0.1, chainStrikes: Number(process.env.CHAIN ?? 6) });
  const at = (t: string) => istTime(day, t.slice(0, 5)) + (t.length > 5 ? Number(t.slice(6)) * 1000 : 0);
  const clock = new VirtualClock(at(start), speed);
  const logs: string[] = [];
  setLogSink((l) => logs.push(l));
  const log = createLogger();
  const fake = await startFakeUpstox({ source, calendar, clock, port: 0, log: log.child({ area: 'fake' }) });
  const dir = mkdtempSync(join(tmpdir(), `niftybox-live-${day}-`));
  const apps: RunningAppliance[] = [];
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
        marketTime: () => clock.now(),
        log: log.child({ area: 'stream' }),
      });
      const src = new UpstoxSource({
        mode: 'live',
        rest,
        stream,
        calendar,
        clock,
        pollMs: Math.round(250 * speed), // 250 ms of real time, as live
        log: log.child({ area: 'source' }),
        clockSync: virtualClockSync,
        maxClockSkewMs: Math.max(config.maxClockSkewMs, speed * 2000),
        useCron: false,
      });
      const app = await startAppliance({ config, log, source: src, outputs });
      apps.push(app);
      return app;
    },
    async until(ts: number) {
      while (clock.now() < ts) await sleep(20);
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
  return runBacktest({ index, options: new Map([[day, options.get(day)!]]), from: day, to: day, params: config.strategy, risk: config.risk, calendar: new MarketCalendar() }).trades;
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
const show = (t: ClosedTrade) => `${t.side} ${t.instrumentKey} ${istIso(t.entryTime)} @${t.entryPrice.toFixed(2)} → ${istIso(t.exitTime)} @${t.exitPrice.toFixed(2)} ${t.reason}`;

/**
 * Live trades equal the backtest's trades entered in [fromTs, toTs): same contract, side, entry and exit
 * candle, and reason; entry within one tick (0.05), exit within 0.25.
 */
export function expectBacktestTrades(live: readonly ClosedTrade[], backtest: readonly ClosedTrade[], fromTs: number, toTs: number): void {
  const want = backtest.filter((t) => t.entryTime >= fromTs && t.exitTime < toTs);
  const got = live.filter((t) => t.exitTime < toTs);
  const msg = `live:\n  ${got.map(show).join('\n  ')}\nbacktest:\n  ${want.map(show).join('\n  ')}`;
  expect(got.length, msg).toBe(want.length);
  want.forEach((w, i) => {
    const g = got[i]!;
    expect([g.side, g.instrumentKey, bucket(g.entryTime), bucket(g.exitTime), g.reason], msg).toEqual([w.side, w.instrumentKey, bucket(w.entryTime), bucket(w.exitTime), w.reason]);
    expect(Math.abs(g.entryPrice - w.entryPrice), msg).toBeLessThanOrEqual(0.05 + 1e-9);
    expect(Math.abs(g.exitPrice - w.exitPrice), msg).toBeLessThanOrEqual(0.25 + 1e-9);
  });
}
