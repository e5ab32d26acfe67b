/**
 * `niftybox run --replay`: recorded candles drive the whole appliance on a virtual clock — the same
 * day walk as the backtest (candle → ticks open, low, high, close), with the schedule's phases, the
 * ledger and the outputs. Resumable: buckets the ledger already holds are skipped.
 */
import { replayDay, withLotSizes, type BacktestDay } from '../core/backtest.js';
import type { MarketCalendar } from '../core/calendar.js';
import { dayPlan } from '../core/schedule.js';
import { BUCKET_MS, istDate } from '../core/time.js';
import type { Candle, Side } from '../core/types.js';
import type { TickSource } from '../app.js';
import { realClock } from '../lib/clock.js';
import type { Logger } from '../log.js';
import type { TradingLoop } from './trading-loop.js';

export interface ReplayPlan {
  index: readonly Candle[];
  options: ReadonlyMap<string, BacktestDay>;
  from?: string;
  to?: string;
  /** Virtual-time speed-up; 'max' runs as fast as the machine allows. */
  speed: number | 'max';
  calendar: MarketCalendar;
}

export class CandleReplaySource implements TickSource {
  readonly mode = 'replay' as const;
  private readonly from: string;
  private readonly to: string;
  private virtualNow = 0;
  stopped = false;

  constructor(
    private readonly plan: ReplayPlan,
    private readonly log: Logger,
  ) {
    const days = [...plan.options.keys()].sort();
    this.from = plan.from ?? days[0] ?? '9999-99-99';
    this.to = plan.to ?? days.at(-1) ?? '0000-00-00';
  }

  index(untilTs: number): Candle[] {
    const out: Candle[] = [];
    for (const c of this.plan.index) {
      if (c.ts > untilTs) break;
      out.push(c);
    }
    return out;
  }

  option(day: string, side: Side, _instrumentKey: string, untilTs: number): Candle[] {
    return (this.plan.options.get(day)?.candles[side] ?? []).filter((c) => c.ts <= untilTs);
  }

  /** Trading days the replay covers. */
  days(): string[] {
    return [...this.plan.options.keys()].filter((d) => d >= this.from && d <= this.to).sort();
  }

  /** Virtual time: the time of the last replayed tick or clock step. */
  now(): number {
    return this.virtualNow;
  }

  /** Runs the replay to the end (or until stop()). `resumeAfter` is the ledger's last closed bucket. */
  async run(loop: TradingLoop, resumeAfter: number | null, onDayEnd?: (day: string) => void): Promise<void> {
    const { index, options, calendar } = this.plan;
    const engine = loop.engine;
    const fromBucket = resumeAfter === null ? -Infinity : resumeAfter + BUCKET_MS;
    let i = 0;
    let lastPace = performance.now();
    let virtualSincePace = 0;
    while (i < index.length && !this.stopped) {
      const day = istDate(index[i]!.ts);
      let end = i;
      while (end < index.length && istDate(index[end]!.ts) === day) end++;
      if (day > this.to) break;
      const od = day >= this.from ? options.get(day) : undefined;
      if (!od) {
        // History only (before --from, or a day without an option pair): indicators, no trading.
        for (let k = i; k < end; k++)
          if (resumeAfter === null || index[k]!.ts > resumeAfter) engine.warmIndexCandle(index[k]!);
        i = end;
        continue;
      }
      const lastOfDay = Math.max(index[end - 1]!.ts, lastBucket(od));
      if (resumeAfter !== null && lastOfDay <= resumeAfter) {
        // A day a previous run already played; settle it in case the crash came before its close.
        if (engine.view().day === day)
          loop.endSession(dayPlan(calendar, day)[0]?.session.closeTs ?? lastOfDay + BUCKET_MS);
        i = end;
        continue;
      }
      const plan = dayPlan(calendar, day);
      const session = plan[0]?.session;
      this.log.info('replay: session', { day, open: session?.openTs, close: session?.closeTs });
      loop.status.session = 'open';
      loop.status.feedConnected = true;
      this.virtualNow = Math.max(this.virtualNow, session?.openTs ?? index[i]!.ts);
      loop.setContracts(withLotSizes(od.contracts, calendar), this.virtualNow);
      let buckets = 0;
      const pace = async () => {
        if (this.plan.speed === 'max') {
          if (++buckets % 25 === 0) await yieldToEventLoop();
          return;
        }
        virtualSincePace += BUCKET_MS;
        const due = virtualSincePace / this.plan.speed;
        const elapsed = performance.now() - lastPace;
        if (due > elapsed) await realClock.sleep(due - elapsed);
        lastPace = performance.now();
        virtualSincePace = 0;
      };
      // Bucket by bucket so that pacing, signals and the control socket get their turn.
      const steps: (() => void)[] = [];
      replayDay(
        index,
        i,
        end,
        od,
        (t) => {
          const tick = { ...t };
          steps.push(() => {
            this.virtualNow = tick.ts;
            loop.tick(tick);
          });
        },
        (ts) =>
          steps.push(() => {
            this.virtualNow = ts;
            loop.clock(ts);
          }, PACE),
        fromBucket,
      );
      for (const step of steps) {
        if (this.stopped) return;
        if (step === PACE) await pace();
        else step();
      }
      const closeTs = session?.closeTs ?? index[end - 1]!.ts + BUCKET_MS;
      this.virtualNow = Math.max(this.virtualNow, closeTs);
      loop.endSession(closeTs);
      loop.status.session = 'closed';
      loop.publishState(true);
      onDayEnd?.(day);
      i = end;
    }
  }

  stop(): void {
    this.stopped = true;
  }
}

const PACE = () => {};

function lastBucket(od: BacktestDay | undefined): number {
  if (!od) return -Infinity;
  return Math.max(od.candles.CE.at(-1)?.ts ?? -Infinity, od.candles.PE.at(-1)?.ts ?? -Infinity);
}

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));
