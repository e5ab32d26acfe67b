/**
 * The one retry backoff (feed reconnects, REST retries, MQTT reconnects): exponential, capped, with
 * "equal jitter" (half fixed, half random) so clients never retry in lockstep. Waiting is the caller's,
 * through its Clock.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  random?: () => number;
}

/**
 * The wait before retry number `attempt` (0-based): initial, 2·initial, 4·initial … capped at max, jittered into
 * [ceiling/2, ceiling].
 */
export function backoffDelay(attempt: number, { initialMs, maxMs, random = Math.random }: BackoffOptions): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(0, attempt), 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** backoffDelay with its attempt counter, for a client that retries until it gets through. */
export class Backoff {
  private attempt = 0;
  constructor(private readonly opts: BackoffOptions) {}

  /** The next wait; `maxMs` caps this one (e.g. a slower cap after a refusal). */
  next(maxMs = this.opts.maxMs): number {
    return backoffDelay(this.attempt++, { ...this.opts, maxMs });
  }

  reset(): void {
    this.attempt = 0;
  }
}
