/**
 * Keeps the screen up to date off the trading path: setState only stores the latest state; a
 * timer (at most maxFps) renders the current page into a fresh framebuffer and hands it to the
 * sink, which sends only what changed. Pages advance every pageSeconds of real time.
 */
import type { MarketCalendar } from '../../core/calendar.js';
import type { ApplianceState } from '../../core/state.js';
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
}

export class StatusDisplay {
  private state: ApplianceState | null = null;
  private deviceAlarms: DeviceAlarm[] = [];
  private readonly fb = new Framebuffer();
  private timer: NodeJS.Timeout | null = null;
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
    this.timer = setInterval(() => {
      this.elapsedMs += this.intervalMs;
      this.render();
    }, this.intervalMs);
    this.timer.unref?.();
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
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.opts.sink.close();
  }
}
