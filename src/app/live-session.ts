/**
 * What the live session's components share (Upstox live, or the simulated exchange in the demo): the
 * options, the trading loop and ledger, the index history, how far the engine's candles are covered,
 * the candle this box saw only in part, and the gate that holds live ticks while candles are repaired.
 */
import type { MarketCalendar } from '../core/calendar.js';
import { phaseAt } from '../core/schedule.js';
import { BUCKET_MS, istDate } from '../core/time.js';
import { NIFTY_INDEX_KEY, type Candle } from '../core/types.js';
import type { FeedTick, MarketDataStream, UpstoxRest } from '../feed/upstox/index.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../log.js';
import type { Ledger } from '../store/ledger.js';
import type { ClockSyncCheck } from './clock-sync.js';
import type { AppBus } from './components/component.js';
import { TickGate } from './tick-gate.js';
import type { TradingLoop } from './trading-loop.js';

export interface UpstoxSourceOptions {
  mode: 'live' | 'demo';
  rest: UpstoxRest;
  stream: MarketDataStream;
  calendar: MarketCalendar;
  /** The appliance clock: the system clock live, the virtual exchange clock in the demo and tests. */
  clock: Clock;
  log: Logger;
  clockSync: ClockSyncCheck;
  maxClockSkewMs: number;
  /** Demo: stop after this many sessions (0 = run forever). */
  sessions?: number;
  /** Demo: jump the virtual clock (between sessions). */
  jumpTo?: (ts: number) => void;
  /** Live: node-cron drives the day's phases; on a virtual clock they are checked on its timer. */
  useCron?: boolean;
  /** Period of the candle clock and the phase check on a virtual clock. Default 250 ms (a demo: 250 ms of real time). */
  pollMs?: number;
  /** Where to log in again (OLED, MQTT) when the token dies. */
  loginUrl?: string | null;
  /** Serves the OAuth login page until a fresh token is stored (live, with apiKey/apiSecret configured). */
  serveLogin?: () => Promise<void>;
  onDailyReport?: (text: string) => void;
  /** The engine's candle grace (config candleGraceMs): the official candle is asked for after it. */
  candleGraceMs?: number;
}

/** Index candles kept in memory: the warm-up needs 5 trading days; 20 calendar days cover any holiday run. */
export const HISTORY_DAYS = 20;
/** Drops in-memory history older than HISTORY_DAYS (weeks of uptime must not grow it). */
export function trimHistory(history: Candle[], now: number): Candle[] {
  const from = now - HISTORY_DAYS * 86_400_000;
  return history.length && history[0]!.ts < from ? history.filter((c) => c.ts >= from) : history;
}

export class LiveSession {
  loop!: TradingLoop;
  ledger: Ledger | null = null;
  history: Candle[] = [];
  /** End of the last index bucket the engine has (warmed or closed); a start repairs from here. */
  coveredUpTo: number | null = null;
  /** Start of the bucket this box did not see from its first second: its official candle replaces the built one at its close. */
  partial: number | null = null;
  /** Start mode: `trade` replays the missed candles through the engine (a restart holding a position). */
  startReplay: 'warm' | 'trade' = 'warm';
  /** When the feed last connected (market time), and whether it was up before today's first trade. */
  connectedAt: number | null = null;
  sawOpenDay: string | null = null;
  /** The boot-time warm-up failed (no network, dead token): retried until it works. */
  prepareError: Error | null = null;
  stopped = false;
  /** Live ticks wait here while candles are repaired from Upstox (start, reconnect, pair pick, candle close). */
  readonly gate: TickGate<FeedTick>;

  constructor(
    readonly o: UpstoxSourceOptions,
    readonly bus: AppBus,
    deliver: (t: FeedTick) => void,
  ) {
    this.gate = new TickGate<FeedTick>(deliver, (err) => this.loop?.alert('warn', 'CANDLE_REPAIR', `could not complete candles from Upstox: ${err.message}`));
  }

  now(): number {
    return this.o.clock.now();
  }

  inSession(): boolean {
    return phaseAt(this.o.calendar, this.now()) === 'open';
  }

  inSessionAt(ts: number): boolean {
    const s = this.o.calendar.session(istDate(ts));
    return !!s && ts >= s.openTs && ts < s.closeTs;
  }

  closedHistory(): Candle[] {
    const now = this.now();
    return this.history.filter((c) => c.ts + BUCKET_MS <= now);
  }

  async todaysCandles(key: string, day: string): Promise<Candle[]> {
    const list = await this.o.rest.intradayCandles(key, 'minutes', 5);
    return list.filter((c) => istDate(c.ts) === day).sort((a, b) => a.ts - b.ts); // intraday has been seen returning the previous day
  }

  /** The index and, once picked today, the day's pair. */
  repairKeys(): string[] {
    const keys = [NIFTY_INDEX_KEY];
    const c = this.loop.engine.view().contracts;
    if (c && c.day === istDate(this.now())) keys.push(c.CE.instrumentKey, c.PE.instrumentKey);
    return keys;
  }

  updateWarmGuard(): void {
    const loop = this.loop;
    if (!loop) return;
    const warm = loop.engine.indicatorsWarm();
    const active = Boolean(loop.engine.view().guards.INDICATORS_COLD);
    if (warm === active) loop.setGuard('INDICATORS_COLD', !warm, 'indicators not warm yet: no decisions until enough candles');
  }
}
