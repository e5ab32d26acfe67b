/**
 * Home Assistant's view across restarts, against a real Mosquitto read with `mosquitto_sub`: the
 * discovery payload uses only options HA documents, the daily totals carry an ISO-8601 last_reset,
 * and what the box announced before is cleared when discovery is turned off or the device id
 * changes (the ledger remembers it across the restart).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mqttConfigSchema } from '../../src/mqtt/config.js';
import { MqttOutput } from '../../src/mqtt/mqtt-output.js';
import { HA_OPTIONS, undocumentedKeys } from './ha-options.js';
import {
  captureLog,
  exitEvent,
  hasMosquitto,
  Mosquitto,
  NO_MOSQUITTO_REASON,
  readRetained,
  RecordingControl,
  sampleState,
  TempLedger,
  until,
} from './helpers.js';
import { renderTemplate } from './template.js';

if (!hasMosquitto) console.warn(`skipping MQTT lifecycle tests: ${NO_MOSQUITTO_REASON}`);

describe.skipIf(!hasMosquitto)('Home Assistant discovery across restarts (real Mosquitto)', () => {
  let broker: Mosquitto;
  let store: TempLedger;
  const open: MqttOutput[] = [];

  beforeEach(async () => {
    broker = await new Mosquitto().start();
    store = new TempLedger();
  });
  afterEach(async () => {
    for (const o of open.splice(0)) await o.close();
    store.dispose();
    await broker.dispose();
  });

  /** One run of the box: start, publish a state, wait until everything is out. */
  async function runBox(deviceId: string, mqtt: Record<string, unknown> = {}): Promise<MqttOutput> {
    const out = new MqttOutput({
      config: mqttConfigSchema.parse({ url: broker.url, ...mqtt }),
      deviceId,
      control: new RecordingControl(),
      log: captureLog(),
      swVersion: '0.1.0-test',
      serial: null,
      ledger: store.ledger,
    });
    open.push(out);
    await out.start();
    expect(await out.whenConnected(5000)).toBe(true);
    out.onState(sampleState({ deviceId }));
    await until(
      () => out.stats().queued === 0 && out.stats().inflight === 0 && out.stats().published >= 2,
      5000,
      'everything published',
    );
    return out;
  }

  async function restart(out: MqttOutput): Promise<void> {
    await out.close();
    open.splice(open.indexOf(out), 1);
    store.reopen();
  }

  it(
    'every discovery payload key is one HA documents for its platform; ' +
      'last_reset renders ISO-8601 from the retained state; all-time net comes ' +
      'from the ledger',
    async () => {
      store.ledger.commit([exitEvent(1, 1200.5, '2025-05-30'), exitEvent(2, -300.25, '2025-05-30')], null);
      await runBox('testbox');
      const cfg = JSON.parse((await readRetained(broker.port, 'homeassistant/device/testbox/config'))!);
      const state = JSON.parse((await readRetained(broker.port, 'niftybox/testbox/state'))!);
      expect(undocumentedKeys(cfg)).toEqual([]);
      const platforms = new Set(
        Object.values(cfg.components as Record<string, { platform: string }>).map((c) => c.platform),
      );
      for (const p of platforms) expect(Object.keys(HA_OPTIONS)).toContain(p);

      for (const key of ['net_pnl', 'realized_pnl']) {
        const c = cfg.components[key];
        expect(c.state_class, key).toBe('total');
        const lastReset = renderTemplate(c.last_reset_value_template, state);
        expect(lastReset, key).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:30$/);
        expect(lastReset.slice(0, 10)).toBe(state.day);
        expect(Number.isNaN(Date.parse(lastReset))).toBe(false);
      }
      // 1200.50 − 300.25 closed before today, plus today's open position (806.25)
      expect(state.pnl.allTimeNet).toBe(1706.5);
      expect(renderTemplate(cfg.components.all_time_net_pnl.value_template, state)).toBe('1706.5');
    },
  );

  it("after `discovery: false` and a restart the box's retained device config is gone", async () => {
    const first = await runBox('testbox');
    expect(await readRetained(broker.port, 'homeassistant/device/testbox/config')).not.toBeNull();
    expect(store.ledger.mqttAnnounced().map((a) => a.topic)).toContain('homeassistant/device/testbox/config');
    await restart(first);

    await runBox('testbox', { discovery: false });
    expect(await readRetained(broker.port, 'homeassistant/device/testbox/config', 1)).toBeNull();
    // the state is still the box's, and the ledger no longer lists the config
    expect(await readRetained(broker.port, 'niftybox/testbox/state')).not.toBeNull();
    expect(store.ledger.mqttAnnounced().map((a) => a.topic)).not.toContain('homeassistant/device/testbox/config');
  });

  it("after a device-id change the old device's retained config, state and availability are cleared", async () => {
    const first = await runBox('oldbox');
    for (const t of ['homeassistant/device/oldbox/config', 'niftybox/oldbox/state', 'niftybox/oldbox/availability'])
      expect(await readRetained(broker.port, t), t).not.toBeNull();
    await restart(first);
    // the old availability is `offline` now (clean close), still retained
    expect(await readRetained(broker.port, 'niftybox/oldbox/availability')).toBe('offline');

    await runBox('newbox');
    await until(
      () => !store.ledger.mqttAnnounced().some((a) => a.deviceId === 'oldbox'),
      5000,
      'the ledger to drop the old device',
    );
    for (const t of ['homeassistant/device/oldbox/config', 'niftybox/oldbox/state', 'niftybox/oldbox/availability'])
      expect(await readRetained(broker.port, t, 1), t).toBeNull();
    expect(JSON.parse((await readRetained(broker.port, 'homeassistant/device/newbox/config'))!).device.name).toBe(
      'niftybox newbox',
    );
    expect(await readRetained(broker.port, 'niftybox/newbox/availability')).toBe('online');
  });
});
