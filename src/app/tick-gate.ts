/**
 * Keeps the engine's input in time order while candles are repaired from Upstox: repair jobs run one
 * after another, and live ticks that arrive while one runs wait in a queue and are delivered after it,
 * in arrival order. Nothing reaches the engine out of turn, so a backfill can never close a live candle
 * early or be dropped as late behind it.
 */
export class TickGate<T> {
  private running = 0;
  private queue: T[] = [];
  private head = 0;
  private chain: Promise<void> = Promise.resolve();
  dropped = 0;

  constructor(
    private readonly deliver: (t: T) => void,
    private readonly onError: (err: Error) => void,
    /**
     * Bound on waiting ticks (a repair stuck on REST timeouts must not grow memory without end). A
     * full-mode tick (depth, greeks, ohlc) holds ~1.3 KB of heap: 20,000 are ~26 MB beside the box's
     * ~16 MB, inside the unit's 96 MB old space (100,000 were ~130 MB: the soak of issue 25 ran the box
     * out of heap with a repair held up), and at Upstox's ~4 ticks/s over 80 market minutes.
     */
    readonly maxQueued = 20_000,
  ) {}

  /** True while a job runs or waits: ticks queue and candles must not close on the clock. */
  get holding(): boolean {
    return this.running > 0;
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  push(t: T): void {
    if (this.running > 0) this.enqueue(t);
    else this.deliver(t);
  }

  /** From inside `deliver`: puts the tick being delivered back at the head, to go after a job it started. */
  requeue(t: T): void {
    if (this.head > 0) this.queue[--this.head] = t;
    else this.queue.unshift(t);
  }

  /** Runs `job` after the jobs before it; ticks pushed meanwhile are delivered after it, in order. */
  hold(job: () => Promise<void>): Promise<void> {
    this.running++;
    const p = this.chain
      .then(job)
      .catch((err: Error) => this.onError(err))
      .finally(() => {
        this.running--;
        if (this.running === 0) this.drain();
      });
    this.chain = p;
    return p;
  }

  private enqueue(t: T): void {
    if (this.queued >= this.maxQueued) {
      this.head++; // the oldest waiting tick goes: the repair that follows refetches its candle anyway
      this.dropped++;
    }
    this.queue.push(t);
  }

  private drain(): void {
    while (this.running === 0 && this.head < this.queue.length) {
      const t = this.queue[this.head++]!;
      this.deliver(t);
    }
    if (this.head >= this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
