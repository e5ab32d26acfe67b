/**
 * The demo's pacer (src/sim/pacer.ts) on two manual clocks, the market's and a real one the test moves:
 * the market moves `speed` times faster than real time, and a jump of the market clock (the night between
 * sessions) restarts its schedule wherever it happens — inside a step, or between steps while the pacer
 * pauses, as the daily report's jump does after its REST calls. Before the second case was handled, the
 * demo waited out the night in real time (over the 2026-11-10 holiday, 41 h at 385×: 6 minutes).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { MarketPacer } from '../../src/sim/pacer.js';

const T0 = Date.UTC(2026, 10, 9, 3, 14); // 08:44 IST
const HOUR = 3_600_000;
const flush = () => new Promise<void>((r) => setImmediate(r));

let pacer: MarketPacer | null = null;
afterEach(() => pacer?.stop());

function paced(speed: number, stepMs: number) {
  const market = new ManualClock(T0);
  const real = new ManualClock(1_000_000);
  pacer = new MarketPacer({
    clock: market,
    real,
    speed,
    stepMs,
    pump: () => undefined,
    sent: () => 0,
    received: () => 0,
    connected: () => true,
  });
  pacer.start();
  /** Moves real time on by `ms` in 1 ms steps, letting the pacer's loop run between them. */
  const runReal = async (ms: number) => {
    for (let i = 0; i < ms; i++) {
      await flush();
      real.advance(1);
      await flush();
    }
  };
  return { market, real, runReal };
}

describe('MarketPacer', () => {
  it('moves the market speed times faster than real time', async () => {
    const { market, runReal } = paced(100, 1000);
    await runReal(200);
    // 200 real ms at 100× = 20 s of market time, give or take the step in progress
    expect(market.now() - T0).toBeGreaterThanOrEqual(19_000);
    expect(market.now() - T0).toBeLessThanOrEqual(22_000);
  });

  it('goes on from a jump made between steps at once, without waiting out the night in real time', async () => {
    const { market, runReal } = paced(385, 1000);
    await runReal(50);
    const night = market.now() + 41 * HOUR;
    market.set(night); // while the pacer pauses between steps
    await runReal(50);
    // 50 real ms at 385× ≈ 19 s of market time after the jump (waiting out the night: none at all)
    expect(market.now() - night).toBeGreaterThanOrEqual(10_000);
    expect(market.now() - night).toBeLessThanOrEqual(25_000);
  });

  it('goes on from a jump made inside a step (a timer of the market clock) at once', async () => {
    const { market, runReal } = paced(385, 1000);
    let night = 0;
    market.after(20_000, () => {
      night = market.now() + 41 * HOUR;
      market.set(night);
    });
    await runReal(200);
    expect(night).toBeGreaterThan(0);
    expect(market.now() - night).toBeGreaterThanOrEqual(10_000);
  });
});
