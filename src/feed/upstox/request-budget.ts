/**
 * Client-side pacing under Upstox's per-user limits for standard APIs (50/s, 500/min, 2000/30 min),
 * with headroom. `take()` resolves when one more request fits every window.
 */
import type { Sleep } from '../../lib/clock.js';

export interface BudgetWindow {
  windowMs: number;
  max: number;
}

export const DEFAULT_BUDGET: BudgetWindow[] = [
  { windowMs: 1_000, max: 40 },
  { windowMs: 60_000, max: 450 },
  { windowMs: 30 * 60_000, max: 1_800 },
];

export class RequestBudget {
  private readonly sent: number[] = [];
  private readonly longest: number;

  constructor(
    private readonly windows: BudgetWindow[] = DEFAULT_BUDGET,
    private readonly now: () => number = Date.now,
    private readonly sleep: Sleep,
    /** Told before each wait, so a long job can say why it pauses. */
    private readonly onWait?: (ms: number) => void,
  ) {
    this.longest = Math.max(...windows.map((w) => w.windowMs));
  }

  /** How long to wait before the next request fits (0 = now). */
  waitMs(): number {
    const t = this.now();
    while (this.sent.length && this.sent[0]! <= t - this.longest) this.sent.shift();
    let wait = 0;
    for (const w of this.windows) {
      const inWindow = this.sent.filter((s) => s > t - w.windowMs);
      if (inWindow.length >= w.max) wait = Math.max(wait, inWindow[inWindow.length - w.max]! + w.windowMs - t);
    }
    return wait;
  }

  /** Send times still inside the longest window (to carry the budget over to the next run of a long job). */
  recent(): number[] {
    const t = this.now();
    return this.sent.filter((s) => s > t - this.longest);
  }

  /** Counts requests an earlier run sent (epoch ms) against this run's windows. */
  seed(times: readonly number[]): void {
    const t = this.now();
    this.sent.unshift(...times.filter((s) => s > t - this.longest && s <= t).sort((a, b) => a - b));
  }

  async take(): Promise<void> {
    for (let w = this.waitMs(); w > 0; w = this.waitMs()) {
      this.onWait?.(w);
      await this.sleep(w);
    }
    this.sent.push(this.now());
  }
}
