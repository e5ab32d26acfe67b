/**
 * The broker goes away while the engine keeps producing: publishing never blocks or throws, the
 * queue stays bounded with drops counted, and when the broker returns `online` and the latest
 * state are back within 5 s.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/core/events.js';
import type { ApplianceState } from '../../src/core/state.js';
import { mqttConfigSchema } from '../../src/mqtt/config.js';
import { VirtualClock } from '../../src/lib/clock.js';
import { MqttOutput, type MqttAlert } from '../../src/mqtt/mqtt-output.js';
import {
  captureLog,
  CuttableLink,
  hasMosquitto,
  Mosquitto,
  NO_MOSQUITTO_REASON,
  readRetained,
  RecordingControl,
  sampleState,
  Sub,
  until,
} from './helpers.js';

const DEVICE = 'outagebox';
const BASE = `niftybox/${DEVICE}`;
/** The 30 s outage of the brief, on the publisher's clock; NIFTYBOX_MQTT_OUTAGE_MS shortens it while iterating. */
const OUTAGE_MS = Number(process.env.NIFTYBOX_MQTT_OUTAGE_MS ?? 30_000);
const QUEUE_LIMIT = 50;
/**
 * The publisher's reconnect backoff, state throttle and heartbeat run on a virtual clock 10× real time:
 * the outage and the "within 5 s" are its seconds (the network's real delays count 10× against it).
 */
const SPEED = 10;

const signal = (n: number): EngineEvent => ({
  type: 'signal',
  ts: 1_000 + n,
  candleTs: n,
  kind: 'entry',
  side: n % 2 ? 'PE' : 'CE',
  action: 'blocked',
  blockedBy: ['chop'],
  close: 24500 + n,
  strategy: 'v25',
  readings: { ema: 24500, hist: 0.1, chop: 70 },
});
const entry = (tradeId: number): EngineEvent => ({
  type: 'entry',
  ts: 2_000,
  position: {
    tradeId,
    side: 'PE',
    instrumentKey: 'NSE_FO|777',
    quantity: 75,
    entryTime: 2_000,
    entryPrice: 99,
    sl: 80,
    tp1: 130,
    tp1Hit: false,
    ltp: 99,
    signalCandleTs: 0,
  },
});

if (!hasMosquitto) console.warn(`skipping MQTT outage tests: ${NO_MOSQUITTO_REASON}`);

describe.skipIf(!hasMosquitto)('broker outage', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    // every cleanup runs, even when one fails (a broker left running would outlive the test)
    const errors: unknown[] = [];
    for (const c of cleanups.splice(0).reverse())
      await Promise.resolve()
        .then(c)
        .catch((e) => errors.push(e));
    if (errors.length) throw errors[0];
  });

  function makeOutput(url: string, alerts: MqttAlert[], clock: VirtualClock): MqttOutput {
    const out = new MqttOutput({
      config: mqttConfigSchema.parse({ url, discovery: false }),
      deviceId: DEVICE,
      control: new RecordingControl(),
      log: captureLog(),
      swVersion: 'x',
      serial: null,
      onAlert: (a) => alerts.push(a),
      tuning: { eventQueueLimit: QUEUE_LIMIT },
      clock,
    });
    cleanups.push(() => out.close());
    return out;
  }

  /**
   * Feeds the output like the engine would (an event every 10 ms of its clock), for `ms` of it; returns what it saw.
   */
  async function keepProducing(
    out: MqttOutput,
    clock: VirtualClock,
    ms: number,
    state: () => ApplianceState,
    first = 0,
  ) {
    let n = first;
    let maxQueued = 0;
    const end = clock.now() + ms;
    while (clock.now() < end) {
      const st = state();
      // never throws, never waits: the call returns before we measure anything
      out.onEvents([signal(n++)], st);
      out.onState(st);
      maxQueued = Math.max(maxQueued, out.stats().queued);
      await clock.sleep(10);
    }
    return { produced: n - first, maxQueued };
  }

  it(`broker stopped for ${OUTAGE_MS / 1000} s: calls return, queue bounded, ` +
    `drops counted, online + latest state back within 5 s`, async () => {
    const broker = await new Mosquitto().start();
    cleanups.push(() => broker.dispose());
    const alerts: MqttAlert[] = [];
    const clock = new VirtualClock(Date.now(), SPEED);
    const out = makeOutput(broker.url, alerts, clock);
    await out.start();
    expect(await out.whenConnected(5000)).toBe(true);
    let ts = 1_748_850_000_000;
    const state = () => sampleState({ deviceId: DEVICE, ts: ++ts });
    out.onState(state());
    await until(() => out.stats().queued === 0 && out.stats().published >= 2, 5000, 'the first state published');

    await broker.stop();
    const down = clock.now();
    const { produced, maxQueued } = await keepProducing(out, clock, OUTAGE_MS, state);
    expect(clock.now() - down).toBeGreaterThanOrEqual(OUTAGE_MS);
    const stats = out.stats();
    expect(stats.connected).toBe(false);
    expect(produced).toBeGreaterThan(QUEUE_LIMIT * 3);
    // events up to the bound, plus the coalesced state and an alert or two
    expect(maxQueued).toBeLessThanOrEqual(QUEUE_LIMIT + 3);
    expect(stats.dropped).toBeGreaterThanOrEqual(produced - QUEUE_LIMIT - 5);
    expect(alerts.some((a) => /not accepting connections|connection lost/i.test(a.message))).toBe(true);
    const latest = sampleState({ deviceId: DEVICE, ts: ts + 1_000_000, trading: 'halted', haltReason: 'latest' });
    out.onState(latest);

    await broker.start(); // same port, empty (no persistence): only a re-publish can bring them back
    const back = clock.now();
    const s = new Sub(broker.port, [`${BASE}/availability`, `${BASE}/state`]);
    cleanups.push(() => s.stop());
    await s.waitFor(
      (m) => m.topic === `${BASE}/availability` && m.payload === 'online',
      5000,
      '`online` after the broker returned',
    );
    await s.waitFor(
      (m) => m.topic === `${BASE}/state` && JSON.parse(m.payload).ts === latest.ts,
      5000,
      'the latest state after the broker returned',
    );
    expect(clock.now() - back).toBeLessThan(5000);
    expect(await readRetained(broker.port, `${BASE}/availability`)).toBe('online');
    expect(out.stats().connects).toBe(2);
  }, 30_000);

  it('connection cut for 4 s: the will says offline, then online, the trade ' +
    'survives the flood, the drop is reported', async () => {
    const broker = await new Mosquitto().start();
    cleanups.push(() => broker.dispose());
    const link = await new CuttableLink(broker.port).open();
    cleanups.push(() => link.cut());
    // subscribers talk to the broker directly, so they see everything across the cut
    const s = new Sub(broker.port, [`${BASE}/#`]);
    cleanups.push(() => s.stop());
    const alerts: MqttAlert[] = [];
    const clock = new VirtualClock(Date.now(), SPEED);
    const out = makeOutput(link.url, alerts, clock);
    await out.start();
    expect(await out.whenConnected(5000)).toBe(true);
    let ts = 1_748_850_000_000;
    const state = () => sampleState({ deviceId: DEVICE, ts: ++ts });
    out.onState(state());
    await s.waitFor((m) => m.topic === `${BASE}/availability` && m.payload === 'online', 5000, 'online');

    await link.cut();
    await s.waitFor(
      (m) => m.topic === `${BASE}/availability` && m.payload === 'offline',
      5000,
      'the will `offline` while cut off',
    );
    out.onEvents([entry(77)], state());
    const { produced } = await keepProducing(out, clock, 4000, state, 100);
    expect(out.stats().dropped).toBeGreaterThanOrEqual(produced - QUEUE_LIMIT);
    const latest = sampleState({ deviceId: DEVICE, ts: ts + 1_000_000 });
    out.onState(latest);
    const onlineBefore = s.on(`${BASE}/availability`).filter((m) => m.payload === 'online').length;

    await link.open();
    await until(
      () => s.on(`${BASE}/availability`).filter((m) => m.payload === 'online').length > onlineBefore,
      5000,
      'online again',
    );
    await s.waitFor(
      (m) => m.topic === `${BASE}/state` && JSON.parse(m.payload).ts === latest.ts,
      5000,
      'the latest state',
    );
    const trade = await s.waitFor((m) => m.topic === `${BASE}/trade`, 5000, 'the trade queued during the cut');
    expect(JSON.parse(trade.payload)).toMatchObject({ event: 'entry', tradeId: 77 });
    const dropAlert = await s.waitFor(
      (m) => m.topic === `${BASE}/alert` && m.payload.includes('were dropped'),
      5000,
      'the drop report',
    );
    expect(JSON.parse(dropAlert.payload).message).toMatch(/^\d+ MQTT messages/);
    // the queued signals arrive in order, the newest last
    await s.waitFor(
      (m) => m.topic === `${BASE}/signal` && JSON.parse(m.payload).candleTs === 100 + produced - 1,
      5000,
      'the newest signal',
    );
    const sigs = s
      .on(`${BASE}/signal`)
      .map((m) => JSON.parse(m.payload).candleTs as number)
      .filter((n) => n >= 100);
    expect(sigs.length).toBeGreaterThan(0);
    expect(sigs.length).toBeLessThanOrEqual(QUEUE_LIMIT);
    expect([...sigs].sort((a, b) => a - b)).toEqual(sigs);
    expect(sigs.at(-1)).toBe(100 + produced - 1);
    expect(s.on(`${BASE}/trade`)).toHaveLength(1);
  }, 30_000);
});
