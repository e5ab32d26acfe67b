/**
 * Warm-up: ≥ 5 trading days of index candles, and at least what the chosen strategy needs before its
 * first decision (confluence: 201 candles, three days), (the ledger first, then Upstox's candle API) before the
 * engine recovers (prepare), into the indicators at start, again at the day's warm-up phase and after a
 * re-login, and — when the boot-time warm-up failed — retried every minute until Upstox answers.
 * Keeps INDICATORS_COLD up while the indicators are cold.
 */
import { BUCKET_MS, istDate } from '../../core/time.js';
import { NIFTY_INDEX_KEY, type Candle } from '../../core/types.js';
import { mergeCandles, TokenExpired, warmUpIndexCandles } from '../../feed/upstox/index.js';
import type { Ledger } from '../../store/ledger.js';
import type { LiveSession } from '../live-session.js';
import type { Component, ComponentContext } from './component.js';

const RETRY_MS = 60_000;
/** 5-minute index candles in a regular NSE session (09:15–15:30). */
const CANDLES_PER_DAY = 75;

/**
 * Earlier trading days of index candles that cover `candles` (the strategy's warm-up need) without
 * today's, and never fewer than 5; a special (short) session on the way is covered by the extra day.
 */
export function warmUpTradingDays(candles: number): number {
  return Math.max(5, Math.ceil(candles / CANDLES_PER_DAY) + 1);
}

export class WarmUp implements Component {
  readonly name = 'warm-up';
  private ledger: Ledger | null = null;
  /** The boot-time warm-up failed (no network, dead token): retried until it works. */
  private prepareError: Error | null = null;
  /** Earlier trading days of index candles the chosen strategy needs (prepare sets it). */
  private minDays = 5;

  constructor(
    private readonly s: LiveSession,
    /** The checkpoint's last closed bucket (a restart), or null. */
    private readonly resumeAfter: () => number | null,
  ) {}

  /** Before recovery: the history, or (no network, no valid token at boot) what the ledger has. Never throws. */
  async prepare(ledger: Ledger, warmupCandles: number): Promise<void> {
    this.ledger = ledger;
    this.minDays = warmUpTradingDays(warmupCandles);
    try {
      await this.loadHistory();
    } catch (err) {
      // Entries stay blocked while indicators are cold; the warm-up is retried.
      this.prepareError = err as Error;
      const now = this.s.now();
      this.s.history.replace(ledger.candles(NIFTY_INDEX_KEY, now - this.lookBackMs(), now));
      this.s.o.log.warn("warm-up from Upstox failed; starting from the ledger's candles and retrying later", {
        error: (err as Error).message,
      });
    }
  }

  start(ctx: ComponentContext): void {
    const s = this.s;
    const { loop } = s;
    const resumeAfter = this.resumeAfter();
    const now = s.now();
    const held = loop.engine.view();
    // A restart during the session with a position or a pending order: the candles it missed go through
    // the engine (stops, fills) as after a feed gap. Otherwise they only warm the indicators.
    if (
      resumeAfter !== null &&
      istDate(resumeAfter) === istDate(now) &&
      (held.position || held.pendingEntry) &&
      s.inSession()
    ) {
      ctx.bus.emit('startCoverage', { upTo: resumeAfter + BUCKET_MS, replay: 'trade' });
    } else {
      const warm = s.closedHistory().filter((c) => resumeAfter === null || c.ts > resumeAfter);
      for (const c of warm) loop.engine.warmIndexCandle(c);
      const last = warm.at(-1)?.ts ?? resumeAfter;
      ctx.bus.emit('startCoverage', {
        upTo: last === null || last === undefined ? null : last + BUCKET_MS,
        replay: 'warm',
      });
    }
    s.updateWarmGuard();
    if (this.prepareError instanceof TokenExpired) ctx.bus.emit('tokenExpired', this.prepareError);
    else if (this.prepareError)
      loop.alert(
        'warn',
        'WARMUP',
        `could not load history from Upstox (${this.prepareError.message}); retrying before the next open`,
      );
    ctx.on('phase', (e) => (e.phase === 'warmup' ? this.warmupPhase(ctx) : undefined));
    ctx.on('loggedIn', () => this.warmupPhase(ctx));
    const retry = () => {
      if (this.prepareError && !loop.engine.indicatorsWarm()) void this.lateWarmup();
      s.updateWarmGuard();
    };
    ctx.after(0, retry);
    ctx.every(RETRY_MS, retry);
  }

  private async warmupPhase(ctx: ComponentContext): Promise<void> {
    try {
      await this.loadHistory();
      this.s.loop.setGuard('TOKEN_EXPIRED', false, 'Upstox token expired');
      this.s.updateWarmGuard();
    } catch (err) {
      if (err instanceof TokenExpired) ctx.bus.emit('tokenExpired', err);
      else this.s.o.log.warn('warm-up failed; will retry at the next check', { error: (err as Error).message });
    }
  }

  /** The boot-time warm-up failed (no network): once Upstox answers, rebuild the indicators in order. */
  private async lateWarmup(): Promise<void> {
    const s = this.s;
    const loop = s.loop;
    try {
      await this.loadHistory();
    } catch {
      return; // still offline; the next minute tries again
    }
    this.prepareError = null;
    const upTo = loop.engine.checkpoint().lastClosedBucket ?? s.now();
    const today = this.ledger ? this.ledger.candles(NIFTY_INDEX_KEY, upTo - 86_400_000, upTo) : [];
    loop.engine.resetIndexIndicators();
    for (const c of mergeCandles(s.closedHistory(), today)) if (c.ts <= upTo) loop.engine.warmIndexCandle(c);
    s.o.log.info('late warm-up done', { warm: loop.engine.indicatorsWarm() });
  }

  private async loadHistory(): Promise<void> {
    const s = this.s;
    const now = s.now();
    const today = istDate(now);
    const local = this.ledger ? this.ledger.candles(NIFTY_INDEX_KEY, now - this.lookBackMs(), now) : [];
    const fetched = await warmUpIndexCandles({
      rest: s.o.rest,
      local,
      calendar: s.o.calendar,
      today,
      now,
      minDays: this.minDays,
    });
    this.recordHistory(local, fetched, today, now);
    s.history.merge(fetched, now);
  }

  /** Calendar time that holds minDays trading days whatever the weekends and holidays (15 days for the default 5). */
  private lookBackMs(): number {
    return (Math.ceil((this.minDays * 7) / 5) + 8) * 86_400_000;
  }

  /**
   * Upstox's history of the earlier days goes into the ledger too: verify re-runs a day with the warm-up the box had.
   */
  private recordHistory(local: readonly Candle[], fetched: readonly Candle[], today: string, now: number): void {
    const ledger = this.ledger;
    const localDays = new Set(local.map((c) => istDate(c.ts)));
    const history = fetched.filter((c) => istDate(c.ts) < today && !localDays.has(istDate(c.ts)));
    try {
      if (history.length && ledger && !ledger.readonly) ledger.recordOfficialCandles(NIFTY_INDEX_KEY, history, now);
    } catch (err) {
      this.s.o.log.warn('could not store the warm-up history in the ledger', { error: (err as Error).message });
    }
  }
}
