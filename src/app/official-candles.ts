/**
 * Where the page's reconciliation gets official candles: the day's Upstox candles (the simulated exchange in the demo).
 */
import type { Config } from '../config.js';
import { istDate } from '../core/time.js';
import type { Candle } from '../core/types.js';
import { loadToken, UpstoxRest } from '../feed/upstox/index.js';
import type { Logger } from '../log.js';

export type OfficialCandles = (instrumentKey: string, day: string) => Promise<Candle[]>;

export function officialCandlesFrom(rest: UpstoxRest, now: () => number): OfficialCandles {
  return (key, day) =>
    day === istDate(now())
      ? rest.intradayCandles(key, 'minutes', 5)
      : rest.historicalCandles(key, 'minutes', 5, day, day);
}

/**
 * Live: Upstox with the box's token; demo: the simulated exchange; replays have none (their candles are the official
 * ones).
 */
export function officialCandlesFor(
  config: Config,
  mode: 'live' | 'demo' | 'replay',
  now: () => number,
  log: Logger,
  demoExchange?: { apiBaseUrl: string; token: string },
): OfficialCandles | undefined {
  if (mode === 'replay') return undefined;
  const rest =
    mode === 'demo' && demoExchange
      ? new UpstoxRest({
          baseUrl: demoExchange.apiBaseUrl,
          token: demoExchange.token,
          log: log.child({ area: 'web-rest' }),
        })
      : new UpstoxRest({
          baseUrl: config.upstox.apiBaseUrl,
          token: () => loadToken(config)?.token,
          timeoutMs: config.upstox.requestTimeoutMs,
          log: log.child({ area: 'web-rest' }),
        });
  return officialCandlesFrom(rest, now);
}
