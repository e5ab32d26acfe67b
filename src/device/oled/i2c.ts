/**
 * The slice of i2c-bus (5.x) the display uses, a guard that turns every bus error into a
 * "faulted" flag, and lazy loaders for the native modules (never loaded by simulated twins).
 */
import { createRequire } from 'node:module';

/**
 * What oled-i2c-bus, our window write (ssd1306-window.ts) and our probe call on an i2c-bus `Bus` (hardware.md §4,
 * §5.2).
 */
export interface I2cBusLike {
  i2cWriteSync(address: number, length: number, buffer: Buffer): number;
  i2cReadSync(address: number, length: number, buffer: Buffer): number;
  receiveByteSync?(address: number): number;
  closeSync?(): void;
}

export type OpenI2cBus = (busNumber: number) => I2cBusLike;

const require = createRequire(import.meta.url);

/** Opens /dev/i2c-N with the real i2c-bus (lazy: nothing is touched until the first transfer). */
export const openRealI2cBus: OpenI2cBus = (busNumber) => {
  const i2c = require('i2c-bus') as { openSync(bus: number): I2cBusLike };
  return i2c.openSync(busNumber);
};

/**
 * Forwards to the real bus but never throws: oled-i2c-bus transfers from inside setTimeout, where
 * an exception would be uncaught and kill the process. The first error marks the bus faulted
 * (reported once through onFault) and later calls return 0 without touching the hardware until
 * `reset()`.
 */
export class GuardedI2cBus implements I2cBusLike {
  faulted = false;
  lastError: Error | null = null;

  constructor(
    private readonly bus: I2cBusLike,
    private readonly onFault: (err: Error) => void,
  ) {}

  i2cWriteSync(address: number, length: number, buffer: Buffer): number {
    return this.guard(() => this.bus.i2cWriteSync(address, length, buffer));
  }

  i2cReadSync(address: number, length: number, buffer: Buffer): number {
    return this.guard(() => this.bus.i2cReadSync(address, length, buffer));
  }

  reset(): void {
    this.faulted = false;
    this.lastError = null;
  }

  private guard(op: () => number): number {
    if (this.faulted) return 0;
    try {
      return op();
    } catch (err) {
      this.faulted = true;
      this.lastError = err as Error;
      try {
        this.onFault(err as Error);
      } catch {
        // a faulty fault handler must not escape into oled-i2c-bus's timer either
      }
      return 0;
    }
  }
}

/** The parts of an oled-i2c-bus instance we use (the package ships no types). */
export interface OledLike {
  buffer: Buffer;
  update(): void;
  turnOffDisplay(): void;
}

export type OledConstructor = new (
  bus: I2cBusLike,
  opts: { width: number; height: number; address: number },
) => OledLike;

export function loadOled(): OledConstructor {
  return require('oled-i2c-bus') as OledConstructor;
}
