/** Real-time waits for tests that watch a process or a socket (virtual time moves through a ManualClock instead). */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `fn` until it gives a truthy value and returns it; throws naming `what` (and `tail()`) after `ms`. */
export async function until<T>(
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  ms: number,
  what: string,
  o: { pollMs?: number; tail?: () => string } = {},
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${o.tail ? `\n${o.tail()}` : ''}`);
    await sleep(o.pollMs ?? 50);
  }
}
