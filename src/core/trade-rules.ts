/**
 * The rules every strategy shares (strategies.md, v25.md "Exits"): the entry window, the fill of an
 * entry at the next candle's first trade before EOD, the stop and target at the fill, the lock after
 * TP1, and what the held position does on each trade of its contract. A strategy decides only the
 * entry side and the reversal; the engine applies these with the shared parameters of the strategy
 * that opened the position.
 */
import type { SharedParams } from './strategies/contract.js';
import { BUCKET_MS, MINUTE_MS, istMinuteOfDay, parseHhmm } from './time.js';
import type { OpenPosition, Side } from './types.js';

/** What the held position does on a trade of its contract; null: nothing. */
export type HeldTradeDecision = 'EOD' | 'SL' | 'LOCK_SL' | 'TP1' | null;

export class TradeRules {
  private readonly entryStartMin: number;
  private readonly entryEndMin: number;
  private readonly eodMin: number;

  constructor(readonly params: SharedParams) {
    this.entryStartMin = parseHhmm(params.entryStart);
    this.entryEndMin = parseHhmm(params.entryEnd);
    this.eodMin = parseHhmm(params.eodExit);
  }

  /** Epoch ms of the EOD exit time on the day of `bucket`: a trade at or after it is past EOD. */
  eodTs(bucket: number): number {
    return bucket - istMinuteOfDay(bucket) * MINUTE_MS + this.eodMin * MINUTE_MS;
  }

  /** Whether a signal candle starting at `t` may decide an entry: its start in [entryStart, entryEnd]. */
  inEntryWindow(t: number): boolean {
    const minute = istMinuteOfDay(t);
    return minute >= this.entryStartMin && minute <= this.entryEndMin;
  }

  /** An entry decided at the close of candle `signalTs` fills on the first trade of the next candle, before EOD. */
  entryMayFill(signalTs: number, ts: number, eodTs: number): boolean {
    return ts >= signalTs + BUCKET_MS && ts < eodTs;
  }

  /** Stop and target at the fill: SL = fill − slAtrMult × ATR(signal candle), TP1 = fill + tp1Points. */
  initialStop(fill: number, atr: number): number {
    return fill - this.params.slAtrMult * atr;
  }

  target(side: Side, fill: number): number {
    return fill + this.params.tp1Points[side];
  }

  /** After TP1 the stop locks in profit. */
  lockedStop(side: Side, entryPrice: number): number {
    return entryPrice + this.params.lockPoints[side];
  }

  /**
   * The held position meets a trade at `price` (v25.md "Exits" 1–4, one trade at a time; a recorded
   * candle arrives as its open, low, high and close): past EOD it exits; at or below the stop it
   * exits (LOCK_SL once TP1 was reached); at or above TP1 the target is reached. Rule 4 (TP1 reached
   * in a candle whose close is at or below the locked stop) needs no code of its own: the close is the
   * next trade, and it meets the locked stop. Which price an exit fills at is the fill model's business.
   */
  onHeldTrade(pos: OpenPosition, price: number, ts: number, eodTs: number): HeldTradeDecision {
    if (ts >= eodTs) return 'EOD';
    if (price <= pos.sl) return pos.tp1Hit ? 'LOCK_SL' : 'SL';
    if (!pos.tp1Hit && price >= pos.tp1) return 'TP1';
    return null;
  }
}
