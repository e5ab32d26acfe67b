import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { sysfsGpioNumber } from '../../src/device/gpio/numbering.js';
import { GpioSwitchInput, KillSwitch, SimulatedButton, type Wiring } from '../../src/device/kill-switch.js';
import { ManualClock } from '../../src/lib/clock.js';
import { createLogger, setLogSink } from '../../src/log.js';
import type { ControlPort } from '../../src/output.js';
import { FakeGpio } from './fake-gpio.js';

function fakeSysfs(chips: { name: string; label: string; base: number; ngpio: number }[]): string {
  const root = mkdtempSync(join(tmpdir(), 'nbx-sysfs-'));
  for (const c of chips) {
    const dir = join(root, 'class', 'gpio', c.name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'label'), c.label + '\n');
    writeFileSync(join(dir, 'base'), `${c.base}\n`);
    writeFileSync(join(dir, 'ngpio'), `${c.ngpio}\n`);
  }
  return root;
}

class RecordingControl implements ControlPort {
  calls: { what: 'halt' | 'resume'; reason?: string; source: string; at: number }[] = [];
  halt(reason: string, source: string): void {
    this.calls.push({ what: 'halt', reason, source, at: performance.now() });
  }
  resume(source: string): void {
    this.calls.push({ what: 'resume', source, at: performance.now() });
  }
  count(what: 'halt' | 'resume') {
    return this.calls.filter((c) => c.what === what).length;
  }
}

/** The kill switch's hold, release debounce and backup poll run on it; the halt needs no clock at all. */
let clock = new ManualClock(0);

function setup(wiring: Wiring, initial: 0 | 1) {
  FakeGpio.initialLevels.set(529, initial);
  const input = new GpioSwitchInput(FakeGpio, 529, 17, wiring);
  const control = new RecordingControl();
  const ks = new KillSwitch({
    inputs: [input],
    control,
    log: createLogger(),
    wiring,
    resumeHoldMs: 3000,
    debounceMs: 50,
    pollMs: 200,
    clock,
  });
  ks.start();
  return { ks, control, pin: FakeGpio.byNumber(529) };
}

describe('GPIO numbering (Bookworm dynamic gpiochip base)', () => {
  it('Pi 4 on 6.6: pinctrl-bcm2711 at 512 → GPIO17 = 529', () => {
    const root = fakeSysfs([
      { name: 'gpiochip512', label: 'pinctrl-bcm2711', base: 512, ngpio: 58 },
      { name: 'gpiochip570', label: 'raspberrypi-exp-gpio', base: 570, ngpio: 8 },
    ]);
    expect(sysfsGpioNumber(17, { sysfsRoot: root }).number).toBe(529);
  });
  it('Pi 5: pinctrl-rp1 at 571 wins over the brcmstb chips at 512 → GPIO17 = 588', () => {
    const root = fakeSysfs([
      { name: 'gpiochip512', label: 'gpio-brcmstb@107d508500', base: 512, ngpio: 32 },
      { name: 'gpiochip571', label: 'pinctrl-rp1', base: 571, ngpio: 54 },
    ]);
    expect(sysfsGpioNumber(17, { sysfsRoot: root }).number).toBe(588);
  });
  it('config gpioBase overrides; no chip gives an error naming what to do', () => {
    expect(sysfsGpioNumber(6, { gpioBase: 0, sysfsRoot: '/nonexistent' }).number).toBe(6);
    expect(() => sysfsGpioNumber(17, { sysfsRoot: fakeSysfs([]) })).toThrow(/gpioBase|simulated/);
  });
});

describe('kill switch on a fake onoff Gpio', () => {
  beforeEach(() => {
    FakeGpio.reset();
    setLogSink(() => {});
    clock = new ManualClock(0);
  });

  it('opens the pin as a pull-up input with both edges, no debounce, activeLow set explicitly', () => {
    setup('no', 1);
    const pin = FakeGpio.byNumber(529);
    expect(pin.direction).toBe('in');
    expect(pin.edge).toBe('both');
    expect(pin.options).toEqual({ activeLow: true, debounceTimeout: 0 });
    FakeGpio.reset();
    setup('nc', 0);
    expect(FakeGpio.byNumber(529).options.activeLow).toBe(false);
  });

  it('NO wiring: the first falling edge calls halt synchronously (edge→halt latency printed)', () => {
    const latencies: number[] = [];
    for (let i = 0; i < 200; i++) {
      FakeGpio.reset();
      const s = setup('no', 1);
      s.pin.setLevel(0); // contact closes to GND
      expect(s.control.count('halt')).toBe(1); // already called: the clock never moved
      expect(clock.pendingTimers).toBe(1); // only the backup poll: no timer on the halt path
      latencies.push((s.control.calls[0]!.at - s.pin.lastInterruptAt) * 1000);
      s.ks.stop();
    }
    latencies.sort((a, b) => a - b);
    const med = latencies[latencies.length >> 1]!;
    const p99 = latencies[Math.floor(latencies.length * 0.99)]!;
    console.log(
      `edge→halt-call latency (interrupt dispatch → ControlPort.halt, n=200): ` +
        `median ${med.toFixed(1)} µs, p99 ${p99.toFixed(1)} µs`,
    );
    expect(latencies).toHaveLength(200);
  });

  it('the halt names the button as its source', () => {
    const { control, pin } = setup('no', 1);
    pin.setLevel(0);
    expect(control.calls[0]).toMatchObject({ what: 'halt', source: 'button', reason: 'kill switch pressed' });
  });

  it('NC wiring: an open circuit (pressed or wire cut) halts; a closed circuit is healthy', () => {
    const { control, pin } = setup('nc', 0);
    clock.advance(1000);
    expect(control.count('halt')).toBe(0);
    pin.setLevel(1); // contact opens: the pull-up wins
    expect(control.count('halt')).toBe(1);
    expect(control.calls[0]!.reason).toMatch(/circuit open/);
    // the cut wire stays open for a long time: never resumes, never halts twice
    clock.advance(60_000);
    expect(control.calls.map((c) => c.what)).toEqual(['halt']);
  });

  it('NC wiring: a wire already cut at start halts at once', () => {
    const { control } = setup('nc', 1);
    expect(control.count('halt')).toBe(1);
  });

  it('a bouncing contact produces exactly one halt', () => {
    const { control, pin } = setup('no', 1);
    // press with 6 ms of bounce (Ganssle's worst case), 0.3 ms steps, plus duplicate interrupts
    for (let i = 0; i < 20; i++) {
      pin.setLevel((i % 2) as 0 | 1);
      pin.interrupt();
      clock.advance(0.3);
    }
    pin.setLevel(0);
    clock.advance(500);
    // release, also bouncing
    for (let i = 0; i < 10; i++) {
      pin.setLevel(((i + 1) % 2) as 0 | 1);
      clock.advance(0.4);
    }
    pin.setLevel(1);
    clock.advance(5000);
    expect(control.calls.map((c) => c.what)).toEqual(['halt']);
  });

  it('resumes only by holding 3 s while halted', () => {
    const { ks, control, pin } = setup('no', 1);
    ks.setHalted(true);
    pin.setLevel(0);
    clock.advance(2999);
    expect(control.count('resume')).toBe(0);
    clock.advance(1);
    expect(control.calls.map((c) => c.what)).toEqual(['resume']);
    expect(control.calls[0]!.source).toBe('button');
    // keeping it held does not halt again or resume twice
    clock.advance(10_000);
    pin.setLevel(1);
    clock.advance(1000);
    expect(control.calls.map((c) => c.what)).toEqual(['resume']);
  });

  it('a short press while halted does nothing; a bounce during the hold does not restart it', () => {
    const { ks, control, pin } = setup('no', 1);
    ks.setHalted(true);
    pin.setLevel(0);
    clock.advance(1500);
    pin.setLevel(1);
    clock.advance(100); // released longer than the 50 ms debounce: the press ended
    clock.advance(5000);
    expect(control.calls).toHaveLength(0);
    pin.setLevel(0);
    clock.advance(1000);
    pin.setLevel(1); // 5 ms bounce inside the hold
    clock.advance(5);
    pin.setLevel(0);
    clock.advance(1995);
    expect(control.calls.map((c) => c.what)).toEqual(['resume']);
  });

  it('a press while active never resumes, however long it is held', () => {
    const { control, pin } = setup('no', 1);
    pin.setLevel(0);
    clock.advance(30_000);
    expect(control.calls.map((c) => c.what)).toEqual(['halt']);
    // released, then pressed again and held: now it is a resume gesture
    pin.setLevel(1);
    clock.advance(200);
    pin.setLevel(0);
    clock.advance(3000);
    expect(control.calls.map((c) => c.what)).toEqual(['halt', 'resume']);
  });

  it('a lost interrupt is caught by the backup poll', () => {
    const { control, pin } = setup('no', 1);
    pin.level = 0; // the level changes but no interrupt arrives
    expect(control.count('halt')).toBe(0);
    clock.advance(200);
    expect(control.count('halt')).toBe(1);
  });

  it('SimulatedButton drives the same logic', () => {
    const button = new SimulatedButton();
    const control = new RecordingControl();
    const ks = new KillSwitch({
      inputs: [button],
      control,
      log: createLogger(),
      wiring: 'no',
      resumeHoldMs: 3000,
      debounceMs: 50,
      pollMs: 0,
      clock,
    });
    ks.start();
    button.press();
    expect(control.count('halt')).toBe(1);
    button.release();
    clock.advance(100);
    button.press();
    clock.advance(3000);
    button.release();
    expect(control.calls.map((c) => c.what)).toEqual(['halt', 'resume']);
  });
});

describe('NC circuit open at start (issue 10: fail-safe kill switch)', () => {
  it('is reported as no working kill switch (not a halt) until the circuit closes; then an open circuit halts', () => {
    const input = new SimulatedButton();
    input.press(); // reads 1 = circuit open, before the box ever saw it closed
    const calls: string[] = [];
    const faults: boolean[] = [];
    const ks = new KillSwitch({
      inputs: [input],
      control: { halt: (r) => calls.push(`halt ${r}`), resume: () => calls.push('resume') },
      log: createLogger(),
      wiring: 'nc',
      resumeHoldMs: 3000,
      debounceMs: 0,
      pollMs: 0,
      onFault: (f) => faults.push(f),
    });
    ks.start();
    expect(faults).toEqual([true]);
    expect(calls).toEqual([]); // a cut wire at boot is a fault, not a press
    input.release(); // the circuit closes: the switch is armed
    expect(faults).toEqual([true, false]);
    input.press();
    expect(calls).toEqual(['halt kill switch: circuit open (button pressed or wire cut)']);
    ks.stop();
  });
});
