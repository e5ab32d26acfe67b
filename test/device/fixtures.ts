/** Appliance states for every screen, at a fixed instant on a trading day (Thu 5 Jun 2025, IST). */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MarketCalendar } from '../../src/core/calendar.js';
import type { ApplianceState } from '../../src/core/state.js';
import { istTime } from '../../src/core/time.js';
import type { ScreenInput } from '../../src/device/oled/screens.js';

export const DAY = '2025-06-05';
export const NOW = istTime(DAY, '10:32') + 7_000; // 10:32:07 IST
export const calendar = new MarketCalendar();

export function baseState(over: Partial<ApplianceState> = {}): ApplianceState {
  return {
    deviceId: 'niftybox-test',
    mode: 'live',
    session: 'open',
    day: DAY,
    trading: 'active',
    haltReason: null,
    feed: { connected: true, lastTickAgeMs: 400 },
    spot: 24_512.35,
    position: null,
    pnl: { realized: 1_840, unrealized: 0, charges: 126.4, net: 1_713.6, trades: 2, wins: 1 },
    clock: { synced: true, skewMs: 12 },
    alarms: [],
    loginUrl: null,
    ts: NOW,
    ...over,
  };
}

const position = {
  side: 'CE' as const,
  instrumentKey: 'NSE_FO|49012',
  symbol: 'NIFTY 05 JUN 25 24550 CE',
  strike: 24_550,
  quantity: 75,
  entryPrice: 102.5,
  ltp: 118.05,
  sl: 95.3,
  tp1: 122.5,
  tp1Hit: false,
  unrealizedPnl: 1_166.25,
};

export interface ScreenCase {
  name: string;
  expectId: string;
  input: ScreenInput;
}

function input(state: ApplianceState | null, over: Partial<ScreenInput> = {}): ScreenInput {
  return { state, now: NOW, page: 0, resumeHoldMs: 3000, deviceAlarms: [], calendar, ...over };
}

export const SCREEN_CASES: ScreenCase[] = [
  { name: 'boot', expectId: 'warmup', input: input(null) },
  {
    name: 'warmup',
    expectId: 'warmup',
    input: input(
      baseState({
        session: 'warming_up',
        feed: { connected: true, lastTickAgeMs: 900 },
        clock: { synced: true, skewMs: 40 },
        spot: null,
        pnl: { realized: 0, unrealized: 0, charges: 0, net: 0, trades: 0, wins: 0 },
      }),
    ),
  },
  {
    name: 'position',
    expectId: 'position',
    input: input(
      baseState({
        position,
        pnl: { realized: 1_840, unrealized: 1_166.25, charges: 126.4, net: 2_879.85, trades: 2, wins: 1 },
      }),
    ),
  },
  {
    name: 'position-loss',
    expectId: 'position',
    input: input(
      baseState({
        position: {
          ...position,
          side: 'PE',
          strike: 24_500,
          entryPrice: 131.2,
          ltp: 88.4,
          sl: 84.1,
          tp1: 151.2,
          unrealizedPnl: -3_210,
        },
        pnl: { realized: -120_000, unrealized: -3_210, charges: 246, net: -123_456, trades: 4, wins: 0 },
      }),
    ),
  },
  {
    name: 'day',
    expectId: 'day',
    input: input(
      baseState({
        position,
        pnl: { realized: 1_840, unrealized: 1_166.25, charges: 126.4, net: 2_879.85, trades: 2, wins: 1 },
      }),
      { page: 1 },
    ),
  },
  {
    name: 'day-strategy',
    expectId: 'day',
    input: input(
      baseState({
        strategy: { name: 'confluence', params: {} },
        pnl: { realized: 1_840, unrealized: 0, charges: 126.4, net: 1_713.6, trades: 2, wins: 1 },
      }),
      { page: 1 },
    ),
  },
  { name: 'flat', expectId: 'flat', input: input(baseState()) },
  {
    name: 'halted',
    expectId: 'halted',
    input: input(baseState({ trading: 'halted', haltReason: 'kill switch pressed' })),
  },
  {
    name: 'alarm-stale-feed',
    expectId: 'alarm:STALE_FEED',
    input: input(
      baseState({
        feed: { connected: true, lastTickAgeMs: 41_500 },
        alarms: [{ code: 'STALE_FEED', message: 'no tick for 41 s' }],
      }),
    ),
  },
  {
    name: 'alarm-login',
    expectId: 'alarm:TOKEN_EXPIRED',
    input: input(
      baseState({
        feed: { connected: false, lastTickAgeMs: null },
        alarms: [{ code: 'TOKEN_EXPIRED', message: 'Upstox token expired at 03:30' }],
        loginUrl: 'http://niftybox.local:8080/login',
      }),
    ),
  },
  {
    name: 'alarm-clock',
    expectId: 'alarm:CLOCK_UNSYNCED',
    input: input(
      baseState({
        clock: { synced: false, skewMs: 3_200 },
        alarms: [{ code: 'CLOCK_UNSYNCED', message: 'clock not synced' }],
      }),
    ),
  },
  {
    name: 'closed',
    expectId: 'closed',
    input: input(
      baseState({
        session: 'closed',
        feed: { connected: false, lastTickAgeMs: null },
        pnl: { realized: 2_450, unrealized: 0, charges: 189.2, net: 2_260.8, trades: 3, wins: 2 },
      }),
      {
        now: istTime(DAY, '15:41') + 12_000,
      },
    ),
  },
  {
    name: 'pre-open',
    expectId: 'closed',
    // Before the open the engine's day is still yesterday's: the screen shows today's date.
    input: input(
      baseState({
        session: 'pre_open',
        day: '2025-06-04',
        feed: { connected: true, lastTickAgeMs: 2_000 },
        pnl: { realized: 0, unrealized: 0, charges: 0, net: 0, trades: 0, wins: 0 },
      }),
      {
        now: istTime(DAY, '09:02') + 30_000,
      },
    ),
  },
  {
    name: 'holiday',
    expectId: 'closed',
    input: input(
      baseState({
        session: 'holiday',
        day: '2025-08-15',
        feed: { connected: false, lastTickAgeMs: null },
        spot: 24_631.3,
        pnl: { realized: 0, unrealized: 0, charges: 0, net: 0, trades: 0, wins: 0 },
      }),
      {
        now: istTime('2025-08-15', '11:20'),
      },
    ),
  },
  {
    name: 'alarm-other',
    expectId: 'alarm:MQTT',
    input: input(
      baseState({
        alarms: [{ code: 'MQTT', message: 'MQTT broker 192.168.1.20:1883 unreachable: retrying every 30 s' }],
      }),
      { page: 2 },
    ),
  },
  {
    name: 'position-cheap',
    expectId: 'position',
    input: input(
      baseState({
        position: { ...position, entryPrice: 10.55, ltp: 12.4, sl: 8.35, tp1: 30.55, unrealizedPnl: 138.75 },
        pnl: { realized: 0, unrealized: 138.75, charges: 0, net: 138.75, trades: 0, wins: 0 },
      }),
    ),
  },
  // The demo marks itself on every page: state from the simulated exchange, the feed age as its feed says.
  {
    name: 'demo-flat',
    expectId: 'flat',
    input: input(baseState({ mode: 'demo', feed: { connected: true, lastTickAgeMs: 3_000 }, ts: NOW - 60_000 })),
  },
  {
    name: 'demo-halted',
    expectId: 'halted',
    input: input(baseState({ mode: 'demo', trading: 'halted', haltReason: 'keyboard: h pressed' })),
  },
  {
    name: 'no-button',
    expectId: 'alarm:BUTTON_UNAVAILABLE',
    input: input(baseState(), {
      page: 2,
      deviceAlarms: [{ code: 'BUTTON_UNAVAILABLE', message: 'GPIO17 cannot be opened' }],
    }),
  },
];

/** A sysfs tree as a Pi 4 with kernel 6.6 shows it: one gpiochip with base 512 (GPIO17 → 529). */
export function pi4Sysfs(): string {
  const root = mkdtempSync(join(tmpdir(), 'nbx-sysfs-'));
  const dir = join(root, 'class', 'gpio', 'gpiochip512');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'label'), 'pinctrl-bcm2711\n');
  writeFileSync(join(dir, 'base'), '512\n');
  writeFileSync(join(dir, 'ngpio'), '58\n');
  return root;
}
