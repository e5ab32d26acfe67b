/**
 * Session scheduler: the day's phases from the market calendar (warm-up, open, close, report), checked
 * once a minute by node-cron on the system clock (live) or on the virtual clock's timer (demo, tests) —
 * the same computation (core/schedule.ts dueBetween) either way. It keeps the loop's session phase, ends
 * the session at the close, and tells the other components which phase fell due.
 */
import cron from 'node-cron';
import { dueBetween, phaseAt, type DueEvent } from '../../core/schedule.js';
import { istIso } from '../../core/time.js';
import type { LiveSession } from '../live-session.js';
import type { Component, ComponentContext } from './component.js';

export class SessionScheduler implements Component {
  readonly name = 'session-scheduler';
  private lastCheck: number;

  constructor(
    private readonly s: LiveSession,
    /** Without node-cron: the period of the check on the (virtual) clock. */
    private readonly periodMs: number,
  ) {
    this.lastCheck = s.now(); // from construction: a boundary passed during the boot-time warm-up still counts
  }

  start(ctx: ComponentContext): void {
    this.setSession();
    ctx.on('jumped', (ts) => (this.lastCheck = ts));
    if (this.s.o.useCron) {
      // node-cron once a minute: the calendar decides what each minute means. No `timezone` option: an
      // every-minute schedule is the same in every zone, and node-cron's timezone path formats each
      // tick through Intl, which pulls ICU's locale and zone data into the box (≈ 10 MB of RSS).
      const task = cron.schedule(
        '* * * * *',
        ctx.guard(() => this.check(ctx)),
      );
      ctx.own(() => task.stop());
    } else {
      ctx.every(this.periodMs, () => this.check(ctx));
    }
  }

  private check(ctx: ComponentContext): void {
    const now = this.s.now();
    const due = dueBetween(this.s.o.calendar, this.lastCheck, now);
    this.lastCheck = now;
    for (const e of due) this.run(ctx, e);
    this.setSession();
  }

  private run(ctx: ComponentContext, e: DueEvent): void {
    const { loop, o } = this.s;
    o.log.info(`schedule: ${e.phase}`, { date: e.date, at: istIso(e.at) });
    if (e.phase === 'open') loop.status.session = 'open';
    else if (e.phase === 'close') {
      loop.endSession(e.session.closeTs);
      const c = loop.engine.view().contracts;
      if (c) o.stream.unsubscribe([c.CE.instrumentKey, c.PE.instrumentKey]);
      loop.setGuard('FEED_DOWN', false, 'feed disconnected');
    }
    ctx.bus.emit('phase', e);
  }

  private setSession(): void {
    this.s.loop.status.session = phaseAt(this.s.o.calendar, this.s.now());
  }
}
