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
import { backfillGap, mergeCandles, TokenExpired, warmUpIndexCandles, warmUpOptionCandles, type FeedTick, type MarketDataStream, type UpstoxRest } from '../feed/upstox/index.js';
import type { Logger } from '../log.js';
import type { Ledger } from '../store/ledger.js';
import type { ClockSyncCheck } from './clock-sync.js';
import { dailyReportText } from './daily-report.js';
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
}

export class UpstoxSource implements TickSource {
  readonly mode: 'live' | 'demo';
  private loop: TradingLoop | null = null;
  private ledger: Ledger | null = null;
  private history: Candle[] = [];
  private contractsDay: string | null = null;
  private picking = false;
  private lastPickAttempt = 0;
  private timer: NodeJS.Timeout | null = null;
  private cronTask: ScheduledTask | null = null;
  private lastPhaseCheck: number;
  private sessionsDone = 0;
  private stopResolve: (() => void) | null = null;
  private stopped = false;
  private lastClockCheck = 0;
  private holdingCloses = false;
  private prepareError: Error | null = null;
  private loggingIn = false;

  constructor(private readonly o: UpstoxSourceOptions) {
    this.mode = o.mode;
    this.lastPhaseCheck = o.now();
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
    if (resumeAfter === null) for (const c of this.closedHistory()) loop.engine.warmIndexCandle(c);
    else for (const c of this.closedHistory().filter((c) => c.ts > resumeAfter)) loop.engine.warmIndexCandle(c);
    this.updateWarmGuard();
    if (this.prepareError instanceof TokenExpired) this.tokenExpired(this.prepareError);
    else if (this.prepareError) loop.alert('warn', 'WARMUP', `could not load history from Upstox (${this.prepareError.message}); retrying before the next open`);

    stream.on('tick', (t) => this.onTick(t));
    stream.on('connected', () => {
      loop.status.feedConnected = true;
      loop.setGuard('FEED_DOWN', false, 'feed disconnected');
    });
    stream.on('disconnected', (d) => {
      loop.status.feedConnected = false;
      if (this.inSession()) loop.setGuard('FEED_DOWN', true, `feed disconnected (${d.code} ${d.reason || ''}); reconnecting`);
    });
    stream.on('stale', (s) => {
      loop.setGuard('STALE_FEED', true, `no market data for ${Math.round(s.silentMs / 1000)} s while the market is open; reconnecting`);
    });
    stream.on('gap', (g) => void this.backfill(g));
    stream.on('tokenExpired', (err) => this.tokenExpired(err));
    stream.on('error', (err) => log.warn('feed error', { error: err.message }));
    stream.subscribe([NIFTY_INDEX_KEY], 'full');
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
    if (t.instrumentKey === NIFTY_INDEX_KEY) this.maybePickContracts(t.ltp, t.ts);
    loop.tick({ instrumentKey: t.instrumentKey, ts: t.ts, ltp: t.ltp, bid: t.bid, ask: t.ask, volume: t.ltq });
  }

  private onTimer(): void {
    const loop = this.loop!;
    const now = this.o.now();
    // Candles close on the clock's boundary (the engine adds the grace), unless the feed is down:
    // then the bucket waits for the backfill so that no candle closes with trades missing.
    if (loop.status.feedConnected && !this.holdingCloses) loop.clock(now);
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
    const r = await this.o.clockSync();
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
    } else if (e.phase === 'report') void this.dailyReport(e.date);
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
    this.history = mergeCandles(this.history, fetched);
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
    if (this.contractsDay === day || this.picking) return;
    const existing = this.loop!.engine.view().contracts;
    if (existing && existing.day === day) {
      // Restarted mid-day: keep the pair picked at the open (it is in the checkpoint).
      this.contractsDay = day;
      this.o.stream.subscribe([existing.CE.instrumentKey, existing.PE.instrumentKey], 'full');
      return;
    }
    if (this.o.now() - this.lastPickAttempt < 30_000) return;
    this.lastPickAttempt = this.o.now();
    this.picking = true;
    void this.pickContracts(day, spot, ts).finally(() => (this.picking = false));
  }

  private async pickContracts(day: string, spot: number, ts: number): Promise<void> {
    const loop = this.loop!;
    try {
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
      this.o.log.info('ATM pair picked', { day, spot, CE: pair.CE.instrumentKey, PE: pair.PE.instrumentKey, strike: pair.CE.strike, expiry });
      // A mid-day start: the day ATR needs today's earlier candles of the pair.
      for (const side of ['CE', 'PE'] as const) {
        const candles = await warmUpOptionCandles({ rest: this.o.rest, instrumentKey: pair[side].instrumentKey, today: day, now: this.o.now() });
        for (const c of candles) if (c.ts + BUCKET_MS <= ts - (ts % BUCKET_MS) + 0) loop.engine.warmOptionCandle(side, c);
      }
    } catch (err) {
      if (err instanceof TokenExpired) this.tokenExpired(err);
      else loop.alert('warn', 'ATM_PICK', `could not pick the ATM pair: ${(err as Error).message}; retrying`);
    }
  }

  // ---------------------------------------------------------------- gaps and reports

  /** After a reconnect: feed the official candles of the missed minutes so indicators do not drift. */
  private async backfill(gap: { from: number; to: number }): Promise<void> {
    const loop = this.loop!;
    this.holdingCloses = true;
    try {
      const keys = [NIFTY_INDEX_KEY];
      const c = loop.engine.view().contracts;
      if (c) keys.push(c.CE.instrumentKey, c.PE.instrumentKey);
      const lists = await Promise.all(keys.map(async (k) => ({ k, candles: await backfillGap(this.o.rest, k, gap, this.o.now()) })));
      const buckets = [...new Set(lists.flatMap((l) => l.candles.map((x) => x.ts)))].sort((a, b) => a - b);
      for (const b of buckets) {
        for (const l of lists) {
          const candle = l.candles.find((x) => x.ts === b);
          if (candle) for (const t of candleTicks(l.k, candle)) loop.tick(t);
        }
        loop.clock(b + BUCKET_MS);
      }
      this.o.log.info('feed gap backfilled', { from: istIso(gap.from), to: istIso(gap.to), buckets: buckets.length });
    } catch (err) {
      loop.alert('warn', 'BACKFILL', `could not backfill the feed gap ${istIso(gap.from)}–${istIso(gap.to)}: ${(err as Error).message}`);
    } finally {
      this.holdingCloses = false;
    }
  }

  private async dailyReport(day: string): Promise<void> {
    const loop = this.loop!;
    const c = loop.engine.view().contracts;
    const keys = [NIFTY_INDEX_KEY, ...(c && c.day === day ? [c.CE.instrumentKey, c.PE.instrumentKey] : [])];
    const text = await dailyReportText(day, this.ledger!, keys, this.o.calendar, (k) => this.o.rest.intradayCandles(k, 'minutes', 5));
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
