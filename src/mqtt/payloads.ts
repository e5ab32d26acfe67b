/**
 * JSON bodies of the event topics. Each carries epoch `ts` plus an IST ISO time for people reading
 * `mosquitto_sub`. Trades carry the ledger's `tradeId` so a consumer that sees one twice (QoS 1 is
 * at-least-once) can drop the repeat.
 */
import type { AlertCode } from '../core/alerts.js';
import type { AlertEvent, EngineEvent, EntryEvent, ExitEvent, SignalEvent } from '../core/events.js';
import type { ApplianceState } from '../core/state.js';
import { paise } from '../core/charges.js';
import { istIso } from '../core/time.js';

export interface AlertPayload {
  level: 'info' | 'warn' | 'error';
  /** A code of the table in core/alerts.ts (HALTED and RESUMED announce halt and resume events). */
  code: AlertCode;
  message: string;
  ts: number;
  time: string;
}

export function alertPayload(a: { level: AlertPayload['level']; code: AlertCode; message: string }, ts: number): AlertPayload {
  return { level: a.level, code: a.code, message: a.message, ts, time: istIso(ts) };
}

/**
 * The retained `…/state` body: the ApplianceState plus what only the ledger knows —
 * `pnl.allTimeNet`, the net P&L of every closed trade so far plus today's open position (null
 * when the box runs without a ledger). Fields are only ever added here, never renamed.
 */
export function statePayload(state: ApplianceState, extras: { closedNetAllTime: number | null }): Record<string, unknown> {
  const allTimeNet = extras.closedNetAllTime === null ? null : paise(extras.closedNetAllTime + state.pnl.unrealized);
  return { ...state, pnl: { ...state.pnl, allTimeNet } };
}

export function entryPayload(e: EntryEvent, state: ApplianceState | null): Record<string, unknown> {
  const p = e.position;
  const symbol = state?.position && state.position.instrumentKey === p.instrumentKey ? state.position.symbol : null;
  return {
    event: 'entry',
    tradeId: p.tradeId,
    side: p.side,
    instrumentKey: p.instrumentKey,
    symbol,
    quantity: p.quantity,
    entryTime: p.entryTime,
    entryTimeIst: istIso(p.entryTime),
    entryPrice: p.entryPrice,
    sl: p.sl,
    tp1: p.tp1,
    ts: e.ts,
  };
}

export function exitPayload(e: ExitEvent): Record<string, unknown> {
  const t = e.trade;
  return {
    event: 'exit',
    tradeId: t.tradeId,
    day: t.day,
    side: t.side,
    instrumentKey: t.instrumentKey,
    strike: t.strike,
    expiry: t.expiry,
    quantity: t.quantity,
    entryTime: t.entryTime,
    entryTimeIst: istIso(t.entryTime),
    entryPrice: t.entryPrice,
    exitTime: t.exitTime,
    exitTimeIst: istIso(t.exitTime),
    exitPrice: t.exitPrice,
    reason: t.reason,
    points: t.points,
    grossPnl: t.grossPnl,
    charges: t.charges,
    netPnl: t.netPnl,
    ts: e.ts,
  };
}

export function signalPayload(e: SignalEvent): Record<string, unknown> {
  return { ...e, time: istIso(e.ts), candleTime: istIso(e.candleTs) };
}

/**
 * Which topic and body an engine event becomes; null for events MQTT does not announce (candles,
 * stop moves and cancelled orders: the state shows those, and the engine raises an alert when one matters).
 */
export function eventMessage(
  e: EngineEvent,
  state: ApplianceState | null,
): { topic: 'trade' | 'signal' | 'alert'; body: unknown } | null {
  switch (e.type) {
    case 'entry':
      return { topic: 'trade', body: entryPayload(e, state) };
    case 'exit':
      return { topic: 'trade', body: exitPayload(e) };
    case 'signal':
      return { topic: 'signal', body: signalPayload(e) };
    case 'alert':
      return { topic: 'alert', body: alertPayload(e as AlertEvent, e.ts) };
    case 'halt':
      return { topic: 'alert', body: alertPayload({ level: 'warn', code: 'HALTED', message: `trading halted (${e.source}): ${e.reason}` }, e.ts) };
    case 'resume':
      return { topic: 'alert', body: alertPayload({ level: 'info', code: 'RESUMED', message: `trading resumed (${e.source})` }, e.ts) };
    default:
      return null;
  }
}
