/**
 * The demo: the simulated exchange (market simulator behind a fake Upstox on loopback), reached
 * through the real Upstox client, on a virtual clock that fast-forwards a session into minutes —
 * paced by the box (sim/pacer.ts): the market moves on only once the box has taken in what it was sent,
 * so a busy machine slows the demo down instead of changing its trades.
 */
import { existsSync } from 'node:fs';
import { dbPath, type Config } from '../config.js';
import { Ledger } from '../store/ledger.js';
import { demoLedgerPath } from './mode.js';
import type { MarketCalendar } from '../core/calendar.js';
import { phaseAt } from '../core/schedule.js';
import { istDate, MINUTE_MS } from '../core/time.js';
import { MarketDataStream, UpstoxRest } from '../feed/upstox/index.js';
import { realClock } from '../lib/clock.js';
import type { Logger } from '../log.js';
import {
  ManualClock,
  MarketPacer,
  MarketSimulator,
  startFakeUpstox,
  type FakeUpstox,
  type VirtualClock,
} from '../sim/index.js';
import { virtualClockSync, type ClockSyncCheck } from './clock-sync.js';
import { UpstoxSource } from './upstox-source.js';

export interface Demo {
  source: UpstoxSource;
  exchange: FakeUpstox;
  /** The demo's feed client (tests watch its frame count). */
  stream: MarketDataStream;
  clock: VirtualClock;
  close(): Promise<void>;
}

/** The first trading day on or after `from` (default today, IST). */
export function demoDay(calendar: MarketCalendar, now = realClock.now(), from = istDate(now)): string {
  return calendar.isTradingDay(from) ? from : calendar.nextTradingDay(from);
}

/**
 * A demo never borrows the live box's identity: its own ledger (<stateDir>/demo.db) unless --db or
 * NIFTYBOX_DB says otherwise, and `<deviceId>-demo` (so its MQTT topics and client id differ) unless
 * NIFTYBOX_DEVICE_ID is set.
 */
export function isolateDemo(config: Config, opts: { explicitDb: boolean; env?: NodeJS.ProcessEnv }): void {
  const env = opts.env ?? process.env;
  if (!opts.explicitDb && !env.NIFTYBOX_DB) config.db = demoLedgerPath(config.stateDir);
  if (!env.NIFTYBOX_DEVICE_ID) config.deviceId = `${config.deviceId}-demo`;
}

/**
 * The first session to simulate. On a ledger that already holds simulated days, the demo continues
 * with the trading day after the last one it recorded (replaying a day the ledger has closed would
 * leave the spot frozen and trade nothing); the note says so.
 */
export function demoStartDay(
  config: Config,
  calendar: MarketCalendar,
  log: Logger,
  now = realClock.now(),
): { day: string; note: string | null } {
  // A chosen day (demo.day, --day) makes the session the same whatever today is.
  const first = demoDay(calendar, now, config.demo.day);
  const chosen =
    config.demo.day && first !== config.demo.day
      ? `demo: ${config.demo.day} is not a trading day; simulating the next one, ${first}`
      : null;
  const file = dbPath(config);
  if (!existsSync(file)) return { day: first, note: chosen };
  let lastTs: number | null = null;
  try {
    const ledger = Ledger.open(file, { log: log.child({ area: 'ledger' }), readonly: true });
    try {
      lastTs = ledger.loadCheckpoint()?.ts ?? null;
    } finally {
      ledger.close();
    }
  } catch {
    return { day: first, note: chosen }; // the appliance opens it for writing next and says what is wrong
  }
  if (lastTs === null) return { day: first, note: chosen };
  const last = istDate(lastTs);
  if (last < first) return { day: first, note: chosen };
  const day = calendar.nextTradingDay(last);
  return {
    day,
    note:
      `demo: ${file} already holds the simulated sessions up to ${last}; ` +
      `continuing with ${day} (use --db for a fresh ledger)`,
  };
}

export interface DemoOptions {
  config: Config;
  calendar: MarketCalendar;
  log: Logger;
  sessions: number;
  /** The first simulated session (default: demo.day, else today, or the next trading day). */
  day?: string;
  onDailyReport?: (text: string) => void;
  /** Tests: a clock-sync check other than the always-synced virtual clock. */
  clockSync?: ClockSyncCheck;
  /**
   * Tests: a virtual clock they advance themselves (speed 0), starting where the demo would start it. The
   * feed client then measures silence and waits for reconnects on it too: nothing runs in wall time.
   */
  clock?: (start: number) => VirtualClock;
  /** Tests: how often (real ms) the simulated exchange sends what its clock has reached. Default 50. */
  pumpIntervalMs?: number;
}

export async function startDemo(opts: DemoOptions): Promise<Demo> {
  const { config, calendar, log } = opts;
  const day = opts.day ?? demoDay(calendar, realClock.now(), config.demo.day);
  const session = calendar.session(day)!;
  const speed = (session.closeTs - session.openTs) / 1000 / config.demo.sessionSeconds;
  // Start 31 virtual minutes before the open so the warm-up phase runs as it would at home.
  const start = session.openTs - 31 * MINUTE_MS;
  const clock = opts.clock?.(start) ?? new ManualClock(start);
  const exchange = await startFakeUpstox({
    source: new MarketSimulator({ seed: config.demo.seed, calendar }),
    calendar,
    clock,
    port: 0,
    log: log.child({ area: 'fake-upstox' }),
    ...(opts.pumpIntervalMs ? { pumpIntervalMs: opts.pumpIntervalMs } : {}),
  });
  const rest = new UpstoxRest({
    baseUrl: exchange.apiBaseUrl,
    token: exchange.token,
    log: log.child({ area: 'rest' }),
  });
  const stream = new MarketDataStream({
    feedUrl: exchange.feedUrl,
    token: exchange.token,
    staleFeedSeconds: config.upstox.staleFeedSeconds,
    isMarketOpen: (ts) => phaseAt(calendar, ts) === 'open',
    marketTime: () => clock.now(),
    // On its own the demo's clock runs `speed` times real time, and the feed's silence is measured in real time.
    ...(opts.clock ? { clock } : {}),
    log: log.child({ area: 'stream' }),
  });
  const source = new UpstoxSource({
    mode: 'demo',
    rest,
    stream,
    calendar,
    clock,
    // The candle clock turns every 250 ms of real time, as live.
    pollMs: Math.round(250 * speed),
    log: log.child({ area: 'source' }),
    clockSync: opts.clockSync ?? virtualClockSync,
    // Virtual time runs `speed` times faster: a frame 2 s late in real time is 2 × speed s late in virtual time.
    maxClockSkewMs: Math.max(config.maxClockSkewMs, speed * 2000),
    sessions: opts.sessions,
    jumpTo: (ts) => clock.set(ts),
    useCron: false,
    onDailyReport: opts.onDailyReport,
  });
  // Tests that pass a clock move it themselves; otherwise the pacer does, a step at most the candle grace.
  const pacer = opts.clock
    ? null
    : new MarketPacer({
        clock: clock as ManualClock,
        speed,
        stepMs: Math.min(1000, Math.max(100, config.candleGraceMs)),
        pump: () => exchange.pump(),
        sent: () => exchange.stats.framesSent,
        received: () => stream.stats.frames + stream.stats.badFrames + stream.stats.textFrames,
        connected: () => stream.isConnected,
      });
  pacer?.start();
  log.warn(
    `demo: simulated exchange on ${exchange.apiBaseUrl}, session ${day} at up ` +
      `to ${speed.toFixed(0)}× (${config.demo.sessionSeconds} s per session; ` +
      `slower if the box falls behind)`,
  );
  return {
    source,
    exchange,
    stream,
    clock,
    close: async () => {
      pacer?.stop();
      await exchange.close();
    },
  };
}
