/**
 * Crash recovery: the ledger's checkpoint restores the trading state (position with its SL/TP1/lock,
 * halt, pending orders, trade ids); indicators are rebuilt from candles, being a pure function of them.
 */
import type { Engine, EngineCheckpoint } from '../core/engine.js';
import { istDate } from '../core/time.js';
import type { Candle, Side } from '../core/types.js';
import type { Logger } from '../log.js';
import type { Ledger } from '../store/ledger.js';

export interface CandleHistory {
  /** Index candles up to and including `untilTs` (bucket start), oldest first. */
  index(untilTs: number): Candle[];
  /** Candles of the day's `side` contract (`instrumentKey`) up to and including `untilTs`. */
  option(day: string, side: Side, instrumentKey: string, untilTs: number): Candle[];
}

/** Restores the engine from the ledger; returns the checkpoint (null on a fresh ledger). */
export function recoverEngine(
  engine: Engine,
  ledger: Ledger,
  history: CandleHistory,
  log: Logger,
): EngineCheckpoint | null {
  const cp = ledger.loadCheckpoint();
  if (!cp) {
    // A ledger with trades but no checkpoint (written by another tool): never reuse a trade id.
    const maxId = ledger.maxTradeId();
    if (maxId !== null) engine.restore({ ...engine.checkpoint(), nextTradeId: maxId + 1 });
    return null;
  }
  const data = cp.data as EngineCheckpoint;
  if (!data || data.version !== 1)
    throw new Error(
      `ledger ${ledger.file}: engine checkpoint has an unknown version; upgrade niftybox or move the ledger aside`,
    );
  engine.restore(data);
  const until = data.lastClosedBucket;
  if (until !== null) {
    const index = history.index(until);
    for (const c of index) engine.warmIndexCandle(c);
    if (data.contracts && data.day && istDate(until) === data.day) {
      for (const side of ['CE', 'PE'] as const) {
        for (const c of history.option(data.day, side, data.contracts[side].instrumentKey, until))
          engine.warmOptionCandle(side, c);
      }
    }
    log.info('recovery: resumed from the ledger', {
      checkpointTs: cp.ts,
      lastClosedBucket: until,
      position: data.position
        ? `${data.position.side} ${data.position.instrumentKey} @ ${data.position.entryPrice}`
        : null,
      halted: data.halted,
      warmedIndexCandles: index.length,
    });
  }
  return data;
}
