/** The onoff surface we use, and a lazy loader so simulated runs never load the native epoll addon. */
import { createRequire } from 'node:module';

export type BinaryValue = 0 | 1;
export type Direction = 'in' | 'out' | 'high' | 'low';
export type Edge = 'none' | 'rising' | 'falling' | 'both';

export interface GpioOptions {
  debounceTimeout?: number;
  activeLow?: boolean;
  reconfigureDirection?: boolean;
}

/** Structural copy of onoff's Gpio (onoff.d.ts) — fakes in tests implement the same. */
export interface GpioLike {
  readSync(): BinaryValue;
  writeSync(value: BinaryValue): void;
  watch(callback: (err: Error | null | undefined, value: BinaryValue) => void): void;
  unwatchAll(): void;
  unexport(): void;
}

export type GpioConstructor = new (gpio: number, direction: Direction, edge?: Edge, options?: GpioOptions) => GpioLike;

const require = createRequire(import.meta.url);

export function loadOnoffGpio(): GpioConstructor {
  return (require('onoff') as { Gpio: GpioConstructor }).Gpio;
}
