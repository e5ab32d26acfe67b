/**
 * What the engine tells the world. Every adapter (ledger, OLED, buzzer, MQTT, log) consumes these.
 * Events come in batches (one per engine call); the ledger commits a batch before any output sees it.
 */
import type { AlertCode } from './alerts.js';
import type { Candle, ClosedTrade, OpenPosition, PositionStrategy, Side } from './types.js';

export type HaltSource = 'button' | 'cli' | 'mqtt' | 'guard' | 'engine' | 'recovery' | 'web';

export type AlertLevel = 'info' | 'warn' | 'error';

/** Alert codes: a closed union derived from the one table in alerts.ts. */
export type { AlertCode } from './alerts.js';

export interface SignalEvent {
  type: 'signal';
  ts: number;
  /** Index candle whose close produced the decision. */
  candleTs: number;
  kind: 'entry' | 'reversal';
  side: Side;
  /** `taken`: an order was placed. `blocked`: a guard stopped it (see blockedBy). */
  action: 'taken' | 'blocked';
  blockedBy?: string[];
  close: number;
  /** The strategy that decided, and its readings at the deciding close (e.g. V25's ema, hist, chop). */
  strategy: string;
  readings: Record<string, number>;
}

export interface EntryEvent {
  type: 'entry';
  ts: number;
  position: OpenPosition;
}

export interface ExitEvent {
  type: 'exit';
  ts: number;
  trade: ClosedTrade;
  /** The strategy that opened the position (the ledger records it with the trade); absent for old checkpoints. */
  strategy?: PositionStrategy;
}

export interface OrderCancelledEvent {
  type: 'order_cancelled';
  ts: number;
  side: Side;
  kind: 'entry';
  reason: 'NO_NEXT_CANDLE' | 'SESSION_END' | 'HALT';
}

/** A stop moved (TP1 reached → stop locked in profit). */
export interface PositionUpdateEvent {
  type: 'position';
  ts: number;
  position: OpenPosition;
  change: 'TP1';
}

export interface HaltEvent {
  type: 'halt';
  ts: number;
  reason: string;
  source: HaltSource;
}

export interface ResumeEvent {
  type: 'resume';
  ts: number;
  source: HaltSource;
}

export interface AlertEvent {
  type: 'alert';
  ts: number;
  level: AlertLevel;
  code: AlertCode;
  message: string;
}

/** A 5-minute candle closed (index or option). The ledger stores these for recovery and reports. */
export interface CandleEvent {
  type: 'candle';
  ts: number;
  instrumentKey: string;
  candle: Candle;
}

export type EngineEvent =
  | SignalEvent
  | EntryEvent
  | ExitEvent
  | OrderCancelledEvent
  | PositionUpdateEvent
  | HaltEvent
  | ResumeEvent
  | AlertEvent
  | CandleEvent;
