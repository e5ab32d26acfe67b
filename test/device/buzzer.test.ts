import { beforeEach, describe, expect, it } from 'vitest';
import { Buzzer, BuzzerAnnouncer, BUZZER_PATTERNS, GpioBuzzerPin } from '../../src/device/buzzer.js';
import type { EngineEvent } from '../../src/core/events.js';
import type { ClosedTrade, OpenPosition } from '../../src/core/types.js';
import { istTime } from '../../src/core/time.js';
import { ManualClock } from '../../src/lib/clock.js';
import { createLogger, setLogSink } from '../../src/log.js';
import { FakeGpio } from './fake-gpio.js';
import { baseState, calendar, DAY } from './fixtures.js';

const IN_SESSION = istTime(DAY, '11:00');
const AFTER_CLOSE = istTime(DAY, '16:10');

/** The buzzer's patterns and its session checks on one ManualClock; the pin's writes are stamped with it. */
let clock = new ManualClock(IN_SESSION);

function make(quietHours?: string, start = IN_SESSION) {
  FakeGpio.reset();
  clock = new ManualClock(start);
  FakeGpio.now = () => clock.now();
  const pin = new GpioBuzzerPin(FakeGpio, 539, false);
  const gpio = FakeGpio.byNumber(539);
  const buzzer = new Buzzer({ pin, calendar, now: () => clock.now(), log: createLogger(), quietHours, clock });
  return { buzzer, gpio, announcer: new BuzzerAnnouncer(buzzer) };
}

/** The recorded writes as [on/off, ms since the first write]. */
function timeline(gpio: FakeGpio): [number, number][] {
  const t0 = gpio.writes[0]?.t ?? 0;
  return gpio.writes.map((w) => [w.value, w.t - t0]);
}

/** The pattern as the writes it must produce: on at 0, off at d0, on at d0+d1 … and off at the end. */
function expected(pattern: readonly number[], start = 0): [number, number][] {
  const out: [number, number][] = [];
  let t = start;
  pattern.forEach((d, i) => {
    out.push([i % 2 === 0 ? 1 : 0, t]);
    t += d;
  });
  out.push([0, t]);
  return out;
}

const position = {
  tradeId: 1,
  side: 'CE',
  instrumentKey: 'k',
  quantity: 75,
  entryTime: 0,
  entryPrice: 100,
  sl: 90,
  tp1: 120,
  tp1Hit: false,
  ltp: 100,
  signalCandleTs: 0,
} as OpenPosition;
const trade = (netPnl: number) => ({ tradeId: 1, netPnl }) as ClosedTrade;
const ev = {
  entry: { type: 'entry', ts: 0, position } as EngineEvent,
  win: { type: 'exit', ts: 0, trade: trade(512) } as EngineEvent,
  loss: { type: 'exit', ts: 0, trade: trade(-80) } as EngineEvent,
  halt: { type: 'halt', ts: 0, reason: 'x', source: 'button' } as EngineEvent,
  stale: { type: 'alert', ts: 0, level: 'warn', code: 'STALE_FEED', message: 'stale' } as EngineEvent,
};

describe('buzzer patterns on a ManualClock', () => {
  beforeEach(() => {
    setLogSink(() => {});
  });

  it('opens the pin as an output driven silent, activeLow explicit', () => {
    const { gpio } = make();
    expect(gpio.direction).toBe('low');
    expect(gpio.options.activeLow).toBe(false);
    FakeGpio.reset();
    new GpioBuzzerPin(FakeGpio, 540, true);
    expect(FakeGpio.byNumber(540).direction).toBe('high'); // active-low module: physical high = silent
    expect(FakeGpio.byNumber(540).options.activeLow).toBe(true);
  });

  it.each([
    [
      'entry: one short beep',
      [ev.entry],
      [
        [1, 0],
        [0, 100],
      ],
    ],
    [
      'profitable exit: two beeps',
      [ev.win],
      [
        [1, 0],
        [0, 100],
        [1, 200],
        [0, 300],
      ],
    ],
    [
      'losing exit: one long',
      [ev.loss],
      [
        [1, 0],
        [0, 800],
      ],
    ],
    [
      'halt: fast triple',
      [ev.halt],
      [
        [1, 0],
        [0, 60],
        [1, 120],
        [0, 180],
        [1, 240],
        [0, 300],
      ],
    ],
  ] as const)('%s', (_name, events, writes) => {
    const { gpio, announcer } = make();
    announcer.onEvents(events, baseState());
    clock.advance(5000);
    expect(timeline(gpio)).toEqual(writes);
  });

  it('alarm: a distinct pattern at once, repeated each minute while the alarm lasts, then silent', () => {
    const { gpio, announcer } = make();
    const stale = baseState({ alarms: [{ code: 'STALE_FEED', message: 'no tick for 41 s' }] });
    announcer.onEvents([ev.stale], stale);
    announcer.onState(stale); // the same alarm again: no extra ring
    clock.advance(2000);
    expect(timeline(gpio)).toEqual(expected(BUZZER_PATTERNS.alarm));
    clock.advance(60_000);
    announcer.onState(stale);
    clock.advance(60_000);
    const one = expected(BUZZER_PATTERNS.alarm).length;
    expect(gpio.writes).toHaveLength(3 * one);
    expect(timeline(gpio).slice(one, 2 * one)).toEqual(expected(BUZZER_PATTERNS.alarm, 60_000));
    announcer.onState(baseState()); // recovered
    clock.advance(300_000);
    expect(gpio.writes).toHaveLength(3 * one);
    expect(clock.pendingTimers).toBe(0); // the minute repeat is cancelled
  });

  it('a new alarm code while another lasts rings again at once', () => {
    const { gpio, announcer } = make();
    announcer.onState(baseState({ alarms: [{ code: 'STALE_FEED', message: '' }] }));
    clock.advance(10_000);
    const n = gpio.writes.length;
    announcer.onState(
      baseState({
        alarms: [
          { code: 'STALE_FEED', message: '' },
          { code: 'TOKEN_EXPIRED', message: '' },
        ],
      }),
    );
    clock.advance(2000);
    expect(gpio.writes.length).toBe(2 * n);
  });

  it('halt cuts a playing pattern short and wins over queued ones', () => {
    const { gpio, announcer } = make();
    announcer.onEvents([ev.loss, ev.entry], baseState());
    clock.advance(200); // the long beep is sounding
    announcer.onEvents([ev.halt], baseState());
    clock.advance(5000);
    expect(timeline(gpio)).toEqual([[1, 0], [0, 200], ...expected(BUZZER_PATTERNS.halt, 200)]);
  });

  it('queued patterns play one after another with a gap', () => {
    const { gpio, announcer } = make();
    announcer.onEvents([ev.win, ev.entry], baseState());
    clock.advance(5000);
    expect(timeline(gpio)).toEqual([
      ...expected(BUZZER_PATTERNS.exit_profit),
      ...expected(BUZZER_PATTERNS.entry, 300 + 250),
    ]);
  });

  it('outside market hours only the halt acknowledgement sounds', () => {
    const { gpio, announcer } = make(undefined, AFTER_CLOSE);
    announcer.onEvents(
      [ev.entry, ev.win, ev.loss, ev.stale],
      baseState({ alarms: [{ code: 'STALE_FEED', message: '' }] }),
    );
    clock.advance(180_000);
    expect(gpio.writes).toHaveLength(0);
    announcer.onEvents([ev.halt], baseState());
    clock.advance(1000);
    expect(timeline(gpio)).toEqual(expected(BUZZER_PATTERNS.halt));
  });

  it('on a holiday (no session) nothing but the halt sounds', () => {
    const { gpio, announcer } = make(undefined, istTime('2025-08-15', '11:00')); // Independence Day
    announcer.onEvents([ev.entry], baseState());
    clock.advance(1000);
    expect(gpio.writes).toHaveLength(0);
  });

  it('quiet hours silence everything but the halt', () => {
    const { gpio, announcer } = make('12:00-13:00', istTime(DAY, '12:30'));
    announcer.onEvents([ev.entry, ev.win], baseState());
    clock.advance(1000);
    expect(gpio.writes).toHaveLength(0);
    announcer.onEvents([ev.halt], baseState());
    clock.advance(1000);
    expect(gpio.writes.length).toBe(6);
  });

  it('close leaves the buzzer off and unexports', () => {
    const { gpio, announcer } = make();
    announcer.onEvents([ev.loss], baseState());
    clock.advance(100);
    announcer.close();
    expect(clock.pendingTimers).toBe(0); // the pattern's step timer went with it
    expect(gpio.level).toBe(0);
    expect(gpio.unexported).toBe(true);
    clock.advance(5000);
    expect(gpio.writes.at(-1)!.value).toBe(0);
  });
});
