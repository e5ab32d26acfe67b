/** Exponential backoff with jitter ("equal jitter": half fixed, half random) so clients never retry in lockstep. */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  random?: () => number;
}

export function backoffDelay(attempt: number, { initialMs, maxMs, random = Math.random }: BackoffOptions): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
