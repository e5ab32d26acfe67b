import type { EngineEvent, HaltSource } from './core/events.js';
import type { ApplianceState } from './core/state.js';

/**
 * Something that announces what the engine did: OLED, buzzer, MQTT, the console.
 * The app calls these only after the ledger has committed the batch. Implementations must
 * return at once (queue work, never await I/O on this path) and must never throw.
 */
export interface Output {
  readonly name: string;
  onEvents(events: readonly EngineEvent[], state: ApplianceState): void;
  /** The current state; called on change (the app coalesces) and as a heartbeat. */
  onState(state: ApplianceState): void;
  close(): Promise<void>;
}

/** How buttons, MQTT commands and the CLI reach the engine. */
export interface ControlPort {
  halt(reason: string, source: HaltSource): void;
  resume(source: HaltSource): void;
}
