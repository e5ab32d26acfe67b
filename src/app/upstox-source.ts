/**
 * Live ticks from Upstox (or from the simulated exchange through the very same client, in the demo):
 * warm-up from the ledger and the candle API, the day's ATM pick at the first index trade from the
 * open, candle closes on the clock's 5-minute boundary, the day's phases, and the guards that stop
 * new entries when the feed, the token or the clock cannot be trusted.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { TickSource } from '../app.js';
import type { MarketCalendar } from '../core/calendar.js';
import { pickAtmPair } from '../core/contracts.js';
import { dueBetween, phaseAt, type DueEvent } from '../core/schedule.js';
import { BUCKET_MS, istDate, istIso } from '../core/time.js';
import { NIFTY_INDEX_KEY, type Candle, type DayContracts, type Side } from '../core/types.js';
import { candleTicks } from '../core/backtest.js';
import { mergeCandles, TokenExpired, warmUpIndexCandles, type FeedTick, type MarketDataStream, type UpstoxRest } from '../feed/upstox/index.js';
import type { Logger } from '../log.js';
import type { Ledger } from '../store/ledger.js';
import type { ClockSyncCheck } from './clock-sync.js';
import { dailyReport } from './daily-report.js';
import { TickGate } from './tick-gate.js';
import type { TradingLoop } from './trading-loop.js';

export interface UpstoxSourceOptions {
  mode: 'live' | 'demo';
  rest: UpstoxRest;
  stream: MarketDataStream;
  calendar: MarketCalendar;
  /** The appliance clock: the system clock live, the virtual exchange clock in the demo. */
  now: () => number;
  log: Logger;
  clockSync: ClockSyncCheck;
  maxClockSkewMs: number;
  /** Demo: stop after this many sessions (0 = run forever). */
  sessions?: number;
  /** Demo: jump the virtual clock (between sessions). */
  jumpTo?: (ts: number) => void;
  /** Live: node-cron drives the day's phases; the demo checks them on its virtual clock. */
  useCron?: boolean;
  /** Where to log in again (OLED, MQTT) when the token dies. */
  loginUrl?: string | null;
  /** Serves the OAuth login page until a fresh token is stored (live, with apiKey/apiSecret configured). */
  serveLogin?: () => Promise<void>;
  onDailyReport?: (text: string) => void;
  /** The engine's candle grace (config candleGraceMs): the official candle is asked for after it. */
  candleGraceMs?: number;
}

/** A candle closes on the clock only while data flows; after this much market-time silence it waits for the backfill. */
const SILENT_CLOSE_MS = 60_000;
/** How often the closed candle is asked for before the candle built from ticks is used (with an alert). */
const OFFICIAL_CANDLE_TRIES = 5;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const bucketOf = (ts: number) => ts - (ts % BUCKET_MS);
/** Index candles kept in memory: the warm-up needs 5 trading days; 20 calendar days cover any holiday run. */
export const HISTORY_DAYS = 20;
/** Drops in-memory history older than HISTORY_DAYS (weeks of uptime must not grow it). */
export function trimHistory(history: Candle[], now: number): Candle[] {
  const from = now - HISTORY_DAYS * 86_400_000;
  return history.length && history[0]!.ts < from ? history.filter((c) => c.ts >= from) : history;
}

export class UpstoxSource implements TickSource {
  readonly mode: 'live' | 'demo';
  private loop: TradingLoop | null = null;
  private ledger: Ledger | null = null;
  private history: Candle[] = [];
  private contractsDay: string | null = null;
  private lastPickAttempt = 0;
  private timer: NodeJS.Timeout | null = null;
  private cronTask: ScheduledTask | null = null;
  private lastPhaseCheck: number;
  private sessionsDone = 0;
  private stopResolve: (() => void) | null = null;
  private stopped = false;
  private lastClockCheck = 0;
  private prepareError: Error | null = null;
  private loggingIn = false;
  /** Live ticks wait here while candles are repaired from Upstox (start, reconnect, pair pick, candle close). */
  private readonly gate: TickGate<FeedTick>;
  /** Start of the bucket this box did not see from its first second: its official candle replaces the built one at its close. */
  private partial: number | null = null;
  private finalizing = false;
  /** End of the last index bucket the engine has (warmed or closed); a start repairs from here. */
  private coveredUpTo: number | null = null;
  private startRepaired = false;
  /** When the feed last connected (market time), and whether it was up before today's first trade. */
  private connectedAt: number | null = null;
  private sawOpenDay: string | null = null;
  /** Start mode: `trade` replays the missed candles through the engine (a restart holding a position). */
  private startReplay: 'warm' | 'trade' = 'warm';

  constructor(private readonly o: UpstoxSourceOptions) {
    this.mode = o.mode;
    this.lastPhaseCheck = o.now();
    this.gate = new TickGate<FeedTick>(
      (t) => this.deliver(t),
      (err) => this.loop?.alert('warn', 'CANDLE_REPAIR', `could not complete candles from Upstox: ${err.message}`),
    );
  }

  now(): number {
    return this.o.now();
  }

  /** Warm-up before recovery: ≥ 5 trading days of index candles (ledger first, then the API). */
  async prepare(ledger: Ledger): Promise<void> {
    this.ledger = ledger;
    try {
      await this.loadHistory();
    } catch (err) {
      // No network or no valid token at boot must not stop the box: it starts with what the ledger
      // has (entries stay blocked while indicators are cold) and retries at the next warm-up.
      this.prepareError = err as Error;
      const now = this.o.now();
      this.history = ledger.candles(NIFTY_INDEX_KEY, now - 15 * 86_400_000, now);
      this.o.log.warn('warm-up from Upstox failed; starting from the ledger\'s candles and retrying later', { error: (err as Error).message });
    }
  }

  index(untilTs: number): Candle[] {
    return this.history.filter((c) => c.ts <= untilTs);
  }

  /** Today's candles of a held contract, from the ledger (a restart mid-day rebuilds the day ATR from them). */
  option(day: string, _side: Side, instrumentKey: string, untilTs: number): Candle[] {
    if (!this.ledger) return [];
    const session = this.o.calendar.session(day);
    return session ? this.ledger.candles(instrumentKey, session.openTs, untilTs) : [];
  }

  async run(loop: TradingLoop, resumeAfter: number | null): Promise<void> {
    this.loop = loop;
    const { stream, log } = this.o;
    loop.status.loginUrl = null;
    const now = this.o.now();
    const held = loop.engine.view();
    // A restart during the session with a position or a pending order: the candles it missed go through
    // the engine (stops, fills) as after a feed gap. Otherwise they only warm the indicators.
    if (resumeAfter !== null && istDate(resumeAfter) === istDate(now) && (held.position || held.pendingEntry) && this.inSession()) {
      this.startReplay = 'trade';
      this.coveredUpTo = resumeAfter + BUCKET_MS;
    } else {
      const warm = this.closedHistory().filter((c) => resumeAfter === null || c.ts > resumeAfter);
      for (const c of warm) loop.engine.warmIndexCandle(c);
      const last = warm.at(-1)?.ts ?? resumeAfter;
      this.coveredUpTo = last === null || last === undefined ? null : last + BUCKET_MS;
    }
    this.updateWarmGuard();
    await this.checkClockSync();
    if (this.prepareError instanceof TokenExpired) this.tokenExpired(this.prepareError);
    else if (this.prepareError) loop.alert('warn', 'WARMUP', `could not load history from Upstox (${this.prepareError.message}); retrying before the next open`);

    stream.on('tick', (t) => this.onTick(t));
    stream.on('connected', () => {
      loop.status.feedConnected = true;
      this.connectedAt = this.o.now();
      loop.setGuard('FEED_DOWN', false, 'feed disconnected');
    });
    stream.on('disconnected', (d) => {
      loop.status.feedConnected = false;
      if (this.inSession()) loop.setGuard('FEED_DOWN', true, `feed disconnected (${d.code} ${d.reason || ''}); reconnecting`);
    });
    stream.on('stale', (s) => {
      loop.setGuard('STALE_FEED', true, `no market data for ${Math.round(s.silentMs / 1000)} s while the market is open; reconnecting`);
    });
    stream.on('gap', (g) => void this.backfill(g)); // emitted before the frame's ticks: they wait behind it
    stream.on('tokenExpired', (err) => this.tokenExpired(err));
    stream.on('error', (err) => log.warn('feed error', { error: err.message }));
    stream.subscribe([NIFTY_INDEX_KEY], 'full');
    const restored = held.contracts;
    if (restored && restored.day === istDate(now)) {
      this.contractsDay = restored.day; // restarted mid-day: keep the pair picked at the open (it is in the checkpoint)
      stream.subscribe([restored.CE.instrumentKey, restored.PE.instrumentKey], 'full');
    }
    stream.start();

    this.setSession();
    if (this.o.useCron) {
      // node-cron once a minute: the calendar decides what each minute means. No `timezone` option: an
      // every-minute schedule is the same in every zone, and node-cron's timezone path formats each
      // tick through Intl, which pulls ICU's locale and zone data into the box (≈ 10 MB of RSS).
      this.cronTask = cron.schedule('* * * * *', () => this.checkPhases());
    }
    this.timer = setInterval(() => this.onTimer(), 250);
    const done = new Promise<void>((resolve) => (this.stopResolve = resolve));
    if (this.stopped) this.stopResolve?.();
    await done;
    clearInterval(this.timer);
    this.cronTask?.stop();
    stream.stop();
  }

  stop(): void {
    this.stopped = true;
    this.stopResolve?.();
  }

  // ---------------------------------------------------------------- ticks and time

  private onTick(t: FeedTick): void {
    const loop = this.loop!;
    if (t.initial) return; // a snapshot of the last trade, not a new one
    loop.status.feedConnected = true;
    if (loop.engine.view().guards.STALE_FEED) loop.setGuard('STALE_FEED', false, 'feed silent');
    if (t.currentTs) this.checkSkew(t.currentTs);
    this.gate.push(t);
  }

  /** One live tick to the engine, in order (the gate holds it while a repair runs). */
  private deliver(t: FeedTick): void {
    const loop = this.loop!;
    if (!this.startRepaired && this.inSessionAt(t.ts)) {
      this.startRepaired = true;
      if (this.needsStartRepair(t.ts)) {
        this.gate.requeue(t);
        const from = this.coveredUpTo ?? this.o.calendar.session(istDate(t.ts))!.openTs;
        void this.gate.hold(() =>
          this.repair(from, this.startReplay, 'start').catch((err: Error) => {
            if (err instanceof TokenExpired) this.tokenExpired(err);
            else throw err; // the gate alerts CANDLE_REPAIR and lets the ticks through
          }),
        );
        return;
      }
    }
    if (this.partial !== null && t.ts >= this.partial + BUCKET_MS) {
      // The next candle has begun: the partly seen one is completed from Upstox first.
      this.gate.requeue(t);
      this.finalizePartial();
      return;
    }
    if (t.instrumentKey === NIFTY_INDEX_KEY && this.inSessionAt(t.ts)) {
      if (this.sawOpenDay !== istDate(t.ts) && this.connectedAt !== null && this.connectedAt <= this.o.calendar.session(istDate(t.ts))!.openTs) this.sawOpenDay = istDate(t.ts);
    }
    loop.tick({ instrumentKey: t.instrumentKey, ts: t.ts, ltp: t.ltp, bid: t.bid, ask: t.ask, volume: t.ltq });
    if (t.instrumentKey === NIFTY_INDEX_KEY) this.maybePickContracts(t.ltp, t.ts);
  }

  /** A start is whole only when the feed was up before the current candle began and no closed candle of today is missing. */
  private needsStartRepair(ts: number): boolean {
    const b = bucketOf(ts);
    const session = this.o.calendar.session(istDate(ts))!;
    const upBefore = this.connectedAt !== null && this.connectedAt <= b;
    const nothingMissing = b === session.openTs || (this.coveredUpTo !== null && this.coveredUpTo >= b);
    return !(upBefore && nothingMissing && this.startReplay === 'warm');
  }

  private inSessionAt(ts: number): boolean {
    const s = this.o.calendar.session(istDate(ts));
    return !!s && ts >= s.openTs && ts < s.closeTs;
  }

  private onTimer(): void {
    const loop = this.loop!;
    const now = this.o.now();
    // Candles close on the clock's boundary (the engine adds the grace) while data flows. When the feed is
    // down or silent, or a repair runs, the bucket waits: no candle closes with trades missing.
    if (this.partial !== null && now >= this.partial + BUCKET_MS) this.finalizePartial();
    else if (loop.status.feedConnected && !this.gate.holding && loop.status.lastTickTs !== null && now - loop.status.lastTickTs <= SILENT_CLOSE_MS) loop.clock(now);
    if (!this.gate.holding) loop.heartbeat(); // a repair stuck on REST stops the heartbeat (the watchdog sees it)
    if (!this.o.useCron) this.checkPhases();
    if (now - this.lastClockCheck >= 60_000 || this.lastClockCheck === 0) {
      this.lastClockCheck = now;
      void this.checkClockSync();
      if (this.prepareError && !loop.engine.indicatorsWarm()) void this.lateWarmup();
      this.updateWarmGuard();
    }
  }

  private checkSkew(serverTs: number): void {
    const skew = this.o.now() - serverTs;
    const loop = this.loop!;
    loop.status.clockSkewMs = skew;
    const bad = Math.abs(skew) > this.o.maxClockSkewMs;
    const active = Boolean(loop.engine.view().guards.CLOCK_SKEW);
    if (bad !== active) loop.setGuard('CLOCK_SKEW', bad, `system clock is ${Math.round(skew)} ms off the exchange's (limit ${this.o.maxClockSkewMs} ms)`);
  }

  private async checkClockSync(): Promise<void> {
    const loop = this.loop!;
    const r = await this.o.clockSync().catch((err: Error) => ({ synced: false, detail: err.message }));
    loop.status.clockSynced = r.synced;
    const active = Boolean(loop.engine.view().guards.CLOCK_UNSYNCED);
    if (!r.synced !== active) loop.setGuard('CLOCK_UNSYNCED', !r.synced, `clock not synced (${r.detail}): no new entries`);
  }

  private inSession(): boolean {
    return phaseAt(this.o.calendar, this.o.now()) === 'open';
  }

  private setSession(): void {
    const loop = this.loop!;
    loop.status.session = phaseAt(this.o.calendar, this.o.now());
  }

  private checkPhases(): void {
    const now = this.o.now();
    const due = dueBetween(this.o.calendar, this.lastPhaseCheck, now);
    this.lastPhaseCheck = now;
    for (const e of due) this.runPhase(e);
    this.setSession();
  }

  private runPhase(e: DueEvent): void {
    const loop = this.loop!;
    const { log } = this.o;
    log.info(`schedule: ${e.phase}`, { date: e.date, at: istIso(e.at) });
    if (e.phase === 'warmup') void this.warmupPhase();
    else if (e.phase === 'open') loop.status.session = 'open';
    else if (e.phase === 'close') {
      loop.endSession(e.session.closeTs);
      const c = loop.engine.view().contracts;
      if (c) this.o.stream.unsubscribe([c.CE.instrumentKey, c.PE.instrumentKey]);
      loop.setGuard('FEED_DOWN', false, 'feed disconnected');
    } else if (e.phase === 'report') {
      this.dailyReport(e.date).catch((err: Error) => loop.alert('warn', 'DAILY_REPORT', `the daily report failed: ${err.message}`));
    }
  }

  private async warmupPhase(): Promise<void> {
    try {
      await this.loadHistory();
      this.loop!.setGuard('TOKEN_EXPIRED', false, 'Upstox token expired');
      this.updateWarmGuard();
    } catch (err) {
      if (err instanceof TokenExpired) this.tokenExpired(err);
      else this.o.log.warn('warm-up failed; will retry at the next check', { error: (err as Error).message });
    }
    await this.checkClockSync();
  }

  /** The boot-time warm-up failed (no network): once Upstox answers, rebuild the indicators in order. */
  private async lateWarmup(): Promise<void> {
    const loop = this.loop!;
    try {
      await this.loadHistory();
    } catch {
      return; // still offline; the next minute tries again
    }
    this.prepareError = null;
    const upTo = loop.engine.checkpoint().lastClosedBucket ?? this.o.now();
    const today = this.ledger ? this.ledger.candles(NIFTY_INDEX_KEY, upTo - 86_400_000, upTo) : [];
    loop.engine.resetIndexIndicators();
    for (const c of mergeCandles(this.closedHistory(), today)) if (c.ts <= upTo) loop.engine.warmIndexCandle(c);
    this.o.log.info('late warm-up done', { warm: loop.engine.indicatorsWarm() });
  }

  private tokenExpired(err: Error): void {
    const loop = this.loop!;
    const url = this.o.serveLogin ? (this.o.loginUrl ?? null) : null;
    loop.status.loginUrl = url;
    loop.setGuard('TOKEN_EXPIRED', true, `Upstox token expired or revoked: login needed${url ? ` — open ${url}` : ' ("niftybox login --token …" or "niftybox login")'}`, 'error');
    this.o.log.error('Upstox token no longer works', { error: err.message });
    if (this.o.serveLogin && !this.loggingIn) {
      this.loggingIn = true;
      // The stream stopped itself on the dead token: no reconnect storm. A fresh login restarts it.
      this.o.serveLogin().then(
        () => {
          this.loggingIn = false;
          loop.status.loginUrl = null;
          loop.setGuard('TOKEN_EXPIRED', false, 'Upstox token expired');
          this.o.stream.start();
          void this.warmupPhase();
        },
        (e: Error) => {
          this.loggingIn = false;
          loop.alert('error', 'LOGIN_PAGE', `the login page could not run: ${e.message}; use "niftybox login" instead`);
        },
      );
    }
  }

  private async loadHistory(): Promise<void> {
    const now = this.o.now();
    const today = istDate(now);
    const local = this.ledger ? this.ledger.candles(NIFTY_INDEX_KEY, now - 15 * 86_400_000, now) : [];
    const fetched = await warmUpIndexCandles({ rest: this.o.rest, local, calendar: this.o.calendar, today, now, minDays: 5 });
    this.recordHistory(local, fetched, today, now);
    this.history = trimHistory(mergeCandles(this.history, fetched), now);
  }

  /** Upstox's history of the earlier days goes into the ledger too: verify re-runs a day with the warm-up the box had. */
  private recordHistory(local: readonly Candle[], fetched: readonly Candle[], today: string, now: number): void {
    const localDays = new Set(local.map((c) => istDate(c.ts)));
    const history = fetched.filter((c) => istDate(c.ts) < today && !localDays.has(istDate(c.ts)));
    try {
      if (history.length && this.ledger && !this.ledger.readonly) this.ledger.recordOfficialCandles(NIFTY_INDEX_KEY, history, now);
    } catch (err) {
      this.o.log.warn('could not store the warm-up history in the ledger', { error: (err as Error).message });
    }
  }

  private closedHistory(): Candle[] {
    const now = this.o.now();
    return this.history.filter((c) => c.ts + BUCKET_MS <= now);
  }

  private updateWarmGuard(): void {
    const loop = this.loop;
    if (!loop) return;
    const warm = loop.engine.indicatorsWarm();
    const active = Boolean(loop.engine.view().guards.INDICATORS_COLD);
    if (warm === active) loop.setGuard('INDICATORS_COLD', !warm, 'indicators not warm yet: no decisions until enough candles');
  }

  // ---------------------------------------------------------------- the day's ATM pair

  private maybePickContracts(spot: number, ts: number): void {
    const day = istDate(ts);
    const session = this.o.calendar.session(day);
    if (!session || ts < session.openTs || ts >= session.closeTs) return;
    if (this.contractsDay === day) return;
    const existing = this.loop!.engine.view().contracts;
    if (existing && existing.day === day) {
      // Restarted mid-day: keep the pair picked at the open (it is in the checkpoint).
      this.contractsDay = day;
      this.o.stream.subscribe([existing.CE.instrumentKey, existing.PE.instrumentKey], 'full');
      return;
    }
    if (this.o.now() - this.lastPickAttempt < 30_000) return;
    this.lastPickAttempt = this.o.now();
    // The pair comes from the day's first index trade at or after the open: this tick when the feed was up
    // before the open, else the open of the day's first intraday candle (a mid-day start).
    const firstTrade = this.sawOpenDay === day && bucketOf(ts) === session.openTs ? spot : null;
    void this.gate.hold(() => this.pickContracts(day, firstTrade, ts));
  }

  private async pickContracts(day: string, firstTrade: number | null, ts: number): Promise<void> {
    const loop = this.loop!;
    try {
      let spot = firstTrade;
      if (spot === null) {
        const session = this.o.calendar.session(day)!;
        const first = (await this.o.rest.intradayCandles(NIFTY_INDEX_KEY, 'minutes', 5)).filter((c) => istDate(c.ts) === day && c.ts >= session.openTs).sort((a, b) => a.ts - b.ts)[0];
        if (!first) throw new Error(`Upstox has no intraday index candle of ${day} yet`);
        spot = first.open;
      }
      const expiry = this.o.calendar.weeklyExpiry(day);
      const listed = await this.o.rest.optionContracts(NIFTY_INDEX_KEY, expiry);
      const pair = pickAtmPair(listed, spot, expiry);
      if (!pair) {
        loop.alert('warn', 'ATM_PICK', `no ATM CE/PE listed for spot ${spot} expiry ${expiry}: staying flat, retrying`);
        return;
      }
      const contracts: DayContracts = { day, CE: pair.CE, PE: pair.PE };
      loop.setContracts(contracts, ts);
      this.contractsDay = day;
      this.o.stream.subscribe([pair.CE.instrumentKey, pair.PE.instrumentKey], 'full');
      this.o.log.info('ATM pair picked', { day, spot, firstTrade: firstTrade !== null, CE: pair.CE.instrumentKey, PE: pair.PE.instrumentKey, strike: pair.CE.strike, expiry });
      // The pair's earlier candles of the day feed its day ATR (official, closed); the candle in progress was
      // not seen from its first second (the subscription starts now): it is completed at its close.
      const current = loop.engine.view().openBucket ?? bucketOf(this.o.now());
      for (const side of ['CE', 'PE'] as const) {
        const candles = await this.todaysCandles(pair[side].instrumentKey, day);
        for (const c of candles) {
          if (c.ts < current) loop.engine.warmOptionCandle(side, c);
          else if (c.ts === current) for (const t of candleTicks(pair[side].instrumentKey, c)) loop.tick(t);
        }
      }
      this.partial ??= current;
    } catch (err) {
      if (err instanceof TokenExpired) this.tokenExpired(err);
      else loop.alert('warn', 'ATM_PICK', `could not pick the ATM pair: ${(err as Error).message}; retrying`);
    }
  }

  // ---------------------------------------------------------------- candles completed from Upstox

  private async todaysCandles(key: string, day: string): Promise<Candle[]> {
    const list = await this.o.rest.intradayCandles(key, 'minutes', 5);
    return list.filter((c) => istDate(c.ts) === day).sort((a, b) => a.ts - b.ts); // intraday has been seen returning the previous day
  }

  private repairKeys(): string[] {
    const keys = [NIFTY_INDEX_KEY];
    const c = this.loop!.engine.view().contracts;
    if (c && c.day === istDate(this.o.now())) keys.push(c.CE.instrumentKey, c.PE.instrumentKey);
    return keys;
  }

  /**
   * Candles the box did not see whole, from `from` to now, completed from Upstox's intraday candles (the
   * closed ones official, the one in progress as far as it has formed). `warm` (a start): the closed ones
   * only warm the indicators — the box was not running. `trade` (a feed gap, a restart holding a position):
   * they go through the engine as the backtest walks them (open, low, high, close), so a stop the gap
   * crossed fills as it would have. The forming candle's path is checked the same way, then completed at
   * its close. Live ticks wait in the gate meanwhile.
   */
  private async repair(from: number, mode: 'warm' | 'trade', why: string): Promise<void> {
    const loop = this.loop!;
    const now = this.o.now();
    const day = istDate(now);
    const session = this.o.calendar.session(day);
    // Only today's session has candles to complete (a gap reported overnight or before the open has none).
    if (!session || now < session.openTs) return;
    const cur = bucketOf(Math.min(now, session.closeTs - 1));
    const first = Math.max(bucketOf(from), session.openTs);
    const keys = this.repairKeys();
    const lists = await Promise.all(keys.map(async (k) => ({ k, candles: await this.todaysCandles(k, day) })));
    const buckets = [...new Set(lists.flatMap((l) => l.candles.map((c) => c.ts)))].filter((b) => b >= first && b <= cur).sort((a, b) => a - b);
    let closed = 0;
    for (const b of buckets) {
      const at = (k: string) => lists.find((l) => l.k === k)!.candles.find((c) => c.ts === b);
      if (b < cur && mode === 'warm') {
        const idx = at(NIFTY_INDEX_KEY);
        if (idx) loop.engine.warmIndexCandle(idx);
        for (const side of ['CE', 'PE'] as const) {
          const k = keys[side === 'CE' ? 1 : 2];
          const c = k ? at(k) : undefined;
          if (c) loop.engine.warmOptionCandle(side, c);
        }
        this.history = trimHistory(mergeCandles(this.history, idx ? [idx] : []), now);
        closed++;
        continue;
      }
      for (const k of keys) {
        const c = at(k);
        if (c) for (const t of candleTicks(k, c)) loop.tick(t);
      }
      if (b < cur) {
        for (const k of keys) {
          const c = at(k);
          if (c) loop.engine.completeCandle(k, c);
        }
        loop.clock(b + BUCKET_MS + (this.o.candleGraceMs ?? 1500));
        closed++;
      }
    }
    this.coveredUpTo = Math.max(this.coveredUpTo ?? 0, cur);
    if (this.inSessionAt(now)) this.partial = cur;
    this.updateWarmGuard();
    this.o.log.info('candles completed from Upstox', { why, mode, from: istIso(first), closed, forming: istIso(cur) });
  }

  /** The partly seen candle has ended: its official candle replaces the built one before anything uses it. */
  private finalizePartial(): void {
    if (this.finalizing || this.partial === null) return;
    this.finalizing = true;
    const b = this.partial;
    void this.gate.hold(async () => {
      try {
        const loop = this.loop!;
        const due = b + BUCKET_MS + (this.o.candleGraceMs ?? 1500);
        while (this.o.now() < due && !this.stopped) await sleep(25);
        const keys = this.repairKeys();
        const day = istDate(b);
        let got: { k: string; c: Candle | undefined }[] = [];
        for (let attempt = 1; attempt <= OFFICIAL_CANDLE_TRIES && !this.stopped; attempt++) {
          got = await Promise.all(keys.map(async (k) => ({ k, c: (await this.todaysCandles(k, day)).find((c) => c.ts === b) })));
          if (got.every((g) => g.c)) break;
          if (attempt < OFFICIAL_CANDLE_TRIES) await sleep(1000);
        }
        const missing = got.filter((g) => !g.c).map((g) => g.k);
        if (missing.length) loop.alert('warn', 'CANDLE_REPAIR', `Upstox has no ${istIso(b)} candle for ${missing.join(', ')}: using the part this box saw`);
        for (const g of got) if (g.c) loop.engine.completeCandle(g.k, g.c);
        if (this.partial === b) this.partial = null;
        loop.clock(Math.max(this.o.now(), due));
      } catch (err) {
        if (this.partial === b) this.partial = null;
        if (err instanceof TokenExpired) this.tokenExpired(err);
        else throw err;
      } finally {
        this.finalizing = false;
      }
    });
  }

  /** After a reconnect or a silence: the missed minutes, through the one repair path, before any later tick. */
  private backfill(gap: { from: number; to: number }): Promise<void> {
    return this.gate.hold(async () => {
      try {
        await this.repair(gap.from, 'trade', 'feed gap');
        this.o.log.info('feed gap backfilled', { from: istIso(gap.from), to: istIso(gap.to) });
      } catch (err) {
        if (err instanceof TokenExpired) this.tokenExpired(err);
        else this.loop!.alert('warn', 'BACKFILL', `could not backfill the feed gap ${istIso(gap.from)}–${istIso(gap.to)}: ${(err as Error).message}`);
      }
    });
  }

  private async dailyReport(day: string): Promise<void> {
    const loop = this.loop!;
    const c = loop.engine.view().contracts;
    const keys = [NIFTY_INDEX_KEY, ...(c && c.day === day ? [c.CE.instrumentKey, c.PE.instrumentKey] : [])];
    const { text, verdict } = await dailyReport(day, this.ledger!, keys, this.o.calendar, (k) => this.o.rest.intradayCandles(k, 'minutes', 5), loop.engine.parameters);
    loop.status.verify = verdict;
    this.o.log.info('daily report', { day, text });
    loop.alert('info', 'DAILY_REPORT', text);
    this.o.onDailyReport?.(text);
    if (this.mode === 'demo') {
      this.sessionsDone++;
      if (this.o.sessions && this.sessionsDone >= this.o.sessions) this.stop();
      else if (this.o.jumpTo) {
        const next = this.o.calendar.session(this.o.calendar.nextTradingDay(day))!;
        this.o.jumpTo(next.openTs - 31 * 60_000);
        this.lastPhaseCheck = this.o.now();
      }
    }
  }
}
