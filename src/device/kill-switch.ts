/**
 * The physical kill switch. Asymmetric on purpose: the FIRST edge that reads "pressed" halts,
 * synchronously from the edge handler (no debounce on the halting side); debounce only decides
 * when a press has ended, and a press that began while halted and is held resumeHoldMs resumes.
 * A press that began while trading was active never resumes, however long it is held.
 */
import type { ControlPort } from '../output.js';
import { realClock, type Clock, type Timer } from '../lib/clock.js';
import type { Logger } from '../log.js';
import type { BinaryValue, GpioConstructor, GpioLike } from './gpio/onoff.js';

/** A two-state input where 1 means "pressed" (NO wiring) or "circuit open" (NC wiring). */
export interface SwitchInput {
  readonly description: string;
  read(): BinaryValue;
  /** Called on every (possibly duplicated) edge with the value read after it. */
  watch(onValue: (value: BinaryValue) => void, onError: (err: Error) => void): void;
  close(): void;
}

export type Wiring = 'no' | 'nc';

/**
 * A GPIO through onoff. Pull-up input: a normally-open button to GND reads 0 when pressed, so
 * activeLow=true makes "pressed" read 1; a normally-closed contact reads 1 when open (pressed or
 * cut), so activeLow=false. activeLow is always passed, so a stale export cannot invert us.
 */
export class GpioSwitchInput implements SwitchInput {
  readonly description: string;
  private readonly gpio: GpioLike;

  constructor(Gpio: GpioConstructor, sysfsNumber: number, bcm: number, wiring: Wiring) {
    this.gpio = new Gpio(sysfsNumber, 'in', 'both', { activeLow: wiring === 'no', debounceTimeout: 0 });
    this.description = `GPIO${bcm} (sysfs ${sysfsNumber}, ${wiring === 'no' ? 'normally open' : 'normally closed'})`;
  }

  read(): BinaryValue {
    return this.gpio.readSync();
  }

  watch(onValue: (value: BinaryValue) => void, onError: (err: Error) => void): void {
    this.gpio.watch((err, value) => (err ? onError(err) : onValue(value)));
  }

  close(): void {
    this.gpio.unwatchAll();
    this.gpio.unexport();
  }
}

/** The button twin: press()/release() from tests or the keyboard, same logic downstream. */
export class SimulatedButton implements SwitchInput {
  readonly description = 'simulated button';
  private level: BinaryValue = 0;
  private listeners: ((v: BinaryValue) => void)[] = [];

  press(): void {
    this.set(1);
  }

  release(): void {
    this.set(0);
  }

  get pressed(): boolean {
    return this.level === 1;
  }

  read(): BinaryValue {
    return this.level;
  }

  watch(onValue: (value: BinaryValue) => void): void {
    this.listeners.push(onValue);
  }

  close(): void {
    this.listeners = [];
  }

  private set(v: BinaryValue): void {
    this.level = v;
    for (const l of this.listeners) l(v);
  }
}

export interface KillSwitchOptions {
  inputs: SwitchInput[];
  control: ControlPort;
  log: Logger;
  wiring: Wiring;
  resumeHoldMs: number;
  /** A release must last this long to end a press. */
  debounceMs: number;
  /** Backup poll of the inputs (a lost interrupt must not hide a press); 0 = off. */
  pollMs: number;
  /**
   * NC wiring whose circuit is already open at start (a cut or unplugged wire, not a press): the switch
   * cannot halt, so it is reported as not working (true) until the circuit closes (false).
   */
  onFault?: (faulty: boolean, detail: string) => void;
  /** The hold, the release debounce and the poll run on it (never the halt). Default the system clock. */
  clock?: Clock;
}

export class KillSwitch {
  private halted = false;
  private pressed = false;
  private holdTimer: Timer | null = null;
  private releaseTimer: Timer | null = null;
  private pollTimer: Timer | null = null;
  private readonly clock: Clock;
  private readonly last = new Map<SwitchInput, BinaryValue>();
  private readonly reason: string;
  /** Inputs whose NC circuit read open at start: they arm once it reads closed. */
  private readonly openAtBoot = new Set<SwitchInput>();
  halts = 0;
  resumes = 0;

  constructor(private readonly opts: KillSwitchOptions) {
    this.clock = opts.clock ?? realClock;
    this.reason =
      opts.wiring === 'nc' ? 'kill switch: circuit open (button pressed or wire cut)' : 'kill switch pressed';
  }

  /** Watches the inputs; an input already pressed (or an NC circuit already open) halts now. */
  start(): void {
    for (const input of this.opts.inputs) {
      input.watch(
        (v) => this.onValue(input, v),
        (err) => this.opts.log.error(`kill switch ${input.description}: ${err.message}`),
      );
      const v = this.safeRead(input);
      this.last.set(input, v ?? 0);
      if (v === 1 && this.opts.wiring === 'nc' && this.opts.onFault) {
        // Open before we ever saw it closed: a wiring fault, not a press. It cannot halt, so it is not a kill switch.
        this.openAtBoot.add(input);
        const detail =
          `kill switch ${input.description} reads an open circuit at start (wire ` +
          `cut or unplugged): it cannot halt until the circuit closes`;
        this.opts.log.error(detail);
        this.opts.onFault(true, detail);
        continue;
      }
      if (v === 1) {
        this.opts.log.warn(
          `kill switch ${input.description} reads pressed at start: button held, NC ` +
            `circuit open, or the pin has no pull-up ` +
            '(gpio=<pin>=ip,pu in /boot/firmware/config.txt)',
        );
        this.onValue(input, 1);
      }
    }
    if (this.opts.pollMs > 0) {
      this.pollTimer = this.clock.every(this.opts.pollMs, () => this.poll(), { background: true });
    }
  }

  /** What the engine says (from state or halt/resume events). */
  setHalted(halted: boolean): void {
    this.halted = halted;
  }

  get isHalted(): boolean {
    return this.halted;
  }

  stop(): void {
    for (const t of [this.holdTimer, this.releaseTimer, this.pollTimer]) t?.cancel();
    this.holdTimer = this.releaseTimer = this.pollTimer = null;
    for (const input of this.opts.inputs) {
      try {
        input.close();
      } catch {
        // closing is best effort
      }
    }
  }

  private onValue(input: SwitchInput, v: BinaryValue): void {
    this.last.set(input, v);
    if (this.openAtBoot.has(input)) {
      if (v === 1) return;
      this.openAtBoot.delete(input);
      this.opts.log.info(`kill switch ${input.description}: circuit closed, the switch is armed`);
      this.opts.onFault?.(false, `kill switch ${input.description} armed`);
      return;
    }
    if (v === 1) this.onPressEdge();
    else this.onReleaseEdge();
  }

  private onPressEdge(): void {
    if (this.releaseTimer) {
      // a bounce (or a brief release) inside the same press
      this.releaseTimer.cancel();
      this.releaseTimer = null;
      return;
    }
    if (this.pressed) return; // duplicate edge ('both' delivers them)
    this.pressed = true;
    if (!this.halted) {
      this.halted = true;
      this.halts++;
      try {
        this.opts.control.halt(this.reason, 'button');
      } catch (err) {
        this.opts.log.error('kill switch: halt failed', { err });
      }
      this.opts.log.warn(this.reason);
      return;
    }
    this.holdTimer = this.clock.after(this.opts.resumeHoldMs, () => this.onHeld());
  }

  private onReleaseEdge(): void {
    if (!this.pressed || this.releaseTimer) return;
    this.releaseTimer = this.clock.after(this.opts.debounceMs, () => {
      this.releaseTimer = null;
      this.pressed = false;
      this.holdTimer?.cancel();
      this.holdTimer = null;
    });
  }

  private onHeld(): void {
    this.holdTimer = null;
    const stillPressed = this.opts.inputs.some((i) => this.safeRead(i) === 1);
    if (!this.pressed || !stillPressed || !this.halted) return;
    this.halted = false;
    this.resumes++;
    this.opts.log.info(`kill switch held ${this.opts.resumeHoldMs} ms while halted: resuming`);
    try {
      this.opts.control.resume('button');
    } catch (err) {
      this.opts.log.error('kill switch: resume failed', { err });
    }
  }

  private poll(): void {
    for (const input of this.opts.inputs) {
      const v = this.safeRead(input);
      if (v !== null && v !== this.last.get(input)) this.onValue(input, v);
    }
  }

  private safeRead(input: SwitchInput): BinaryValue | null {
    try {
      return input.read();
    } catch {
      return null;
    }
  }
}
