#!/usr/bin/env node
// `npm run soak -- --sessions 20`: simulated sessions back to back in ONE process — the whole
// appliance (ledger, engine, MQTT to an external Mosquitto, the box's outputs) on the simulated
// exchange through the real Upstox client — with day changes, a holiday, a token expiry (and the
// fresh login after it), feed faults and a broker outage injected. After each session's daily report
// it collects garbage and records RSS and heap. Growth = the least-squares trend of RSS over the
// measured sessions (scripts/lib/growth.mjs; first-to-last is recorded too). Target: < 5 MB. They
// follow --warmup sessions (default 1) that run the same way but are not measured: the process's
// first session and day change make one-time allocations (lazily loaded modules, first paths through
// the faults, SQLite's page cache), and a steady box is what the figure is about; the warm-up samples
// and the trend with them are in soak.json too. The simulated exchange
// runs in a process of its own (scripts/fake-upstox.mjs, forked: the soak jumps its clock and switches
// its faults on over IPC), as Upstox is not in the box's process on a Pi: its per-day caches and its
// send buffers are not the box's memory. Its RSS is recorded beside the box's, for reference.
//
// Faults come in a cycle of 7 sessions (feed drop, feed silence, malformed frames, token expiry and a
// fresh login, REST 500s, duplicate + out-of-order frames, broker outage), so a long soak meets each
// many times; their windows are in market time (scaled with --session-seconds), the broker outage in
// real time (MQTT reconnects on real timers).
//
//   npm run build && node scripts/soak.mjs [--sessions 20] [--warmup 1] [--session-seconds 20] [--fast]
//        [--malloc-info-every K] [--env NAME=VALUE …] [--json]
// --fast: sessions of 4 s of full speed (~5,600×; --session-seconds otherwise), back to back as fast as
// the box takes them: the clocks slow down while the box waits on real time (below); each session's
// wall time and verify verdict are in soak.json. 250 sessions took ~60 min on a loaded 2-core machine.
// --malloc-info-every K: glibc's malloc_info (through gdb) after every K-th
// session. --env: set or override an environment variable of the box (experiments: MALLOC_ARENA_MAX=1,
// LD_PRELOAD=…libjemalloc.so.2); the unit's own are applied first.
// (it re-runs itself with the unit's node flags and Environment=, and --expose-gc)
//
// Writes bench-results/soak.json (NIFTYBOX_SOAK_OUT=FILE elsewhere), which `npm run bench` reports as
// soak.growthMB and soak.projected250MB: the trend (Theil–Sen slope, scripts/lib/growth.mjs) of
// anonymous RSS and of the heap over measured sessions 11..N, times 250 (a trading year on one boot).
import { fork, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os, { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { writeHeapSnapshot } from 'node:v8';
import { startAppliance, createCalendar } from '../dist/app.js';
import { virtualClockSync } from '../dist/app/clock-sync.js';
import { startDeviceOutput, startMqttOutput } from '../dist/app/outputs.js';
import { UpstoxSource } from '../dist/app/upstox-source.js';
import { parseConfig } from '../dist/config.js';
import { phaseAt } from '../dist/core/schedule.js';
import { MINUTE_MS } from '../dist/core/time.js';
import { MarketDataStream, UpstoxRest } from '../dist/feed/upstox/index.js';
import { createLogger, setLogSink } from '../dist/log.js';
import { VirtualClock } from '../dist/sim/index.js';
import { growth, projected } from './lib/growth.mjs';
import { anonymousParts, mallocInfo } from './lib/memory-probe.mjs';
import { unitSettings } from './lib/unit-settings.mjs';

// The soak runs under the systemd unit's V8 flags and environment (what the Pi runs), plus --expose-gc.
let parsed;
try {
  parsed = parseArgs({
    options: {
      sessions: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '1' },
      'session-seconds': { type: 'string' },
      fast: { type: 'boolean', default: false },
      'malloc-info-every': { type: 'string', default: '0' },
      env: { type: 'string', multiple: true, default: [] },
      json: { type: 'boolean', default: false },
      from: { type: 'string' },
      'stall-minutes': { type: 'string', default: '10' },
    },
  });
} catch (err) {
  console.error(`soak: ${err.message}`);
  process.exit(64);
}
const { values } = parsed;
const extraEnv = Object.fromEntries(values.env.map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
if (values.env.some((a) => !(a.indexOf('=') > 0))) {
  console.error('soak: --env takes NAME=VALUE');
  process.exit(64);
}
if (!process.env.NIFTYBOX_SOAK_CHILD) {
  const { flags, env } = unitSettings();
  const child = spawnSync(
    process.execPath,
    [...flags, '--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...process.env, ...env, ...extraEnv, NIFTYBOX_SOAK_CHILD: '1' } },
  );
  process.exit(child.status ?? 1);
}
const SESSIONS = Number(values.sessions);
const WARMUP = Number(values.warmup);
const TOTAL = SESSIONS + WARMUP;
const sessionSeconds = Number(values['session-seconds'] ?? (values.fast ? 4 : 20));
const mallocEvery = Number(values['malloc-info-every']);
if (
  !(SESSIONS >= 2) ||
  !(sessionSeconds > 0) ||
  !Number.isInteger(WARMUP) ||
  WARMUP < 0 ||
  !Number.isInteger(mallocEvery) ||
  mallocEvery < 0
) {
  console.error(
    'soak: --sessions must be ≥ 2, --warmup and --malloc-info-every whole numbers ≥ 0 and --session-seconds > 0',
  );
  process.exit(64);
}
/** A fault's window, given in real ms of the 20-second session it was tuned on: the same market time at any speed. */
const marketWindow = (ms) => Math.round((ms * sessionSeconds) / 20);
const gc = globalThis.gc ?? (() => undefined);
if (!globalThis.gc) console.error('soak: run with node --expose-gc (npm run soak does) for comparable figures');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'niftybox-soak-'));
const realNow = Date.now;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const errors = [];
// NIFTYBOX_SOAK_LOG=FILE: every log line of the box, stamped with the real time (where a session's wall time goes)
const logFile = process.env.NIFTYBOX_SOAK_LOG;
// the box's last 200 log lines (a constant amount of memory), written out if a session stalls
const lastLines = [];
setLogSink((line) => {
  if (line.includes('"level":"error"') && errors.length < 50) errors.push(line);
  lastLines.push(line);
  if (lastLines.length > 200) lastLines.shift();
  if (logFile) appendFileSync(logFile, `${new Date(realNow()).toISOString()} ${line}\n`);
});
const log = createLogger({ app: 'soak' });

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// ---- an external Mosquitto that the soak takes down (the broker outage) and brings back on its port
const mqttPort = await freePort();
writeFileSync(join(dir, 'mosquitto.conf'), `listener ${mqttPort} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
let broker = null;
const startBroker = () => {
  broker = spawn(
    existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto',
    ['-c', join(dir, 'mosquitto.conf')],
    { stdio: 'ignore' },
  );
};
const stopBroker = async () => {
  if (!broker || broker.exitCode !== null) return;
  const b = broker;
  b.kill('SIGKILL');
  await new Promise((r) => b.once('exit', r));
};
startBroker();

// ---- the days: start so that the run crosses a weekday holiday
const config = parseConfig(
  {
    db: join(dir, 'ledger.db'),
    stateDir: dir,
    deviceId: 'soak',
    demo: { sessionSeconds, seed: 25 },
    mqtt: { url: `mqtt://127.0.0.1:${mqttPort}` },
    device: { display: { kind: 'none' }, button: { simulated: true }, buzzer: { simulated: true } },
  },
  {},
);
const calendar = createCalendar(config);
function startDay() {
  let day = values.from ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) {
    console.error('soak: --from takes a day, YYYY-MM-DD');
    process.exit(64);
  }
  if (!calendar.isTradingDay(day)) day = calendar.nextTradingDay(day);
  for (let tries = 0; tries < 400; tries++) {
    const days = [day];
    while (days.length < TOTAL) days.push(calendar.nextTradingDay(days.at(-1)));
    const holiday = [];
    for (
      let d = new Date(`${days[0]}T00:00:00Z`);
      d.toISOString().slice(0, 10) <= days.at(-1);
      d.setUTCDate(d.getUTCDate() + 1)
    ) {
      const iso = d.toISOString().slice(0, 10);
      if (calendar.holidayName(iso) && d.getUTCDay() % 6 !== 0) holiday.push(iso);
    }
    // --from: exactly the days asked for (reproducing a day seen to misbehave), with or without a holiday
    if (holiday.length || values.from) return { days, holiday };
    day = calendar.nextTradingDay(day);
  }
  throw new Error('soak: no weekday holiday found in the calendar');
}
const { days, holiday } = startDay();

// ---- the simulated exchange in its own process, on the same virtual clock, and the real client
const first = calendar.session(days[0]);
const speed = (first.closeTs - first.openTs) / 1000 / sessionSeconds;
const t0Real = Date.now();
const clockStart = first.openTs - 31 * MINUTE_MS;
// Both clocks run in real time (speed 1) while the box starts (its warm-up fetches take seconds: at
// full speed they would be hours, and the first session would pass before the box is ready).
const clock = new VirtualClock(clockStart, 1);
const exchange = await startExchange();
exchange.setSpeed(1, clock.now());

/**
 * Forks scripts/fake-upstox.mjs on the soak's clock; `use` switches behaviours on (by name, with args) and returns
 * their remover.
 */
async function startExchange() {
  const child = fork(
    join(root, 'scripts', 'fake-upstox.mjs'),
    [
      '--start',
      String(clockStart),
      '--speed',
      String(speed),
      '--t0',
      String(t0Real),
      '--token',
      'soak-token-0123456789abcdef',
    ],
    { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], execArgv: [] },
  );
  const info = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (l) => l.startsWith('{') && resolve(JSON.parse(l)));
    child.once('exit', (c) => reject(new Error(`soak: the fake Upstox exited ${c} before it listened`)));
  });
  let ids = 0;
  return {
    ...info,
    setClock: (ts, atSpeed) => child.connected && child.send({ type: 'set', ts, at: Date.now(), speed: atSpeed }),
    setSpeed: (s, ts) => child.connected && child.send({ type: 'speed', speed: s, ts, at: Date.now() }),
    use(...list) {
      const id = ++ids;
      child.send({ type: 'use', id, behaviours: list });
      return () => child.connected && child.send({ type: 'remove', id });
    },
    memory: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(m));
        child.send({ type: 'memory' });
      }),
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}
// REST requests the box makes, and the time its client-side budget (Upstox's per-user limits) made it wait,
// per session in the samples. The budget and the retries' pauses run on the market clock, as a box living
// through these days sees them: on the wall clock the box's ~13 calls a session filled the budget's 30-minute
// window (1,800 calls) after ~140 fast sessions (20 min), and one session waited ~550 s for it to empty.
let restCalls = 0;
let restBudgetWaitMs = 0;
const rest = new UpstoxRest({
  baseUrl: exchange.apiBaseUrl,
  token: exchange.token,
  log: log.child({ area: 'rest' }),
  now: () => clock.now(),
  sleep: (ms) => clock.sleep(ms),
  fetch: (url, init) => {
    restCalls++;
    return fetch(url, init);
  },
  onWait: (ms, why) => {
    if (why === 'budget') restBudgetWaitMs += ms;
  },
});
const stream = new MarketDataStream({
  feedUrl: exchange.feedUrl,
  token: exchange.token,
  staleFeedSeconds: config.upstox.staleFeedSeconds,
  isMarketOpen: (ts) => phaseAt(calendar, ts) === 'open',
  marketTime: () => clock.now(),
  log: log.child({ area: 'stream' }),
});
const samples = [];
const injected = [];
/** Takes the token-expiry fault off again (set when it is injected): the user logged in anew. */
let tokenRevived = null;
let logins = 0;
let onReport = () => undefined;
const source = new UpstoxSource({
  mode: 'demo',
  rest,
  stream,
  calendar,
  clock,
  pollMs: Math.round(250 * speed), // the candle clock turns every 250 ms of real time, as in the demo
  log: log.child({ area: 'source' }),
  clockSync: virtualClockSync,
  maxClockSkewMs: Math.max(config.maxClockSkewMs, speed * 2000),
  sessions: TOTAL,
  jumpTo: (ts) => {
    clock.set(ts);
    exchange.setClock(ts, pacedSpeed);
  },
  useCron: false,
  loginUrl: 'http://soak.local:8080/login',
  // The user logs in again a couple of seconds after the token died: the exchange accepts it again.
  serveLogin: async () => {
    await sleep(marketWindow(2000));
    tokenRevived?.();
    logins++;
  },
  onDailyReport: () => onReport(),
});

const app = await startAppliance({
  config,
  log,
  source,
  outputs: [
    {
      name: 'device',
      make: (loop, cal) =>
        startDeviceOutput({ config, loop, calendar: cal, log, keyboard: false, now: () => source.now() }),
    },
    { name: 'mqtt', make: (loop) => startMqttOutput({ config, loop, log, replay: false }) },
  ],
});

clock.setSpeed(speed);
exchange.setSpeed(speed, clock.now());
// NIFTYBOX_SOAK_SQLITE_CACHE_KIB=N: the ledger's page cache set to N KiB (an experiment: does SQLite's cache fill
// account for malloc's growth?)
const ledgerDb = app.ledger.db;
if (process.env.NIFTYBOX_SOAK_SQLITE_CACHE_KIB)
  ledgerDb.pragma(`cache_size = -${Number(process.env.NIFTYBOX_SOAK_SQLITE_CACHE_KIB)}`);
const sqliteCacheKiB = -ledgerDb.pragma('cache_size', { simple: true });

// ---- fast mode: the market clock (the box's and the exchange's) runs at full speed only while the box
// is not waiting on something that takes real time. While a candle repair holds the ticks back (its
// REST calls: at ~5,600× a 200 ms call is 19 market minutes of ticks queued in the heap) or the feed is
// down in market hours (a connect or a reconnect's backoff: 1 s would be 1.6 market hours, a session
// of candle repairs), both clocks slow to 1/1000 (~6×, about a live box's pace): the wall time the
// box waits is the same, and the ticks that pile up meanwhile are a few times what a box at 1× sees.
let pacedSpeed = speed;
let slowMs = 0;
if (values.fast) {
  const gate = source.s.gate;
  let calmSince = 0;
  setInterval(() => {
    const t = Date.now();
    if (gate.holding || (!app.loop.status.feedConnected && phaseAt(calendar, clock.now()) === 'open')) calmSince = t;
    const want = t - calmSince < 50 ? speed / 1000 : speed;
    if (want !== speed) slowMs += 20;
    if (want === pacedSpeed) return;
    pacedSpeed = want;
    clock.setSpeed(want);
    exchange.setSpeed(want, clock.now());
  }, 20).unref();
}

// ---- faults, one kind per session in a cycle of 7, injected a third of the way into its trading hours
const FAULTS = [
  ['feed drop', async () => exchange.use(['dropFeeds'])],
  [
    'feed silence',
    async () => {
      const end = exchange.use(['silence']);
      await sleep(marketWindow(3000));
      end();
    },
  ],
  ['malformed frames', async () => exchange.use(['malformedFrames', 5])],
  [
    'token expiry (401 on REST and feed) and a fresh login',
    async () => {
      tokenRevived = exchange.use(['rejectToken'], ['dropFeeds']);
    },
  ],
  ['REST 500s', async () => exchange.use(['serverError', 3])],
  [
    'duplicate + out-of-order frames',
    async () => {
      const end = exchange.use(['outOfOrder'], ['duplicateFrames']);
      await sleep(marketWindow(2000));
      end();
    },
  ],
  [
    'broker outage (Mosquitto killed for ~4 s)',
    async () => {
      await stopBroker();
      await sleep(4000);
      startBroker();
    },
  ],
];
let session = 0;
let faultTimer = null;
function scheduleFaults() {
  const day = days[session];
  const s = calendar.session(day);
  const at = s.openTs + (s.closeTs - s.openTs) / 3;
  faultTimer = setInterval(async () => {
    if (clock.now() < at) return;
    clearInterval(faultTimer);
    const [name, run] = FAULTS[session % FAULTS.length];
    injected.push({ day, fault: name });
    await run();
  }, 50);
}
scheduleFaults();
const t0 = Date.now();
const fakeMemory = [];
/**
 * RSS split as the kernel counts it: anonymous (heaps, what the process allocated) and file-backed (pages of node's
 * binary and libraries it touched).
 */
function rssParts() {
  const status = existsSync('/proc/self/status') ? readFileSync('/proc/self/status', 'utf8') : '';
  const kB = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return {
    rssAnonMB: +((kB('RssAnon') * 1024) / 1e6).toFixed(2),
    rssFileMB: +((kB('RssFile') * 1024) / 1e6).toFixed(2),
  };
}
let sessionStartedAt = Date.now();
// NIFTYBOX_SOAK_SNAPSHOTS=DIR NIFTYBOX_SOAK_SNAPSHOT_AT=2,10: heap snapshots after those sessions' reports (what holds
// memory).
const snapshotAt = new Set(
  process.env.NIFTYBOX_SOAK_SNAPSHOTS ? (process.env.NIFTYBOX_SOAK_SNAPSHOT_AT ?? '').split(',').map(Number) : [],
);
onReport = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  const verify = app.loop.status.verify;
  const sample = {
    day: days[session],
    rssMB: +(m.rss / 1e6).toFixed(2),
    ...rssParts(),
    heapMB: +(m.heapUsed / 1e6).toFixed(2),
    heapTotalMB: +(m.heapTotal / 1e6).toFixed(2),
    externalMB: +(m.external / 1e6).toFixed(2),
    arrayBuffersMB: +(m.arrayBuffers / 1e6).toFixed(2),
    anon: anonymousParts(),
    malloc: mallocEvery && (session + 1) % mallocEvery === 0 ? mallocInfo() : null,
    verifyAgreed: verify ? verify.agreed : null,
    verifySummary: verify?.summary ?? null,
    commits: app.loop.commits,
    at: Date.now() - t0,
    wallMs: Date.now() - sessionStartedAt,
    fakeRssMB: null,
    dbMB: +(
      (ledgerDb.pragma('page_count', { simple: true }) * ledgerDb.pragma('page_size', { simple: true })) /
      1e6
    ).toFixed(2),
    slowMs,
    tickGateQueued: source.s.gate.queued,
    restCalls,
    restBudgetWaitMs,
  };
  restCalls = 0;
  restBudgetWaitMs = 0;
  sessionStartedAt = Date.now();
  slowMs = 0;
  samples.push(sample);
  fakeMemory.push(exchange.memory().then((f) => (sample.fakeRssMB = +(f.rss / 1e6).toFixed(2))));
  sample.warmup = session < WARMUP;
  const a = sample.anon;
  const mi = sample.malloc
    ? `; malloc ${sample.malloc.arenaMB} MB in ${sample.malloc.arenas} arenas, ${sample.malloc.inUseMB} ` +
      `in use, ${sample.malloc.freeInArenasMB} free`
    : '';
  console.log(
    `soak: ${sample.warmup ? 'warm-up ' : ''}session ${session + 1 - WARMUP}/${SESSIONS} ` +
      `${days[session]}: RSS ${(m.rss / 1e6).toFixed(1)} MB (anon ` +
      `${sample.rssAnonMB}${a ? `: [heap] ${a.brkHeapMB}, other ${a.otherAnonMB}, V8 pages ${a.v8PhysicalMB}` : ''}),` +
      ` heap ${(m.heapUsed / 1e6).toFixed(1)} MB, arrayBuffers ${sample.arrayBuffersMB} ` +
      `MB${mi}, verify ${sample.verifyAgreed}, ${app.loop.commits} commits so ` +
      `far, ${sample.restCalls} REST calls` +
      (sample.restBudgetWaitMs ? ` (waited ${sample.restBudgetWaitMs} ms on the budget)` : '') +
      `, ${(sample.wallMs / 1000).toFixed(1)} s` +
      (values.fast ? ` (${(sample.slowMs / 1000).toFixed(1)} s slowed)` : ''),
  );
  if (snapshotAt.has(session + 1))
    writeHeapSnapshot(join(process.env.NIFTYBOX_SOAK_SNAPSHOTS, `soak-session-${session + 1}.heapsnapshot`));
  session++;
  clearInterval(faultTimer);
  if (session < TOTAL) scheduleFaults();
};
// ---- stall watchdog: a session that takes far longer than its peers is a hang, not a slow machine. Every 30 s
// past a minute of wall time it prints what the box is waiting on; after --stall-minutes it writes what it has
// (the samples so far and the state at the stall) and exits 1, instead of waiting for ever.
const stallMs = Number(values['stall-minutes']) * 60_000;
// bench-results/soak.json; a stalled run and slow sessions write beside it (soak-stalled.json,
// soak-slow-session-N.json)
const outFile = process.env.NIFTYBOX_SOAK_OUT ?? join(root, 'bench-results', 'soak.json');
let slowDumped = -1;
const stallState = () => {
  const st = app.loop.status;
  return {
    session: session + 1 - WARMUP,
    day: days[session],
    marketTime: new Date(clock.now()).toISOString(),
    phase: phaseAt(calendar, clock.now()),
    loopSession: st.session,
    feedConnected: st.feedConnected,
    lastTickAgeS: st.lastTickTs === null ? null : Math.round((clock.now() - st.lastTickTs) / 1000),
    gateHolding: source.s.gate.holding,
    gateQueued: source.s.gate.queued,
    pacedSpeed: Math.round(pacedSpeed),
    guards: app.loop.engine.view().guards,
    commits: app.loop.commits,
    wallS: Math.round((Date.now() - sessionStartedAt) / 1000),
  };
};
setInterval(() => {
  const wall = Date.now() - sessionStartedAt;
  if (wall < 60_000) return;
  const state = stallState();
  console.error(`soak: session ${state.session} (${state.day}) has run ${state.wallS} s: ${JSON.stringify(state)}`);
  if (wall >= 120_000 && slowDumped !== session) {
    // A session slow enough to look at but short of a stall (one of 250 took 590 s): its log is kept too.
    slowDumped = session;
    const slow = outFile.replace(/\.json$/, '') + `-slow-session-${state.session}.json`;
    mkdirSync(dirname(slow), { recursive: true });
    writeFileSync(slow, JSON.stringify({ slow: state, lastLines }, null, 2) + '\n');
    console.error(`soak: session ${state.session} is slow; the box's last log lines are in ${slow}`);
  }
  if (wall < stallMs) return;
  const out = outFile.replace(/\.json$/, '') + '-stalled.json';
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    JSON.stringify({ stalled: state, injected, samples, errors: errors.slice(0, 20), lastLines }, null, 2) + '\n',
  );
  console.error(`soak: stalled: no daily report for ${Math.round(wall / 60_000)} min; state and samples in ${out}`);
  process.exit(1);
}, 30_000).unref();
const code = await app.done;
clearInterval(faultTimer);
await Promise.all(fakeMemory);
await exchange.close();
await stopBroker();

const warm = samples.filter((s) => s.warmup);
const measured = samples.filter((s) => !s.warmup);
const rssGrowth = growth(measured.map((s) => s.rssMB));
const heapGrowth = growth(measured.map((s) => s.heapMB));
const growthMB = rssGrowth.trendMB;
const heapGrowthMB = heapGrowth.trendMB;
const result = {
  ranAt: new Date().toISOString(),
  sessions: measured.length,
  warmupSessions: warm.length,
  warmupRssMB: warm.map((s) => s.rssMB),
  growthWithWarmupMB: growth(samples.map((s) => s.rssMB)).trendMB,
  sessionSeconds,
  days: measured.map((s) => s.day),
  holidayCrossed: holiday,
  injected,
  logins,
  growthMB,
  rssFirstToLastMB: rssGrowth.firstToLastMB,
  heapGrowthMB,
  heapFirstToLastMB: heapGrowth.firstToLastMB,
  rssMB: measured.map((s) => s.rssMB),
  heapMB: measured.map((s) => s.heapMB),
  heapTotalMB: measured.map((s) => s.heapTotalMB),
  externalMB: measured.map((s) => s.externalMB),
  arrayBuffersMB: measured.map((s) => s.arrayBuffersMB),
  rssAnonMB: measured.map((s) => s.rssAnonMB),
  rssFileMB: measured.map((s) => s.rssFileMB),
  rssAnonGrowthMB: growth(measured.map((s) => s.rssAnonMB)).trendMB,
  projected250MB: {
    rssAnonMB: projected(measured.map((s) => s.rssAnonMB)),
    heapMB: projected(measured.map((s) => s.heapMB)),
    rssMB: projected(measured.map((s) => s.rssMB)),
  },
  projected250MBLeastSquares: Object.fromEntries(
    ['rssAnonMB', 'heapMB', 'rssMB'].map((k) => [
      k,
      projected(
        measured.map((s) => s[k]),
        11,
        250,
        { leastSquares: true },
      ),
    ]),
  ),
  anon: measured.map((s) => s.anon),
  malloc: measured.map((s) => s.malloc),
  verifyAgreed: measured.map((s) => s.verifyAgreed),
  verifySummary: measured.map((s) => s.verifySummary),
  sessionWallMs: measured.map((s) => s.wallMs),
  dbMB: measured.map((s) => s.dbMB),
  sqliteCacheKiB,
  fast: values.fast,
  // the mqttjs/mqtt-packet#163 workaround (src/mqtt/packet-length-cache.ts) took effect in this process
  mqttPacketLengthsCompact: !!createRequire(createRequire(import.meta.url).resolve('mqtt'))('mqtt-packet/numbers.js')
    .compactLengths,
  env: extraEnv,
  fakeUpstoxRssMB: measured.map((s) => s.fakeRssMB),
  loadavg: os.loadavg(),
  restCalls: measured.map((s) => s.restCalls),
  restBudgetWaitMs: measured.map((s) => s.restBudgetWaitMs),
  errorLines: errors.length,
  errors: errors.slice(0, 10).map((l) => l.slice(0, 400)),
  exit: code,
  wallSeconds: Math.round((Date.now() - t0) / 1000),
};
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
console.log(
  `soak: ${measured.length} sessions ${measured[0]?.day}..${days.at(-1)} ` +
    `after ${warm.length} warm-up session(s) across the holiday ${holiday.join(', ')};` +
    ` faults (${injected.length}, in turn): ${[...new Set(injected.map((i) => i.fault))].join('; ')};` +
    ` logins after expiry ` +
    `${logins}`,
);
console.log(
  `soak: RSS ${measured[0]?.rssMB} → ${measured.at(-1)?.rssMB} MB (warm-up: ` +
    `${result.warmupRssMB.join(', ') || 'none'}); growth (trend over the ` +
    `measured sessions) ${growthMB} MB (target < 5 MB), ${result.growthWithWarmupMB} ` +
    `MB with the warm-up; heap ${measured[0]?.heapMB} → ${measured.at(-1)?.heapMB} ` +
    `MB, trend ${heapGrowthMB} MB; ${errors.length} error log lines`,
);
const p = result.projected250MB;
console.log(
  `soak: projected over 250 sessions (trend of sessions ` +
    `11..${measured.length}): anonymous RSS ${p.rssAnonMB} MB, heap ${p.heapMB} ` +
    `MB (targets < 10), RSS ${p.rssMB} MB; verify agreed in ` +
    `${result.verifyAgreed.filter(Boolean).length}/${measured.length} ` +
    `sessions`,
);
if (values.json)
  console.log(
    JSON.stringify({
      soak: {
        growthMB: { value: growthMB, target: '< 5' },
        heapGrowthMB,
        projected250MB: {
          rssAnonMB: { value: p.rssAnonMB, target: '< 10' },
          heapMB: { value: p.heapMB, target: '< 10' },
        },
        sessions: measured.length,
      },
    }),
  );
rmSync(dir, { recursive: true, force: true });
process.exit(code === 0 && measured.length === SESSIONS ? 0 : 1);
