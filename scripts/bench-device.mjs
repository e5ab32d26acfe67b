#!/usr/bin/env node
// Bench of the box: kill-switch edge→halt-call latency, screen render time, and what a frame costs
// on the I2C bus (transfers, bytes, estimated wire time at 100 and 400 kHz).
//
//   npm run build && node scripts/bench-device.mjs [--edges 20000]
//
// The GPIO and the bus are in-process fakes shaped like onoff's Gpio and i2c-bus's Bus, so the
// figures are our code's cost only (the kernel's interrupt path and the wire come on top).
import { performance } from 'node:perf_hooks';
import { GpioSwitchInput, KillSwitch } from '../dist/device/kill-switch.js';
import { Framebuffer } from '../dist/device/oled/framebuffer.js';
import { OledDisplay } from '../dist/device/oled/oled-display.js';
import { renderScreen } from '../dist/device/oled/screens.js';
import { MarketCalendar } from '../dist/core/calendar.js';
import { istTime } from '../dist/core/time.js';

const args = process.argv.slice(2);
const EDGES = Number(args[args.indexOf('--edges') + 1] || 20000) || 20000;
const log = { debug() {}, info() {}, warn() {}, error: (m) => console.error(m), child: () => log };

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

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

// ---- kill switch
const lat = [];
for (let i = 0; i < EDGES; i++) {
  let gpio;
  const G = class extends BenchGpio {
    constructor(...a) {
      super(...a);
      gpio = this;
    }
  };
  let haltAt = 0;
  const control = {
    halt() {
      haltAt = performance.now();
    },
    resume() {},
  };
  const ks = new KillSwitch({
    inputs: [new GpioSwitchInput(G, 529, 17, 'no')],
    control,
    log,
    wiring: 'no',
    resumeHoldMs: 3000,
    debounceMs: 50,
    pollMs: 0,
  });
  ks.start();
  const t0 = performance.now();
  gpio.edgeTo(0);
  lat.push((haltAt - t0) * 1000);
  ks.stop();
}
lat.sort((a, b) => a - b);
console.log(
  `kill switch: edge callback → ControlPort.halt call, n=${EDGES}: median ${pct(lat, 0.5).toFixed(2)} ` +
    `µs, p99 ${pct(lat, 0.99).toFixed(2)} µs, max ${lat.at(-1).toFixed(1)} µs`,
);

// ---- screens
const DAY = '2025-06-05';
const NOW = istTime(DAY, '10:32') + 7000;
const calendar = new MarketCalendar();
const state = {
  deviceId: 'bench',
  mode: 'live',
  session: 'open',
  day: DAY,
  trading: 'active',
  haltReason: null,
  feed: { connected: true, lastTickAgeMs: 400 },
  spot: 24512.35,
  position: {
    side: 'CE',
    instrumentKey: 'k',
    symbol: 's',
    strike: 24550,
    quantity: 75,
    entryPrice: 102.5,
    ltp: 118.05,
    sl: 95.3,
    tp1: 122.5,
    tp1Hit: false,
    unrealizedPnl: 1166.25,
  },
  pnl: { realized: 1840, unrealized: 1166.25, charges: 126.4, net: 2879.85, trades: 2, wins: 1 },
  clock: { synced: true, skewMs: 12 },
  alarms: [],
  loginUrl: null,
  ts: NOW,
};
const input = (over) => ({ state, now: NOW, page: 0, resumeHoldMs: 3000, deviceAlarms: [], calendar, ...over });
const fb = new Framebuffer();
const N = 2000;
let t = performance.now();
for (let i = 0; i < N; i++) renderScreen(fb, input({ now: NOW + i * 1000 }));
console.log(`render: position screen ${(((performance.now() - t) / N) * 1000).toFixed(0)} µs per frame (n=${N})`);

// ---- bus cost
const transfers = [];
const bus = {
  i2cWriteSync(a, len) {
    transfers.push(len);
    return len;
  },
  i2cReadSync(a, len) {
    transfers.push(len);
    return len;
  },
};
const oled = new OledDisplay({ bus, address: 0x3c, log });
const wire = (list, khz) => {
  // per transfer: START + address byte + STOP ≈ 11 bit times; per byte 9 bit times (8 + ACK)
  const bits = list.reduce((n, len) => n + 11 + 9 * len, 0);
  return ((bits / (khz * 1000)) * 1000).toFixed(1);
};
const measure = (label, draw) => {
  transfers.length = 0;
  draw();
  oled.show(fb);
  return new Promise((r) =>
    setTimeout(() => {
      const bytes = transfers.reduce((a, b) => a + b, 0);
      console.log(
        `i2c ${label}: ${transfers.length} transfers, ${bytes} bytes, ≈ ${wire(transfers, 100)} ` +
          `ms at 100 kHz / ${wire(transfers, 400)} ms at 400 kHz`,
      );
      r();
    }, 5),
  );
};
await measure('first frame (full update)', () => renderScreen(fb, input()));
await measure('clock tick (+1 s)', () => renderScreen(fb, input({ now: NOW + 1000 })));
await measure('page change position → day', () => renderScreen(fb, input({ now: NOW + 1000, page: 1 })));
await measure('P&L change', () =>
  renderScreen(fb, input({ now: NOW + 1000, page: 1, state: { ...state, pnl: { ...state.pnl, net: 3120.4 } } })),
);
await oled.close();
