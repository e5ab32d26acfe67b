/**
 * systemd Type=notify: READY=1 once the ledger is open and outputs run, then WATCHDOG=1 at half the
 * watchdog period — but only while the box is really working: the event loop turns (the ping timer
 * itself fires on time) and the pipeline reports itself healthy (during the session: ticks or clock
 * steps reach the engine, batches commit). A hang therefore stops the pings and systemd restarts the
 * box. Node cannot send unix datagrams itself, so it asks `systemd-notify` (NotifyAccess=all in the
 * unit). A no-op outside systemd.
 */
import { execFile } from 'node:child_process';
import { realClock, type Clock } from '../lib/clock.js';

export function notifySystemd(state: string): void {
  if (!process.env.NOTIFY_SOCKET) return;
  execFile('systemd-notify', [state], { timeout: 5000 }, () => undefined);
}

export interface WatchdogOptions {
  /** Ping period (systemd: half of WATCHDOG_USEC). */
  intervalMs: number;
  /** A ping timer that fires this much late means the event loop was blocked: no ping. */
  maxLagMs: number;
  /** Why the pipeline is not healthy, or null when it is. */
  unhealthy?: () => string | null;
  notify?: (state: string) => void;
  /** Monotonic clock (ms). */
  now?: () => number;
  /** The ping timer's clock (tests: a virtual one). Default the system clock. */
  clock?: Clock;
  onSkip?: (why: string) => void;
}

export interface Watchdog {
  stop(): void;
  readonly pings: number;
  readonly skipped: number;
}

/** The ping loop; testable without systemd (inject `notify`). */
export function startWatchdog(o: WatchdogOptions): Watchdog {
  const now = o.now ?? (() => performance.now());
  const notify = o.notify ?? notifySystemd;
  let last = now();
  let pings = 0;
  let skipped = 0;
  const timer = (o.clock ?? realClock).every(
    o.intervalMs,
    () => {
      const t = now();
      const lag = t - last - o.intervalMs;
      last = t;
      let why: string | null = lag > o.maxLagMs ? `event loop blocked ${Math.round(lag)} ms` : null;
      why ??= safe(o.unhealthy);
      if (why) {
        skipped++;
        o.onSkip?.(why);
        return;
      }
      pings++;
      notify('WATCHDOG=1');
    },
    { background: true },
  );
  return {
    stop: () => timer.cancel(),
    get pings() {
      return pings;
    },
    get skipped() {
      return skipped;
    },
  };
}

function safe(fn: (() => string | null) | undefined): string | null {
  try {
    return fn ? fn() : null;
  } catch (err) {
    return `health check failed: ${(err as Error).message}`;
  }
}

/** Starts the watchdog pings when systemd asked for them; returns a stop function. */
export function startSystemdWatchdog(
  unhealthy: () => string | null = () => null,
  onSkip?: (why: string) => void,
): () => void {
  const usec = Number(process.env.WATCHDOG_USEC);
  if (!process.env.NOTIFY_SOCKET || !(usec > 0)) return () => undefined;
  const intervalMs = usec / 2000;
  const w = startWatchdog({ intervalMs, maxLagMs: Math.max(1000, intervalMs / 2), unhealthy, onSkip });
  return () => w.stop();
}
