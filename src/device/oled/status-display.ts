/**
 * Keeps the screen up to date off the trading path: setState only stores the latest state; a
 * timer (at most maxFps) renders the current page into a fresh framebuffer and hands it to the
 * sink, which sends only what changed. Pages advance every pageSeconds of the display's clock
 * (the system clock on the box).
 */
import type { MarketCalendar } from '../../core/calendar.js';
import type { ApplianceState } from '../../core/state.js';
import { realClock, type Clock, type Timer } from '../../lib/clock.js';
import type { Logger } from '../../log.js';
import { Framebuffer } from './framebuffer.js';
import { type DeviceAlarm, renderScreen } from './screens.js';
import type { DisplaySink } from './sink.js';

export interface StatusDisplayOptions {
  sink: DisplaySink;
  log: Logger;
  now: () => number;
  pageSeconds: number;
  maxFps: number;
  resumeHoldMs: number;
  calendar?: MarketCalendar;
  /** The render timer (and so the page cycle) runs on it. Default the system clock. */
  clock?: Clock;
}

export class StatusDisplay {
  private state: ApplianceState | null = null;
  private deviceAlarms: DeviceAlarm[] = [];
  private readonly fb = new Framebuffer();
  private timer: Timer | null = null;
  private elapsedMs = 0;
  private failing = false;
  readonly intervalMs: number;
  /** Id of the page drawn last (tests, logs). */
  currentScreen = '';

  constructor(private readonly opts: StatusDisplayOptions) {
    this.intervalMs = Math.max(100, Math.round(1000 / opts.maxFps));
  }

  get sink(): DisplaySink {
    return this.opts.sink;
  }

  setState(state: ApplianceState): void {
    this.state = state;
  }

  setDeviceAlarms(alarms: DeviceAlarm[]): void {
    this.deviceAlarms = alarms;
  }

  start(): void {
    if (this.timer) return;
    this.render();
    this.timer = (this.opts.clock ?? realClock).every(
      this.intervalMs,
      () => {
        this.elapsedMs += this.intervalMs;
        this.render();
      },
      { background: true },
    );
  }

  /** Renders the current page now and pushes it. Never throws. */
  render(): Framebuffer {
    try {
      this.currentScreen = renderScreen(this.fb, {
        state: this.state,
        now: this.opts.now(),
        page: Math.floor(this.elapsedMs / (this.opts.pageSeconds * 1000)),
        resumeHoldMs: this.opts.resumeHoldMs,
        deviceAlarms: this.deviceAlarms,
        calendar: this.opts.calendar,
      });
      this.opts.sink.show(this.fb);
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.opts.log.error('display render failed', { err });
      this.failing = true;
    }
    return this.fb;
  }

  async close(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    await this.opts.sink.close();
  }
}
