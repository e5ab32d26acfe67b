import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { PNG } from 'pngjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deviceConfigSchema } from '../../src/device/config.js';
import { createDevice, type DeviceAlert } from '../../src/device/device.js';
import { doctorDeviceChecks } from '../../src/device/doctor.js';
import { Framebuffer } from '../../src/device/oled/framebuffer.js';
import { pngToFramebuffer } from '../support/png.js';
import { renderScreen } from '../../src/device/oled/screens.js';
import { ManualClock } from '../../src/lib/clock.js';
import { createLogger, setLogSink } from '../../src/log.js';
import type { ControlPort } from '../../src/output.js';
import { FakeGpio } from './fake-gpio.js';
import { baseState, calendar, NOW, pi4Sysfs } from './fixtures.js';
import { FakeI2cBus } from './ssd1306-decoder.js';

function recorder() {
  const calls: string[] = [];
  const control: ControlPort = {
    halt: (reason, source) => calls.push(`halt:${source}:${reason}`),
    resume: (source) => calls.push(`resume:${source}`),
  };
  return { calls, control };
}

describe('createDevice', () => {
  beforeEach(() => {
    FakeGpio.reset();
    setLogSink(() => {});
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
  });
  afterEach(() => vi.useRealTimers());

  it('png:<file> twin writes a valid 128×64 PNG of the current screen', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'nbx-png-')), 'oled.png');
    const { control } = recorder();
    const config = deviceConfigSchema.parse({
      display: { kind: `png:${file}` },
      button: { simulated: true },
      buzzer: { simulated: true },
    });
    const device = createDevice({ config, control, log: createLogger(), calendar, now: () => Date.now() });
    expect(device.status.display).toBe('png');
    const state = baseState({ ts: NOW, trading: 'halted', haltReason: 'kill switch pressed' });
    device.output.onState(state);
    vi.advanceTimersByTime(500); // the next frame is rendered at exactly Date.now()
    const png = PNG.sync.read(readFileSync(file));
    expect([png.width, png.height]).toEqual([128, 64]);
    const expected = new Framebuffer();
    renderScreen(expected, { state, now: Date.now(), page: 0, resumeHoldMs: 3000, deviceAlarms: [], calendar });
    expect(pngToFramebuffer(readFileSync(file)).bytes).toEqual(expected.bytes);
    await device.close();
  });

  it(
    'real pins through onoff: GPIO17 → sysfs 529 on a Pi 4 kernel 6.6; the ' +
      'button halts; state feeds the resume hold (every device timer on the ' +
      'given clock)',
    async () => {
      const { calls, control } = recorder();
      const config = deviceConfigSchema.parse({ display: { kind: 'none' } });
      const clock = new ManualClock(NOW);
      const device = createDevice({
        config,
        control,
        log: createLogger(),
        calendar,
        clock,
        hardware: { Gpio: FakeGpio, sysfsRoot: pi4Sysfs() },
      });
      expect(clock.pendingTimers).toBe(2); // the screen's render timer and the kill switch's backup poll
      expect(device.status.button).toBe('gpio');
      expect(device.status.buzzer).toBe('gpio');
      const button = FakeGpio.byNumber(529);
      const buzzer = FakeGpio.byNumber(539); // GPIO27
      expect(buzzer.direction).toBe('low');
      button.setLevel(0);
      expect(calls).toEqual(['halt:button:kill switch pressed']);
      device.output.onEvents(
        [{ type: 'halt', ts: NOW, reason: 'kill switch pressed', source: 'button' }],
        baseState({ trading: 'halted', haltReason: 'kill switch pressed' }),
      );
      clock.advance(300);
      expect(buzzer.writes.map((w) => w.value)).toEqual([1, 0, 1, 0, 1, 0]); // the halt acknowledgement
      button.setLevel(1);
      clock.advance(1000);
      button.setLevel(0);
      clock.advance(3000);
      expect(calls.at(-1)).toBe('resume:button');
      await device.close();
      expect(clock.pendingTimers).toBe(0);
      expect(button.unexported).toBe(true);
      expect(buzzer.level).toBe(0);
    },
  );

  it(
    'a pin that cannot be opened: the box keeps running, raises ' + 'BUTTON_UNAVAILABLE, shows it, doctor fails',
    async () => {
      FakeGpio.failing.set(529, 'EINVAL');
      const { control } = recorder();
      const alerts: DeviceAlert[] = [];
      const config = deviceConfigSchema.parse({ display: { kind: 'none' }, buzzer: { simulated: true } });
      const hardware = { Gpio: FakeGpio, sysfsRoot: pi4Sysfs() };
      const device = createDevice({
        config,
        control,
        log: createLogger(),
        calendar,
        onAlert: (a) => alerts.push(a),
        hardware,
      });
      expect(device.status.button).toBe('unavailable');
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ level: 'error', code: 'BUTTON_UNAVAILABLE' });
      expect(alerts[0]!.message).toMatch(/GPIO17.*EINVAL.*doctor/);
      device.output.onState(baseState());
      vi.advanceTimersByTime(11_000); // pages cycle: the device alarm page comes up
      const seen = new Set<string>();
      for (let i = 0; i < 30; i++) {
        vi.advanceTimersByTime(500);
        seen.add(device.display.currentScreen);
      }
      expect(seen).toContain('alarm:BUTTON_UNAVAILABLE');
      expect(seen).toContain('flat');
      await device.close();
      const checks = await doctorDeviceChecks(config, hardware);
      const button = checks.find((c) => c.name.startsWith('kill switch'))!;
      expect(button.ok).toBe(false);
      expect(button.detail).toMatch(/EINVAL.*gpioBase/);
    },
  );

  it('doctor: pins and display presence', async () => {
    const devRoot = mkdtempSync(join(tmpdir(), 'nbx-dev-'));
    writeFileSync(join(devRoot, 'i2c-1'), '');
    const bus = new FakeI2cBus();
    const hardware = { Gpio: FakeGpio, sysfsRoot: pi4Sysfs(), devRoot, openI2cBus: () => bus };
    const config = deviceConfigSchema.parse({ display: { kind: 'oled' }, button: { wiring: 'nc' } });
    FakeGpio.initialLevels.set(529, 0); // NC contact closed: healthy
    let checks = await doctorDeviceChecks(config, hardware);
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['kill switch (GPIO)', true],
      ['buzzer (GPIO)', true],
      ['display (I2C OLED)', true],
    ]);
    expect(checks[0]!.detail).toMatch(/GPIO17 = sysfs 529.*released/);
    FakeGpio.reset();
    FakeGpio.initialLevels.set(529, 1); // cable cut
    bus.unplug();
    checks = await doctorDeviceChecks(config, hardware);
    expect(checks[0]).toMatchObject({ ok: false });
    expect(checks[0]!.detail).toMatch(/circuit OPEN/);
    expect(checks[2]).toMatchObject({ ok: false });
    expect(checks[2]!.detail).toMatch(/EREMOTEIO.*0x3c/);
    const noI2c = await doctorDeviceChecks(config, { ...hardware, devRoot: mkdtempSync(join(tmpdir(), 'nbx-dev-')) });
    expect(noI2c[2]!.detail).toMatch(/i2c-1 missing/);
  });

  it('display auto: OLED when /dev/i2c-N exists, else terminal on a TTY, else none', async () => {
    const { control } = recorder();
    const config = deviceConfigSchema.parse({ button: { simulated: true }, buzzer: { simulated: true } });
    const devRoot = mkdtempSync(join(tmpdir(), 'nbx-dev-'));
    let d = createDevice({ config, control, log: createLogger(), calendar, hardware: { devRoot } });
    expect(d.status.display).toBe('none');
    await d.close();
    const tty = Object.assign(new PassThrough(), { isTTY: true });
    let out = '';
    tty.on('data', (c) => (out += String(c)));
    d = createDevice({ config, control, log: createLogger(), calendar, stdout: tty, hardware: { devRoot } });
    expect(d.status.display).toBe('terminal');
    vi.advanceTimersByTime(600);
    expect(out).toContain('┌');
    expect(out).toContain('█');
    await d.close();
    writeFileSync(join(devRoot, 'i2c-1'), '');
    const bus = new FakeI2cBus();
    d = createDevice({ config, control, log: createLogger(), calendar, hardware: { devRoot, openI2cBus: () => bus } });
    expect(d.status.display).toBe('oled');
    await d.close();
  });

  it('keyboard: h halts; holding r (key repeat) 3 s while halted resumes; r while active does nothing', async () => {
    const { calls, control } = recorder();
    const stdin = Object.assign(new PassThrough(), {
      isTTY: true,
      raw: false,
      setRawMode(r: boolean) {
        this.raw = r;
      },
    });
    const config = deviceConfigSchema.parse({
      display: { kind: 'none' },
      button: { simulated: true },
      buzzer: { simulated: true },
    });
    const device = createDevice({ config, control, log: createLogger(), calendar, stdin });
    expect(stdin.raw).toBe(true);
    stdin.write('r');
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toEqual([]);
    stdin.write('h');
    await vi.advanceTimersByTimeAsync(500);
    expect(calls).toEqual(['halt:button:kill switch pressed']);
    device.output.onState(baseState({ trading: 'halted', haltReason: 'kill switch pressed' }));
    // a held key: first repeat after ~500 ms, then every ~33 ms
    stdin.write('r');
    await vi.advanceTimersByTimeAsync(500);
    for (let t = 500; t < 3200; t += 33) {
      stdin.write('r');
      await vi.advanceTimersByTimeAsync(33);
    }
    expect(calls.at(-1)).toBe('resume:button');
    await device.close();
    expect(stdin.raw).toBe(false);
  });
});
