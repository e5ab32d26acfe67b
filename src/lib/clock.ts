/**
 * The appliance's time: `now()` and timers. Every app component, the feed client's reconnects and the
 * MQTT publisher's backoff read time and wait only through a Clock, so the same code runs on the system
 * clock (the live box), on a virtual clock running faster than real time (the demo), and on a virtual
 * clock that moves only when a test advances it (like Nautilus Trader's TestClock.advance_time).
 * This file is the one place that touches setTimeout and Date.now.
 */

/** A scheduled timer; cancel() is idempotent and safe from inside its own callback. */
export interface Timer {
  cancel(): void;
}

export interface TimerOptions {
  /** Real clock: the timer alone does not keep the process alive (housekeeping). Default false. */
  background?: boolean;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Runs `fn` once, `ms` from now. */
  after(ms: number, fn: () => void, opts?: TimerOptions): Timer;
  /** Runs `fn` every `ms` (the first run `ms` from now) until cancelled. */
  every(ms: number, fn: () => void, opts?: TimerOptions): Timer;
  /** Resolves `ms` from now. */
  sleep(ms: number): Promise<void>;
}

/** The system clock with Node's timers (the live box). */
export const realClock: Clock = {
  now: () => Date.now(),
  after(ms, fn, opts) {
    const t = setTimeout(fn, Math.max(0, ms));
    if (opts?.background) t.unref();
    return { cancel: () => clearTimeout(t) };
  },
  every(ms, fn, opts) {
    const t = setInterval(fn, Math.max(1, ms));
    if (opts?.background) t.unref();
    return { cancel: () => clearInterval(t) };
  },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

interface Scheduled {
  due: number;
  seq: number;
  /** 0 for a one-shot timer. */
  periodMs: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * Virtual time with timers. At speed 0 it moves only through advance()/advanceTo() (tests): the due
 * timers run in time order, each seeing now() at its due time. At a speed above 0 it also runs on its
 * own, `speed` times faster than real time from `start` (the demo fast-forwards a session: 09:15–15:30,
 * 22,500 s, in 180 s is speed 125), and its timers fire as virtual time reaches them.
 */
export class VirtualClock implements Clock {
  private base: number;
  private realBase: number;
  private timers: Scheduled[] = [];
  private seq = 0;
  private pump: ReturnType<typeof setTimeout> | null = null;
  private running = false;

  constructor(
    start: number,
    private speed = 1,
    private readonly realNow: () => number = Date.now,
  ) {
    this.base = start;
    this.realBase = realNow();
  }

  now(): number {
    if (this.speed === 0) return this.base;
    return Math.floor(this.base + (this.realNow() - this.realBase) * this.speed);
  }

  after(ms: number, fn: () => void): Timer {
    return this.add(ms, 0, fn);
  }

  every(ms: number, fn: () => void): Timer {
    return this.add(ms, Math.max(1, ms), fn);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.add(ms, 0, resolve));
  }

  /** Moves virtual time forward by `ms`, running every timer that falls due on the way, in order. */
  advance(ms: number): void {
    this.advanceTo(this.now() + ms);
  }

  /** Moves virtual time forward to `ts`, running every timer that falls due on the way, in order. */
  advanceTo(ts: number): void {
    if (ts < this.now()) throw new Error(`VirtualClock.advanceTo(${ts}) is in the past (now ${this.now()})`);
    for (let t = this.nextDue(ts); t; t = this.nextDue(ts)) {
      this.setBase(Math.max(this.now(), t.due));
      this.fire(t);
    }
    this.setBase(Math.max(ts, this.now())); // a timer that jumped the clock ahead (set) is not undone
    this.schedulePump();
  }

  /**
   * Jumps to a virtual time without replaying what lies between (the demo's night between sessions):
   * due one-shot timers run once, and a repeating timer runs at most once and then keeps its period
   * from the new time.
   */
  set(ts: number): void {
    this.setBase(ts);
    const due = this.timers.filter((t) => t.due <= ts).sort(order);
    for (const t of due) if (t.periodMs) t.due = ts + t.periodMs - ((ts - t.due) % t.periodMs);
    for (const t of due) {
      if (t.cancelled) continue;
      if (!t.periodMs) this.remove(t);
      this.run(t);
    }
    this.schedulePump();
  }

  /** Jumps by `ms` (positive or negative), as set(). */
  shift(ms: number): void {
    this.set(this.now() + ms);
  }

  setSpeed(speed: number): void {
    this.setBase(this.now());
    this.speed = speed;
    this.schedulePump();
  }

  /** Timers not yet run or cancelled (tests check that a stopped component left none behind). */
  get pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  private setBase(ts: number): void {
    this.base = ts;
    this.realBase = this.realNow();
  }

  private add(ms: number, periodMs: number, fn: () => void): Timer {
    const t: Scheduled = { due: this.now() + Math.max(0, ms), seq: this.seq++, periodMs, fn, cancelled: false };
    this.timers.push(t);
    this.schedulePump();
    return {
      cancel: () => {
        t.cancelled = true;
        this.remove(t);
      },
    };
  }

  private remove(t: Scheduled): void {
    const i = this.timers.indexOf(t);
    if (i >= 0) this.timers.splice(i, 1);
  }

  private nextDue(upTo: number): Scheduled | undefined {
    let best: Scheduled | undefined;
    for (const t of this.timers) if (t.due <= upTo && (!best || order(t, best) < 0)) best = t;
    return best;
  }

  private fire(t: Scheduled): void {
    if (t.periodMs) t.due += t.periodMs;
    else this.remove(t);
    this.run(t);
  }

  private run(t: Scheduled): void {
    try {
      t.fn();
    } catch (err) {
      // A timer's failure is its owner's to report; it must not stop the clock or the other timers.
      queueMicrotask(() => {
        throw err;
      });
    }
  }

  /** Running on its own (speed > 0): one real timeout to the next due virtual timer. */
  private schedulePump(): void {
    if (this.running) return;
    if (this.pump) clearTimeout(this.pump);
    this.pump = null;
    if (this.speed <= 0 || this.timers.length === 0) return;
    const next = Math.min(...this.timers.map((t) => t.due));
    this.pump = setTimeout(() => this.runDue(), Math.max(0, Math.ceil((next - this.now()) / this.speed)));
  }

  private runDue(): void {
    this.pump = null;
    this.running = true;
    try {
      const now = this.now();
      for (let t = this.nextDue(now); t; t = this.nextDue(now)) this.fire(t);
    } finally {
      this.running = false;
    }
    this.schedulePump();
  }
}

/** A virtual clock that moves only when told (tests): advance()/advanceTo() run the timers. */
export class ManualClock extends VirtualClock {
  constructor(start: number) {
    super(start, 0);
  }
}

const order = (a: Scheduled, b: Scheduled) => a.due - b.due || a.seq - b.seq;

/** A wait, as a client that only needs to pause takes it (Clock.sleep). */
export type Sleep = (ms: number) => Promise<void>;
