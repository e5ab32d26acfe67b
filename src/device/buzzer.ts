/**
 * An active buzzer on a GPIO output, played by timers (never blocking). Patterns are alternating
 * on/off durations in ms, starting with "on". One pattern at a time: a higher-priority pattern
 * (halt > alarm > exit > entry) cuts the current one short; others queue (at most 4).
 * Outside the market session and inside quiet hours only the halt acknowledgement sounds.
 */
import { alertCodesWhere } from '../core/alerts.js';
import type { MarketCalendar } from '../core/calendar.js';
import type { EngineEvent } from '../core/events.js';
import type { ApplianceState } from '../core/state.js';
import { istDate, istMinuteOfDay, parseHhmm } from '../core/time.js';
import { realClock, type Clock, type Timer } from '../lib/clock.js';
import type { Logger } from '../log.js';
import type { BinaryValue, GpioConstructor, GpioLike } from './gpio/onoff.js';

export type PatternName = 'entry' | 'exit_profit' | 'exit_loss' | 'halt' | 'alarm';

/** on, off, on, off … (ms). */
export const BUZZER_PATTERNS: Record<PatternName, readonly number[]> = {
  entry: [100],
  exit_profit: [100, 100, 100],
  exit_loss: [800],
  halt: [60, 60, 60, 60, 60],
  /** long-short-short-long: unlike anything a trade makes */
  alarm: [400, 150, 100, 100, 100, 150, 400],
};

const PRIORITY: Record<PatternName, number> = { entry: 1, exit_profit: 2, exit_loss: 2, alarm: 3, halt: 4 };

/** Gap between two queued patterns so they do not run together. */
export const PATTERN_GAP_MS = 250;
/** Alarm codes that sound (and repeat every minute while they last): the table in core/alerts.ts says which. */
export const ALARM_CODES: ReadonlySet<string> = alertCodesWhere((a) => a.buzzer === 'alarm');
export const ALARM_REPEAT_MS = 60_000;

export interface BuzzerPin {
  write(on: BinaryValue): void;
  close(): void;
}

/** The real pin. Active-low modules start physically high (silent) so writeSync(1) sounds. */
export class GpioBuzzerPin implements BuzzerPin {
  private readonly gpio: GpioLike;
  constructor(Gpio: GpioConstructor, sysfsNumber: number, activeLow: boolean) {
    this.gpio = new Gpio(sysfsNumber, activeLow ? 'high' : 'low', 'none', { activeLow });
  }
  write(on: BinaryValue): void {
    this.gpio.writeSync(on);
  }
  close(): void {
    this.gpio.writeSync(0);
    this.gpio.unexport();
  }
}

/** The twin: logs each pattern start instead of sounding. */
export class LogBuzzerPin implements BuzzerPin {
  constructor(private readonly onChange?: (on: BinaryValue) => void) {}
  write(on: BinaryValue): void {
    this.onChange?.(on);
  }
  close(): void {}
}

export interface BuzzerOptions {
  pin: BuzzerPin;
  calendar: MarketCalendar;
  /** The market time the session and quiet hours are judged by. */
  now: () => number;
  log: Logger;
  /** IST "HH:MM-HH:MM"; may wrap midnight. */
  quietHours?: string;
  /** Plays the patterns (tests: a ManualClock). Default the system clock. */
  clock?: Clock;
}

export class Buzzer {
  private current: PatternName | null = null;
  private queue: PatternName[] = [];
  private timer: Timer | null = null;
  private on = false;
  private readonly quiet: { from: number; to: number } | null;
  private failed = false;
  readonly clock: Clock;

  constructor(private readonly opts: BuzzerOptions) {
    this.clock = opts.clock ?? realClock;
    const m = opts.quietHours ? /^(\d\d:\d\d)-(\d\d:\d\d)$/.exec(opts.quietHours) : null;
    this.quiet = m ? { from: parseHhmm(m[1]!), to: parseHhmm(m[2]!) } : null;
  }

  /** Whether a pattern may sound now: halt always; the rest in session and outside quiet hours. */
  allowed(name: PatternName, now = this.opts.now()): boolean {
    if (name === 'halt') return true;
    const session = this.opts.calendar.session(istDate(now));
    if (!session || now < session.openTs || now >= session.closeTs) return false;
    if (this.quiet) {
      const m = istMinuteOfDay(now);
      const { from, to } = this.quiet;
      const inQuiet = from <= to ? m >= from && m < to : m >= from || m < to;
      if (inQuiet) return false;
    }
    return true;
  }

  /** Plays a pattern (or drops it when not allowed now). Returns whether it was accepted. */
  play(name: PatternName): boolean {
    if (!this.allowed(name)) {
      this.opts.log.debug(`buzzer: ${name} not sounded (outside market hours or quiet hours)`);
      return false;
    }
    if (this.current && PRIORITY[name] > PRIORITY[this.current]) {
      this.cancelCurrent();
      this.queue = this.queue.filter((q) => PRIORITY[q] >= PRIORITY[name]);
    }
    if (this.current) {
      if (this.queue.length < 4) this.queue.push(name);
      return true;
    }
    this.start(name);
    return true;
  }

  get playing(): PatternName | null {
    return this.current;
  }

  close(): void {
    this.cancelCurrent();
    this.queue = [];
    try {
      this.opts.pin.close();
    } catch {
      // best effort
    }
  }

  private start(name: PatternName): void {
    this.current = name;
    this.opts.log.info(`buzzer: ${name}`, { pattern: BUZZER_PATTERNS[name].join('/') });
    this.step(BUZZER_PATTERNS[name], 0);
  }

  private step(pattern: readonly number[], i: number): void {
    if (i >= pattern.length) {
      this.write(0);
      this.timer = this.clock.after(PATTERN_GAP_MS, () => this.next(), { background: true });
      return;
    }
    this.write(i % 2 === 0 ? 1 : 0);
    this.timer = this.clock.after(pattern[i]!, () => this.step(pattern, i + 1), { background: true });
  }

  private next(): void {
    this.timer = null;
    this.current = null;
    const name = this.queue.shift();
    if (name) this.start(name);
  }

  private cancelCurrent(): void {
    this.timer?.cancel();
    this.timer = null;
    this.current = null;
    if (this.on) this.write(0);
  }

  private write(v: BinaryValue): void {
    this.on = v === 1;
    try {
      this.opts.pin.write(v);
      this.failed = false;
    } catch (err) {
      if (!this.failed) this.opts.log.warn(`buzzer pin write failed: ${(err as Error).message}`);
      this.failed = true;
    }
  }
}

/**
 * Turns engine events and state into sounds: entry, exit (won/lost), halt, and alarms — an
 * alarm sounds when its code appears and then every minute while any alarm lasts.
 */
export class BuzzerAnnouncer {
  private active = new Set<string>();
  private repeat: Timer | null = null;

  constructor(readonly buzzer: Buzzer) {}

  onEvents(events: readonly EngineEvent[], state: ApplianceState): void {
    const alarmCodes = new Set(state.alarms.map((a) => a.code).filter((c) => ALARM_CODES.has(c)));
    for (const e of events) {
      if (e.type === 'entry') this.buzzer.play('entry');
      else if (e.type === 'exit') this.buzzer.play(e.trade.netPnl > 0 ? 'exit_profit' : 'exit_loss');
      else if (e.type === 'halt') this.buzzer.play('halt');
      else if (e.type === 'alert' && ALARM_CODES.has(e.code)) alarmCodes.add(e.code);
    }
    this.updateAlarms(alarmCodes);
  }

  onState(state: ApplianceState): void {
    this.updateAlarms(new Set(state.alarms.map((a) => a.code).filter((c) => ALARM_CODES.has(c))));
  }

  close(): void {
    this.repeat?.cancel();
    this.repeat = null;
    this.buzzer.close();
  }

  private updateAlarms(codes: Set<string>): void {
    const fresh = [...codes].some((c) => !this.active.has(c));
    this.active = codes;
    if (codes.size === 0) {
      this.repeat?.cancel();
      this.repeat = null;
      return;
    }
    if (fresh) {
      this.buzzer.play('alarm');
      this.repeat?.cancel();
      this.repeat = this.buzzer.clock.every(
        ALARM_REPEAT_MS,
        () => {
          if (this.active.size > 0) this.buzzer.play('alarm');
        },
        { background: true },
      );
    }
  }
}
