/**
 * Drives an appliance that lives on a ManualClock: virtual time moves in steps, and after each step the
 * test waits (real time, bounded) for the simulated exchange to send what its clock reached and for the
 * feed client to receive it. No fixed sleeps stand in for virtual time.
 */
import type { ManualClock } from '../../src/lib/clock.js';

export interface DriveOptions {
  /** Virtual ms per step. Default 20 s (the demo's exchange sends about this much per real pump). */
  stepMs?: number;
  /**
   * Whether the exchange sends market data after this step (false: silence, before the open, a dead token). Default
   * true.
   */
  expectFrames?: boolean;
}

const REAL_WAIT_MS = 500;
const yieldToIo = () => new Promise<void>((r) => setTimeout(r, 2));

export function driveClock(clock: ManualClock, stream: { stats: { frames: number } }, defaults: DriveOptions = {}) {
  async function step(ms: number, o: DriveOptions): Promise<void> {
    const frames = stream.stats.frames;
    clock.advance(ms);
    const expect = o.expectFrames ?? defaults.expectFrames ?? true;
    const deadline = Date.now() + REAL_WAIT_MS;
    do await yieldToIo();
    while (expect && stream.stats.frames === frames && Date.now() < deadline);
  }
  const stepOf = (o: DriveOptions) => o.stepMs ?? defaults.stepMs ?? 20_000;
  return {
    /** Advances to `ts`. */
    async to(ts: number, o: DriveOptions = {}): Promise<void> {
      while (clock.now() < ts) await step(Math.min(stepOf(o), ts - clock.now()), o);
    },
    /** Waits (real time, without moving the clock) until the appliance has caught up with it: `cond` holds. */
    async caughtUp(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!cond()) {
        if (Date.now() > deadline)
          throw new Error(
            `the appliance did not catch up with virtual time ${new Date(clock.now()).toISOString()} ` +
              `in ${timeoutMs} ms`,
          );
        await yieldToIo();
      }
    },
    /** Advances until `cond` holds; throws when virtual time reaches `deadlineTs` first. */
    async until(cond: () => boolean, deadlineTs: number, o: DriveOptions = {}): Promise<void> {
      while (!cond()) {
        if (clock.now() >= deadlineTs)
          throw new Error(`condition not met by virtual time ${new Date(deadlineTs).toISOString()}`);
        await step(Math.min(stepOf(o), deadlineTs - clock.now()), o);
      }
    },
  };
}
