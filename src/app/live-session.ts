/**
 * What the live session's components share (Upstox live, or the simulated exchange in the demo): the
 * options, the trading loop, the index history and the gate that holds live ticks while candles are
 * repaired.
 */
import type { MarketCalendar } from '../core/calendar.js';
import { phaseAt } from '../core/schedule.js';
import { BUCKET_MS, istDate } from '../core/time.js';
import { NIFTY_INDEX_KEY, type Candle } from '../core/types.js';
import { mergeCandles, type FeedTick, type MarketDataStream, type UpstoxRest } from '../feed/upstox/index.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../log.js';
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
  /**
   * Period of the candle clock and the phase check on a virtual clock. Default 250 ms (a demo: 250 ms of real time).
   */
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

/** The index candles in memory, from the warm-up and the backfill: HISTORY_DAYS at most. */
export class IndexHistory {
  private candles: Candle[] = [];

  /** The whole history at once (the boot-time warm-up fell back to the ledger's candles). */
  replace(candles: Candle[]): void {
    this.candles = candles;
  }

  /** Candles merged in (a later one replaces an earlier of the same bucket); older than HISTORY_DAYS dropped. */
  merge(candles: readonly Candle[], now: number): void {
    this.candles = trimHistory(mergeCandles(this.candles, candles), now);
  }

  until(ts: number): Candle[] {
    return this.candles.filter((c) => c.ts <= ts);
  }

  /** The candles that have closed by `now`. */
  closedBy(now: number): Candle[] {
    return this.candles.filter((c) => c.ts + BUCKET_MS <= now);
  }
}

/**
 * What every live component reads: the options, the bus, the trading loop, the index history and the
 * tick gate. What one component knows and another needs (how far the candles are covered at start, the
 * candle seen only in part, when the feed connected) goes on the bus as a fact; the rest each keeps.
 */
export class LiveSession {
  readonly history = new IndexHistory();
  /** Live ticks wait here while candles are repaired from Upstox (start, reconnect, pair pick, candle close). */
  readonly gate: TickGate<FeedTick>;
  private trading: TradingLoop | null = null;

  constructor(
    readonly o: UpstoxSourceOptions,
    readonly bus: AppBus,
    deliver: (t: FeedTick) => void,
  ) {
    this.gate = new TickGate<FeedTick>(deliver, (err) =>
      this.trading?.alert('warn', 'CANDLE_REPAIR', `could not complete candles from Upstox: ${err.message}`),
    );
  }

  /** The trading loop, from the source's run() on (components start only then). */
  get loop(): TradingLoop {
    if (!this.trading) throw new Error('the live session has no trading loop before run()');
    return this.trading;
  }

  attach(loop: TradingLoop): void {
    this.trading = loop;
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
    return this.history.closedBy(this.now());
  }

  async todaysCandles(key: string, day: string): Promise<Candle[]> {
    const list = await this.o.rest.intradayCandles(key, 'minutes', 5);
    // intraday has been seen returning the previous day
    return list.filter((c) => istDate(c.ts) === day).sort((a, b) => a.ts - b.ts);
  }

  /** The index and, once picked today, the day's pair. */
  repairKeys(): string[] {
    const keys = [NIFTY_INDEX_KEY];
    const c = this.loop.engine.view().contracts;
    if (c && c.day === istDate(this.now())) keys.push(c.CE.instrumentKey, c.PE.instrumentKey);
    return keys;
  }

  updateWarmGuard(): void {
    const loop = this.trading;
    if (!loop) return;
    const warm = loop.engine.indicatorsWarm();
    const active = Boolean(loop.engine.view().guards.INDICATORS_COLD);
    if (warm === active)
      loop.setGuard('INDICATORS_COLD', !warm, 'indicators not warm yet: no decisions until enough candles');
  }
}
