/**
 * JSON bodies of the event topics. Each carries epoch `ts` plus an IST ISO time for people reading
 * `mosquitto_sub`. Trades carry the ledger's `tradeId` so a consumer that sees one twice (QoS 1 is
 * at-least-once) can drop the repeat.
 */
import { ALERTS, type AlertCode } from '../core/alerts.js';
import { contractName } from '../core/contracts.js';
import type { AlertEvent, EngineEvent, EntryEvent, ExitEvent, SignalEvent } from '../core/events.js';
import type { ApplianceState } from '../core/state.js';
import { paise } from '../core/charges.js';
import { tradeChargesByKind } from '../core/report.js';
import { istIso } from '../core/time.js';
import type { EmbeddedBrokerStats } from './embedded-broker.js';

export interface AlertPayload {
  level: 'info' | 'warn' | 'error';
  /** A code of the table in core/alerts.ts (HALTED and RESUMED announce halt and resume events). */
  code: AlertCode;
  message: string;
  ts: number;
  time: string;
}

export function alertPayload(
  a: { level: AlertPayload['level']; code: AlertCode; message: string },
  ts: number,
): AlertPayload {
  return { level: a.level, code: a.code, message: a.message, ts, time: istIso(ts) };
}

/**
 * The retained `…/state` body: the ApplianceState plus what only the ledger knows —
 * `pnl.allTimeNet`, the net P&L of every closed trade so far plus today's open position (null
 * when the box runs without a ledger) — and, on the embedded broker, `embeddedBroker`: its open
 * connections and the clients it refused or cut off. Fields are only ever added here, never renamed.
 */
export function statePayload(
  state: ApplianceState,
  extras: { closedNetAllTime: number | null; embeddedBroker?: EmbeddedBrokerStats },
): Record<string, unknown> {
  const allTimeNet = extras.closedNetAllTime === null ? null : paise(extras.closedNetAllTime + state.pnl.unrealized);
  return {
    ...state,
    pnl: { ...state.pnl, allTimeNet },
    ...(extras.embeddedBroker ? { embeddedBroker: extras.embeddedBroker } : {}),
  };
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
    chargesByKind: tradeChargesByKind(t),
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
      return {
        topic: 'alert',
        body: alertPayload(
          { level: 'warn', code: 'HALTED', message: `trading halted (${e.source}): ${e.reason}` },
          e.ts,
        ),
      };
    case 'resume':
      return {
        topic: 'alert',
        body: alertPayload({ level: 'info', code: 'RESUMED', message: `trading resumed (${e.source})` }, e.ts),
      };
    default:
      return null;
  }
}

/** The `event_types` of Home Assistant's event entity (discovery.ts), in the order HA lists them. */
export const HA_EVENT_TYPES = ['entry', 'exit', 'halt', 'resume', 'alarm'] as const;
export type HaEventType = (typeof HA_EVENT_TYPES)[number];

/**
 * The body of `…/event` for Home Assistant's MQTT event entity: `event_type` (one of HA_EVENT_TYPES; HA
 * takes it out and keeps the rest as the entity's attributes — `event_type`/`event_types` may not be
 * attributes) and what a phone notification says: side, symbol, prices, P&L, reason, the day's net.
 * Null for events that are none of those (signals, candles, alerts that are not alarms).
 */
export function haEventPayload(
  e: EngineEvent,
  state: ApplianceState | null,
): ({ event_type: HaEventType } & Record<string, unknown>) | null {
  const dayNet = state ? paise(state.pnl.net) : null;
  const base = { time: istIso(e.ts), ts: e.ts, day_net: dayNet };
  switch (e.type) {
    case 'entry': {
      const p = e.position;
      const symbol = state?.position?.instrumentKey === p.instrumentKey ? state.position.symbol : p.instrumentKey;
      return {
        event_type: 'entry',
        trade_id: p.tradeId,
        side: p.side,
        symbol,
        quantity: p.quantity,
        entry_price: p.entryPrice,
        exit_price: null,
        sl: p.sl,
        tp1: p.tp1,
        pnl: null,
        reason: null,
        message: `BUY ${symbol} ×${p.quantity} @ ${p.entryPrice.toFixed(2)}`,
        ...base,
      };
    }
    case 'exit': {
      const t = e.trade;
      const symbol = contractName(t);
      return {
        event_type: 'exit',
        trade_id: t.tradeId,
        side: t.side,
        symbol,
        quantity: t.quantity,
        entry_price: t.entryPrice,
        exit_price: t.exitPrice,
        pnl: paise(t.netPnl),
        gross_pnl: paise(t.grossPnl),
        charges: paise(t.charges),
        reason: t.reason,
        message: `SELL ${symbol} @ ${t.exitPrice.toFixed(2)} (${t.reason}): net ₹${paise(t.netPnl).toFixed(2)}`,
        ...base,
      };
    }
    case 'halt':
      return {
        event_type: 'halt',
        reason: e.reason,
        source: e.source,
        message: `trading halted (${e.source}): ${e.reason}`,
        ...base,
      };
    case 'resume':
      return {
        event_type: 'resume',
        reason: null,
        source: e.source,
        message: `trading resumed (${e.source})`,
        ...base,
      };
    case 'alert': {
      const spec = (ALERTS as Record<string, { stateAlarm: boolean }>)[e.code];
      if (!spec?.stateAlarm) return null; // a guard raised (FEED_DOWN, DISK …), not its _CLEARED nor a one-off note
      return {
        event_type: 'alarm',
        code: e.code,
        level: e.level,
        reason: e.message,
        message: `${e.code}: ${e.message}`,
        ...base,
      };
    }
    default:
      return null;
  }
}
