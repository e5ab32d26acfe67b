/**
 * The paper broker: working orders, the one open position, and the day's account. The strategy and the shared trade
 * rules decide;
 * the broker fills through its fill model (fill-model.ts), prices both legs' charges as the
 * exchange would (charges.ts), and keeps the day's tally the risk gate and the reports read.
 * It raises no events: the engine announces what it did.
 */
import { roundTripCharges } from './charges.js';
import type { PaperFillModel } from './fill-model.js';
import { istDate } from './time.js';
import type { TradeRules } from './trade-rules.js';
import type { ClosedTrade, ExitReason, OpenPosition, OptionContract, PositionStrategy, Side, Tick } from './types.js';

/** An entry decided at an index close, waiting for the next candle's first trade. */
export interface PendingEntry {
  side: Side;
  /** Index candle whose close decided it; the order may fill only in the next bucket. */
  candleTs: number;
  /** Option ATR as of the signal candle: the initial stop's distance. */
  atr: number;
}

export interface DayStats {
  entries: number;
  trades: number;
  wins: number;
  realized: number;
  charges: number;
  cancelledNoNextCandle: number;
}

export type CancelReason = 'NO_NEXT_CANDLE' | 'SESSION_END' | 'HALT';

const emptyDayStats = (): DayStats => ({
  entries: 0,
  trades: 0,
  wins: 0,
  realized: 0,
  charges: 0,
  cancelledNoNextCandle: 0,
});

export class PaperBroker {
  position: OpenPosition | null = null;
  /** The contract of the open position (strike and expiry for the closed trade). */
  positionContract: OptionContract | null = null;
  pendingEntry: PendingEntry | null = null;
  /** A sale to make at the held contract's next trade (a reversal or a halt). */
  pendingExit: ExitReason | null = null;
  nextTradeId = 1;
  stats: DayStats = emptyDayStats();

  constructor(
    readonly fills: PaperFillModel,
    private readonly lots: number,
  ) {}

  /** Fills the pending entry on this trade of `contract`: stop and target by the rules at the fill price. */
  fillEntry(
    contract: OptionContract,
    tick: Tick,
    pe: PendingEntry,
    rules: TradeRules,
    strategy: PositionStrategy,
  ): OpenPosition {
    const price = this.fills.buy(tick);
    this.pendingEntry = null;
    this.positionContract = contract;
    const pos: OpenPosition = {
      tradeId: this.nextTradeId++,
      side: pe.side,
      instrumentKey: contract.instrumentKey,
      quantity: this.lots * contract.lotSize,
      entryTime: tick.ts,
      entryPrice: price,
      sl: rules.initialStop(price, pe.atr),
      tp1: rules.target(pe.side, price),
      tp1Hit: false,
      ltp: tick.ltp,
      ltpTs: tick.ts,
      signalCandleTs: pe.candleTs,
      strategy,
    };
    this.position = pos;
    this.stats.entries++;
    return pos;
  }

  /**
   * Closes the position with a sale that met the market at `price` (the fill model takes slippage, floors at one tick).
   */
  exit(price: number, ts: number, reason: ExitReason): ClosedTrade {
    const pos = this.position!;
    const contract = this.positionContract!;
    const exitPrice = this.fills.sell(price);
    const points = exitPrice - pos.entryPrice;
    const grossPnl = points * pos.quantity;
    const day = istDate(pos.entryTime);
    const breakdown = roundTripCharges(day, pos.entryPrice * pos.quantity, exitPrice * pos.quantity);
    const trade: ClosedTrade = {
      tradeId: pos.tradeId,
      day,
      side: pos.side,
      instrumentKey: pos.instrumentKey,
      strike: contract.strike,
      expiry: contract.expiry,
      quantity: pos.quantity,
      entryTime: pos.entryTime,
      entryPrice: pos.entryPrice,
      exitTime: ts,
      exitPrice,
      reason,
      points,
      grossPnl,
      charges: breakdown.total,
      netPnl: grossPnl - breakdown.total,
      chargeBreakdown: breakdown,
      slippageCost: this.fills.roundTripSlippage(price, exitPrice) * pos.quantity,
    };
    this.position = null;
    this.positionContract = null;
    this.pendingExit = null;
    this.stats.trades++;
    if (trade.netPnl > 0) this.stats.wins++;
    this.stats.realized += grossPnl;
    this.stats.charges += breakdown.total;
    return trade;
  }

  /** Drops the pending entry; returns it (null when there was none). */
  cancelEntry(reason: CancelReason): PendingEntry | null {
    const pe = this.pendingEntry;
    if (!pe) return null;
    if (reason === 'NO_NEXT_CANDLE') this.stats.cancelledNoNextCandle++;
    this.pendingEntry = null;
    return pe;
  }

  /**
   * A new trading day: the tally starts again (a position or order never carries over: the engine settles them first).
   */
  newDay(): void {
    this.stats = emptyDayStats();
  }
}
