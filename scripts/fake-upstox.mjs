#!/usr/bin/env node
// The fake Upstox (REST + OAuth + V3 protobuf WebSocket, prices from the seeded market simulator) as a
// process of its own, so that a live `niftybox run` can be pointed at it and measured alone:
//
//   npm run build && node scripts/fake-upstox.mjs [--port 0] [--token T] [--seed 25]
//        [--start ISO|epoch-ms] [--speed N] [--t0 epoch-ms] [--ping-ms 5000]
//
// Prints one JSON line {apiBaseUrl, feedUrl, loginBaseUrl, token, port, start, speed, t0} once it
// listens, then serves until SIGTERM/SIGINT. Point the box at it with
//   NIFTYBOX_UPSTOX_TOKEN=<token> NIFTYBOX_UPSTOX_API_BASE_URL=<apiBaseUrl> niftybox run
// Time: real time by default. With --start and --speed the exchange lives on a virtual clock that
// runs `speed` times faster from `start`, counted from the real instant --t0 (default: now); the box
// must share that clock (scripts/lib/virtual-clock.mjs does it for the bench). Pings stay in real
// time: on a fast clock, give --ping-ms / speed so the box's idle-link check sees Upstox's cadence.
// Forked with an IPC channel (the soak does), it also takes control messages:
//   {type: 'set', ts, at}                 jump the virtual clock to ts (as of the sender's real instant at)
//   {type: 'speed', speed, ts, at}        … and run it at `speed` from there (the soak's pacing)
//   {type: 'use', id, behaviours: [[name, ...args], …]}   switch behaviours of src/sim/fake-behaviours.ts on
//   {type: 'remove', id}                  … and off again
//   {type: 'memory'}                      answers {type: 'memory', rss, heapUsed, external}
import { parseArgs } from 'node:util';
import { MarketCalendar } from '../dist/core/calendar.js';
import { createLogger, setLogLevel } from '../dist/log.js';
import { behaviours, MarketSimulator, startFakeUpstox, VirtualClock } from '../dist/sim/index.js';

const USAGE =
  'usage: node scripts/fake-upstox.mjs [--port 0] [--token T] [--seed 25] [--start ISO|epoch-ms] [--speed N] ' +
  '[--t0 epoch-ms] [--ping-ms 5000] [--log-level warn]\n' +
  'Prints one JSON line {apiBaseUrl, feedUrl, loginBaseUrl, token, port, start, speed, t0} once it listens, ' +
  'then serves until SIGTERM/SIGINT.';
let parsed;
try {
  parsed = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      token: { type: 'string' },
      seed: { type: 'string', default: '25' },
      start: { type: 'string' },
      speed: { type: 'string', default: '1' },
      t0: { type: 'string' },
      'ping-ms': { type: 'string', default: '5000' },
      'log-level': { type: 'string', default: 'warn' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
} catch (err) {
  process.stderr.write(`fake-upstox: ${err.message}\n${USAGE}\n`);
  process.exit(64);
}
const { values } = parsed;
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
setLogLevel(values['log-level']);
const realNow = Date.now;
const t0 = values.t0 ? Number(values.t0) : realNow();
const speed = Number(values.speed);
const start = values.start ? (/^\d+$/.test(values.start) ? Number(values.start) : Date.parse(values.start)) : null;
if (!(speed > 0) || Number.isNaN(t0) || (start !== null && Number.isNaN(start))) {
  process.stderr.write('fake-upstox: --speed must be > 0, --t0 epoch ms, --start an ISO time or epoch ms\n');
  process.exit(64);
}
const clock =
  start === null ? { now: () => realNow() } : new VirtualClock(Math.floor(start + (realNow() - t0) * speed), speed);
const calendar = new MarketCalendar();
const exchange = await startFakeUpstox({
  source: new MarketSimulator({ seed: Number(values.seed), calendar }),
  calendar,
  clock,
  port: Number(values.port),
  token: values.token,
  pingIntervalMs: Number(values['ping-ms']),
  log: createLogger({ area: 'fake-upstox' }),
});
const { apiBaseUrl, feedUrl, loginBaseUrl, token, port } = exchange;
process.stdout.write(JSON.stringify({ apiBaseUrl, feedUrl, loginBaseUrl, token, port, start, speed, t0 }) + '\n');
const stop = async () => {
  await exchange.close();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

if (process.send) {
  const removers = new Map();
  process.on('message', (m) => {
    if (m?.type === 'set' && clock instanceof VirtualClock)
      clock.set(Math.floor(m.ts + (realNow() - m.at) * (m.speed ?? speed)));
    else if (m?.type === 'speed' && clock instanceof VirtualClock) {
      clock.setSpeed(m.speed);
      clock.set(Math.floor(m.ts + (realNow() - m.at) * m.speed));
    } else if (m?.type === 'use')
      removers.set(m.id, exchange.use(...m.behaviours.map(([name, ...args]) => behaviours[name](...args))));
    else if (m?.type === 'remove') {
      removers.get(m.id)?.();
      removers.delete(m.id);
    } else if (m?.type === 'memory') {
      const { rss, heapUsed, external } = process.memoryUsage();
      process.send({ type: 'memory', rss, heapUsed, external });
    }
  });
  process.once('disconnect', stop);
}
