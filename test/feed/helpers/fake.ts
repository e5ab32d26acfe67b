import { istTime } from '../../../src/core/time.js';
import { ManualClock } from '../../../src/sim/clock.js';
import { startFakeUpstox, type FakeUpstox, type FakeUpstoxOptions } from '../../../src/sim/fake-upstox.js';
import { setLogSink } from '../../../src/log.js';

/** Quiet logs unless a test captures them. */
export function quietLogs(): string[] {
  const lines: string[] = [];
  setLogSink((l) => lines.push(l));
  return lines;
}

export async function fakeAt(
  date: string,
  time: string,
  opts: FakeUpstoxOptions = {},
): Promise<{ fake: FakeUpstox; clock: ManualClock }> {
  const clock = new ManualClock(istTime(date, time));
  const fake = await startFakeUpstox({ clock, ...opts });
  return { fake, clock };
}

export const recordSleep = () => {
  const sleeps: number[] = [];
  return { sleeps, sleep: async (ms: number) => void sleeps.push(ms) };
};
