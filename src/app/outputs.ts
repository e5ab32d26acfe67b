/** The box (OLED, button, buzzer) and MQTT as outputs of the trading loop; each degrades alone. */
import { VERSION } from '../app.js';
import type { Config } from '../config.js';
import type { MarketCalendar } from '../core/calendar.js';
import { createDevice } from '../device/index.js';
import type { Logger } from '../log.js';
import { MqttOutput, startEmbeddedBroker } from '../mqtt/index.js';
import type { Output } from '../output.js';
import type { TradingLoop } from './trading-loop.js';

export async function startDeviceOutput(o: { config: Config; loop: TradingLoop; calendar: MarketCalendar; log: Logger; cleanups: (() => Promise<void>)[]; keyboard: boolean; now: () => number }): Promise<Output> {
  const device = createDevice({
    config: o.config.device,
    control: o.loop,
    log: o.log.child({ area: 'device' }),
    calendar: o.calendar,
    now: o.now,
    stdin: o.keyboard ? process.stdin : undefined,
    stdout: process.stdout,
    onAlert: (a) => o.loop.alert(a.level, a.code, a.message),
  });
  o.log.info('device', { ...device.status });
  return device.output;
}

/** MQTT to the configured broker; without one, an embedded broker (not for replays, which stay local). */
export async function startMqttOutput(o: { config: Config; loop: TradingLoop; log: Logger; cleanups: (() => Promise<void>)[]; replay: boolean }): Promise<Output | null> {
  const mqtt = { ...o.config.mqtt };
  const log = o.log.child({ area: 'mqtt' });
  if (!mqtt.url) {
    if (o.replay || !mqtt.embeddedBroker.enabled) return null;
    try {
      const broker = await startEmbeddedBroker({ host: mqtt.embeddedBroker.host, port: mqtt.embeddedBroker.port, log });
      o.cleanups.push(() => broker.close());
      mqtt.url = broker.url;
    } catch (err) {
      log.warn('embedded MQTT broker could not start; running without MQTT', { error: (err as Error).message, port: mqtt.embeddedBroker.port });
      return null;
    }
  }
  const out = new MqttOutput({
    config: mqtt,
    deviceId: o.config.deviceId,
    control: o.loop,
    log,
    swVersion: VERSION,
    onAlert: (a) => o.loop.alert(a.level, a.code, a.message),
  });
  await out.start();
  return out;
}
