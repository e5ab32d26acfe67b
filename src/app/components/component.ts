/**
 * App components with a lifecycle on a typed event bus (after Zigbee2MQTT's controller and extensions):
 * each component starts and stops, listens to the bus and the feed, and sets timers on the Clock, only
 * through its ComponentContext. The context catches what a listener or timer throws, logs it once per
 * component and message (structured JSON, like every app log line), and lets the other components go
 * on; stop() removes the component's listeners and cancels its timers.
 */
import type { Clock, Timer, TimerOptions } from '../../lib/clock.js';
import type { DueEvent } from '../../core/schedule.js';
import type { Logger } from '../../log.js';

/** What the components tell each other. */
export interface AppEvents {
  /** A phase of the trading day fell due (warm-up, open, close, report). */
  phase: DueEvent;
  /** An index trade reached the engine (the contract picker waits for the day's first). */
  indexTick: { ltp: number; ts: number };
  /** Upstox refused the token (REST or feed): log in again. */
  tokenExpired: Error;
  /** A fresh token is stored and the feed restarted. */
  loggedIn: undefined;
  /** The virtual clock jumped (demo, between sessions): schedules restart from the new time. */
  jumped: number;
  /** The demo ran the sessions it was asked for. */
  finished: undefined;
  /** The feed connected (market time): a start is whole only if it was up before the candle began. */
  feedConnected: number;
  /**
   * At start (warm-up): the end of the last index bucket the engine has (warmed or restored), where the
   * backfill repairs from; `trade` replays the missed candles through the engine (a restart holding a position).
   */
  startCoverage: { upTo: number | null; replay: 'warm' | 'trade' };
  /** A candle this box did not see from its first second (the pair's first): completed from Upstox at its close. */
  partialCandle: number;
}

type Handler<T> = (payload: T) => unknown;

/** A typed bus; a throwing (or rejecting) listener is its own component's problem, never the emitter's. */
export class AppBus {
  private readonly handlers = new Map<keyof AppEvents, Set<Handler<never>>>();

  on<K extends keyof AppEvents>(event: K, fn: Handler<AppEvents[K]>): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(fn as Handler<never>);
    return () => set.delete(fn as Handler<never>);
  }

  emit<K extends keyof AppEvents>(event: K, ...payload: AppEvents[K] extends undefined ? [] : [AppEvents[K]]): void {
    for (const fn of [...(this.handlers.get(event) ?? [])]) (fn as Handler<AppEvents[K]>)(payload[0] as AppEvents[K]);
  }

  listenerCount(event: keyof AppEvents): number {
    return this.handlers.get(event)?.size ?? 0;
  }
}

export interface Component {
  readonly name: string;
  start(ctx: ComponentContext): void | Promise<void>;
  /** Optional extra teardown (an output closing); listeners and timers taken through the context go by themselves. */
  stop?(): void | Promise<void>;
}

export class ComponentContext {
  private readonly disposers: (() => void)[] = [];
  private readonly reported = new Set<string>();
  private stopped = false;

  constructor(
    readonly name: string,
    readonly bus: AppBus,
    readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Runs `fn` isolated: a throw or a rejection is logged once (per message) and goes no further. */
  guard<A extends unknown[]>(fn: (...args: A) => unknown): (...args: A) => void {
    return (...args: A) => {
      if (this.stopped) return;
      try {
        const r = fn(...args);
        if (r instanceof Promise) r.catch((err: unknown) => this.fail(err));
      } catch (err) {
        this.fail(err);
      }
    };
  }

  /** Listens on the bus until stop. */
  on<K extends keyof AppEvents>(event: K, fn: (payload: AppEvents[K]) => unknown): void {
    this.disposers.push(this.bus.on(event, this.guard(fn)));
  }

  /** Keeps a listener on another emitter (the feed) until stop: `ctx.own(stream.on('tick', ctx.guard(fn)))`. */
  own(unsubscribe: () => void): void {
    this.disposers.push(unsubscribe);
  }

  every(ms: number, fn: () => unknown, opts?: TimerOptions): Timer {
    return this.keep(this.clock.every(ms, this.guard(fn), opts));
  }

  after(ms: number, fn: () => unknown, opts?: TimerOptions): Timer {
    return this.keep(this.clock.after(ms, this.guard(fn), opts));
  }

  dispose(): void {
    this.stopped = true;
    for (const d of this.disposers.splice(0).reverse()) {
      try {
        d();
      } catch (err) {
        this.fail(err);
      }
    }
  }

  /** Logs a failure of this component once per message. */
  fail(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (this.reported.has(message)) return;
    this.reported.add(message);
    this.log.error('component failed; the others carry on', { component: this.name, error: message });
  }

  private keep(t: Timer): Timer {
    this.disposers.push(() => t.cancel());
    return t;
  }
}

/** Starts components in order (a failing start is logged and skipped) and stops them in reverse. */
export class Components {
  private readonly running: { c: Component; ctx: ComponentContext }[] = [];

  constructor(
    private readonly bus: AppBus,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  async start(list: readonly Component[]): Promise<void> {
    for (const c of list) {
      const ctx = new ComponentContext(c.name, this.bus, this.clock, this.log);
      this.running.push({ c, ctx });
      try {
        await c.start(ctx);
      } catch (err) {
        ctx.fail(err);
      }
    }
  }

  /** Stops in reverse order of start; each teardown is awaited, and one failing does not stop the rest. */
  async stop(): Promise<void> {
    for (const { c, ctx } of this.running.splice(0).reverse()) {
      ctx.dispose();
      try {
        await c.stop?.();
      } catch (err) {
        ctx.fail(err);
      }
    }
  }
}
