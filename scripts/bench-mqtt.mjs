// MQTT publisher figures: what an engine call costs, and how fast queued events reach a subscriber.
// Run: npm run build && node scripts/bench-mqtt.mjs [--json]   (uses the embedded aedes broker on a free port)
// `--json` prints mqtt.{msgPerSec, callUs} as the last line.
import { connect } from 'mqtt';
import { MqttOutput, mqttConfigSchema, startEmbeddedBroker } from '../dist/mqtt/index.js';
import { createLogger, setLogSink } from '../dist/log.js';

setLogSink(() => {});
const mqtt = {};
const control = { halt() {}, resume() {} };
const state = {
  deviceId: 'bench',
  mode: 'demo',
  session: 'open',
  day: '2025-06-02',
  trading: 'active',
  haltReason: null,
  feed: { connected: true, lastTickAgeMs: 100 },
  spot: 24500,
  position: null,
  pnl: { realized: 0, unrealized: 0, charges: 0, net: 0, trades: 0, wins: 0 },
  clock: { synced: true, skewMs: 1 },
  alarms: [],
  loginUrl: null,
  ts: 0,
};
const signal = (n) => ({
  type: 'signal',
  ts: n,
  candleTs: n,
  kind: 'entry',
  side: 'CE',
  action: 'blocked',
  blockedBy: ['chop'],
  close: 24500,
  strategy: 'v25',
  readings: { close: 24500, ema: 24490, hist: 0.5, chop: 70 },
});

function make(url, tuning = {}, login = {}) {
  return new MqttOutput({
    config: mqttConfigSchema.parse({ url, discovery: false, ...login }),
    deviceId: 'bench',
    control,
    log: createLogger(),
    swVersion: 'bench',
    serial: null,
    tuning,
  });
}

// 1. Broker down: every call only queues (bounded). Cost per onEvents+onState call.
{
  const out = make('mqtt://127.0.0.1:1', { eventQueueLimit: 1000 });
  await out.start();
  const N = 200_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) out.onEvents([signal(i)], { ...state, ts: i });
  const ns = Number(process.hrtime.bigint() - t0);
  const s = out.stats();
  console.log(
    `broker down: ${N} onEvents calls, ${(ns / N / 1000).toFixed(2)} µs/call, ` +
      `queued ${s.queued}, dropped ${s.dropped}, rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} ` +
      `MB`,
  );
  await out.close();
}

// 2. Broker up (embedded aedes): events from onEvents to a subscriber.
{
  const broker = await startEmbeddedBroker({ port: 0 });
  const sub = connect(broker.url);
  await new Promise((r) => sub.on('connect', r));
  await new Promise((r) => sub.subscribe('niftybox/bench/signal', { qos: 0 }, r));
  // the embedded broker lets only its own box publish events: log in as it
  const out = make(
    broker.url,
    { eventQueueLimit: 100_000 },
    { username: broker.internal.username, password: broker.internal.password },
  );
  await out.start();
  await out.whenConnected(5000);
  const N = 20_000;
  let got = 0;
  const done = new Promise((r) => sub.on('message', () => ++got === N && r()));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) out.onEvents([signal(i)], state);
  const queuedNs = Number(process.hrtime.bigint() - t0);
  await Promise.race([done, new Promise((r) => setTimeout(r, 30_000))]);
  const ns = Number(process.hrtime.bigint() - t0);
  mqtt.msgPerSec = Math.round(got / (ns / 1e9));
  mqtt.callUs = +(queuedNs / N / 1000).toFixed(2);
  console.log(
    `broker up: ${N} signals queued in ${(queuedNs / 1e6).toFixed(1)} ms (${(queuedNs / N / 1000).toFixed(2)} ` +
      `µs/call); ${got} received in ${(ns / 1e6).toFixed(0)} ms = ${Math.round(got / (ns / 1e9))} ` +
      `msg/s`,
  );
  await out.close();
  sub.end(true);
  await broker.close();
}
if (process.argv.includes('--json')) console.log(JSON.stringify({ mqtt }));
