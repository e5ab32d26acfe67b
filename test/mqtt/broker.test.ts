/**
 * MqttOutput against a real Mosquitto (one per test, own port and config file), read with the real
 * `mosquitto_sub` — what a user would type.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/core/events.js';
import type { ApplianceState } from '../../src/core/state.js';
import { mqttConfigSchema } from '../../src/mqtt/config.js';
import { MqttOutput, type MqttAlert, type MqttOutputOptions } from '../../src/mqtt/mqtt-output.js';
import { startEmbeddedBroker } from '../../src/mqtt/embedded-broker.js';
import {
  captureLog,
  freePort,
  hasMosquitto,
  hasOpenssl,
  makeTestCerts,
  Mosquitto,
  NO_MOSQUITTO_REASON,
  pub,
  readRetained,
  RecordingControl,
  sampleState,
  sleep,
  Sub,
  TempLedger,
  until,
} from './helpers.js';
import { renderTemplate } from './template.js';

const here = dirname(fileURLToPath(import.meta.url));
const DEVICE = 'testbox';
const BASE = `niftybox/${DEVICE}`;
const DISCOVERY = `homeassistant/device/${DEVICE}/config`;

if (!hasMosquitto) console.warn(`skipping MQTT broker tests: ${NO_MOSQUITTO_REASON}`);

describe.skipIf(!hasMosquitto)('MqttOutput with a real Mosquitto', () => {
  let broker: Mosquitto;
  const cleanups: (() => unknown)[] = [];

  beforeEach(async () => {
    broker = await new Mosquitto().start();
  });
  afterEach(async () => {
    // every cleanup runs, even when one fails (a broker left running would outlive the test)
    const errors: unknown[] = [];
    for (const c of cleanups.splice(0).reverse())
      await Promise.resolve()
        .then(c)
        .catch((e) => errors.push(e));
    await broker.dispose();
    if (errors.length) throw errors[0];
  });

  function sub(topics: string[], extra: string[] = []): Sub {
    const s = new Sub(broker.port, topics, extra);
    cleanups.push(() => s.stop());
    return s;
  }

  async function output(
    over: Partial<MqttOutputOptions> & { mqtt?: Record<string, unknown> } = {},
  ): Promise<{ out: MqttOutput; control: RecordingControl; alerts: MqttAlert[]; log: ReturnType<typeof captureLog> }> {
    const control = (over.control as RecordingControl | undefined) ?? new RecordingControl();
    const alerts: MqttAlert[] = [];
    const log = captureLog();
    const ledger = new TempLedger();
    cleanups.push(() => ledger.dispose());
    const out = new MqttOutput({
      config: mqttConfigSchema.parse({ url: broker.url, ...over.mqtt }),
      ledger: ledger.ledger,
      deviceId: DEVICE,
      control,
      log,
      swVersion: '0.1.0-test',
      serial: 'feedbeef01',
      onAlert: (a) => alerts.push(a),
      ...over,
    });
    cleanups.push(() => out.close());
    await out.start();
    return { out, control, alerts, log };
  }

  it(
    'publishes `online` retained on connect; the broker publishes the will ' +
      '`offline` when the process is SIGKILLed',
    async () => {
      const fixture = join(here, 'fixtures', 'publisher.mjs');
      expect(
        existsSync(join(here, '../../dist/mqtt/index.js')),
        'dist/mqtt is missing: run `npm run build` (npm test does)',
      ).toBe(true);
      const child = spawn(process.execPath, [fixture, broker.url, DEVICE], { stdio: ['ignore', 'pipe', 'pipe'] });
      cleanups.push(() => child.exitCode === null && child.kill('SIGKILL'));
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      await until(
        () => stdout.includes('READY') || child.exitCode !== null,
        15_000,
        'the publisher process to connect',
      ).catch((e) => {
        throw new Error(`${(e as Error).message}\nstdout: ${stdout}\nstderr: ${stderr}`);
      });
      expect(stdout).toContain('READY');

      const s = sub([`${BASE}/availability`]);
      const online = await s.waitFor((m) => m.topic === `${BASE}/availability`, 5000, 'availability');
      expect(online).toEqual({ retained: true, topic: `${BASE}/availability`, payload: 'online' });

      child.kill('SIGKILL');
      await s.waitFor((m) => m.payload === 'offline', 5000, 'the last will `offline`');
      expect(await readRetained(broker.port, `${BASE}/availability`)).toBe('offline');
      // the retained state survives the publisher
      const state = JSON.parse((await readRetained(broker.port, `${BASE}/state`))!);
      expect(state.deviceId).toBe(DEVICE);
    },
  );

  it(
    'retains a state with every field of the contract; each trade appears ' + 'exactly once on …/trade with its id',
    async () => {
      const s = sub([`${BASE}/#`]);
      const { out } = await output();
      expect(await out.whenConnected(5000)).toBe(true);
      const state = sampleState();
      out.onState(state);
      // published first: mosquitto_sub --retained-only exits on a live (non-retained) message
      await s.waitFor((m) => m.topic === `${BASE}/state`, 5000, 'the state');
      const retained = await readRetained(broker.port, `${BASE}/state`, 3);
      expect(retained).not.toBeNull();
      const st = JSON.parse(retained!);
      for (const key of ['mode', 'session', 'trading', 'haltReason', 'feed', 'spot', 'position', 'pnl', 'clock', 'ts'])
        expect(st).toHaveProperty(key);
      expect(Object.keys(st.feed).sort()).toEqual(['connected', 'lastTickAgeMs']);
      for (const key of [
        'side',
        'instrumentKey',
        'symbol',
        'quantity',
        'entryPrice',
        'ltp',
        'sl',
        'tp1',
        'tp1Hit',
        'unrealizedPnl',
      ])
        expect(st.position).toHaveProperty(key);
      for (const key of ['realized', 'unrealized', 'charges', 'net', 'trades', 'wins'])
        expect(st.pnl).toHaveProperty(key);
      expect(Object.keys(st.clock).sort()).toEqual(['skewMs', 'synced']);
      // the contract's state plus the ledger's all-time figure (an empty ledger: just today's open position)
      expect(st).toEqual({ ...state, pnl: { ...state.pnl, allTimeNet: state.pnl.unrealized } });

      const t0 = Date.UTC(2025, 5, 2, 4, 0);
      const entry: EngineEvent = {
        type: 'entry',
        ts: t0,
        position: {
          tradeId: 41,
          side: 'CE',
          instrumentKey: 'NSE_FO|12345',
          quantity: 75,
          entryTime: t0,
          entryPrice: 120.5,
          sl: 98.4,
          tp1: 160.5,
          tp1Hit: false,
          ltp: 120.5,
          signalCandleTs: t0 - 300_000,
        },
      };
      const exit: EngineEvent = {
        type: 'exit',
        ts: t0 + 600_000,
        trade: {
          tradeId: 41,
          day: '2025-06-02',
          side: 'CE',
          instrumentKey: 'NSE_FO|12345',
          strike: 24550,
          expiry: '2025-06-05',
          quantity: 75,
          entryTime: t0,
          entryPrice: 120.5,
          exitTime: t0 + 600_000,
          exitPrice: 140,
          reason: 'LOCK_SL',
          points: 19.5,
          grossPnl: 1462.5,
          charges: 61.2,
          netPnl: 1401.3,
          chargeBreakdown: { brokerage: 40, stt: 5, exchange: 4, sebi: 0.01, stamp: 0.3, gst: 11.89, total: 61.2 },
          slippageCost: 0,
        },
      };
      const signal: EngineEvent = {
        type: 'signal',
        ts: t0 - 1,
        candleTs: t0 - 300_000,
        kind: 'entry',
        side: 'CE',
        action: 'taken',
        close: 24550,
        strategy: 'v25',
        readings: { ema: 24500, hist: 1.2, chop: 40 },
      };
      out.onEvents([signal, entry], state);
      out.onEvents([exit], { ...state, position: null });
      await s.waitFor((m) => m.topic === `${BASE}/trade` && m.payload.includes('"exit"'), 5000, 'the exit on …/trade');
      await sleep(700); // room for a duplicate to show up
      const trades = s.on(`${BASE}/trade`).map((m) => ({ retained: m.retained, ...JSON.parse(m.payload) }));
      expect(trades.filter((t) => t.event === 'entry')).toHaveLength(1);
      expect(trades.filter((t) => t.event === 'exit')).toHaveLength(1);
      expect(trades[0]).toMatchObject({
        retained: false,
        event: 'entry',
        tradeId: 41,
        symbol: 'NIFTY 05 JUN 25 24550 CE',
        entryPrice: 120.5,
      });
      expect(trades[1]).toMatchObject({
        retained: false,
        event: 'exit',
        tradeId: 41,
        reason: 'LOCK_SL',
        netPnl: 1401.3,
      });
      const signals = s.on(`${BASE}/signal`).map((m) => JSON.parse(m.payload));
      expect(signals).toHaveLength(1);
      expect(signals[0]).toMatchObject({ type: 'signal', side: 'CE', action: 'taken' });
      expect(await readRetained(broker.port, `${BASE}/trade`, 1)).toBeNull();
      // the state after the exit (flat) is what is retained now
      await until(
        () => s.on(`${BASE}/state`).some((m) => JSON.parse(m.payload).position === null),
        3000,
        'the flat state',
      );
    },
  );

  it(
    'announces Home Assistant discovery whose templates resolve against the ' +
      'published state, and re-announces on homeassistant/status online',
    async () => {
      const s = sub([DISCOVERY, `${BASE}/state`]);
      const { out } = await output({ configurationUrl: 'http://testbox.local:8080/login' });
      out.onState(sampleState());
      const first = await s.waitFor((m) => m.topic === DISCOVERY, 5000, 'the discovery config');
      const cfg = JSON.parse(first.payload);
      const stateMsg = await s.waitFor((m) => m.topic === `${BASE}/state`, 5000, 'the state');
      const state = JSON.parse(stateMsg.payload);

      expect(cfg.device).toMatchObject({
        identifiers: ['niftybox_feedbeef01'],
        name: `niftybox ${DEVICE}`,
        sw_version: '0.1.0-test',
        configuration_url: 'http://testbox.local:8080/login',
      });
      const cmps = Object.entries(cfg.components) as [string, Record<string, unknown>][];
      // 10 sensors (Strategy among them), 3 binary sensors, the halt button, the trade event entity
      expect(cmps.length).toBe(15);
      const uids = cmps.map(([, c]) => c.unique_id);
      expect(new Set(uids).size).toBe(uids.length);
      for (const [key, c] of cmps) {
        expect(c.availability_topic, key).toBe(`${BASE}/availability`);
        expect(c, key).not.toHaveProperty('object_id');
        expect(String(c.default_entity_id), key).toMatch(new RegExp(`^${c.platform}\\.`));
        if (c.value_template) {
          expect(c.state_topic, key).toBe(`${BASE}/state`);
          const rendered = renderTemplate(c.value_template as string, state);
          if (c.platform === 'binary_sensor') expect([c.payload_on, c.payload_off], key).toContain(rendered);
          else expect(rendered, key).not.toBe('None');
        }
      }
      expect(cfg.components.halt.command_topic).toBe(`${BASE}/cmd/halt`);

      const before = s.on(DISCOVERY).length;
      const statesBefore = s.on(`${BASE}/state`).length;
      await pub(broker.port, 'homeassistant/status', 'online');
      await until(
        () => s.on(DISCOVERY).length > before && s.on(`${BASE}/state`).length > statesBefore,
        5000,
        're-announced discovery and state',
      );
      const again = s.on(DISCOVERY).at(-1)!;
      expect(again.retained).toBe(false); // a live publish, not the stored copy
      expect(JSON.parse(again.payload)).toEqual(cfg);
    },
  );

  it(
    'coalesces state changes to at most 2 per second, keeps the latest, and ' + 're-publishes it as a heartbeat',
    async () => {
      const s = sub([`${BASE}/state`]);
      const { out } = await output({ mqtt: { discovery: false }, tuning: { heartbeatMs: 1500 } });
      expect(await out.whenConnected(5000)).toBe(true);
      const base = sampleState();
      const started = Date.now();
      let last = base;
      for (let i = 0; i < 100; i++) {
        last = { ...base, ts: base.ts + i, spot: 24500 + i };
        out.onState(last);
        await sleep(20); // 50 changes per second for 2 s
      }
      const elapsed = Date.now() - started;
      await s.waitFor((m) => JSON.parse(m.payload).ts === last.ts, 2000, 'the last state');
      const during = s.on(`${BASE}/state`).length;
      expect(during).toBeLessThanOrEqual(Math.ceil(elapsed / 500) + 2);
      expect(during).toBeGreaterThanOrEqual(2);
      // no further change: the heartbeat re-publishes the same state
      await until(() => s.on(`${BASE}/state`).length > during, 3000, 'a heartbeat');
      expect(JSON.parse(s.on(`${BASE}/state`).at(-1)!.payload)).toEqual({
        ...last,
        pnl: { ...last.pnl, allTimeNet: last.pnl.unrealized },
      });
    },
  );

  it('publishes no discovery when mqtt.discovery is false', async () => {
    const { out } = await output({ mqtt: { discovery: false } });
    out.onState(sampleState());
    await until(() => out.stats().published >= 2, 5000, 'availability and state published');
    expect(await readRetained(broker.port, `${BASE}/state`)).not.toBeNull();
    expect(await readRetained(broker.port, DISCOVERY, 1)).toBeNull();
  });

  it(
    'halts on …/cmd/halt (state shows halted within 1 s), refuses ' +
      '…/cmd/resume by default with an alert, reports bad commands',
    async () => {
      const s = sub([`${BASE}/state`, `${BASE}/alert`]);
      const control = new RecordingControl();
      let state: ApplianceState = sampleState();
      const { out, alerts } = await output({ control });
      control.onHalt = (reason) => {
        state = { ...state, trading: 'halted', haltReason: reason, ts: state.ts + 1 };
        out.onState(state);
      };
      out.onState(state);
      expect(await out.whenConnected(5000)).toBe(true);
      await s.waitFor((m) => m.topic === `${BASE}/state`, 5000, 'the first state');
      await sleep(600); // past the 2-per-second state throttle, so the next change goes out at once

      await pub(broker.port, `${BASE}/cmd/halt`, '{"reason":"lunch break"}');
      const sent = Date.now();
      await s.waitFor(
        (m) => m.topic === `${BASE}/state` && JSON.parse(m.payload).trading === 'halted',
        1000,
        'state trading=halted within 1 s',
      );
      expect(Date.now() - sent).toBeLessThan(1000);
      expect(control.halts).toEqual([{ reason: 'lunch break', source: 'mqtt' }]);
      expect(JSON.parse((await readRetained(broker.port, `${BASE}/state`))!).haltReason).toBe('lunch break');

      await pub(broker.port, `${BASE}/cmd/resume`, '');
      const refusal = await s.waitFor(
        (m) => m.topic === `${BASE}/alert` && m.payload.includes('REMOTE_RESUME_REFUSED'),
        3000,
        'the refusal alert',
      );
      expect(JSON.parse(refusal.payload)).toMatchObject({ level: 'warn', code: 'REMOTE_RESUME_REFUSED' });
      expect(JSON.parse(refusal.payload).message).toMatch(/allowRemoteResume/);
      expect(control.resumes).toEqual([]);
      expect(alerts.some((a) => a.code === 'REMOTE_RESUME_REFUSED')).toBe(true);

      // malformed, huge, unknown: each reported, none crashes; a halt with junk still halts
      await pub(broker.port, `${BASE}/cmd/halt`, '{"reason":');
      await pub(broker.port, `${BASE}/cmd/halt`, 'x'.repeat(64 * 1024));
      await pub(broker.port, `${BASE}/cmd/explode`, 'now');
      await until(() => control.halts.length === 3, 3000, 'two more halts');
      expect(control.halts.slice(1).map((h) => h.reason)).toEqual(['halted over MQTT', 'halted over MQTT']);
      await s.waitFor(
        (m) => m.topic === `${BASE}/alert` && m.payload.includes('does not parse'),
        3000,
        'the malformed-payload alert',
      );
      await s.waitFor(
        (m) => m.topic === `${BASE}/alert` && m.payload.includes('bytes ignored'),
        3000,
        'the huge-payload alert',
      );
      await s.waitFor(
        (m) => m.topic === `${BASE}/alert` && m.payload.includes('unknown command topic'),
        3000,
        'the unknown-command alert',
      );
      expect(out.stats().connected).toBe(true);
    },
  );

  it('honours …/cmd/resume when mqtt.allowRemoteResume is true', async () => {
    const { out, control } = await output({ mqtt: { allowRemoteResume: true } });
    expect(await out.whenConnected(5000)).toBe(true);
    await sleep(200); // subscription in place
    await pub(broker.port, `${BASE}/cmd/resume`, '');
    await until(() => control.resumes.length === 1, 3000, 'ControlPort.resume');
    expect(control.resumes).toEqual(['mqtt']);
  });

  it('ignores retained command messages found on subscribe', async () => {
    await pub(broker.port, `${BASE}/cmd/halt`, '{"reason":"stale"}', { retain: true });
    await pub(broker.port, `${BASE}/cmd/resume`, 'go', { retain: true });
    const s = sub([`${BASE}/alert`]);
    const { out, control } = await output({ mqtt: { allowRemoteResume: true } });
    expect(await out.whenConnected(5000)).toBe(true);
    await s.waitFor(
      (m) => m.payload.includes('ignored a retained message on niftybox/testbox/cmd/halt'),
      3000,
      'the retained-command alert',
    );
    await s.waitFor(
      (m) => m.payload.includes('ignored a retained message on niftybox/testbox/cmd/resume'),
      3000,
      'the retained-command alert',
    );
    await sleep(300);
    expect(control.halts).toEqual([]);
    expect(control.resumes).toEqual([]);
    // a live (non-retained) halt still works
    await pub(broker.port, `${BASE}/cmd/halt`, '');
    await until(() => control.halts.length === 1, 3000, 'the live halt');
  });

  it(
    'a broker that refuses the credentials: a clear error with the reason ' +
      'code, no crash, publishing calls still return',
    async () => {
      await broker.dispose();
      broker = await new Mosquitto({ users: { niftybox: 'correct-horse' } }).start();
      const { out, alerts, log } = await output({ mqtt: { username: 'niftybox', password: 'wrong-password-123' } });
      await until(() => alerts.some((a) => /refused/.test(a.message)), 5000, 'the refusal alert');
      const refusal = alerts.find((a) => /refused/.test(a.message))!;
      expect(refusal.level).toBe('error');
      expect(refusal.message).toMatch(/reason code [45]\b/);
      expect(refusal.message).toMatch(/mqtt\.username and mqtt\.password/);
      expect(log.text()).not.toContain('wrong-password-123');
      expect(() => {
        out.onState(sampleState());
        out.onEvents([{ type: 'alert', ts: 1, level: 'info', code: 'MQTT', message: 'y' }], sampleState());
      }).not.toThrow();
      expect(out.stats().connected).toBe(false);
      await out.close();

      // the right password connects
      const ok = await output({ mqtt: { username: 'niftybox', password: 'correct-horse' } });
      expect(await ok.out.whenConnected(5000)).toBe(true);
    },
  );

  it.skipIf(!hasOpenssl)(
    'connects over mqtts:// with mqtt.caFile; without the CA the TLS failure names the fix',
    async () => {
      await broker.dispose();
      const certDir = mkdtempSync(join(tmpdir(), 'niftybox-certs-'));
      cleanups.push(() => rmSync(certDir, { recursive: true, force: true }));
      const certs = makeTestCerts(certDir);
      broker = await new Mosquitto({ tls: certs }).start();
      const s = sub([`${BASE}/availability`], ['--cafile', certs.cafile]);
      const good = await output({ mqtt: { caFile: certs.cafile } });
      expect(await good.out.whenConnected(5000)).toBe(true);
      await s.waitFor((m) => m.payload === 'online', 5000, 'online over TLS');
      await good.out.close();

      const bad = await output({ deviceId: 'other' } as Partial<MqttOutputOptions>);
      await until(() => bad.alerts.length > 0, 5000, 'the TLS alert');
      expect(bad.alerts[0]!.level).toBe('error');
      expect(bad.alerts[0]!.message).toMatch(/TLS with MQTT broker mqtts:\/\/127\.0\.0\.1:\d+ failed: .*certificate/);
      expect(bad.alerts[0]!.message).toMatch(/set mqtt\.caFile/);
      expect(bad.out.stats().connected).toBe(false);
    },
  );

  it('a TLS failure is reported clearly and does not crash', async () => {
    // A plain TCP listener that is no TLS server: the handshake fails.
    const port = await freePort();
    const server = createServer((sock) => {
      sock.resume();
      sock.end('this is not TLS\n');
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const alerts: MqttAlert[] = [];
    const out = new MqttOutput({
      config: mqttConfigSchema.parse({ url: `mqtts://127.0.0.1:${port}`, caFile: '/nonexistent/ca.pem' }),
      deviceId: DEVICE,
      control: new RecordingControl(),
      log: captureLog(),
      swVersion: 'x',
      serial: null,
      onAlert: (a) => alerts.push(a),
    });
    cleanups.push(() => out.close());
    await out.start();
    await until(() => alerts.length >= 2, 5000, 'the CA-file and TLS alerts');
    expect(alerts[0]!.message).toMatch(/cannot read mqtt\.caFile \/nonexistent\/ca\.pem/);
    expect(alerts.slice(1).some((a) => /TLS|ssl|socket|ECONNRESET|connection/i.test(a.message))).toBe(true);
    expect(() => out.onState(sampleState())).not.toThrow();
  });

  it('with no broker configured, starts the embedded broker that mosquitto_sub can read', async () => {
    const port = await freePort();
    const log = captureLog();
    const out = new MqttOutput({
      config: mqttConfigSchema.parse({ embeddedBroker: { enabled: true, host: '127.0.0.1', port } }),
      deviceId: DEVICE,
      control: new RecordingControl(),
      log,
      swVersion: 'x',
      serial: null,
    });
    cleanups.push(() => out.close());
    await out.start();
    expect(await out.whenConnected(5000)).toBe(true);
    expect(log.text()).toMatch(/using the embedded broker/);
    expect(out.stats().broker).toBe(`mqtt://127.0.0.1:${port}`);
    out.onState(sampleState());
    const s = new Sub(port, [`${BASE}/#`]);
    cleanups.push(() => s.stop());
    await s.waitFor(
      (m) => m.topic === `${BASE}/availability` && m.payload === 'online' && m.retained,
      5000,
      'online from the embedded broker',
    );
    await s.waitFor((m) => m.topic === `${BASE}/state` && m.retained, 5000, 'the state from the embedded broker');
    await out.close();
    // closed cleanly: the port is free again
    const again = await startEmbeddedBroker({ port });
    await again.close();
  });

  it('startEmbeddedBroker names the problem when the port is taken', async () => {
    await expect(startEmbeddedBroker({ port: broker.port })).rejects.toThrow(
      /port \d+ on 127\.0\.0\.1 is already in use/,
    );
  });
});
