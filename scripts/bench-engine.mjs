#!/usr/bin/env node
// The appliance's hot path on a replayed session: every input (tick, clock step) → engine decision →
// event batch committed to a real ledger file (synchronous=FULL: one WAL fsync per commit) → outputs.
// Timed around TradingLoop.tick/clock inside the real appliance (startAppliance + the candle replay of
// ../shared/data), then again with synchronous=OFF to show what the fsync costs. Then the kill switch:
// GPIO edge callback → TradingLoop.halt → the halt committed to the ledger.
//
//   npm run build && node scripts/bench-engine.mjs [--json] [--from 2025-06-02] [--to 2025-06-13] [--edges 300]
//
// Targets: engine.latencyUs.p99 < 1000 µs, killSwitch.latencyMs.p99 < 20 ms.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { startAppliance, createCalendar } from '../dist/app.js';
import { parseConfig } from '../dist/config.js';
import { readCandleFiles } from '../dist/commands/backtest.js';
import { CandleReplaySource } from '../dist/feed/replay.js';
import { GpioSwitchInput, KillSwitch } from '../dist/device/kill-switch.js';
import { createLogger, setLogSink } from '../dist/log.js';

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, from: { type: 'string', default: '2025-06-02' }, to: { type: 'string', default: '2025-06-13' }, edges: { type: 'string', default: '300' } } });
const data = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'data');
const indexFile = join(data, 'nifty50-5min.csv');
const optionsFile = join(data, 'nifty-atm-options-5min.csv');
setLogSink(() => {});
const log = createLogger({ bench: 'engine' });
const dir = mkdtempSync(join(tmpdir(), 'niftybox-bench-engine-'));
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
const out = {};

function configFor(name) {
  return parseConfig({ db: join(dir, `${name}.db`), stateDir: dir, deviceId: 'bench', mqtt: { embeddedBroker: { enabled: false } }, device: { display: { kind: 'none' }, button: { simulated: true }, buzzer: { simulated: true } } }, {});
}

/** Runs the replay through the whole appliance; times every loop input. */
async function replayTimed(name, candles, fsync) {
  const config = configFor(name);
  const inner = new CandleReplaySource({ index: candles.index, options: candles.options, from: values.from, to: values.to, speed: 'max', calendar: createCalendar(config) }, log);
  const lat = [];
  let commitsBefore = 0;
  const source = {
    mode: inner.mode,
    index: (u) => inner.index(u),
    option: (...a) => inner.option(...a),
    now: () => inner.now(),
    stop: () => inner.stop(),
    async run(loop, resumeAfter) {
      if (!fsync) loop.ledger.db.pragma('synchronous = OFF'); // private at the type level only
      commitsBefore = loop.commits;
      for (const name of ['tick', 'clock']) {
        const orig = loop[name].bind(loop);
        loop[name] = (arg) => {
          const t0 = performance.now();
          orig(arg);
          lat.push((performance.now() - t0) * 1000);
        };
      }
      return inner.run(loop, resumeAfter);
    },
  };
  const t0 = performance.now();
  const app = await startAppliance({ config, log, source, statePublishMs: 60_000 });
  const code = await app.done;
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`replay ${name} exited ${code}`);
  const commits = app.loop.commits - commitsBefore;
  lat.sort((a, b) => a - b);
  return { lat, ms, commits, inputs: lat.length, days: inner.days().length };
}

if (!existsSync(indexFile)) {
  console.log(`bench-engine: engine part skipped, ${data} not found`);
} else {
  const candles = readCandleFiles(indexFile, optionsFile);
  await replayTimed('warm', candles, false); // JIT warm-up, not counted
  const full = await replayTimed('fsync', candles, true);
  const nofs = await replayTimed('nofsync', candles, false);
  const busy = full.lat.reduce((a, b) => a + b, 0) / 1e6; // seconds spent in the loop
  const ticksPerSec = Math.round(full.inputs / busy);
  console.log(`bench-engine: replay ${values.from}..${values.to} (${full.days} sessions) through startAppliance, ${full.inputs} inputs, ${full.commits} commits (each fsynced), wall ${full.ms.toFixed(0)} ms`);
  console.log(`bench-engine: input → decision → batch committed: p50 ${pct(full.lat, 0.5).toFixed(1)} µs, p99 ${pct(full.lat, 0.99).toFixed(1)} µs, max ${full.lat.at(-1).toFixed(0)} µs (target p99 < 1000 µs); ${ticksPerSec.toLocaleString('en-US')} inputs/s`);
  console.log(`bench-engine: same with synchronous=OFF (no fsync): p50 ${pct(nofs.lat, 0.5).toFixed(1)} µs, p99 ${pct(nofs.lat, 0.99).toFixed(1)} µs, max ${nofs.lat.at(-1).toFixed(0)} µs`);
  out.engine = {
    ticksPerSec,
    latencyUs: { p50: +pct(full.lat, 0.5).toFixed(1), p99: { value: +pct(full.lat, 0.99).toFixed(1), target: '< 1000' }, max: Math.round(full.lat.at(-1)) },
    latencyUsNoFsync: { p50: +pct(nofs.lat, 0.5).toFixed(1), p99: +pct(nofs.lat, 0.99).toFixed(1) },
    commits: full.commits,
    inputs: full.inputs,
  };
}

// ---- kill switch: edge → halted and committed (a fake sysfs GPIO shaped like onoff's Gpio)
{
  class BenchGpio {
    constructor(n, dir, edge, opts) {
      this.activeLow = opts.activeLow;
      this.level = 1;
      this.cbs = [];
    }
    readSync() {
      return this.activeLow ? 1 - this.level : this.level;
    }
    writeSync() {}
    watch(cb) {
      this.cbs.push(cb);
    }
    unwatchAll() {
      this.cbs = [];
    }
    unexport() {}
    edgeTo(level) {
      this.level = level;
      const v = this.readSync();
      for (const cb of this.cbs) cb(null, v);
    }
  }
  const config = configFor('killswitch');
  let finish;
  const running = new Promise((r) => (finish = r));
  const source = { mode: 'replay', index: () => [], option: () => [], now: () => Date.now(), stop: () => finish(), run: () => running };
  const app = await startAppliance({ config, log, source, statePublishMs: 60_000 });
  const loop = app.loop;
  const EDGES = Number(values.edges);
  const lat = [];
  for (let i = 0; i < EDGES; i++) {
    let gpio;
    const G = class extends BenchGpio {
      constructor(...a) {
        super(...a);
        gpio = this;
      }
    };
    const ks = new KillSwitch({ inputs: [new GpioSwitchInput(G, 529, 17, 'no')], control: loop, log, wiring: 'no', resumeHoldMs: 3000, debounceMs: 50, pollMs: 0 });
    ks.start();
    const t0 = performance.now();
    gpio.edgeTo(0); // pressed: the handler halts synchronously, and TradingLoop commits before returning
    const t1 = performance.now();
    if (!app.ledger.haltState().halted) throw new Error('kill switch edge did not leave a committed halt');
    lat.push(t1 - t0);
    ks.stop();
    loop.resume('cli');
  }
  lat.sort((a, b) => a - b);
  console.log(`bench-engine: kill switch edge → halted and committed (fsync), n=${EDGES}: p50 ${pct(lat, 0.5).toFixed(2)} ms, p99 ${pct(lat, 0.99).toFixed(2)} ms, max ${lat.at(-1).toFixed(2)} ms (target p99 < 20 ms)`);
  out.killSwitch = { latencyMs: { p50: +pct(lat, 0.5).toFixed(3), p99: { value: +pct(lat, 0.99).toFixed(3), target: '< 20' } } };
  await app.stop();
}
rmSync(dir, { recursive: true, force: true });
if (values.json) console.log(JSON.stringify(out));
process.exit(0);
