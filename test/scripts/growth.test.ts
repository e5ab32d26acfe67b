/** The soak's trend figures (scripts/lib/growth.mjs): a year's projection sees a leak and not one spike. */
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script module without type declarations
import { growth, projected } from '../../scripts/lib/growth.mjs';

const flat = (n: number, v = 30) => Array.from({ length: n }, (_, i) => v + ((i * 7) % 3) * 0.4); // ±0.8 MB of noise

describe('soak growth figures', () => {
  it('projects a steady leak over 250 sessions from sessions 11..N only', () => {
    const leak = Array.from({ length: 40 }, (_, i) => (i < 10 ? 20 + i : 30 + 0.1 * (i - 10)));
    expect(projected(leak)).toBeCloseTo(25, 5); // 0.1 MB a session × 250; the first ten sessions' rise left out
    expect(projected(leak, 11, 250, { leastSquares: true })).toBeCloseTo(25, 5);
    expect(growth(leak).trendMB).toBeGreaterThan(5);
  });

  it('is not tilted by one session caught with a transient backlog', () => {
    const spiky = flat(40);
    spiky[38] = 65; // one session +35 MB, gone by the next
    expect(Math.abs(projected(spiky))).toBeLessThan(3);
    // why least squares is not the figure
    expect(projected(spiky, 11, 250, { leastSquares: true })).toBeGreaterThan(10);
  });

  it('gives null without two samples from session 11 on', () => {
    expect(projected(flat(11))).toBeNull();
    expect(projected(flat(12))).not.toBeNull();
  });
});
