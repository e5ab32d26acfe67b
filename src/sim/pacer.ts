/**
 * The demo's market advances only as fast as the box consumes it. The simulated exchange lives on a
 * ManualClock that this pacer moves in small steps: each step runs the timers that fall due (the box's
 * candle clock, scheduler, …), sends the trades the step reached, and waits until the box's feed client
 * has received every frame sent before taking the next. It also waits for real time, so that a session
 * lasts about `speed` times less than the market's; a busy machine makes it last longer instead of making
 * the box see a candle's trades after that candle closed.
 *
 * A step is at most the candle grace: a timer that closes bucket B at B + grace runs in a step that began
 * at or after B, so every trade of B was sent, and received, by the step before it.
 */
import { realClock, type Clock, type ManualClock, type Timer } from '../lib/clock.js';

export interface PacerOptions {
  clock: ManualClock;
  /** Market time per real time (the demo: a 6¼-hour session in `sessionSeconds`). */
  speed: number;
  /** Virtual ms per step (≤ the candle grace). */
  stepMs: number;
  /** Sends what the exchange's clock has reached. */
  pump(): void;
  /** Frames the exchange has sent, and frames the box's feed client has taken in (decoded or not). */
  sent(): number;
  received(): number;
  /** Whether the box's feed socket is open: frames sent to a socket that closed are never received. */
  connected(): boolean;
  /** Real time (default the system clock). */
  real?: Clock;
}

const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A frame that does not arrive in this much real time was lost with its socket: go on without it. */
const MAX_WAIT_MS = 2_000;
/** Real ms behind schedule after which the pacer stops trying to catch up. */
const MAX_BEHIND_MS = 1_000;

export class MarketPacer {
  private timer: Timer | null = null;
  private stopped = false;
  private realStart = 0;
  private virtualStart = 0;
  /** Real ms spent waiting for the box to take in what was sent (a busy machine's cost, in the demo's log). */
  waitedMs = 0;
  steps = 0;

  constructor(private readonly o: PacerOptions) {}

  start(): void {
    const real = this.o.real ?? realClock;
    this.realStart = real.now();
    this.virtualStart = this.o.clock.now();
    void this.run(real);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  private async run(real: Clock): Promise<void> {
    const { clock, stepMs, speed } = this.o;
    let last = clock.now();
    while (!this.stopped) {
      clock.advance(stepMs);
      this.o.pump();
      this.steps++;
      const waitFrom = real.now();
      while (
        !this.stopped &&
        this.o.received() < this.o.sent() &&
        this.o.connected() &&
        real.now() - waitFrom < MAX_WAIT_MS
      )
        await yieldToIo();
      this.waitedMs += real.now() - waitFrom;
      let ahead = this.realStart + (clock.now() - this.virtualStart) / speed - real.now();
      // A jump (the night between sessions, clock.set: inside the step, or between steps as the daily report
      // makes it after its REST calls) or a long stall restarts the schedule from here, with no pause: the
      // market neither waits out the night (41 h / 385× = 6 min over a holiday) nor sprints to make up for
      // lost time.
      if (clock.now() !== last + stepMs || ahead < -MAX_BEHIND_MS) {
        this.rebase(real);
        ahead = 0;
      }
      last = clock.now();
      await this.pause(real, ahead);
    }
  }

  private rebase(real: Clock): void {
    this.realStart = real.now();
    this.virtualStart = this.o.clock.now();
  }

  /** Waits `ms` real ms; less than a timer's granularity only yields to I/O (the frames in flight, the box's work). */
  private pause(real: Clock, ms: number): Promise<void> {
    if (ms < 2) return yieldToIo();
    return new Promise((resolve) => {
      this.timer = real.after(Math.max(0, ms), () => {
        this.timer = null;
        resolve();
      });
    });
  }
}
