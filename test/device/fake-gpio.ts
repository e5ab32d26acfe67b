/**
 * A stand-in for onoff's Gpio at the true edge: it models what the kernel + onoff deliver —
 * activeLow inverting reads/writes, edge filtering, duplicate callbacks with 'both', and
 * onoff's trailing debounce — so the code under test is exactly what runs on the Pi.
 * Physical levels are set with `setLevel()`; every write is recorded with its (fake) time.
 */
import type { BinaryValue, Direction, Edge, GpioLike, GpioOptions } from '../../src/device/gpio/onoff.js';

type Callback = (err: Error | null | undefined, value: BinaryValue) => void;

export class FakeGpio implements GpioLike {
  static instances: FakeGpio[] = [];
  /** sysfs numbers that fail to export (like EINVAL on a wrong base). */
  static failing = new Map<number, string>();
  /** Physical level per sysfs number before the pin is opened (pull-up = 1). */
  static initialLevels = new Map<number, BinaryValue>();
  /** The time writes are stamped with (a test on a ManualClock sets its now). */
  static now: () => number = () => Date.now();

  static reset(): void {
    FakeGpio.now = () => Date.now();
    FakeGpio.instances = [];
    FakeGpio.failing.clear();
    FakeGpio.initialLevels.clear();
  }

  static byNumber(n: number): FakeGpio {
    const g = FakeGpio.instances.find((i) => i.gpio === n);
    if (!g) throw new Error(`no FakeGpio ${n} (have ${FakeGpio.instances.map((i) => i.gpio).join(', ')})`);
    return g;
  }

  /** Physical (raw) level on the pin. */
  level: BinaryValue;
  readonly activeLow: boolean;
  readonly writes: { t: number; value: BinaryValue }[] = [];
  private callbacks: Callback[] = [];
  private debounceTimer: NodeJS.Timeout | null = null;
  unexported = false;
  /** Time of the last interrupt dispatch (performance.now()), for latency measurements. */
  lastInterruptAt = 0;

  constructor(
    readonly gpio: number,
    readonly direction: Direction,
    readonly edge: Edge = 'none',
    readonly options: GpioOptions = {},
  ) {
    const failure = FakeGpio.failing.get(gpio);
    if (failure) {
      const err = new Error(`${failure}: invalid argument, write`) as NodeJS.ErrnoException;
      err.code = failure;
      throw err;
    }
    if (typeof options.activeLow !== 'boolean') throw new Error('test expects activeLow to be passed explicitly');
    this.activeLow = options.activeLow;
    // 'high'/'low'/'out' are raw levels (the kernel ignores active_low there)
    this.level =
      direction === 'high'
        ? 1
        : direction === 'low' || direction === 'out'
          ? 0
          : (FakeGpio.initialLevels.get(gpio) ?? 1);
    FakeGpio.instances.push(this);
  }

  private logical(): BinaryValue {
    return (this.activeLow ? 1 - this.level : this.level) as BinaryValue;
  }

  readSync(): BinaryValue {
    return this.logical();
  }

  writeSync(value: BinaryValue): void {
    if (this.direction === 'in')
      throw Object.assign(new Error('EPERM: operation not permitted, write'), { code: 'EPERM' });
    const logical: BinaryValue = value === 1 ? 1 : 0;
    this.level = (this.activeLow ? 1 - logical : logical) as BinaryValue;
    this.writes.push({ t: FakeGpio.now(), value: logical });
  }

  watch(cb: Callback): void {
    this.callbacks.push(cb);
  }

  unwatchAll(): void {
    this.callbacks = [];
  }

  unexport(): void {
    this.unwatchAll();
    this.unexported = true;
  }

  /** The physical level changes (a contact closes or opens): raise an interrupt as sysfs would. */
  setLevel(level: BinaryValue): void {
    if (level === this.level) return;
    this.level = level;
    this.interrupt();
  }

  /** One kernel interrupt: onoff re-reads the value and filters by edge (duplicates pass with 'both'). */
  interrupt(): void {
    const deliver = () => {
      const v = this.logical();
      const enabled =
        this.edge === 'both' || (this.edge === 'rising' && v === 1) || (this.edge === 'falling' && v === 0);
      if (!enabled) return;
      for (const cb of [...this.callbacks]) cb(null, v);
    };
    const t = this.options.debounceTimeout ?? 0;
    if (t > 0) {
      if (this.debounceTimer) clearTimeout(this.debounceTimer);
      this.debounceTimer = setTimeout(deliver, t);
      return;
    }
    this.lastInterruptAt = performance.now();
    deliver();
  }
}
