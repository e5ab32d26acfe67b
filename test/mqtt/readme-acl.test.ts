/**
 * The Mosquitto ACL lines README "Home Assistant" tells users to install, run for real: the box
 * (user niftybox) announces, clears an old device id and takes halts; Home Assistant (user
 * homeassistant) reads everything and may halt but not resume.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mqttConfigSchema } from '../../src/mqtt/config.js';
import { MqttOutput } from '../../src/mqtt/mqtt-output.js';
import { repoRoot } from '../support/shared-data.js';
import {
  captureLog,
  hasMosquitto,
  Mosquitto,
  NO_MOSQUITTO_REASON,
  RecordingControl,
  sampleState,
  sleep,
  Sub,
  TempLedger,
  until,
} from './helpers.js';

function readmeAcl(): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const m = /<!-- acl:begin[^>]*-->\s*```\n([\s\S]*?)```\s*<!-- acl:end -->/.exec(readme);
  if (!m) throw new Error('README.md has no <!-- acl:begin --> … <!-- acl:end --> block');
  return m[1]!;
}

function publishAs(port: number, user: string, pass: string, topic: string, payload: string): Promise<number> {
  return new Promise((resolve) =>
    execFile(
      'mosquitto_pub',
      ['-h', '127.0.0.1', '-p', String(port), '-u', user, '-P', pass, '-q', '1', '-t', topic, '-m', payload],
      (err) => resolve(err ? 1 : 0),
    ),
  );
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.skipIf(!hasMosquitto)(`README's Mosquitto ACL${hasMosquitto ? '' : ` (${NO_MOSQUITTO_REASON})`}`, () => {
  it('lets the box announce and clear an old device, HA read and halt, and nobody resume', async () => {
    const broker = await new Mosquitto({
      users: { niftybox: 'box-pass', homeassistant: 'ha-pass' },
      acl: readmeAcl(),
    }).start();
    cleanups.push(() => broker.dispose());
    const store = new TempLedger();
    cleanups.push(() => store.dispose());
    const control = new RecordingControl();
    const start = async (deviceId: string) => {
      const out = new MqttOutput({
        config: mqttConfigSchema.parse({
          url: broker.url,
          username: 'niftybox',
          password: 'box-pass',
          allowRemoteResume: true,
        }),
        deviceId,
        control,
        log: captureLog(),
        swVersion: 'test',
        serial: null,
        ledger: store.ledger,
      });
      cleanups.push(() => out.close());
      await out.start();
      expect(await out.whenConnected(5000)).toBe(true);
      out.onState(sampleState({ deviceId }));
      return out;
    };
    const ha = new Sub(broker.port, ['niftybox/#', 'homeassistant/#'], ['-u', 'homeassistant', '-P', 'ha-pass']);
    cleanups.push(() => ha.stop());

    const old = await start('oldbox');
    await ha.waitFor(
      (m) => m.topic === 'homeassistant/device/oldbox/config' && m.payload.length > 0,
      5000,
      'the old device config',
    );
    await old.close();
    store.reopen();

    await start('newbox');
    await ha.waitFor(
      (m) => m.topic === 'homeassistant/device/oldbox/config' && m.payload === '',
      5000,
      'the old device config cleared',
    );
    await ha.waitFor(
      (m) => m.topic === 'homeassistant/device/newbox/config' && m.payload.length > 0,
      5000,
      'the new device config',
    );
    await ha.waitFor((m) => m.topic === 'niftybox/newbox/state', 5000, 'the state, read by HA');
    await sleep(300); // the box's command subscription in place

    expect(
      await publishAs(broker.port, 'homeassistant', 'ha-pass', 'niftybox/newbox/cmd/halt', '{"reason":"HA"}'),
    ).toBe(0);
    await until(() => control.halts.length === 1, 3000, 'the halt from HA');
    // Mosquitto drops a publish its ACL denies (MQTT 3.1.1 has no way to say so): the box never hears it
    await publishAs(broker.port, 'homeassistant', 'ha-pass', 'niftybox/newbox/cmd/resume', '');
    await sleep(700);
    expect(control.resumes).toEqual([]);
    expect(control.halts).toEqual([{ reason: 'HA', source: 'mqtt' }]);
  });
});
