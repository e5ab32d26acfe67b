/** Live: the Upstox REST client and V3 stream with the stored or configured token. */
import type { Config } from '../config.js';
import { createCalendar } from '../app.js';
import { phaseAt } from '../core/schedule.js';
import { hostname } from 'node:os';
import { loadToken, MarketDataStream, runLoginServer, UpstoxRest } from '../feed/upstox/index.js';
import { realClock } from '../lib/clock.js';
import type { Logger } from '../log.js';
import { systemClockSync } from './clock-sync.js';
import { loginServerOptions } from './login-options.js';
import { UpstoxSource } from './upstox-source.js';
import { pageServerOn, serveLoginThroughPage } from '../web/login-proxy.js';

export async function startLive(config: Config, log: Logger): Promise<UpstoxSource> {
  const calendar = createCalendar(config);
  const token = () => loadToken(config)?.token;
  const rest = new UpstoxRest({
    baseUrl: config.upstox.apiBaseUrl,
    token,
    timeoutMs: config.upstox.requestTimeoutMs,
    log: log.child({ area: 'rest' }),
  });
  const stream = new MarketDataStream({
    ...(config.upstox.feedUrl ? { feedUrl: config.upstox.feedUrl, token } : { authorize: () => rest.feedAuthorize() }),
    staleFeedSeconds: config.upstox.staleFeedSeconds,
    isMarketOpen: (ts) => phaseAt(calendar, ts) === 'open',
    log: log.child({ area: 'stream' }),
  });
  const loginHost = config.upstox.loginHost === '0.0.0.0' ? `${hostname()}.local` : config.upstox.loginHost;
  const loginUrl = `http://${loginHost}:${config.upstox.loginPort}/login`;
  const loginOptions = loginServerOptions(config);
  const serveLogin = loginOptions
    ? async () => {
        // The page listens on the login port: one server for both (src/web/login-proxy.ts).
        if (pageServerOn(config.upstox.loginPort))
          return serveLoginThroughPage(config.upstox.loginPort, loginOptions, log.child({ area: 'login' }));
        await runLoginServer({ ...loginOptions, log: log.child({ area: 'login' }) });
      }
    : undefined;
  return new UpstoxSource({
    mode: 'live',
    rest,
    stream,
    calendar,
    clock: realClock,
    log: log.child({ area: 'source' }),
    clockSync: systemClockSync,
    maxClockSkewMs: config.maxClockSkewMs,
    useCron: true,
    loginUrl,
    serveLogin,
  });
}
