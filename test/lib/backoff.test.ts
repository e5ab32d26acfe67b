import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelay } from '../../src/lib/backoff.js';

describe('the one backoff', () => {
  it('doubles from the initial wait up to the cap, jittered into [ceiling/2, ceiling]', () => {
    const opts = { initialMs: 1_000, maxMs: 30_000 };
    expect([0, 1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, { ...opts, random: () => 1 }))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
    expect([0, 1, 5].map((a) => backoffDelay(a, { ...opts, random: () => 0 }))).toEqual([500, 1_000, 15_000]);
    expect(backoffDelay(10_000, { ...opts, random: () => 1 })).toBe(30_000); // no overflow on a long outage
  });

  it('Backoff counts its attempts, takes a per-call cap and resets', () => {
    const b = new Backoff({ initialMs: 500, maxMs: 3_000, random: () => 0 });
    expect([b.next(), b.next(), b.next(), b.next()]).toEqual([250, 500, 1_000, 1_500]);
    expect(b.next(30_000)).toBe(4_000); // ceiling 8 s
    b.reset();
    expect(b.next()).toBe(250);
  });
});
