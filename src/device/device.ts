/**
 * The box: kill switch, buzzer and status screen behind one Output. Real drivers (onoff,
 * i2c-bus + oled-i2c-bus) or their simulated twins, chosen by config and by what exists.
 * Nothing here may stop trading: every failure degrades one part, raises an alert, and is retried
 * or reported by `niftybox doctor`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { MarketCalendar } from '../core/calendar.js';
import type { AlertCode, AlertLevel, EngineEvent } from '../core/events.js';
import type { ApplianceState } from '../core/state.js';
import { realClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../log.js';
import type { ControlPort, Output } from '../output.js';
import { Buzzer, BuzzerAnnouncer, type BuzzerPin, GpioBuzzerPin, LogBuzzerPin } from './buzzer.js';
import type { DeviceConfig } from './config.js';
import { sysfsGpioNumber } from './gpio/numbering.js';
import { type GpioConstructor, loadOnoffGpio } from './gpio/onoff.js';
import { KeyboardButton } from './keyboard.js';
import { GpioSwitchInput, KillSwitch, SimulatedButton, type SwitchInput } from './kill-switch.js';
import { type OledConstructor, type OpenI2cBus, openRealI2cBus } from './oled/i2c.js';
import { OledDisplay } from './oled/oled-display.js';
import { PngDisplay } from './oled/png-display.js';
import type { DeviceAlarm } from './oled/screens.js';
import { type DisplaySink, NullDisplay } from './oled/sink.js';
import { StatusDisplay } from './oled/status-display.js';
import { TerminalDisplay } from './oled/terminal-display.js';

/** Where the real hardware lives; tests pass fakes. Everything defaults to the real thing. */
export interface DeviceHardware {
  Gpio?: GpioConstructor;
  openI2cBus?: OpenI2cBus;
  Oled?: OledConstructor;
  /** Root of sysfs (gpiochip lookup); default /sys. */
  sysfsRoot?: string;
  /** Root of device nodes (i2c presence); default /dev. */
  devRoot?: string;
}

export interface DeviceAlert {
  level: AlertLevel;
  code: AlertCode;
  message: string;
}

export interface CreateDeviceOptions {
  config: DeviceConfig;
  control: ControlPort;
  log: Logger;
  calendar: MarketCalendar;
  /** The market time the buzzer and the screen judge the session by. Default the clock's. */
  now?: () => number;
  /**
   * The device's own timers: kill-switch hold, debounce and poll, buzzer patterns and alarm repeat,
   * key release, the screen's render timer (its page cycle) and the OLED's retry probe. Default the
   * system clock (the box and the demo: a hold or a page lasts real seconds); tests pass a ManualClock.
   */
  clock?: Clock;
  /** Given in the demo: the keyboard becomes a kill switch too (h halts, hold r resumes). */
  stdin?: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  /** Where the `terminal` display draws (default process.stdout). */
  stdout?: Writable & { isTTY?: boolean };
  /** Device trouble for the engine/MQTT: BUTTON_UNAVAILABLE, DISPLAY_LOST. */
  onAlert?: (alert: DeviceAlert) => void;
  /**
   * Whether a working kill switch exists, now and on every change. Given, the app turns "no working kill
   * switch" into a guard (device.button.required) or a standing "no kill switch" notice; the device then
   * leaves the BUTTON_UNAVAILABLE alert to it.
   */
  onKillSwitch?: (k: KillSwitchStatus) => void;
  hardware?: DeviceHardware;
}

export interface KillSwitchStatus {
  working: boolean;
  /** device.button.required: without a working switch no new entries. */
  required: boolean;
  detail: string;
}

export interface DeviceStatus {
  button: 'gpio' | 'simulated' | 'none' | 'unavailable';
  buttonDetail: string;
  buzzer: 'gpio' | 'log';
  display: string;
}

export interface Device {
  output: Output;
  close(): Promise<void>;
  /** The simulated button (config `simulated`, or the keyboard twin); null with only a real one. */
  button: SimulatedButton | null;
  display: StatusDisplay;
  killSwitch: KillSwitch | null;
  status: DeviceStatus;
}

export function createDevice(opts: CreateDeviceOptions): Device {
  const { config, log, calendar } = opts;
  const clock = opts.clock ?? realClock;
  const now = opts.now ?? (() => clock.now());
  const hw = opts.hardware ?? {};
  const deviceAlarms: DeviceAlarm[] = [];
  const alert = (a: DeviceAlert) => {
    try {
      opts.onAlert?.(a);
    } catch (err) {
      log.error('device alert handler failed', { err });
    }
  };
  let gpioCtor: GpioConstructor | null = hw.Gpio ?? null;
  const getGpio = () => (gpioCtor ??= loadOnoffGpio());

  // ---- kill switch
  const inputs: SwitchInput[] = [];
  let simulated: SimulatedButton | null = null;
  const status: DeviceStatus = { button: 'none', buttonDetail: 'no button configured', buzzer: 'log', display: 'none' };
  const b = config.button;
  let ksWorking = true;
  let ksDetail = '';
  const noSwitch = (detail: string) => {
    ksWorking = false;
    ksDetail = detail;
    deviceAlarms.length = 0;
    if (!b.required) deviceAlarms.push({ code: 'BUTTON_UNAVAILABLE', message: `no kill switch: ${detail}` });
    else if (!opts.onKillSwitch) deviceAlarms.push({ code: 'BUTTON_UNAVAILABLE', message: detail });
  };
  if (b.simulated) {
    simulated = new SimulatedButton();
    inputs.push(simulated);
    status.button = 'simulated';
    status.buttonDetail = 'simulated button';
  } else if (b.bcmPin !== null) {
    try {
      const { number, how } = sysfsGpioNumber(b.bcmPin, { gpioBase: b.gpioBase, sysfsRoot: hw.sysfsRoot });
      const input = new GpioSwitchInput(getGpio(), number, b.bcmPin, b.wiring);
      inputs.push(input);
      status.button = 'gpio';
      status.buttonDetail = `${input.description} via ${how}`;
      log.info(`kill switch on ${status.buttonDetail}`);
    } catch (err) {
      const message =
        `kill switch on GPIO${b.bcmPin} cannot be opened (${(err as Error).message}). ` +
        (b.required
          ? 'No new entries until it works'
          : 'Trading continues WITHOUT a physical halt (device.button.required: false)') +
        (': run `niftybox doctor`, check the wiring and that the service user is ' +
          'in group gpio; halt with "niftybox halt", MQTT or Home Assistant');
      log.error(message);
      status.button = 'unavailable';
      status.buttonDetail = message;
      noSwitch(`GPIO${b.bcmPin} cannot be opened`);
      if (!opts.onKillSwitch) alert({ level: 'error', code: 'BUTTON_UNAVAILABLE', message });
      else ksDetail = message;
    }
  } else noSwitch('no kill switch pin configured (device.button.bcmPin is null)');
  let keyboard: KeyboardButton | null = null;
  let killSwitch: KillSwitch | null = null;
  if (opts.stdin) {
    simulated ??= new SimulatedButton();
    if (!inputs.includes(simulated)) inputs.push(simulated);
  }
  if (inputs.length > 0) {
    killSwitch = new KillSwitch({
      inputs,
      control: opts.control,
      log,
      wiring: b.wiring,
      resumeHoldMs: b.resumeHoldMs,
      debounceMs: b.debounceMs,
      pollMs: b.pollMs,
      clock,
      onFault: (faulty, detail) => {
        if (faulty) noSwitch(detail);
        else {
          ksWorking = true;
          ksDetail = detail;
          deviceAlarms.length = 0;
        }
        display.setDeviceAlarms(deviceAlarms);
        opts.onKillSwitch?.({ working: ksWorking, required: b.required, detail: ksDetail });
      },
    });
  }
  if (opts.stdin && simulated) {
    const ks = killSwitch!;
    keyboard = new KeyboardButton({ stdin: opts.stdin, button: simulated, isHalted: () => ks.isHalted, log, clock });
  }

  // ---- buzzer
  let pin: BuzzerPin = new LogBuzzerPin();
  const z = config.buzzer;
  if (!z.simulated && z.bcmPin !== null) {
    try {
      const { number } = sysfsGpioNumber(z.bcmPin, { gpioBase: b.gpioBase, sysfsRoot: hw.sysfsRoot });
      pin = new GpioBuzzerPin(getGpio(), number, z.activeLow);
      status.buzzer = 'gpio';
    } catch (err) {
      log.warn(`buzzer on GPIO${z.bcmPin} cannot be opened (${(err as Error).message}): sounds go to the log only`);
    }
  }
  const buzzer = new Buzzer({ pin, calendar, now, log, quietHours: z.quietHours, clock });
  const announcer = new BuzzerAnnouncer(buzzer);

  // ---- display
  const sink = createDisplaySink(opts, hw, clock, (message) => {
    alert({ level: 'warn', code: 'DISPLAY_LOST', message });
  });
  status.display = sink.kind;
  const display = new StatusDisplay({
    sink,
    log,
    now,
    pageSeconds: config.display.pageSeconds,
    maxFps: config.display.maxFps,
    resumeHoldMs: b.resumeHoldMs,
    calendar,
    clock,
  });
  display.setDeviceAlarms(deviceAlarms);
  display.start();
  killSwitch?.start(); // after the display exists: a fault found at start is shown at once
  opts.onKillSwitch?.({ working: ksWorking, required: b.required, detail: ksDetail || 'kill switch ready' });

  let closed = false;
  const guard = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      log.error(`device ${what} failed`, { err });
    }
  };
  const close = async () => {
    if (closed) return;
    closed = true;
    keyboard?.close();
    killSwitch?.stop();
    announcer.close();
    await display.close();
  };
  const output: Output = {
    name: 'device',
    onEvents(events: readonly EngineEvent[], state: ApplianceState) {
      if (closed) return;
      guard('onEvents', () => {
        killSwitch?.setHalted(state.trading === 'halted');
        display.setState(state);
        announcer.onEvents(events, state);
      });
    },
    onState(state: ApplianceState) {
      if (closed) return;
      guard('onState', () => {
        killSwitch?.setHalted(state.trading === 'halted');
        display.setState(state);
        announcer.onState(state);
      });
    },
    close,
  };
  return { output, close, button: simulated, display, killSwitch, status };
}

/**
 * The display sink for `device.display.kind` (auto: the OLED when /dev/i2c-N exists, else the terminal on a TTY, else
 * none).
 */
function createDisplaySink(
  opts: CreateDeviceOptions,
  hw: DeviceHardware,
  clock: Clock,
  onLost: (message: string) => void,
): DisplaySink {
  const { config, log } = opts;
  const d = config.display;
  let kind = d.kind;
  if (kind === 'auto') {
    const dev = join(hw.devRoot ?? '/dev', `i2c-${d.i2cBus}`);
    kind = existsSync(dev) ? 'oled' : opts.stdout?.isTTY ? 'terminal' : 'none';
    log.info(`display: auto → ${kind}${kind === 'oled' ? '' : ` (no ${dev})`}`);
  }
  if (kind === 'none') return new NullDisplay();
  if (kind === 'terminal') return new TerminalDisplay(opts.stdout ?? process.stdout);
  if (kind.startsWith('png:')) return new PngDisplay(kind.slice(4), log);
  try {
    const bus = (hw.openI2cBus ?? openRealI2cBus)(d.i2cBus);
    return new OledDisplay({ bus, address: d.address, log, onLost, Oled: hw.Oled, clock });
  } catch (err) {
    const message = `cannot open I2C bus ${d.i2cBus} for the OLED (${(err as Error).message}): the display stays dark`;
    log.error(message);
    onLost(message);
    return new NullDisplay();
  }
}
