/** Plain domain types shared by the pure core and every adapter. Times are epoch milliseconds. */

export type Side = 'CE' | 'PE';

/** Why a position was closed. HALT extends the v25.md list: a kill-switch exit at the next price. */
export type ExitReason = 'SL' | 'LOCK_SL' | 'REVERSAL' | 'EOD' | 'SESSION_END' | 'HALT';

export const NIFTY_INDEX_KEY = 'NSE_INDEX|Nifty 50';

/** A candle named by its start time (epoch ms); it covers [ts, ts + 5 min). */
export interface Candle {
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/**
 * One price observation. `path` marks a tick the price reached continuously from the previous tick
 * (a replayed candle's low, high and close): a stop crossed on the way fills at its level.
 * A non-path tick (a live trade, a candle's open) may gap, so a stop it crosses fills at the tick.
 */
export interface Tick {
  instrumentKey: string;
  /** Trade time, epoch ms. */
  ts: number;
  ltp: number;
  path?: boolean;
  /** Best bid when market depth is known (live); sales (stops, EOD, reversal and halt exits) then fill at the bid. */
  bid?: number;
  /** Best ask when market depth is known (live); entries then fill at the ask. */
  ask?: number;
  volume?: number;
}

/** One option contract the engine may trade. */
export interface OptionContract {
  instrumentKey: string;
  side: Side;
  strike: number;
  /** Expiry date, YYYY-MM-DD (IST). */
  expiry: string;
  lotSize: number;
}

/** The pair of contracts a trading day uses. */
export interface DayContracts {
  day: string;
  CE: OptionContract;
  PE: OptionContract;
}

/** Charges of one round trip, in rupees, unrounded. */
export interface ChargeBreakdown {
  brokerage: number;
  stt: number;
  exchange: number;
  sebi: number;
  stamp: number;
  gst: number;
  total: number;
}

export interface OpenPosition {
  tradeId: number;
  side: Side;
  instrumentKey: string;
  quantity: number;
  entryTime: number;
  entryPrice: number;
  sl: number;
  tp1: number;
  tp1Hit: boolean;
  /** Last traded price of the held contract, and its trade time. */
  ltp: number;
  ltpTs?: number;
  /** The index candle whose close decided the entry. */
  signalCandleTs: number;
  /** The strategy that opened it, with every parameter: its exits stay that strategy's. Absent in old checkpoints. */
  strategy?: PositionStrategy;
}

/** A strategy's identity as a position and the ledger record it: its name and every parameter. */
export interface PositionStrategy {
  name: string;
  params: Record<string, unknown>;
}

export interface ClosedTrade {
  tradeId: number;
  day: string;
  side: Side;
  instrumentKey: string;
  strike: number;
  expiry: string;
  quantity: number;
  entryTime: number;
  entryPrice: number;
  exitTime: number;
  exitPrice: number;
  reason: ExitReason;
  points: number;
  grossPnl: number;
  charges: number;
  netPnl: number;
  chargeBreakdown: ChargeBreakdown;
  /** Slippage paid on both legs in rupees (already inside grossPnl). */
  slippageCost: number;
  /** The strategy that traded it, as the ledger recorded it (absent in a backtest's own trades). */
  strategy?: TradeStrategy;
}

/** A recorded trade's strategy: its name, and (when the ledger has them) every parameter and their hash. */
export interface TradeStrategy {
  name: string;
  params: Record<string, unknown> | null;
  hash: string | null;
}
