/**
 * Home Assistant births from anyone on the LAN (anonymous clients may publish `online` on
 * `homeassistant/status`): 500 of them used to cost 1,254 fsyncs (three ledger upserts and a full
 * re-announcement each). Now the box re-announces at most once per 30 s of its clock, however many
 * arrive, and writes what it announced only when that changes, in one transaction. Through the real
 * embedded broker and a real MQTT client.
 */
import { connect } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import type { MqttLedger } from '../../src/mqtt/announcements.js';
import { mqttConfigSchema } from '../../src/mqtt/config.js';
import { MqttOutput } from '../../src/mqtt/mqtt-output.js';
import { captureLog, RecordingControl, sampleState, TempLedger, until } from './helpers.js';

const DEVICE = 'testbox';
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('Home Assistant births', () => {
  it('500 births: one re-announcement at once, one 30 s later for the rest, no ' +
    'ledger write (it did not change); a birth after that re-announces again', async () => {
    const store = new TempLedger();
    cleanups.push(() => store.dispose());
    const writes: string[] = [];
    const real = store.ledger;
    // every call is one transaction on the real ledger (one fsync with synchronous=FULL)
    const ledger: MqttLedger = {
      allTimeNetPnl: () => real.allTimeNetPnl(),
      mqttAnnounced: () => real.mqttAnnounced(),
      rememberMqttAnnounced: (list) => (writes.push(`remember ${list.length}`), real.rememberMqttAnnounced(list)),
      forgetMqttAnnounced: (topic) => (writes.push(`forget ${topic}`), real.forgetMqttAnnounced(topic)),
    };
    const control = new RecordingControl();
    const log = captureLog();
    const clock = new ManualClock(Date.UTC(2025, 5, 2, 4, 0));
    const out = new MqttOutput({
      config: mqttConfigSchema.parse({ embeddedBroker: { host: '127.0.0.1', port: 0, maxPublishPerSecond: 1000 } }),
      deviceId: DEVICE,
      control,
      log,
      swVersion: 'test',
      serial: null,
      ledger,
      clock,
    });
    cleanups.push(() => out.close());
    await out.start();
    expect(await out.whenConnected(5000)).toBe(true);
    out.onState(sampleState());
    expect(writes, 'the first connection writes its three topics in one transaction').toEqual(['remember 3']);
    const port = Number(new URL(out.stats().broker!).port);

    const ha = connect(`mqtt://127.0.0.1:${port}`, { clientId: 'fake-ha', reconnectPeriod: 0 });
    cleanups.push(() => ha.end(true));
    await new Promise<void>((r, j) => (ha.once('connect', () => r()), ha.once('error', j)));
    const configs: string[] = [];
    ha.on('message', (topic) => configs.push(topic));
    await ha.subscribeAsync(`homeassistant/device/${DEVICE}/config`, { qos: 1 });
    await until(() => configs.length === 1, 5000, 'the retained device config');

    const reannounced = () => log.lines.filter((l) => /re-announcing/.test(l.msg));
    /** Births, then a halt on the same connection: once the box has the halt it has every birth before it. */
    const births = async (n: number) => {
      const halts = control.halts.length;
      for (let i = 0; i < n; i++) await ha.publishAsync('homeassistant/status', 'online', { qos: 1 });
      await ha.publishAsync(`niftybox/${DEVICE}/cmd/halt`, '{"reason":"marker"}', { qos: 1 });
      await until(() => control.halts.length === halts + 1, 10_000, 'the marker halt');
    };

    await births(500);
    expect(reannounced()).toHaveLength(1);
    clock.advance(29_999);
    expect(reannounced()).toHaveLength(1);
    clock.advance(1);
    expect(reannounced()).toHaveLength(2);
    expect(reannounced()[1]!.fields).toMatchObject({ birthsCoalesced: 499 });
    clock.advance(120_000);
    expect(reannounced()).toHaveLength(2);
    await until(() => configs.length === 3, 5000, 'two re-announced device configs');

    await births(1);
    expect(reannounced()).toHaveLength(3);
    await until(() => configs.length === 4, 5000, 'the third re-announced device config');
    expect(writes, 'births wrote nothing: what was announced did not change').toEqual(['remember 3']);
    expect(real.mqttAnnounced()).toHaveLength(3);
  }, 60_000);
});
