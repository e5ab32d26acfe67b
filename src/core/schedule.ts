/**
 * The trading day's timetable as a pure function of the calendar: what is due between two instants.
 * Live, node-cron asks once a minute; a replay or the demo asks as its virtual clock moves.
 */
import type { MarketCalendar, Session } from './calendar.js';
import { addDays, istDate, istTime, MINUTE_MS } from './time.js';

export type DayPhase =
  /** Load history, check the token and clock: before the open. */
  | 'warmup'
  /** The session opens: the ATM pair is picked at the first index trade from here. */
  | 'open'
  /** The session closes: positions still open exit (SESSION_END), pending orders are dropped. */
  | 'close'
  /** After the close: the daily report and candle reconciliation. */
  | 'report';

export interface DueEvent {
  phase: DayPhase;
  date: string;
  at: number;
  session: Session;
}

export interface ScheduleOptions {
  warmupLeadMinutes: number;
  reportLagMinutes: number;
}

export const DEFAULT_SCHEDULE: ScheduleOptions = { warmupLeadMinutes: 30, reportLagMinutes: 10 };

/** The phases of one date, in time order; none on a holiday. */
export function dayPlan(calendar: MarketCalendar, date: string, opts: ScheduleOptions = DEFAULT_SCHEDULE): DueEvent[] {
  const session = calendar.session(date);
  if (!session) return [];
  return [
    { phase: 'warmup', date, at: session.openTs - opts.warmupLeadMinutes * MINUTE_MS, session },
    { phase: 'open', date, at: session.openTs, session },
    { phase: 'close', date, at: session.closeTs, session },
    { phase: 'report', date, at: session.closeTs + opts.reportLagMinutes * MINUTE_MS, session },
  ];
}

/** Everything due in (after, upTo], in time order. */
export function dueBetween(
  calendar: MarketCalendar,
  after: number,
  upTo: number,
  opts: ScheduleOptions = DEFAULT_SCHEDULE,
): DueEvent[] {
  if (!(upTo > after)) return [];
  const out: DueEvent[] = [];
  for (let d = istDate(after); istTime(d, 0) <= upTo; d = addDays(d, 1)) {
    for (const e of dayPlan(calendar, d, opts)) if (e.at > after && e.at <= upTo) out.push(e);
  }
  return out;
}

/** Where `ts` sits in its day: before the open, in session, after the close, or a holiday. */
export function phaseAt(calendar: MarketCalendar, ts: number): 'pre_open' | 'open' | 'closed' | 'holiday' {
  const s = calendar.session(istDate(ts));
  if (!s) return 'holiday';
  if (ts < s.openTs) return 'pre_open';
  if (ts < s.closeTs) return 'open';
  return 'closed';
}
