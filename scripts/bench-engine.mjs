#!/usr/bin/env node
// The appliance's hot path on a replayed session: every input (tick, clock step) → engine decision →
// event batch committed to a real ledger file (synchronous=FULL: one WAL fsync per commit) → outputs.
// The session is the market simulator's recorded trading day at Upstox's tick density (a trade a second
// for the index and the day's ATM CE and PE, the appliance's clock step every second: ≈ 90,000 inputs,
// of which ≈ 1 in 900 commits a batch), replayed through the real appliance (startAppliance, recovery
// warm-up from five earlier days). Timed around TradingLoop.tick/clock; then again with
// synchronous=OFF to show what the fsync costs. Then the kill switch: GPIO edge callback →
// TradingLoop.halt → the halt committed to the ledger.
//
//   npm run build && node scripts/bench-engine.mjs [--json] [--day 2025-09-29] [--edges 300]
//
// Targets: engine.latencyUs.p99 < 1000 µs, killSwitch.latencyMs.p99 < 20 ms.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { startAppliance, createCalendar } from '../dist/app.js';
import { parseConfig } from '../dist/config.js';
import { pickAtmPair } from '../dist/core/contracts.js';
import { MarketSimulator, dayCandles } from '../dist/sim/index.js';
import { GpioSwitchInput, KillSwitch } from '../dist/device/kill-switch.js';
import { createLogger, setLogSink } from '../dist/log.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    day: { type: 'string', default: '2025-09-29' },
    edges: { type: 'string', default: '300' },
  },
});
setLogSink(() => {});
const log = createLogger({ bench: 'engine' });
const dir = mkdtempSync(join(tmpdir(), 'niftybox-bench-engine-'));
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
const out = {};

function configFor(name) {
  return parseConfig(
    {
      db: join(dir, `${name}.db`),
      stateDir: dir,
      deviceId: 'bench',
      mqtt: { embeddedBroker: { enabled: false } },
      device: { display: { kind: 'none' }, button: { simulated: true }, buzzer: { simulated: true } },
    },
    {},
  );
}

/** One simulated session as a recorded tick stream: history for the warm-up, the ATM pair, the ticks. */
function recordSession(day) {
  const calendar = createCalendar(configFor('x'));
  const sim = new MarketSimulator({ seed: 25, calendar });
  const session = sim.session(day);
  const history = [];
  let d = day;
  const prev = [];
  for (let k = 0; k < 6; k++) prev.unshift((d = calendar.previousTradingDay(d)));
  for (const p of prev) history.push(...dayCandles(sim, sim.indexKey, p));
  const spot = sim.lastTrade(sim.indexKey, session.openTs + 1000).price;
  const expiry = calendar.weeklyExpiry(day);
  const pair = pickAtmPair(sim.contracts(day), spot, expiry);
  const keys = [sim.indexKey, pair.CE.instrumentKey, pair.PE.instrumentKey];
  const ticks = keys.flatMap((k) =>
    sim
      .trades(k, session.openTs, session.closeTs)
      .map((t) => ({ instrumentKey: k, ts: t.ts, ltp: t.price, volume: t.qty })),
  );
  ticks.sort((a, b) => a.ts - b.ts);
  return { day, session, history, contracts: { day, CE: pair.CE, PE: pair.PE }, ticks };
}

/** Replays the recorded session through the whole appliance; times every loop input. */
async function replayTimed(name, rec, fsync) {
  const config = configFor(name);
  let now = rec.session.openTs - 60_000;
  const lat = [];
  const committed = [];
  const source = {
    mode: 'replay',
    index: (u) => rec.history.filter((c) => c.ts <= u),
    option: () => [],
    now: () => now,
    stop() {},
    async run(loop) {
      if (!fsync) loop.ledger.db.pragma('synchronous = OFF'); // private at the type level only
      const timed = (fn) => {
        const c0 = loop.commits;
        const t0 = performance.now();
        fn();
        const us = (performance.now() - t0) * 1000;
        lat.push(us);
        if (loop.commits !== c0) committed.push(us);
      };
      loop.status.session = 'open';
      loop.status.feedConnected = true;
      now = rec.session.openTs;
      loop.setContracts(rec.contracts, now);
      let lastClock = now;
      for (const t of rec.ticks) {
        now = t.ts;
        if (now - lastClock >= 1000) {
          lastClock = now;
          timed(() => loop.clock(now)); // the source's timer closes candles on the clock's boundary
        }
        timed(() => loop.tick(t));
      }
      now = rec.session.closeTs;
      loop.endSession(now);
    },
  };
  const app = await startAppliance({ config, log, source, statePublishMs: 60_000 });
  const code = await app.done;
  if (code !== 0) throw new Error(`replay ${name} exited ${code}`);
  lat.sort((a, b) => a - b);
  committed.sort((a, b) => a - b);
  return { lat, committed, commits: app.loop.commits };
}

{
  const rec = recordSession(values.day);
  await replayTimed('warm', rec, false); // JIT warm-up, not counted
  const full = await replayTimed('fsync', rec, true);
  const nofs = await replayTimed('nofsync', rec, false);
  const busy = full.lat.reduce((a, b) => a + b, 0) / 1e6; // seconds spent in the loop
  const ticksPerSec = Math.round(full.lat.length / busy);
  const f = (x) => x.toFixed(1);
  console.log(
    `bench-engine: simulated session ${rec.day} replayed through ` +
      `startAppliance: ${full.lat.length.toLocaleString('en-US')} inputs, ${full.committed.length} ` +
      `of them committed a batch (fsync each)`,
  );
  console.log(
    `bench-engine: input → decision → batch committed: p50 ${f(pct(full.lat, 0.5))} ` +
      `µs, p99 ${f(pct(full.lat, 0.99))} µs, max ${full.lat.at(-1).toFixed(0)} ` +
      `µs (target p99 < 1000 µs); ${ticksPerSec.toLocaleString('en-US')} ` +
      `inputs/s`,
  );
  console.log(
    `bench-engine: the inputs that committed: p50 ${f(pct(full.committed, 0.5))} ` +
      `µs, p99 ${f(pct(full.committed, 0.99))} µs (the WAL fsync of this disk)`,
  );
  console.log(
    `bench-engine: same with synchronous=OFF (no fsync): p50 ${f(pct(nofs.lat, 0.5))} ` +
      `µs, p99 ${f(pct(nofs.lat, 0.99))} µs, max ${nofs.lat.at(-1).toFixed(0)} ` +
      `µs; committing inputs p50 ${f(pct(nofs.committed, 0.5))} µs, p99 ${f(pct(nofs.committed, 0.99))} ` +
      `µs`,
  );
  out.engine = {
    ticksPerSec,
    latencyUs: {
      p50: +f(pct(full.lat, 0.5)),
      p99: { value: +f(pct(full.lat, 0.99)), target: '< 1000' },
      max: Math.round(full.lat.at(-1)),
    },
    latencyUsNoFsync: { p50: +f(pct(nofs.lat, 0.5)), p99: +f(pct(nofs.lat, 0.99)) },
    committedUs: {
      p50: +f(pct(full.committed, 0.5)),
      p99: +f(pct(full.committed, 0.99)),
      count: full.committed.length,
    },
    committedUsNoFsync: { p50: +f(pct(nofs.committed, 0.5)), p99: +f(pct(nofs.committed, 0.99)) },
    inputs: full.lat.length,
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
  const source = {
    mode: 'replay',
    index: () => [],
    option: () => [],
    now: () => Date.now(),
    stop: () => finish(),
    run: () => running,
  };
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
    const ks = new KillSwitch({
      inputs: [new GpioSwitchInput(G, 529, 17, 'no')],
      control: loop,
      log,
      wiring: 'no',
      resumeHoldMs: 3000,
      debounceMs: 50,
      pollMs: 0,
    });
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
  console.log(
    `bench-engine: kill switch edge → halted and committed (fsync), ` +
      `n=${EDGES}: p50 ${pct(lat, 0.5).toFixed(2)} ms, p99 ${pct(lat, 0.99).toFixed(2)} ` +
      `ms, max ${lat.at(-1).toFixed(2)} ms (target p99 < 20 ms)`,
  );
  out.killSwitch = {
    latencyMs: { p50: +pct(lat, 0.5).toFixed(3), p99: { value: +pct(lat, 0.99).toFixed(3), target: '< 20' } },
  };
  await app.stop();
}
rmSync(dir, { recursive: true, force: true });
if (values.json) console.log(JSON.stringify(out));
process.exit(0);
