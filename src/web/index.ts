/** The page as an output of the running box (wired from `niftybox run`). */
import { dbPath, strategyChoice, type Config } from '../config.js';
import type { MarketCalendar } from '../core/calendar.js';
import type { Candle } from '../core/types.js';
import type { Logger } from '../log.js';
import type { TradingLoop } from '../app/trading-loop.js';
import { WebServer } from './server.js';

export { WebServer } from './server.js';
export { webConfigSchema, type WebConfig } from './config.js';

export async function startWebOutput(o: {
  config: Config;
  loop: TradingLoop;
  calendar: MarketCalendar;
  log: Logger;
  officialCandles?: (instrumentKey: string, day: string) => Promise<Candle[]>;
  history?: (untilTs: number) => Candle[];
  /** Where the URL is announced (stdout for `run`). */
  announce?: (line: string) => void;
}): Promise<WebServer | null> {
  if (!o.config.web.enabled) return null;
  const web = await WebServer.start({
    config: o.config.web,
    ledgerFile: dbPath(o.config),
    calendar: o.calendar,
    strategy: strategyChoice(o.config.strategy),
    control: o.loop,
    state: () => o.loop.state(),
    engine: () => {
      const v = o.loop.engine.view();
      return { guards: v.guards, contracts: v.contracts };
    },
    officialCandles: o.officialCandles,
    history: o.history,
    log: o.log.child({ area: 'web' }),
    title: `niftybox ${o.config.deviceId}`,
  });
  o.announce?.(`Page: ${web.url}`);
  return web;
}
