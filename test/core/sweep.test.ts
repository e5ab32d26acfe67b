/**
 * The sweep's pure parts: grid order, the random draw, walk-forward folds, and a fold's choice on its train weeks only.
 */
import { describe, expect, it } from 'vitest';
import { DAY_FIELDS } from '../../src/core/metrics.js';
import { gridPoint, gridSize, randomIndices, SweepAccumulator, walkForwardFolds } from '../../src/core/sweep.js';
import { addDays, weekday } from '../../src/core/time.js';

/** Weekdays from a Monday, `weeks` weeks of five. */
function weekdays(monday: string, weeks: number): string[] {
  const out: string[] = [];
  for (let d = monday; out.length < weeks * 5; d = addDays(d, 1)) if (weekday(d) >= 1 && weekday(d) <= 5) out.push(d);
  return out;
}

/** Records with one trade of `net[d]` on day d (0: no trade). */
function records(net: number[]): Float64Array {
  const r = new Float64Array(net.length * DAY_FIELDS);
  net.forEach((x, d) => {
    if (x === 0) return;
    const o = d * DAY_FIELDS;
    r.set([x, x, 0, 1, x > 0 ? 1 : 0, x > 0 ? x : 0, x > 0 ? 0 : -x, Math.max(0, x), Math.min(0, x), 0], o);
  });
  return r;
}

describe('grid', () => {
  const axes = [
    { name: 'a', values: [1, 2] },
    { name: 'b', values: [10, 20, 30] },
  ];
  it('the first axis varies slowest', () => {
    expect(gridSize(axes)).toBe(6);
    expect([0, 1, 2, 3, 5].map((i) => gridPoint(axes, i))).toEqual([
      { a: 1, b: 10 },
      { a: 1, b: 20 },
      { a: 1, b: 30 },
      { a: 2, b: 10 },
      { a: 2, b: 30 },
    ]);
  });
  it('a random draw: distinct, ascending, the same for the same seed, another for another', () => {
    const a = randomIndices(1000, 50, 7);
    expect(a).toHaveLength(50);
    expect(new Set(a).size).toBe(50);
    expect([...a].sort((x, y) => x - y)).toEqual(a);
    expect(randomIndices(1000, 50, 7)).toEqual(a);
    expect(randomIndices(1000, 50, 8)).not.toEqual(a);
    expect(randomIndices(5, 5, 1)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('walk-forward', () => {
  const days = weekdays('2025-06-02', 6);
  it('rolling folds of whole weeks, stepping by the test length', () => {
    const f = walkForwardFolds(days, 2, 1);
    expect(f).toHaveLength(4);
    expect(f[0]).toEqual({ train: { from: 0, to: 10 }, test: { from: 10, to: 15 } });
    expect(f[3]).toEqual({ train: { from: 15, to: 25 }, test: { from: 25, to: 30 } });
    expect(walkForwardFolds(days, 4, 2)).toHaveLength(1);
    expect(walkForwardFolds(days, 5, 2)).toHaveLength(0);
    // A week with a holiday is still a week.
    expect(
      walkForwardFolds(
        days.filter((d) => d !== '2025-06-04'),
        2,
        1,
      )[0]!.test,
    ).toEqual({ from: 9, to: 14 });
  });

  it('each fold chooses on its train weeks only: a variant great only in a test window is not chosen for it', () => {
    // 4 weeks; folds train 2 : test 1 → test weeks 3 and 4.
    const d = weekdays('2025-06-02', 4);
    const folds = walkForwardFolds(d, 2, 1);
    const week = (w: number, x: number) => Array.from({ length: 20 }, (_, i) => (Math.floor(i / 5) === w ? x : 0));
    const add = (a: number[], b: number[]) => a.map((x, i) => x + b[i]!);
    // Variant 0 (defaults): a little every day. Variant 1: good in weeks 1–2 (train of fold 1), poor after.
    // Variant 2: flat in weeks 1–3, a fortune in week 4 — fold 2's test week only (and poor in its train week 3).
    const v0 = d.map(() => 1);
    const v1 = add(add(week(0, 50), week(1, 50)), add(week(2, -10), week(3, -10)));
    const v2 = add(week(3, 10_000), week(2, -5));
    const acc = new SweepAccumulator(3, d.length, folds, 'net', 0, 2);
    [v0, v1, v2].forEach((v, k) => acc.add(k, records(v)));
    const s = acc.finish();
    expect(s.best.index).toBe(2); // on the whole range, v2 looks best: the trap
    // fold 2 trains on weeks 2–3: v1 +250 − 50 beats v2 −25 and v0 10
    expect(s.folds.map((f) => f.chosen)).toEqual([1, 1]);
    expect(s.folds[1]!.inSample.netPnl).toBe(200);
    expect(s.folds[1]!.outOfSample.netPnl).toBe(-50);
    expect(s.outOfSample!.netPnl).toBe(-100);
    expect(s.defaultsOutOfSample!.netPnl).toBe(10);
    expect(Array.from(s.outOfSampleDaily)).toEqual(Array(10).fill(-10));
    expect(s.deflated.trials).toBe(3);
  });

  it('ties go to the earlier grid index; results must arrive in order', () => {
    const d = weekdays('2025-06-02', 2);
    const acc = new SweepAccumulator(2, d.length, walkForwardFolds(d, 1, 1), 'net', 0, 2);
    const same = records(d.map(() => 3));
    acc.add(0, same);
    expect(() => acc.add(0, same)).toThrow(/out of order/);
    acc.add(1, same.slice());
    const s = acc.finish();
    expect(s.best.index).toBe(0);
    expect(s.folds[0]!.chosen).toBe(0);
  });
});
