/** MQTT pieces without a broker: queue, command parsing, discovery, serial, error messages, backoff. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mqttConfigSchema } from '../../src/mqtt/config.js';
import { CommandHandler, haltReason, MAX_COMMAND_BYTES } from '../../src/mqtt/commands.js';
import { Backoff } from '../../src/lib/backoff.js';
import { describeConnectionError, displayUrl } from '../../src/mqtt/connection.js';
import { discoveryConfig, readDeviceSerial, slug } from '../../src/mqtt/discovery.js';
import { eventMessage, statePayload } from '../../src/mqtt/payloads.js';
import { HA_STATE_CLASSES_BY_DEVICE_CLASS, HA_UNITS_BY_DEVICE_CLASS, undocumentedKeys } from './ha-options.js';
import { PublishQueue, type OutgoingMessage } from '../../src/mqtt/publish-queue.js';
import { topicsFor } from '../../src/mqtt/topics.js';
import { anonymousRights, filterWithin, mayPublish, maySubscribe, topicMatches } from '../../src/mqtt/broker-acl.js';
import { hashPassword, verifyPassword } from '../../src/mqtt/password.js';
import { RecordingControl, sampleState } from './helpers.js';
import { renderTemplate } from './template.js';

const msg = (topic: string, payload: string, qos: 0 | 1 = 1, retain = false): OutgoingMessage => ({
  topic,
  payload,
  qos,
  retain,
});

describe('PublishQueue', () => {
  it('coalesces retained topics (latest wins) and sends them before events', () => {
    const q = new PublishQueue(10);
    q.putEvent(msg('t/trade', 'e1'));
    q.putLatest(msg('t/state', 's1', 1, true));
    q.putLatest(msg('t/state', 's2', 1, true));
    q.putEvent(msg('t/trade', 'e2'));
    expect(q.size).toBe(3);
    expect(q.shift()?.msg.payload).toBe('s2');
    expect(q.shift()?.msg.payload).toBe('e1');
    expect(q.shift()?.msg.payload).toBe('e2');
    expect(q.shift()).toBeUndefined();
  });

  it('keeps events up to the bound, dropping signals (QoS 0) before trades, and counts drops', () => {
    const q = new PublishQueue(5);
    q.putEvent(msg('t/trade', 'trade-1'));
    for (let i = 0; i < 20; i++) q.putEvent(msg('t/signal', `sig-${i}`, 0));
    q.putEvent(msg('t/trade', 'trade-2'));
    expect(q.eventCount).toBe(5);
    expect(q.dropped).toBe(17);
    const out: string[] = [];
    for (let m = q.shift(); m; m = q.shift()) out.push(m.msg.payload);
    expect(out).toEqual(['trade-1', 'sig-17', 'sig-18', 'sig-19', 'trade-2']);
  });

  it('drops the oldest trade when nothing but trades is queued', () => {
    const q = new PublishQueue(2);
    for (let i = 1; i <= 4; i++) q.putEvent(msg('t/trade', `t${i}`));
    expect(q.dropped).toBe(2);
    expect([q.shift()?.msg.payload, q.shift()?.msg.payload]).toEqual(['t3', 't4']);
  });

  it('requeues a failed event in front, and a failed retained message only when nothing newer waits', () => {
    const q = new PublishQueue(10);
    q.putEvent(msg('t/trade', 'e2'));
    q.requeue(msg('t/trade', 'e1'), 'event');
    q.putLatest(msg('t/state', 'new', 1, true));
    q.requeue(msg('t/state', 'old', 1, true), 'latest');
    expect([q.shift()?.msg.payload, q.shift()?.msg.payload, q.shift()?.msg.payload]).toEqual(['new', 'e1', 'e2']);
    q.requeue(msg('t/state', 'old', 1, true), 'latest');
    expect(q.shift()?.msg.payload).toBe('old');
  });

  it('rejects a nonsensical bound', () => {
    expect(() => new PublishQueue(0)).toThrow(/positive integer/);
  });
});

describe('commands', () => {
  const topics = topicsFor('niftybox', 'box1', 'homeassistant');

  it('reads the halt reason from JSON or text, defaults on empty, malformed or huge payloads', () => {
    expect(haltReason(Buffer.from('{"reason":"lunch"}'))).toEqual({ reason: 'lunch' });
    expect(haltReason(Buffer.from('stop now'))).toEqual({ reason: 'stop now' });
    expect(haltReason(Buffer.alloc(0)).reason).toBe('halted over MQTT');
    const bad = haltReason(Buffer.from('{"reason":'));
    expect(bad.reason).toBe('halted over MQTT');
    expect(bad.note).toMatch(/does not parse/);
    expect(haltReason(Buffer.from('{"reason":42}')).note).toMatch(/not a non-empty string/);
    const huge = haltReason(Buffer.alloc(MAX_COMMAND_BYTES + 1, 'x'));
    expect(huge.reason).toBe('halted over MQTT');
    expect(huge.note).toMatch(/bytes ignored/);
    expect(haltReason(Buffer.from('{"reason":"a\\nb\\u0000c"}')).reason).toBe('a b c');
    expect(haltReason(Buffer.from(JSON.stringify({ reason: 'r'.repeat(1000) }))).reason).toHaveLength(200);
  });

  it('halts always, refuses resume unless allowed, ignores retained and unknown commands', () => {
    const control = new RecordingControl();
    const strict = new CommandHandler(topics, control, false);
    expect(strict.handle('niftybox/box1/cmd/halt', Buffer.from('{"reason":"x"}'), false).action).toBe('halted');
    expect(control.halts).toEqual([{ reason: 'x', source: 'mqtt' }]);
    const refused = strict.handle('niftybox/box1/cmd/resume', Buffer.alloc(0), false);
    expect(refused.action).toBe('refused');
    expect(refused.alert?.code).toBe('REMOTE_RESUME_REFUSED');
    expect(refused.alert?.message).toMatch(/allowRemoteResume/);
    expect(control.resumes).toEqual([]);
    const retained = strict.handle('niftybox/box1/cmd/halt', Buffer.from('x'), true);
    expect(retained.action).toBe('ignored');
    expect(retained.alert?.message).toMatch(/retained/);
    expect(control.halts).toHaveLength(1);
    const unknown = strict.handle('niftybox/box1/cmd/explode', Buffer.from('1'), false);
    expect(unknown.action).toBe('ignored');
    expect(unknown.alert?.message).toMatch(/unknown command topic niftybox\/box1\/cmd\/explode/);

    const lenient = new CommandHandler(topics, control, true);
    expect(lenient.handle('niftybox/box1/cmd/resume', Buffer.alloc(0), false).action).toBe('resumed');
    expect(control.resumes).toEqual(['mqtt']);
    expect(lenient.handle('niftybox/box1/cmd/resume', Buffer.alloc(MAX_COMMAND_BYTES + 1), false).action).toBe(
      'refused',
    );
  });

  it('reports an engine that throws instead of throwing', () => {
    const handler = new CommandHandler(
      topics,
      {
        halt: () => {
          throw new Error('boom');
        },
        resume: () => {},
      },
      false,
    );
    const out = handler.handle('niftybox/box1/cmd/halt', Buffer.alloc(0), false);
    expect(out.action).toBe('refused');
    expect(out.alert?.message).toMatch(/boom/);
  });
});

describe('event payloads', () => {
  it(
    'maps entries and exits to …/trade with the tradeId, signals to …/signal, ' + 'alerts to …/alert, candles nowhere',
    () => {
      const state = sampleState();
      const entry = eventMessage(
        {
          type: 'entry',
          ts: 1,
          position: {
            tradeId: 9,
            side: 'CE',
            instrumentKey: 'NSE_FO|12345',
            quantity: 75,
            entryTime: 1,
            entryPrice: 120.5,
            sl: 98,
            tp1: 160,
            tp1Hit: false,
            ltp: 120.5,
            signalCandleTs: 0,
          },
        },
        state,
      );
      expect(entry?.topic).toBe('trade');
      expect(entry?.body).toMatchObject({ event: 'entry', tradeId: 9, symbol: 'NIFTY 05 JUN 25 24550 CE' });
      expect(
        eventMessage({ type: 'alert', ts: 5, level: 'warn', code: 'STALE_FEED', message: 'no ticks' }, state),
      ).toMatchObject({
        topic: 'alert',
        body: { level: 'warn', code: 'STALE_FEED', message: 'no ticks' },
      });
      expect(
        eventMessage(
          {
            type: 'candle',
            ts: 1,
            instrumentKey: 'x',
            candle: { ts: 0, open: 1, high: 1, low: 1, close: 1, volume: 0 },
          },
          state,
        ),
      ).toBeNull();
    },
  );
});

describe('Home Assistant discovery', () => {
  const topics = topicsFor('niftybox', 'Pi-4', 'homeassistant');
  const cfg = discoveryConfig(topics, {
    deviceId: 'Pi-4',
    serial: '10000000abcdef',
    swVersion: '1.2.3',
    configurationUrl: 'http://pi.local:8080/',
  }) as {
    device: Record<string, unknown>;
    origin: Record<string, unknown>;
    components: Record<string, Record<string, unknown>>;
  };
  const cmps = Object.values(cfg.components);

  it('describes one device with unique ids, default_entity_id (no object_id) and the shared availability topic', () => {
    expect(cfg.device).toMatchObject({
      identifiers: ['niftybox_10000000abcdef'],
      sw_version: '1.2.3',
      configuration_url: 'http://pi.local:8080/',
      serial_number: '10000000abcdef',
    });
    expect(cfg.origin.name).toBe('niftybox');
    const ids = cmps.map((c) => c.unique_id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of cmps) {
      expect(c).not.toHaveProperty('object_id');
      expect(c.default_entity_id).toMatch(new RegExp(`^${c.platform}\\.niftybox_pi_4_[a-z_]+$`));
      expect(c.availability_topic).toBe('niftybox/Pi-4/availability');
    }
    expect(cmps.filter((c) => c.platform === 'sensor')).toHaveLength(10);
    expect(cmps.filter((c) => c.platform === 'binary_sensor')).toHaveLength(3);
    expect(cfg.components.net_pnl).toMatchObject({
      device_class: 'monetary',
      unit_of_measurement: 'INR',
      state_class: 'total',
    });
    expect(cfg.components.last_tick_age).toMatchObject({ entity_category: 'diagnostic', expire_after: 90 });
    expect(cfg.components.feed_connected).toMatchObject({
      device_class: 'connectivity',
      entity_category: 'diagnostic',
    });
    expect(cfg.components.trading_halted).toMatchObject({ device_class: 'problem' });
  });

  it('uses only options Home Assistant documents for each platform, with state classes and units HA allows', () => {
    expect(undocumentedKeys(cfg)).toEqual([]);
    // an unknown key is caught (the check itself works)
    expect(
      undocumentedKeys({ ...cfg, components: { x: { platform: 'sensor', suggested_unit_of_measurement: 's' } } }),
    ).toEqual(['x.suggested_unit_of_measurement']);
    for (const [key, c] of Object.entries(cfg.components)) {
      const dc = c.device_class as string | undefined;
      if (dc && HA_STATE_CLASSES_BY_DEVICE_CLASS[dc])
        expect(
          HA_STATE_CLASSES_BY_DEVICE_CLASS[dc]!.has(c.state_class as string | undefined),
          `${key} ${dc}/${String(c.state_class)}`,
        ).toBe(true);
      if (dc && HA_UNITS_BY_DEVICE_CLASS[dc])
        expect(HA_UNITS_BY_DEVICE_CLASS[dc]!.has(c.unit_of_measurement as string), `${key} unit`).toBe(true);
      // last_reset only on total sensors (HA: "the state_class option must be total")
      if (c.last_reset_value_template) expect(c.state_class, key).toBe('total');
      if (c.entity_category !== undefined && c.platform !== 'button') expect(c.entity_category, key).toBe('diagnostic');
    }
  });

  it(
    'daily money totals carry last_reset (start of the trading day, IST ' +
      'ISO-8601); unrealized is a plain value; the all-time total never resets',
    () => {
      const state = JSON.parse(JSON.stringify(sampleState({ day: '2025-06-02' })));
      for (const key of ['net_pnl', 'realized_pnl']) {
        const c = cfg.components[key]!;
        expect(c.state_class).toBe('total');
        const lastReset = renderTemplate(c.last_reset_value_template as string, state);
        expect(lastReset).toBe('2025-06-02T00:00:00+05:30');
        expect(lastReset).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:30$/);
        expect(Date.parse(lastReset)).toBe(Date.UTC(2025, 5, 1, 18, 30));
        // no day yet: an empty last_reset, which HA ignores instead of storing a bad one
        expect(renderTemplate(c.last_reset_value_template as string, { ...state, day: '' })).toBe('');
      }
      expect(cfg.components.unrealized_pnl).not.toHaveProperty('state_class');
      expect(cfg.components.unrealized_pnl).not.toHaveProperty('last_reset_value_template');
      expect(cfg.components.all_time_net_pnl).toMatchObject({
        device_class: 'monetary',
        unit_of_measurement: 'INR',
        state_class: 'total',
      });
      expect(cfg.components.all_time_net_pnl).not.toHaveProperty('last_reset_value_template');
      expect(
        renderTemplate(
          cfg.components.all_time_net_pnl!.value_template as string,
          statePayload(sampleState(), { closedNetAllTime: 10_000 }),
        ),
      ).toBe('10806.25');
      expect(cfg.components.trades_today!.state_class).toBe('total_increasing');
      expect(cfg.components.last_tick_age).not.toHaveProperty('suggested_unit_of_measurement');
    },
  );

  it('has exactly one command entity, the halt button, and nothing that could resume', () => {
    const commanding = cmps.filter((c) => Object.keys(c).some((k) => k.startsWith('command_topic')));
    expect(commanding).toHaveLength(1);
    expect(commanding[0]).toMatchObject({
      platform: 'button',
      name: 'Halt trading',
      command_topic: 'niftybox/Pi-4/cmd/halt',
      retain: false,
    });
    expect(JSON.stringify(cfg)).not.toMatch(/cmd\/resume/);
  });

  it('value templates resolve against the state JSON (with and without a position)', () => {
    const state = JSON.parse(JSON.stringify(sampleState()));
    const r = (key: string, s = state) => renderTemplate(cfg.components[key]!.value_template as string, s);
    expect(r('net_pnl')).toBe('2242.65');
    expect(r('realized_pnl')).toBe('1520.5');
    expect(r('unrealized_pnl')).toBe('806.25');
    expect(r('trades_today')).toBe('3');
    expect(Number(r('win_rate'))).toBeCloseTo(66.667, 2);
    expect(r('nifty_spot')).toBe('24550.35');
    expect(r('position')).toBe('NIFTY 05 JUN 25 24550 CE');
    expect(r('last_tick_age')).toBe('420');
    expect(r('feed_connected')).toBe(cfg.components.feed_connected!.payload_on);
    expect(r('trading_halted')).toBe(cfg.components.trading_halted!.payload_off);
    expect(r('clock_synced')).toBe(cfg.components.clock_synced!.payload_on);
    const attrs = JSON.parse(renderTemplate(cfg.components.position!.json_attributes_template as string, state));
    expect(attrs).toMatchObject({ side: 'CE', entryPrice: 120.5, sl: 98.4 });

    const withStrategy = { ...state, strategy: { name: 'confluence', params: { rsiPeriod: 14, stMult: 3 } } };
    expect(r('strategy', withStrategy)).toBe('confluence');
    expect(
      JSON.parse(renderTemplate(cfg.components.strategy!.json_attributes_template as string, withStrategy)),
    ).toEqual({ name: 'confluence', params: { rsiPeriod: 14, stMult: 3 } });
    expect(r('strategy', { ...state, strategy: undefined })).toBe('v25');

    const flat = {
      ...state,
      position: null,
      spot: null,
      trading: 'halted',
      pnl: { ...state.pnl, trades: 0, wins: 0 },
      feed: { connected: false, lastTickAgeMs: null },
    };
    expect(r('position', flat)).toBe('flat');
    expect(renderTemplate(cfg.components.position!.json_attributes_template as string, flat)).toBe('{}');
    expect(r('win_rate', flat)).toBe('None'); // HA shows unknown
    expect(r('nifty_spot', flat)).toBe('None');
    expect(r('trading_halted', flat)).toBe(cfg.components.trading_halted!.payload_on);
    expect(r('feed_connected', flat)).toBe(cfg.components.feed_connected!.payload_off);
  });

  it('falls back to the device id when there is no serial, and omits the URL when none is given', () => {
    const c = discoveryConfig(topics, { deviceId: 'Pi-4', serial: null, swVersion: 'x' }) as {
      device: Record<string, unknown>;
    };
    expect(c.device.identifiers).toEqual(['niftybox_pi_4']);
    expect(c.device).not.toHaveProperty('configuration_url');
    expect(slug('My Box!')).toBe('my_box');
  });

  it('reads the Pi serial from /proc/cpuinfo or the device tree', () => {
    const dir = mkdtempSync(join(tmpdir(), 'niftybox-serial-'));
    const cpu = join(dir, 'cpuinfo');
    const dt = join(dir, 'serial-number');
    writeFileSync(
      cpu,
      'processor\t: 0\nHardware\t: BCM2835\nRevision\t: c03111\nSerial\t\t: ' +
        '10000000ABCDEF01\nModel\t\t: Raspberry Pi 4\n',
    );
    expect(readDeviceSerial({ cpuinfo: cpu, devicetree: dt })).toBe('10000000abcdef01');
    writeFileSync(cpu, 'processor\t: 0\nSerial\t\t: 0000000000000000\n');
    writeFileSync(dt, '10000000feedbeef\0');
    expect(readDeviceSerial({ cpuinfo: cpu, devicetree: dt })).toBe('10000000feedbeef');
    expect(readDeviceSerial({ cpuinfo: join(dir, 'none'), devicetree: join(dir, 'none2') })).toBeNull();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('connection messages and backoff', () => {
  it('names the broker reason code and what to check, without credentials', () => {
    const refused = Object.assign(new Error('Connection refused: Not authorized'), { code: 5 });
    const p = describeConnectionError(refused, 'mqtt://user:secretpw@broker.lan:1883');
    expect(p.kind).toBe('refused');
    expect(p.message).toMatch(/refused the connection: Not authorized \(reason code 5\)/);
    expect(p.message).toMatch(/mqtt\.username/);
    expect(p.message).not.toMatch(/secretpw/);
    expect(displayUrl('mqtts://u:p@h:8883')).toBe('mqtts://h:8883');
    const tls = describeConnectionError(
      Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
      'mqtts://h:8883',
    );
    expect(tls.kind).toBe('tls');
    expect(tls.message).toMatch(/mqtt\.caFile/);
    expect(
      describeConnectionError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'mqtt://h:1').message,
    ).toMatch(/is it running/);
    expect(
      describeConnectionError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'mqtts://h:1883')
        .message,
    ).toMatch(/is that port a TLS listener/);
  });

  it('backs off exponentially up to the cap and resets', () => {
    const b = new Backoff({ initialMs: 500, maxMs: 3000, random: () => 1 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([500, 1000, 2000, 3000, 3000]);
    expect(b.next(30_000)).toBe(16_000);
    b.reset();
    expect(b.next()).toBe(500);
  });
});

describe('mqtt config', () => {
  it('rejects topic prefixes that would make invalid or wildcard topics', () => {
    for (const bad of ['#', 'nifty/+', 'a b', '/niftybox', 'niftybox/', ''])
      expect(mqttConfigSchema.safeParse({ baseTopic: bad }).success, bad).toBe(false);
    expect(mqttConfigSchema.parse({ baseTopic: 'home/trading' }).baseTopic).toBe('home/trading');
    expect(mqttConfigSchema.parse({})).toMatchObject({
      baseTopic: 'niftybox',
      discoveryPrefix: 'homeassistant',
      allowRemoteResume: false,
      discovery: true,
    });
  });
});

describe('embedded broker access rules', () => {
  it('matches topics and decides whether a subscription stays inside a pattern', () => {
    expect(topicMatches('niftybox/#', 'niftybox/a/state')).toBe(true);
    expect(topicMatches('niftybox/#', 'niftybox')).toBe(true);
    expect(topicMatches('niftybox/+/cmd/halt', 'niftybox/a/cmd/halt')).toBe(true);
    expect(topicMatches('niftybox/+/cmd/halt', 'niftybox/a/cmd/resume')).toBe(false);
    expect(topicMatches('#', '$SYS/broker/uptime')).toBe(false);
    expect(filterWithin('niftybox/#', 'niftybox/#')).toBe(true);
    expect(filterWithin('niftybox/+/state', 'niftybox/#')).toBe(true);
    expect(filterWithin('niftybox', 'niftybox/#')).toBe(true);
    expect(filterWithin('#', 'niftybox/#')).toBe(false);
    expect(filterWithin('+/a/state', 'niftybox/#')).toBe(false);
    expect(filterWithin('$SYS/#', '#')).toBe(false);
    expect(filterWithin('niftybox/a/cmd/#', 'niftybox/+/cmd/halt')).toBe(false);
  });

  it('anonymous clients read the box and HA, publish only cmd/halt and homeassistant/status, nothing retained', () => {
    const r = anonymousRights('niftybox', 'box1', 'homeassistant');
    expect(maySubscribe(r, 'niftybox/#')).toBe(true);
    expect(maySubscribe(r, 'homeassistant/#')).toBe(true);
    expect(maySubscribe(r, '#')).toBe(false);
    expect(mayPublish(r, 'niftybox/box1/cmd/halt', false)).toBe(true);
    expect(mayPublish(r, 'niftybox/box1/cmd/halt', true)).toBe(false);
    expect(mayPublish(r, 'homeassistant/status', false)).toBe(true);
    expect(mayPublish(r, 'homeassistant/status', true), 'nothing retained').toBe(false);
    for (const t of [
      'niftybox/box1/cmd/resume',
      'niftybox/box1/state',
      'homeassistant/device/box1/config',
      'niftybox/other/cmd/halt',
    ])
      expect(mayPublish(r, t, false), t).toBe(false);
  });

  it('hashes passwords with scrypt and verifies them; config refuses a plain password', async () => {
    const h = hashPassword('correct horse');
    expect(h).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword('correct horse', h)).toBe(true);
    expect(await verifyPassword('wrong', h)).toBe(false);
    expect(await verifyPassword('correct horse', 'plain')).toBe(false);
    expect(() =>
      mqttConfigSchema.parse({ embeddedBroker: { users: [{ name: 'ha', passwordHash: 'hunter2' }] } }),
    ).toThrow(/hash-password/);
    const cfg = mqttConfigSchema.parse({});
    expect(cfg.embeddedBroker).toMatchObject({ host: '0.0.0.0', port: 1883, allowAnonymous: true, users: [] });
  });
});

describe('the ledger migration for MQTT announcements', () => {
  it('upgrades a version-1 ledger (data kept) and remembers/forgets announced topics', async () => {
    const { default: Database } = await import('better-sqlite3');
    const { MIGRATIONS } = await import('../../src/store/migrations.js');
    const { Ledger } = await import('../../src/store/ledger.js');
    const { captureLog, exitEvent } = await import('./helpers.js');
    const dir = mkdtempSync(join(tmpdir(), 'niftybox-mig-'));
    try {
      const file = join(dir, 'v1.db');
      const raw = new Database(file);
      raw.exec(MIGRATIONS[0]!.sql);
      raw.prepare('INSERT INTO schema_version VALUES (1, ?, 0)').run(MIGRATIONS[0]!.description);
      raw.pragma('user_version = 1');
      raw.close();
      const ledger = Ledger.open(file, { log: captureLog() });
      try {
        expect(ledger.schemaVersion).toBe(MIGRATIONS.at(-1)!.version);
        expect(ledger.mqttAnnounced()).toEqual([]);
        ledger.commit([exitEvent(1, 100.5), exitEvent(2, -20.25)], null);
        expect(ledger.allTimeNetPnl()).toBeCloseTo(80.25, 6);
        ledger.rememberMqttAnnounced([
          { topic: 'homeassistant/device/a/config', deviceId: 'a', kind: 'discovery', announcedAt: 1 },
        ]);
        ledger.rememberMqttAnnounced([
          { topic: 'homeassistant/device/a/config', deviceId: 'a', kind: 'discovery', announcedAt: 2 },
        ]);
        expect(ledger.mqttAnnounced()).toEqual([
          { topic: 'homeassistant/device/a/config', deviceId: 'a', kind: 'discovery', announcedAt: 2 },
        ]);
        ledger.forgetMqttAnnounced('homeassistant/device/a/config');
        expect(ledger.mqttAnnounced()).toEqual([]);
      } finally {
        ledger.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
