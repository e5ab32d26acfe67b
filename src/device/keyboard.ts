/**
 * The kill switch from a keyboard (demo): `h` presses and releases the button (halts);
 * holding `r` holds the button (terminal key repeat keeps it down; ~0.7 s without a repeat
 * releases it), so holding it 3 s while halted resumes. `r` is ignored while trading is active,
 * because a real press would halt. Raw mode only when stdin is a TTY; Ctrl-C still interrupts.
 */
import type { Readable } from 'node:stream';
import { realClock, type Clock, type Timer } from '../lib/clock.js';
import type { Logger } from '../log.js';
import type { SimulatedButton } from './kill-switch.js';

const KEY_RELEASE_MS = 700;
const TAP_MS = 120;

export interface KeyboardButtonOptions {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  button: SimulatedButton;
  isHalted: () => boolean;
  log: Logger;
  /** The key release timer runs on it. Default the system clock. */
  clock?: Clock;
}

export class KeyboardButton {
  private releaseTimer: Timer | null = null;
  private readonly onData = (chunk: Buffer | string) => this.handle(String(chunk));
  private raw = false;

  constructor(private readonly opts: KeyboardButtonOptions) {
    const { stdin } = opts;
    if (stdin.isTTY && stdin.setRawMode) {
      stdin.setRawMode(true);
      this.raw = true;
    }
    stdin.on('data', this.onData);
    stdin.resume();
    opts.log.info('keyboard kill switch: press h to halt, hold r for the resume hold time to resume');
  }

  handle(keys: string): void {
    for (const key of keys) {
      if (key === '\u0003') {
        process.kill(process.pid, 'SIGINT'); // raw mode swallowed Ctrl-C
        return;
      }
      const k = key.toLowerCase();
      if (k === 'h') this.tap();
      else if (k === 'r') this.hold();
    }
  }

  close(): void {
    this.releaseTimer?.cancel();
    this.releaseTimer = null;
    this.opts.stdin.off('data', this.onData);
    if (this.raw) this.opts.stdin.setRawMode?.(false);
    this.opts.stdin.pause();
  }

  private tap(): void {
    if (this.opts.button.pressed) return;
    this.opts.button.press();
    this.releaseAfter(TAP_MS);
  }

  private hold(): void {
    if (!this.opts.button.pressed) {
      if (!this.opts.isHalted()) {
        this.opts.log.info('trading is active: r does nothing (h halts)');
        return;
      }
      this.opts.button.press();
    }
    this.releaseAfter(KEY_RELEASE_MS);
  }

  private releaseAfter(ms: number): void {
    this.releaseTimer?.cancel();
    this.releaseTimer = (this.opts.clock ?? realClock).after(ms, () => {
      this.releaseTimer = null;
      this.opts.button.release();
    });
  }
}
