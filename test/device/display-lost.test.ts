/**
 * The OLED unplugged mid-session: the fake bus answers EREMOTEIO, including inside
 * oled-i2c-bus's own setTimeout. Nothing may escape, trading outputs keep working, one
 * DISPLAY_LOST alert is raised, and the panel is re-initialised when it answers again.
 */
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDevice, type DeviceAlert } from '../../src/device/device.js';
import { deviceConfigSchema } from '../../src/device/config.js';
import { ManualClock } from '../../src/lib/clock.js';
import { createLogger, setLogSink } from '../../src/log.js';
import type { ControlPort } from '../../src/output.js';
import { baseState, calendar, NOW } from './fixtures.js';
import { FakeI2cBus } from './ssd1306-decoder.js';

const require = createRequire(import.meta.url);

/**
 * The device's timers (the screen's renders, the OLED's 30 s probe) run on a ManualClock; oled-i2c-bus
 * defers its transfers with its own setTimeout(0), which vitest's fake timers run.
 */
let clock = new ManualClock(NOW);
/** `ms` of device time, then oled-i2c-bus's deferred transfers. */
function advance(ms: number): void {
  clock.advance(ms);
  vi.advanceTimersByTime(1);
}

function setup() {
  const bus = new FakeI2cBus();
  const alerts: DeviceAlert[] = [];
  const halts: string[] = [];
  const control: ControlPort = { halt: (r) => halts.push(r), resume: () => {} };
  const config = deviceConfigSchema.parse({
    display: { kind: 'oled' },
    button: { simulated: true },
    buzzer: { simulated: true },
  });
  const device = createDevice({
    config,
    control,
    log: createLogger(),
    calendar,
    clock,
    onAlert: (a) => alerts.push(a),
    hardware: { openI2cBus: () => bus },
  });
  return { bus, alerts, halts, device };
}

describe('display unplugged mid-session', () => {
  const logs: string[] = [];
  beforeEach(() => {
    logs.length = 0;
    setLogSink((l) => logs.push(l));
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
    clock = new ManualClock(NOW);
  });
  afterEach(() => vi.useRealTimers());

  it('(the hazard) bare oled-i2c-bus throws EREMOTEIO out of its own timer', () => {
    const Oled = require('oled-i2c-bus');
    const bus = new FakeI2cBus();
    const oled = new Oled(bus, { width: 128, height: 64, address: 0x3c });
    bus.unplug();
    oled.update(); // returns normally: the transfer runs later, inside setTimeout
    expect(() => vi.advanceTimersByTime(1)).toThrow(/EREMOTEIO/);
  });

  it('an error inside the deferred full update is contained; one alert; reconnects after 30 s', async () => {
    const { bus, alerts, halts, device } = setup();
    expect(device.status.display).toBe('oled');
    // createDevice rendered the boot screen: a full update is pending in oled-i2c-bus's setTimeout
    bus.unplug();
    expect(() => vi.advanceTimersByTime(1)).not.toThrow();
    expect(bus.errorsThrown).toBeGreaterThan(0);
    expect(alerts.map((a) => a.code)).toEqual(['DISPLAY_LOST']);
    expect(alerts[0]!.message).toMatch(/EREMOTEIO/);

    // trading goes on: states keep coming, the kill switch still halts
    for (let i = 0; i < 50; i++) {
      device.output.onState(baseState({ ts: clock.now(), pnl: { ...baseState().pnl, net: 100 * i } }));
      advance(1000);
    }
    device.button!.press();
    expect(halts).toHaveLength(1);
    device.button!.release();
    expect(alerts).toHaveLength(1); // once per loss, not per retry
    const errorsWhileLost = bus.errorsThrown;
    advance(29_000);
    expect(bus.errorsThrown - errorsWhileLost).toBeLessThanOrEqual(1); // only the 30 s probe touches the bus

    bus.plugIn(); // panel back, freshly powered: RAM and settings reset
    expect(bus.decoder.displayOn).toBe(false);
    advance(30_000);
    expect(bus.decoder.displayOn).toBe(true); // re-initialised
    expect(bus.decoder.mode).toBe(0);
    device.output.onState(baseState({ ts: clock.now() }));
    const fb = device.display.render();
    vi.advanceTimersByTime(1);
    expect(bus.decoder.visible()).toEqual(fb.bytes);
    expect(logs.some((l) => l.includes('OLED display is back'))).toBe(true);
    await device.close();
    expect(bus.decoder.displayOn).toBe(false); // turned off on close
  });

  it('an error during a windowed update (synchronous path) is contained too', async () => {
    const { bus, alerts, device } = setup();
    device.output.onState(baseState({ ts: clock.now() }));
    advance(2000);
    expect(alerts).toHaveLength(0);
    expect(bus.decoder.visible()).toEqual(device.display.render().bytes);
    bus.unplug('ETIMEDOUT', -110);
    expect(() => {
      device.output.onState(baseState({ ts: clock.now(), trading: 'halted', haltReason: 'test' }));
      advance(5000);
    }).not.toThrow();
    expect(alerts.map((a) => a.code)).toEqual(['DISPLAY_LOST']);
    bus.plugIn();
    advance(30_000);
    const fb = device.display.render();
    vi.advanceTimersByTime(1);
    expect(device.display.currentScreen).toBe('halted');
    expect(bus.decoder.visible()).toEqual(fb.bytes);
    await device.close();
  });

  it('no uncaught exception reaches the process', async () => {
    const seen: unknown[] = [];
    const onErr = (e: unknown) => seen.push(e);
    process.on('uncaughtException', onErr);
    vi.useRealTimers();
    try {
      const { bus, device } = setup();
      bus.unplug();
      device.output.onState(baseState({ ts: Date.now() }));
      device.display.render();
      await new Promise((r) => setTimeout(r, 30));
      expect(seen).toEqual([]);
      await device.close();
    } finally {
      process.off('uncaughtException', onErr);
    }
  });
});
