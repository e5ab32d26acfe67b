/** The box (OLED, button, buzzer), MQTT and the page as outputs of the trading loop; each degrades alone. */
import { VERSION } from '../app.js';
import { dbPath, strategyChoice, type Config } from '../config.js';
import type { MarketCalendar } from '../core/calendar.js';
import type { Candle } from '../core/types.js';
import { createDevice } from '../device/index.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../log.js';
import { MqttOutput } from '../mqtt/mqtt-output.js'; // not mqtt/index.js: that one loads the embedded broker (aedes)
import type { MqttLedger } from '../mqtt/announcements.js';
import type { Output } from '../output.js';
import { WebServer } from '../web/server.js';
import type { TradingLoop } from './trading-loop.js';

export async function startDeviceOutput(o: {
  config: Config;
  loop: TradingLoop;
  calendar: MarketCalendar;
  log: Logger;
  keyboard: boolean;
  now: () => number;
}): Promise<Output> {
  const device = createDevice({
    config: o.config.device,
    control: o.loop,
    log: o.log.child({ area: 'device' }),
    calendar: o.calendar,
    now: o.now,
    stdin: o.keyboard ? process.stdin : undefined,
    stdout: process.stdout,
    onAlert: (a) => o.loop.alert(a.level, a.code, a.message),
    onKillSwitch: (k) => o.loop.setKillSwitch(k),
  });
  o.log.info('device', { ...device.status });
  return device.output;
}

/** MQTT to the configured broker; without one, MqttOutput runs the embedded broker (replays stay local). */
export async function startMqttOutput(o: {
  config: Config;
  loop: TradingLoop;
  log: Logger;
  replay: boolean;
  ledger?: MqttLedger;
  clock?: Clock;
}): Promise<Output | null> {
  if (!o.config.mqtt.url && (o.replay || !o.config.mqtt.embeddedBroker.enabled)) return null;
  const out = new MqttOutput({
    config: o.config.mqtt,
    deviceId: o.config.deviceId,
    control: o.loop,
    log: o.log.child({ area: 'mqtt' }),
    swVersion: VERSION,
    onAlert: (a) => o.loop.alert(a.level, a.code, a.message),
    ledger: o.ledger,
    ...(o.clock ? { clock: o.clock } : {}),
  });
  await out.start();
  return out;
}

/** The page (config web.enabled), its URL announced on stdout for `run`. */
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
