/**
 * Live ticks from Upstox (or from the simulated exchange through the very same client, in the demo),
 * run by app components on one clock: the login page, the warm-up, the feed watchdog, the backfill,
 * the contract picker, the daily report, the candle clock and the session scheduler. This file is the
 * tick path (stream → gate → engine) and the components' lifecycle.
 */
import type { TickSource } from '../app.js';
import { NIFTY_INDEX_KEY, type Candle, type Side } from '../core/types.js';
import type { FeedTick } from '../feed/upstox/index.js';
import type { Ledger } from '../store/ledger.js';
import { Backfill } from './components/backfill.js';
import { CandleClock } from './components/candle-clock.js';
import { AppBus, Components, type Component } from './components/component.js';
import { ContractPicker } from './components/contract-picker.js';
import { DailyReporter } from './components/daily-reporter.js';
import { FeedWatchdog } from './components/feed-watchdog.js';
import { LoginPage } from './components/login-page.js';
import { SessionScheduler } from './components/session-scheduler.js';
import { WarmUp } from './components/warm-up.js';
import { LiveSession, type UpstoxSourceOptions } from './live-session.js';

export type { UpstoxSourceOptions } from './live-session.js';
import type { TradingLoop } from './trading-loop.js';

/** Default period of the candle clock and of the phase check on a virtual clock. */
const POLL_MS = 250;

export class UpstoxSource implements TickSource {
  readonly mode: 'live' | 'demo';
  readonly bus = new AppBus();
  private readonly s: LiveSession;
  private readonly components: Components;
  private readonly warmUp: WarmUp;
  private readonly backfill: Backfill;
  private readonly scheduler: SessionScheduler;
  private resumeAfter: number | null = null;
  private ledger: Ledger | null = null;
  private stopped = false;
  private stopResolve: (() => void) | null = null;

  constructor(private readonly o: UpstoxSourceOptions) {
    this.mode = o.mode;
    this.s = new LiveSession(o, this.bus, (t) => this.deliver(t));
    this.components = new Components(this.bus, o.clock, o.log);
    this.warmUp = new WarmUp(this.s, () => this.resumeAfter);
    this.backfill = new Backfill(this.s);
    this.scheduler = new SessionScheduler(this.s, o.pollMs ?? POLL_MS);
    this.bus.on('finished', () => this.stop());
  }

  now(): number {
    return this.o.clock.now();
  }

  /**
   * Warm-up before recovery: ≥ 5 trading days of index candles and what the strategy needs (ledger first, then the
   * API).
   */
  prepare(ledger: Ledger, warmupCandles: number): Promise<void> {
    this.ledger = ledger;
    return this.warmUp.prepare(ledger, warmupCandles);
  }

  index(untilTs: number): Candle[] {
    return this.s.history.until(untilTs);
  }

  /** Today's candles of a held contract, from the ledger (a restart mid-day rebuilds the day ATR from them). */
  option(day: string, _side: Side, instrumentKey: string, untilTs: number): Candle[] {
    const session = this.o.calendar.session(day);
    return this.ledger && session ? this.ledger.candles(instrumentKey, session.openTs, untilTs) : [];
  }

  async run(loop: TradingLoop, resumeAfter: number | null): Promise<void> {
    this.s.attach(loop);
    this.resumeAfter = resumeAfter;
    const { stream } = this.o;
    const components: Component[] = [
      new LoginPage(this.s), // first: the others may find the token dead
      this.backfill, // before the warm-up: it keeps the start coverage the warm-up tells
      this.warmUp,
      new FeedWatchdog(this.s),
      new ContractPicker(this.s),
      new DailyReporter(this.s, this.ledger),
    ];
    await this.components.start(components);
    const offTick = stream.on('tick', (t) => this.onTick(t));
    stream.subscribe([NIFTY_INDEX_KEY], 'full');
    stream.start();
    await this.components.start([this.scheduler, new CandleClock(this.s, this.backfill, this.o.pollMs ?? POLL_MS)]);
    const done = new Promise<void>((resolve) => (this.stopResolve = resolve));
    if (this.stopped) this.stopResolve?.();
    await done;
    await this.components.stop();
    offTick();
    stream.stop();
  }

  stop(): void {
    this.stopped = true;
    this.stopResolve?.();
  }

  private onTick(t: FeedTick): void {
    if (t.greeks && t.iv !== undefined) {
      // Upstox's IV: a fraction (0.142) on the wire of the fake and, per its docs' examples, of Upstox; shown in
      // percent.
      const g = t.greeks;
      (this.s.loop.status.feedGreeks ??= new Map()).set(t.instrumentKey, {
        iv: t.iv < 3 ? t.iv * 100 : t.iv,
        delta: g.delta,
        gamma: g.gamma,
        theta: g.theta,
        vega: g.vega,
      });
    }
    if (t.initial) return; // a snapshot of the last trade, not a new one
    this.s.gate.push(t);
  }

  /** One live tick to the engine, in order (the gate holds it while a repair runs). */
  private deliver(t: FeedTick): void {
    if (this.backfill.holdsBack(t)) return;
    this.s.loop.tick({ instrumentKey: t.instrumentKey, ts: t.ts, ltp: t.ltp, bid: t.bid, ask: t.ask, volume: t.ltq });
    if (t.instrumentKey === NIFTY_INDEX_KEY) this.bus.emit('indexTick', { ltp: t.ltp, ts: t.ts });
  }
}
