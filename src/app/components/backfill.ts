/**
 * Backfill: candles the box did not see whole are completed from Upstox's intraday candles, through one
 * repair path — at the start (mid-day start, restart), after a feed gap (reconnect, silence), and for the
 * candle seen only in part (the pair's first, a start inside a candle), whose official candle replaces
 * the built one at its close. Live ticks wait in the gate meanwhile, so nothing reaches the engine out
 * of turn.
 */
import { bucketOf } from '../../core/candle-builder.js';
import { candleTicks } from '../../core/candle-ticks.js';
import { BUCKET_MS, istDate, istIso } from '../../core/time.js';
import { NIFTY_INDEX_KEY, type Candle } from '../../core/types.js';
import { TokenExpired, type FeedTick } from '../../feed/upstox/index.js';
import type { LiveSession } from '../live-session.js';
import type { Component, ComponentContext } from './component.js';

/** How often the closed candle is asked for before the candle built from ticks is used (with an alert). */
const OFFICIAL_CANDLE_TRIES = 5;
const OFFICIAL_CANDLE_RETRY_MS = 1_000;

export class Backfill implements Component {
  readonly name = 'backfill';
  private ctx: ComponentContext | null = null;
  private startRepaired = false;
  private finalizing = false;
  /** End of the last index bucket the engine has (warmed, restored or repaired); a start repairs from here. */
  private coveredUpTo: number | null = null;
  /** Start mode (the warm-up's fact): `trade` replays the missed candles through the engine. */
  private startReplay: 'warm' | 'trade' = 'warm';
  /**
   * Start of the bucket this box did not see from its first second: its official candle replaces the built one at its
   * close.
   */
  private partial: number | null = null;
  /** When the feed last connected (market time). */
  private connectedAt: number | null = null;

  constructor(private readonly s: LiveSession) {}

  start(ctx: ComponentContext): void {
    this.ctx = ctx;
    ctx.on('startCoverage', (c) => {
      this.coveredUpTo = c.upTo;
      this.startReplay = c.replay;
    });
    ctx.on('partialCandle', (b) => (this.partial ??= b));
    ctx.on('feedConnected', (ts) => (this.connectedAt = ts));
    // Emitted before the frame's ticks: they wait behind it.
    ctx.own(
      this.s.o.stream.on(
        'gap',
        ctx.guard((g: { from: number; to: number }) => void this.backfill(g)),
      ),
    );
  }

  stop(): void {
    this.ctx = null;
  }

  /**
   * Called for each live tick before it reaches the engine: true when a repair must run first (the tick
   * was put back in the gate and is delivered after it).
   */
  holdsBack(t: FeedTick): boolean {
    const s = this.s;
    if (!this.startRepaired && s.inSessionAt(t.ts)) {
      this.startRepaired = true;
      if (this.needsStartRepair(t.ts)) {
        s.gate.requeue(t);
        const from = this.coveredUpTo ?? s.o.calendar.session(istDate(t.ts))!.openTs;
        void s.gate.hold(() =>
          this.repair(from, this.startReplay, 'start').catch((err: Error) => {
            if (err instanceof TokenExpired) s.bus.emit('tokenExpired', err);
            else throw err; // the gate alerts CANDLE_REPAIR and lets the ticks through
          }),
        );
        return true;
      }
    }
    if (this.partial !== null && t.ts >= this.partial + BUCKET_MS) {
      // The next candle has begun: the partly seen one is completed from Upstox first.
      s.gate.requeue(t);
      this.finalizePartial();
      return true;
    }
    return false;
  }

  /** The candle clock asks: has the partly seen candle ended? Then it is completed (and closed) here. */
  closesPartial(now: number): boolean {
    if (this.partial === null || now < this.partial + BUCKET_MS) return false;
    this.finalizePartial();
    return true;
  }

  /**
   * A start is whole only when the feed was up before the current candle began and no closed candle of today is
   * missing.
   */
  private needsStartRepair(ts: number): boolean {
    const s = this.s;
    const b = bucketOf(ts);
    const session = s.o.calendar.session(istDate(ts))!;
    const upBefore = this.connectedAt !== null && this.connectedAt <= b;
    const nothingMissing = b === session.openTs || (this.coveredUpTo !== null && this.coveredUpTo >= b);
    return !(upBefore && nothingMissing && this.startReplay === 'warm');
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
    const s = this.s;
    const { loop, o } = s;
    const now = s.now();
    const day = istDate(now);
    const session = o.calendar.session(day);
    // Only today's session has candles to complete (a gap reported overnight or before the open has none).
    if (!session || now < session.openTs) return;
    const cur = bucketOf(Math.min(now, session.closeTs - 1));
    const first = Math.max(bucketOf(from), session.openTs);
    const keys = s.repairKeys();
    const lists = await Promise.all(keys.map(async (k) => ({ k, candles: await s.todaysCandles(k, day) })));
    const buckets = [...new Set(lists.flatMap((l) => l.candles.map((c) => c.ts)))]
      .filter((b) => b >= first && b <= cur)
      .sort((a, b) => a - b);
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
        s.history.merge(idx ? [idx] : [], now);
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
        loop.clock(b + BUCKET_MS + (o.candleGraceMs ?? 1500));
        closed++;
      }
    }
    this.coveredUpTo = Math.max(this.coveredUpTo ?? 0, cur);
    if (s.inSessionAt(now)) this.partial = cur;
    s.updateWarmGuard();
    o.log.info('candles completed from Upstox', { why, mode, from: istIso(first), closed, forming: istIso(cur) });
  }

  /** Resolves `ms` from now on the clock; never, once the component has stopped (its timers are gone). */
  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (ms <= 0) resolve();
      else this.ctx?.after(ms, resolve);
    });
  }

  /** The partly seen candle has ended: its official candle replaces the built one before anything uses it. */
  private finalizePartial(): void {
    const s = this.s;
    if (this.finalizing || this.partial === null) return;
    this.finalizing = true;
    const b = this.partial;
    void s.gate.hold(async () => {
      try {
        const loop = s.loop;
        const due = b + BUCKET_MS + (s.o.candleGraceMs ?? 1500);
        await this.wait(due - s.now());
        const keys = s.repairKeys();
        const day = istDate(b);
        let got: { k: string; c: Candle | undefined }[] = [];
        for (let attempt = 1; attempt <= OFFICIAL_CANDLE_TRIES && this.ctx !== null; attempt++) {
          got = await Promise.all(
            keys.map(async (k) => ({ k, c: (await s.todaysCandles(k, day)).find((c) => c.ts === b) })),
          );
          if (got.every((g) => g.c)) break;
          if (attempt < OFFICIAL_CANDLE_TRIES) await this.wait(OFFICIAL_CANDLE_RETRY_MS);
        }
        const missing = got.filter((g) => !g.c).map((g) => g.k);
        if (missing.length)
          loop.alert(
            'warn',
            'CANDLE_REPAIR',
            `Upstox has no ${istIso(b)} candle for ${missing.join(', ')}: using the part this box saw`,
          );
        for (const g of got) if (g.c) loop.engine.completeCandle(g.k, g.c);
        if (this.partial === b) this.partial = null;
        loop.clock(Math.max(s.now(), due));
      } catch (err) {
        if (this.partial === b) this.partial = null;
        if (err instanceof TokenExpired) s.bus.emit('tokenExpired', err);
        else throw err;
      } finally {
        this.finalizing = false;
      }
    });
  }

  /** After a reconnect or a silence: the missed minutes, through the one repair path, before any later tick. */
  private backfill(gap: { from: number; to: number }): Promise<void> {
    const s = this.s;
    return s.gate.hold(async () => {
      try {
        await this.repair(gap.from, 'trade', 'feed gap');
        s.o.log.info('feed gap backfilled', { from: istIso(gap.from), to: istIso(gap.to) });
      } catch (err) {
        if (err instanceof TokenExpired) s.bus.emit('tokenExpired', err);
        else
          s.loop.alert(
            'warn',
            'BACKFILL',
            `could not backfill the feed gap ${istIso(gap.from)}–${istIso(gap.to)}: ${(err as Error).message}`,
          );
      }
    });
  }
}
