/**
 * Writes engine events into the ledger tables. Every write is keyed on a natural key and is
 * idempotent: replaying a batch after a crash-restart leaves the ledger as it was.
 * Runs inside the caller's transaction; throws on anything it cannot store.
 */
import type Database from 'better-sqlite3';
import type { EngineEvent, PositionUpdateEvent, EntryEvent, ExitEvent } from '../core/events.js';
import { createHash } from 'node:crypto';
import { canonicalParamsJson } from '../core/strategies/contract.js';
import type { OpenPosition, PositionStrategy } from '../core/types.js';
import { LedgerWriteError } from './errors.js';

function entryOrderKey(tradeId: number): string {
  return `T${tradeId}:entry`;
}
function exitOrderKey(tradeId: number): string {
  return `T${tradeId}:exit`;
}
function cancelledOrderKey(ts: number, side: string, kind: string): string {
  return `C${ts}:${side}:${kind}`;
}

const POSITION_COLUMNS =
  'trade_id, side, instrument_key, quantity, entry_time, entry_price, sl, ' +
  'tp1, tp1_hit, ltp, signal_candle_ts, updated_ts, strategy, ' +
  'strategy_params';
const POSITION_VALUES =
  '@tradeId, @side, @instrumentKey, @quantity, @entryTime, @entryPrice, @sl,' +
  ' @tp1, @tp1Hit, @ltp, @signalCandleTs, @updatedTs, @strategy, ' +
  '@strategyParams';

/**
 * A strategy's identity as the ledger keeps it: the name, the parameters as canonical JSON, and the SHA-256 of both.
 */
export function strategyColumns(s: PositionStrategy | undefined): {
  strategy: string | null;
  strategyParams: string | null;
  strategyHash: string | null;
} {
  if (!s) return { strategy: null, strategyParams: null, strategyHash: null };
  const params = canonicalParamsJson(s.params);
  return { strategy: s.name, strategyParams: params, strategyHash: strategyHash(s.name, params) };
}

export function strategyHash(name: string, canonicalParams: string): string {
  return createHash('sha256').update(`${name}\n${canonicalParams}`).digest('hex');
}

/** The statements the writer runs, prepared once per connection. */
function prepareStatements(db: Database.Database) {
  return {
    insertOrder: db.prepare(
      `INSERT OR IGNORE INTO orders (key, trade_id, kind, side, instrument_key, quantity, ts, status, reason)
       VALUES (@key, @tradeId, @kind, @side, @instrumentKey, @quantity, @ts, @status, @reason)`,
    ),
    orderTs: db.prepare('SELECT ts FROM orders WHERE key = ?').pluck(),
    insertFill: db.prepare(
      `INSERT OR IGNORE INTO fills (order_key, trade_id, ts, price, quantity) ` +
        `VALUES (@key, @tradeId, @ts, @price, @quantity)`,
    ),
    insertTrade: db.prepare(
      `INSERT OR IGNORE INTO trades (trade_id, day, side, instrument_key, strike, expiry, quantity, entry_time, ` +
        `entry_price,
         exit_time, exit_price, reason, points, gross_pnl, charges, net_pnl, brokerage, stt, exchange, sebi, stamp, gst,
         charges_total, slippage_cost, strategy, strategy_params, strategy_hash)
       VALUES (@tradeId, @day, @side, @instrumentKey, @strike, @expiry, @quantity, @entryTime, @entryPrice,
         @exitTime, @exitPrice, @reason, @points, @grossPnl, @charges, @netPnl, @brokerage, @stt, @exchange, @sebi, ` +
        `@stamp, @gst,
         @chargesTotal, @slippageCost, @strategy, @strategyParams, @strategyHash)`,
    ),
    // A replayed entry must neither resurrect a position whose trade already closed nor undo a later
    // TP1 update: insert only when absent and not closed.
    openPosition: db.prepare(
      `INSERT OR IGNORE INTO positions (${POSITION_COLUMNS}) SELECT ${POSITION_VALUES}
       WHERE NOT EXISTS (SELECT 1 FROM trades WHERE trade_id = @tradeId)`,
    ),
    upsertPosition: db.prepare(
      `INSERT INTO positions (${POSITION_COLUMNS}) SELECT ${POSITION_VALUES}
       WHERE NOT EXISTS (SELECT 1 FROM trades WHERE trade_id = @tradeId)
       ON CONFLICT (trade_id) DO UPDATE SET sl = excluded.sl, tp1 = excluded.tp1, tp1_hit = excluded.tp1_hit,
         ltp = excluded.ltp, quantity = excluded.quantity, updated_ts = excluded.updated_ts
       WHERE excluded.updated_ts >= positions.updated_ts`,
    ),
    deletePosition: db.prepare('DELETE FROM positions WHERE trade_id = ?'),
    positionStrategy: db.prepare('SELECT strategy, strategy_params FROM positions WHERE trade_id = ?'),
    insertHalt: db.prepare(
      'INSERT OR IGNORE INTO halts (ts, kind, source, reason) VALUES (@ts, @kind, @source, @reason)',
    ),
    // The current state follows the newest event; a replayed older one does not roll it back.
    setHaltState: db.prepare(
      `INSERT INTO halt_state (id, halted, reason, ts, source) VALUES (1, @halted, @reason, @ts, @source)
       ON CONFLICT (id) DO UPDATE SET halted = excluded.halted, reason = excluded.reason, ts = excluded.ts, ` +
        `source = excluded.source
       WHERE excluded.ts >= halt_state.ts`,
    ),
    insertAlert: db.prepare(
      'INSERT OR IGNORE INTO alerts (ts, level, code, message) VALUES (@ts, @level, @code, @message)',
    ),
    insertSignal: db.prepare(
      `INSERT OR IGNORE INTO signals (ts, candle_ts, kind, side, action, blocked_by, close, strategy, readings)
       VALUES (@ts, @candleTs, @kind, @side, @action, @blockedBy, @close, @strategy, @readings)`,
    ),
    // A candle re-sent with other values (a corrected bar) replaces the stored one; an identical one
    // writes nothing at all (no dirty page).
    upsertCandle: db.prepare(
      `INSERT INTO candles (instrument_key, ts, open, high, low, close, volume)
       VALUES (@instrumentKey, @ts, @open, @high, @low, @close, @volume)
       ON CONFLICT (instrument_key, ts) DO UPDATE SET open = excluded.open, high = excluded.high, low = excluded.low,
         close = excluded.close, volume = excluded.volume
       WHERE (candles.open, candles.high, candles.low, candles.close, candles.volume)
         IS NOT (excluded.open, excluded.high, excluded.low, excluded.close, excluded.volume)`,
    ),
    upsertCheckpoint: db.prepare(
      `INSERT INTO checkpoints (name, ts, data) VALUES (@name, @ts, @data)
       ON CONFLICT (name) DO UPDATE SET ts = excluded.ts, data = excluded.data`,
    ),
  };
}

export class EventWriter {
  private readonly sql: ReturnType<typeof prepareStatements>;

  constructor(db: Database.Database) {
    this.sql = prepareStatements(db);
  }

  apply(event: EngineEvent): void {
    switch (event.type) {
      case 'entry':
        return this.entry(event);
      case 'exit':
        return this.exit(event);
      case 'position':
        return this.positionUpdate(event);
      case 'order_cancelled':
        this.sql.insertOrder.run({
          key: cancelledOrderKey(event.ts, event.side, event.kind),
          tradeId: null,
          kind: event.kind,
          side: event.side,
          instrumentKey: null,
          quantity: null,
          ts: event.ts,
          status: 'cancelled',
          reason: event.reason,
        });
        return;
      case 'halt':
        this.sql.insertHalt.run({ ts: event.ts, kind: 'halt', source: event.source, reason: event.reason });
        this.sql.setHaltState.run({ halted: 1, reason: event.reason, ts: event.ts, source: event.source });
        return;
      case 'resume':
        this.sql.insertHalt.run({ ts: event.ts, kind: 'resume', source: event.source, reason: null });
        this.sql.setHaltState.run({ halted: 0, reason: null, ts: event.ts, source: event.source });
        return;
      case 'alert':
        this.sql.insertAlert.run({ ts: event.ts, level: event.level, code: event.code, message: event.message });
        return;
      case 'signal':
        this.sql.insertSignal.run({
          ts: event.ts,
          candleTs: event.candleTs,
          kind: event.kind,
          side: event.side,
          action: event.action,
          blockedBy: event.blockedBy === undefined ? null : JSON.stringify(event.blockedBy),
          close: event.close,
          strategy: event.strategy,
          readings: JSON.stringify(event.readings),
        });
        return;
      case 'candle': {
        const c = event.candle;
        this.sql.upsertCandle.run({
          instrumentKey: event.instrumentKey,
          ts: c.ts,
          open: c.open,
          high: c.high,
          low: c.low,
          close: c.close,
          volume: c.volume,
        });
        return;
      }
      default: {
        const unknown = event as { type?: unknown };
        throw new LedgerWriteError(
          `ledger cannot store an event of type ${JSON.stringify(unknown?.type)}`,
          null,
          'invalid_data',
        );
      }
    }
  }

  checkpoint(name: string, ts: number, data: string): void {
    this.sql.upsertCheckpoint.run({ name, ts, data });
  }

  private entry(event: EntryEvent): void {
    const p = event.position;
    this.order(
      entryOrderKey(p.tradeId),
      p.tradeId,
      'entry',
      p.side,
      p.instrumentKey,
      p.quantity,
      p.entryTime,
      null,
      p.entryPrice,
    );
    this.sql.openPosition.run(positionParams(p, event.ts));
  }

  private exit(event: ExitEvent): void {
    const t = event.trade;
    this.order(
      exitOrderKey(t.tradeId),
      t.tradeId,
      'exit',
      t.side,
      t.instrumentKey,
      t.quantity,
      t.exitTime,
      t.reason,
      t.exitPrice,
    );
    // the trades row: the trade's own fields, its charges by kind, their total (better-sqlite3 binds only the named
    // parameters)
    // Without a strategy on the event (a position from an old checkpoint), the open position's row says which.
    const s = event.strategy ? strategyColumns(event.strategy) : this.positionStrategy(t.tradeId);
    this.sql.insertTrade.run({ ...t, ...t.chargeBreakdown, chargesTotal: t.chargeBreakdown.total, ...s });
    this.sql.deletePosition.run(t.tradeId);
  }

  private positionStrategy(tradeId: number): ReturnType<typeof strategyColumns> {
    const row = this.sql.positionStrategy.get(tradeId) as
      | { strategy: string | null; strategy_params: string | null }
      | undefined;
    if (!row?.strategy) return strategyColumns(undefined);
    return {
      strategy: row.strategy,
      strategyParams: row.strategy_params,
      strategyHash: row.strategy_params ? strategyHash(row.strategy, row.strategy_params) : null,
    };
  }

  private positionUpdate(event: PositionUpdateEvent): void {
    this.sql.upsertPosition.run(positionParams(event.position, event.ts));
  }

  /** Records a filled order and its fill; refuses a trade id that already names a different order. */
  private order(
    key: string,
    tradeId: number,
    kind: 'entry' | 'exit',
    side: string,
    instrumentKey: string,
    quantity: number,
    ts: number,
    reason: string | null,
    price: number,
  ): void {
    const inserted =
      this.sql.insertOrder.run({ key, tradeId, kind, side, instrumentKey, quantity, ts, status: 'filled', reason })
        .changes > 0;
    if (!inserted) {
      const storedTs = this.sql.orderTs.get(key) as number | undefined;
      if (storedTs !== ts) {
        throw new LedgerWriteError(
          `trade id ${tradeId} is already in the ledger with a different ${kind} time (${storedTs} ≠ ${ts}); ` +
            `the engine must never reuse a trade id (continue numbering from Ledger.maxTradeId())`,
          null,
          'invalid_data',
        );
      }
      return;
    }
    this.sql.insertFill.run({ key, tradeId, ts, price, quantity });
  }
}

function positionParams(p: OpenPosition, updatedTs: number): Record<string, unknown> {
  return {
    tradeId: p.tradeId,
    side: p.side,
    instrumentKey: p.instrumentKey,
    quantity: p.quantity,
    entryTime: p.entryTime,
    entryPrice: p.entryPrice,
    sl: p.sl,
    tp1: p.tp1,
    tp1Hit: p.tp1Hit ? 1 : 0,
    ltp: p.ltp,
    signalCandleTs: p.signalCandleTs,
    updatedTs,
    strategy: p.strategy?.name ?? null,
    strategyParams: p.strategy ? canonicalParamsJson(p.strategy.params) : null,
  };
}
