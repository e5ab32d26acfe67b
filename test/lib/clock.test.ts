import { describe, expect, it } from 'vitest';
import { ManualClock, realClock, VirtualClock } from '../../src/lib/clock.js';

describe('VirtualClock timers', () => {
  it('advance() runs due timers in time order, each seeing now() at its due time', () => {
    const c = new ManualClock(1_000);
    const seen: string[] = [];
    c.after(300, () => seen.push(`b@${c.now()}`));
    c.after(100, () => seen.push(`a@${c.now()}`));
    const every = c.every(250, () => seen.push(`tick@${c.now()}`));
    c.advance(600);
    expect(seen).toEqual(['a@1100', 'tick@1250', 'b@1300', 'tick@1500']);
    expect(c.now()).toBe(1_600);
    every.cancel();
    c.advance(1_000);
    expect(seen).toHaveLength(4);
    expect(c.pendingTimers).toBe(0);
  });

  it(
    'a timer set from inside a timer runs in the same advance when it falls ' +
      'due; cancel() from inside its own callback works',
    () => {
      const c = new ManualClock(0);
      const seen: number[] = [];
      c.after(10, () => c.after(10, () => seen.push(c.now())));
      const t = c.every(5, () => {
        seen.push(-c.now());
        if (c.now() >= 10) t.cancel();
      });
      c.advanceTo(30);
      expect(seen).toEqual([-5, -10, 20]);
    },
  );

  it('sleep() resolves when virtual time reaches it, not before', async () => {
    const c = new ManualClock(0);
    let woke = false;
    const p = c.sleep(1_000).then(() => (woke = true));
    c.advance(999);
    await Promise.resolve();
    expect(woke).toBe(false);
    c.advance(1);
    await p;
    expect(woke).toBe(true);
  });

  it(
    'set() jumps without replaying the night: a repeating timer runs once and ' + 'keeps its period from the new time',
    () => {
      const c = new ManualClock(0);
      const seen: number[] = [];
      c.every(100, () => seen.push(c.now()));
      c.set(1_000_050);
      expect(seen).toEqual([1_000_050]);
      c.advance(50);
      expect(seen).toEqual([1_000_050, 1_000_100]);
    },
  );

  it('advanceTo() refuses the past', () => {
    const c = new ManualClock(100);
    expect(() => c.advanceTo(99)).toThrow(/past/);
  });

  it('at a speed above 0 it runs on its own and fires its timers as virtual time reaches them', async () => {
    const c = new VirtualClock(0, 1_000); // 1 s of virtual time per real millisecond
    const at = await new Promise<number>((resolve) => c.after(20_000, () => resolve(c.now())));
    expect(at).toBeGreaterThanOrEqual(20_000);
  });

  it('the real clock runs and cancels timers', async () => {
    let ran = 0;
    const t = realClock.every(5, () => ran++);
    await realClock.sleep(30);
    t.cancel();
    const after = ran;
    await realClock.sleep(20);
    expect(after).toBeGreaterThan(0);
    expect(ran).toBe(after);
    expect(Math.abs(realClock.now() - Date.now())).toBeLessThan(5);
  });
});
