/**
 * Daily report: after the close, the day's trades checked against Upstox's official candles
 * (app/daily-report.ts), logged, raised as an info alert and handed on. In the demo it counts the
 * sessions: the last one finishes the run, the others jump the virtual clock to the next session.
 */
import { NIFTY_INDEX_KEY } from '../../core/types.js';
import { dailyReport } from '../daily-report.js';
import type { Ledger } from '../../store/ledger.js';
import type { LiveSession } from '../live-session.js';
import type { Component, ComponentContext } from './component.js';

export class DailyReporter implements Component {
  readonly name = 'daily-report';
  private sessionsDone = 0;

  constructor(
    private readonly s: LiveSession,
    private readonly ledger: Ledger | null,
  ) {}

  start(ctx: ComponentContext): void {
    ctx.on('phase', (e) => {
      if (e.phase !== 'report') return;
      return this.report(ctx, e.date).catch((err: Error) =>
        this.s.loop.alert('warn', 'DAILY_REPORT', `the daily report failed: ${err.message}`),
      );
    });
  }

  private async report(ctx: ComponentContext, day: string): Promise<void> {
    const { loop, o } = this.s;
    const c = loop.engine.view().contracts;
    const keys = [NIFTY_INDEX_KEY, ...(c && c.day === day ? [c.CE.instrumentKey, c.PE.instrumentKey] : [])];
    const { text, verdict } = await dailyReport(
      {
        day,
        ledger: this.ledger!,
        keys,
        calendar: o.calendar,
        official: (k) => o.rest.intradayCandles(k, 'minutes', 5),
        recordedAt: this.s.now(),
      },
      loop.engine.parameters,
    );
    loop.status.verify = verdict;
    o.log.info('daily report', { day, text });
    loop.alert('info', 'DAILY_REPORT', text);
    o.onDailyReport?.(text);
    if (o.mode !== 'demo') return;
    this.sessionsDone++;
    if (o.sessions && this.sessionsDone >= o.sessions) ctx.bus.emit('finished');
    else if (o.jumpTo) {
      const next = o.calendar.session(o.calendar.nextTradingDay(day))!;
      o.jumpTo(next.openTs - 31 * 60_000);
      ctx.bus.emit('jumped', this.s.now());
    }
  }
}
