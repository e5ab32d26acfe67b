/**
 * The embedded broker as a LAN client sees it, with the real `mosquitto_sub` / `mosquitto_pub`:
 * anonymous clients read the box and Home Assistant's topics, may halt, may send HA's birth
 * message, and nothing else — not resume, not spoof the state or the device config, not take the
 * box's client id. A named user (scrypt hash in config) may get more.
 */
import { execFile } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApplianceState } from '../../src/core/state.js';
import { mqttConfigSchema } from '../../src/mqtt/config.js';
import { MqttOutput } from '../../src/mqtt/mqtt-output.js';
import { hashPassword } from '../../src/mqtt/password.js';
import {
  captureLog,
  hasMosquitto,
  NO_MOSQUITTO_REASON,
  readRetained,
  RecordingControl,
  sampleState,
  sleep,
  Sub,
  TempLedger,
  until,
} from './helpers.js';

const DEVICE = 'testbox';
const BASE = `niftybox/${DEVICE}`;
const DISCOVERY = `homeassistant/device/${DEVICE}/config`;

/** mosquitto_pub; resolves with its exit code and stderr instead of throwing (a refusal is a result here). */
function publish(
  port: number,
  topic: string,
  payload: string,
  extra: string[] = [],
): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      'mosquitto_pub',
      ['-h', '127.0.0.1', '-p', String(port), '-q', '1', '-t', topic, '-m', payload, ...extra],
      (err, _out, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
    ),
  );
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function box(mqtt: Record<string, unknown> = {}) {
  const control = new RecordingControl();
  const log = captureLog();
  const ledger = new TempLedger();
  cleanups.push(() => ledger.dispose());
  const out = new MqttOutput({
    config: mqttConfigSchema.parse({
      ...mqtt,
      embeddedBroker: { host: '127.0.0.1', port: 0, ...(mqtt.embeddedBroker as object) },
    }),
    deviceId: DEVICE,
    control,
    log,
    swVersion: 'test',
    serial: null,
    ledger: ledger.ledger,
  });
  cleanups.push(() => out.close());
  // the box's own state follows its control, like the trading loop's
  let state: ApplianceState = sampleState();
  control.onHalt = (reason) => {
    state = { ...state, trading: 'halted', haltReason: reason, ts: state.ts + 1 };
    out.onState(state);
  };
  const resume = control.resume.bind(control);
  control.resume = (source) => {
    resume(source);
    state = { ...state, trading: 'active', haltReason: null, ts: state.ts + 1 };
    out.onState(state);
  };
  await out.start();
  expect(await out.whenConnected(5000)).toBe(true);
  out.onState(state);
  const port = Number(new URL(out.stats().broker!).port);
  return { out, control, log, port, state: () => state };
}

describe.skipIf(!hasMosquitto)(
  `the embedded broker's access rules${hasMosquitto ? '' : ` (${NO_MOSQUITTO_REASON})`}`,
  () => {
    it(
      'anonymous: subscribe to niftybox/# and homeassistant/# works; cmd/halt ' +
        'halts; cmd/resume and every other topic are refused (dropped) and the ' +
        'box stays halted',
      async () => {
        // a named user who may read everything, to see that refused messages go nowhere
        const watcher = { name: 'watcher', passwordHash: hashPassword('watch-pass'), subscribe: ['#', '$SYS/#'] };
        const { out, control, log, port } = await box({
          allowRemoteResume: true,
          embeddedBroker: { users: [watcher] },
        });
        const w = new Sub(port, ['#', '$SYS/#'], ['-u', 'watcher', '-P', 'watch-pass']);
        cleanups.push(() => w.stop());
        const s = new Sub(port, [`${BASE}/#`, 'homeassistant/#']);
        cleanups.push(() => s.stop());
        await s.waitFor((m) => m.topic === `${BASE}/state` && m.retained, 5000, 'the retained state');
        await s.waitFor((m) => m.topic === DISCOVERY && m.retained, 5000, 'the retained device config');
        await sleep(600); // past the state throttle

        expect((await publish(port, `${BASE}/cmd/halt`, '{"reason":"from the LAN"}')).code).toBe(0);
        await s.waitFor(
          (m) => m.topic === `${BASE}/state` && JSON.parse(m.payload).trading === 'halted',
          3000,
          'state halted',
        );
        expect(control.halts).toEqual([{ reason: 'from the LAN', source: 'mqtt' }]);

        // resume is allowed by the box (allowRemoteResume) but an anonymous client may not publish it;
        // like Mosquitto, the broker acknowledges and drops it (the client stays connected)
        expect((await publish(port, `${BASE}/cmd/resume`, 'SPOOF')).code).toBe(0);
        // neither may it spoof the state, the device config, another command or a foreign topic
        for (const t of [
          `${BASE}/state`,
          DISCOVERY,
          `${BASE}/cmd/explode`,
          'niftybox/otherbox/cmd/halt',
          'anything/else',
        ])
          await publish(port, t, 'SPOOF');
        // nor retain a halt (a stale retained command would haunt every reconnect)
        await publish(port, `${BASE}/cmd/halt`, 'SPOOF', ['-r']);
        await sleep(700);
        expect(w.messages.filter((m) => m.payload.includes('SPOOF'))).toEqual([]);
        expect(w.messages.some((m) => m.topic === `${BASE}/state`)).toBe(true); // the watcher does see the box
        expect(await readRetained(port, `${BASE}/cmd/halt`, 1)).toBeNull();
        expect(control.resumes).toEqual([]);
        expect(control.halts).toHaveLength(1);
        const retained = JSON.parse((await readRetained(port, `${BASE}/state`))!);
        expect(retained.trading).toBe('halted');
        expect(retained.deviceId).toBe(DEVICE);
        expect(JSON.parse((await readRetained(port, DISCOVERY))!).device.name).toBe(`niftybox ${DEVICE}`);
        expect(log.text()).toMatch(/refused a publish.*cmd\/resume/);
        expect(log.text()).toMatch(/refused a publish.*anything\/else/);
        expect(out.stats().connected).toBe(true);
      },
    );

    it(
      'anonymous: homeassistant/status = online makes the box re-announce; ' + 'subscribing to # or $SYS is refused',
      async () => {
        const { port } = await box();
        const s = new Sub(port, [DISCOVERY]);
        cleanups.push(() => s.stop());
        await s.waitFor((m) => m.retained, 5000, 'the retained config');
        expect((await publish(port, 'homeassistant/status', 'online')).code).toBe(0);
        const live = await s.waitFor((m) => !m.retained, 5000, 'a live re-announce');
        expect(JSON.parse(live.payload).components.halt.command_topic).toBe(`${BASE}/cmd/halt`);

        for (const filter of ['#', '$SYS/#', '+/testbox/state']) {
          const all = new Sub(port, [filter], ['-W', '2']);
          cleanups.push(() => all.stop());
          await sleep(1500);
          expect(all.messages, filter).toEqual([]);
          expect(all.stderr, filter).toMatch(/denied|refused|fail/i);
        }
      },
    );

    it("no client may take the box's client id; with allowAnonymous false anonymous clients are refused", async () => {
      const { out, port } = await box({ embeddedBroker: { allowAnonymous: false } });
      const thief = new Sub(port, [`${BASE}/#`], ['-i', `niftybox-${DEVICE}`]);
      cleanups.push(() => thief.stop());
      await until(() => /refused|not authori[sz]ed|identifier/i.test(thief.stderr), 5000, 'the takeover refused');
      expect(out.stats().connected).toBe(true);
      const anon = new Sub(port, [`${BASE}/#`]);
      cleanups.push(() => anon.stop());
      await until(() => /refused|not authori[sz]ed/i.test(anon.stderr), 5000, 'anonymous refused');
      expect(anon.messages).toEqual([]);
    });

    it(
      'a named user (scrypt hash in config) may get more: here resume, with ' +
        'allowRemoteResume; a wrong password is refused',
      async () => {
        const users = [
          { name: 'ha', passwordHash: hashPassword('s3cret-pass'), publish: [`niftybox/+/cmd/resume`] },
          { name: 'viewer', passwordHash: hashPassword('view-only'), subscribe: ['$SYS/#'] },
        ];
        const { control, port } = await box({ allowRemoteResume: true, embeddedBroker: { users } });
        await sleep(200);
        expect((await publish(port, `${BASE}/cmd/resume`, '', ['-u', 'ha', '-P', 'wrong-pass'])).code).not.toBe(0);
        expect((await publish(port, `${BASE}/cmd/resume`, '', ['-u', 'nobody', '-P', 's3cret-pass'])).code).not.toBe(0);
        // a user without the pattern has only the anonymous rights: its resume is dropped
        await publish(port, `${BASE}/cmd/resume`, '', ['-u', 'viewer', '-P', 'view-only']);
        await sleep(300);
        expect(control.resumes).toEqual([]);
        expect((await publish(port, `${BASE}/cmd/resume`, '', ['-u', 'ha', '-P', 's3cret-pass'])).code).toBe(0);
        await until(() => control.resumes.length === 1, 3000, 'the resume');
        // the user also keeps the anonymous rights: reading the box
        expect(JSON.parse((await readRetained(port, `${BASE}/state`))!).deviceId).toBe(DEVICE);
      },
    );
  },
);
