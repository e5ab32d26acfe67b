/** Time for the simulated world. Everything in src/sim reads time only through a Clock. */
export interface Clock {
  now(): number;
}

/**
 * A virtual clock that runs `speed` times faster than real time from `start` (epoch ms).
 * The demo fast-forwards a session: 09:15–15:30 (22,500 s) in 180 s is speed 125.
 */
export class VirtualClock implements Clock {
  private base: number;
  private realBase: number;

  constructor(
    start: number,
    private speed = 1,
    private readonly realNow: () => number = Date.now,
  ) {
    this.base = start;
    this.realBase = realNow();
  }

  now(): number {
    return Math.floor(this.base + (this.realNow() - this.realBase) * this.speed);
  }

  /** Jumps to a virtual time (keeps the speed). */
  set(ts: number): void {
    this.base = ts;
    this.realBase = this.realNow();
  }

  /** Moves virtual time by `ms` (positive or negative). */
  shift(ms: number): void {
    this.set(this.now() + ms);
  }

  setSpeed(speed: number): void {
    this.set(this.now());
    this.speed = speed;
  }
}

/** A clock that only moves when told (tests). */
export class ManualClock implements Clock {
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  set(ts: number): void {
    this.t = ts;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
