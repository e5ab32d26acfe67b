/**
 * The real SSD1306 over I2C on a guarded bus: oled-i2c-bus initialises the panel, sends full frames
 * and turns it off; frames come from our own framebuffer, and when only a few bytes changed they go
 * as one column window per page through our own window write (ssd1306-window.ts). An unplugged panel
 * marks the display lost (DISPLAY_LOST once), is probed every 30 s, and re-initialised when it
 * answers; nothing here throws into the caller or into a timer.
 */
import { realClock, type Clock, type Timer } from '../../lib/clock.js';
import type { Logger } from '../../log.js';
import { Framebuffer, OLED_HEIGHT, OLED_WIDTH, dirtyWindows } from './framebuffer.js';
import { GuardedI2cBus, type I2cBusLike, type OledConstructor, type OledLike, loadOled } from './i2c.js';
import type { DisplaySink } from './sink.js';
import { writePageWindow } from './ssd1306-window.js';

export interface OledDisplayOptions {
  bus: I2cBusLike;
  address: number;
  log: Logger;
  /** Called once per loss of the panel. */
  onLost?: (message: string) => void;
  onRecovered?: () => void;
  retryMs?: number;
  Oled?: OledConstructor;
  /** The retry probe runs on it. Default the system clock. */
  clock?: Clock;
}

/** Above this many changed bytes a full update (1 window of 1024) is cheaper than per-page windows. */
const FULL_UPDATE_BYTES = 640;

export class OledDisplay implements DisplaySink {
  readonly kind = 'oled';
  private readonly guard: GuardedI2cBus;
  private readonly Oled: OledConstructor;
  private oled: OledLike | null = null;
  /** What the panel shows (as far as we know); null = unknown, next frame goes in full. */
  private shown: Framebuffer | null = null;
  private readonly latest = new Framebuffer();
  private lost = false;
  private retryTimer: Timer | null = null;
  private closed = false;
  private readonly retryMs: number;
  framesPushed = 0;
  bytesPushed = 0;

  constructor(private readonly opts: OledDisplayOptions) {
    this.retryMs = opts.retryMs ?? 30_000;
    this.Oled = opts.Oled ?? loadOled();
    this.guard = new GuardedI2cBus(opts.bus, (err) => this.markLost(err));
    this.connect();
  }

  get connected(): boolean {
    return !this.lost && this.oled !== null;
  }

  show(fb: Framebuffer): void {
    this.latest.copyFrom(fb);
    if (this.lost || !this.oled || this.closed) return;
    const oled = this.oled;
    if (!this.shown) {
      this.fullUpdate(oled);
    } else {
      const windows = dirtyWindows(this.shown, this.latest);
      if (windows.length === 0) return;
      const bytes = windows.reduce((n, w) => n + w.c1 - w.c0 + 1, 0);
      if (bytes > FULL_UPDATE_BYTES) this.fullUpdate(oled);
      else {
        for (const w of windows) {
          const start = w.page * OLED_WIDTH;
          writePageWindow(
            this.guard,
            this.opts.address,
            w.page,
            w.c0,
            this.latest.bytes.subarray(start + w.c0, start + w.c1 + 1),
          );
          if (this.guard.faulted) return;
        }
        oled.buffer.set(this.latest.bytes);
        this.bytesPushed += bytes;
      }
    }
    if (this.guard.faulted) return;
    this.framesPushed++;
    this.shown ??= new Framebuffer();
    this.shown.copyFrom(this.latest);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.retryTimer?.cancel();
    this.retryTimer = null;
    if (this.oled && !this.lost) this.oled.turnOffDisplay();
  }

  /** oled-i2c-bus sends the whole buffer from a setTimeout(0); errors there land in the guard. */
  private fullUpdate(oled: OledLike): void {
    oled.buffer.set(this.latest.bytes);
    oled.update();
    this.bytesPushed += this.latest.bytes.length;
  }

  private connect(): boolean {
    this.guard.reset();
    this.shown = null;
    const oled = new this.Oled(this.guard, { width: OLED_WIDTH, height: OLED_HEIGHT, address: this.opts.address });
    if (this.guard.faulted) return false; // markLost already ran from the guard
    this.oled = oled;
    this.lost = false;
    return true;
  }

  private markLost(err: Error): void {
    const first = !this.lost;
    this.lost = true;
    this.shown = null;
    if (first) {
      const code = (err as NodeJS.ErrnoException).code ?? err.message;
      const message =
        `OLED display at 0x${this.opts.address.toString(16)} not answering ` +
        `(${code}): check the cable; retrying every ${Math.round(this.retryMs / 1000)} ` +
        `s`;
      this.opts.log.warn(message, { code });
      this.opts.onLost?.(message);
    }
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = (this.opts.clock ?? realClock).after(
      this.retryMs,
      () => {
        this.retryTimer = null;
        this.retry();
      },
      { background: true },
    );
  }

  private retry(): void {
    if (this.closed) return;
    try {
      this.opts.bus.i2cReadSync(this.opts.address, 1, Buffer.alloc(1));
    } catch {
      this.scheduleRetry();
      return;
    }
    // The panel answers: it may have been power-cycled, so initialise it again and send a full frame.
    if (!this.connect()) return;
    this.opts.log.info('OLED display is back');
    this.opts.onRecovered?.();
    this.show(this.latest);
  }
}
