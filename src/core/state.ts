/**
 * The appliance's published state (MQTT `…/state`, OLED screens). Shape fixed by interfaces.md.
 * Built by the app from the engine snapshot plus feed and clock status; outputs only read it.
 */
import type { Greeks } from './greeks.js';
import type { Side } from './types.js';

export type ApplianceMode = 'live' | 'demo' | 'replay';

/** Where the trading day is: before the open, in session, after the close, or a holiday. */
export type SessionPhase = 'pre_open' | 'open' | 'closed' | 'holiday' | 'warming_up';

export interface PositionState {
  side: Side;
  instrumentKey: string;
  /** Human contract name, e.g. `NIFTY 05 JUN 25 24550 CE`. */
  symbol: string;
  strike: number;
  quantity: number;
  entryPrice: number;
  ltp: number;
  sl: number;
  tp1: number;
  tp1Hit: boolean;
  unrealizedPnl: number;
  /**
   * IV (%) and Greeks of the held contract: from Upstox's feed when its ticks carry them (`upstox`:
   * theta per calendar day, as Upstox gives it), else Black-76 on the index (`black76`, core/greeks.ts:
   * theta per trading day); null when neither is known (no index price yet, a price below intrinsic value).
   */
  greeks?: (Greeks & { source: 'upstox' | 'black76' }) | null;
  /** The strategy that opened it (its exits manage it, even after a restart with another one configured). */
  strategy?: string;
}

export interface ApplianceState {
  deviceId: string;
  mode: ApplianceMode;
  session: SessionPhase;
  /** Trading day, YYYY-MM-DD (IST). */
  day: string;
  trading: 'active' | 'halted';
  haltReason: string | null;
  /** The strategy new entries are decided by, with every parameter (strategies.md: a run's identity). */
  strategy?: { name: string; params: Record<string, unknown> };
  feed: { connected: boolean; lastTickAgeMs: number | null };
  spot: number | null;
  position: PositionState | null;
  pnl: {
    realized: number;
    unrealized: number;
    charges: number;
    /** realized + unrealized − charges (of closed trades). */
    net: number;
    trades: number;
    wins: number;
  };
  clock: { synced: boolean; skewMs: number | null };
  /**
   * Active alarms (guards whose `stateAlarm` is true in alerts.ts: stale feed, token expired, clock …), in the order
   * they were raised.
   */
  alarms: { code: string; message: string }[];
  /** Where to log in when the token needs renewing (shown on the OLED). */
  loginUrl: string | null;
  /**
   * Verdict of the last daily report's verify (live trades vs the backtest of that day's candles), null before one.
   * verdict: agrees, tick-fills (differs only as tick fills must, every difference explained), or differs.
   */
  verify?: {
    day: string;
    verdict: 'agrees' | 'tick-fills' | 'differs';
    agreed: boolean;
    liveTrades: number;
    backtestTrades: number;
    differences: number;
    explained: number;
    unexplained: number;
    tickFillEffect: number;
    summary: string;
  } | null;
  /** "no kill switch" while none works and device.button.required is false (with required, an alarm instead). */
  killSwitch?: 'ok' | 'no kill switch' | 'not working';
  /** Epoch ms of this snapshot. */
  ts: number;
}
