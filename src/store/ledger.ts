/**
 * The paper-trading ledger: one SQLite file that the app writes before it announces anything.
 *
 *   const ledger = Ledger.open(file, { log });            // the appliance (single writer, locked)
 *   ledger.commit(events, { ts, data: engine.checkpoint() });   // one transaction per batch
 *   const ro = Ledger.open(file, { log, readonly: true }); // `niftybox report`, alongside the appliance
 *
 * Commits are idempotent (natural keys), so the app may replay the batch it was committing when it
 * died. A failed commit throws LedgerWriteError and leaves nothing of the batch on disk.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import type {
  AlertEvent,
  AlertLevel,
  EngineEvent,
  HaltEvent,
  HaltSource,
  ResumeEvent,
  SignalEvent,
} from '../core/events.js';
import type { Candle, ChargeBreakdown, ClosedTrade, ExitReason, OpenPosition, Side } from '../core/types.js';
import type { Logger } from '../log.js';
import { writeBackup } from './backups.js';
import { assertIntact, configureReader, configureWriter, fileKind, openFailure } from './connection.js';
import { LedgerError, LedgerWriteError, classifyWriteFailure, errorMessage, sqliteCode } from './errors.js';
import { EventWriter } from './event-writer.js';
import { LATEST_SCHEMA_VERSION, SchemaTooNewError, migrate, schemaVersionOf } from './migrations.js';
import { WriterLock } from './lock.js';

export { LedgerError, LedgerWriteError } from './errors.js';
export type { LedgerErrorKind } from './errors.js';
export type { LedgerWriteFailure } from './errors.js';

export interface LedgerOptions {
  log: Logger;
  /** Open for reading only: no lock, no migrations, commit() refused. Works while the appliance runs. */
  readonly?: boolean;
  /** How long to wait for a lock held by another program before failing. Default 2000 ms. */
  busyTimeoutMs?: number;
  /** Name of the checkpoint row (one per engine). Default "engine". */
  checkpointName?: string;
  /**
   * Run SQLite's quick_check when opening (reads the whole file once): a damaged file fails now, with what to do.
   * Default true.
   */
  verifyOnOpen?: boolean;
}

export interface Checkpoint {
  ts: number;
  data: unknown;
}

export interface HaltState {
  halted: boolean;
  reason: string | null;
  ts: number | null;
  source: string | null;
}

/** An order with its fill (orders of cancelled entries have no trade id, instrument, price or fill). */
export interface LedgerOrder {
  key: string;
  tradeId: number | null;
  kind: 'entry' | 'exit';
  side: Side;
  instrumentKey: string | null;
  quantity: number | null;
  ts: number;
  status: 'filled' | 'cancelled';
  reason: string | null;
  fillPrice: number | null;
  fillTs: number | null;
}

export interface LedgerCounts {
  orders: number;
  fills: number;
  trades: number;
  positions: number;
  halts: number;
  alerts: number;
  signals: number;
  candles: number;
  checkpoints: number;
}

/** A retained MQTT message the box published and will clear when it no longer applies. */
export interface MqttAnnouncement {
  topic: string;
  deviceId: string;
  kind: 'discovery' | 'retained';
  announcedAt: number;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export class Ledger {
  private readonly writer: EventWriter | null;
  private readonly commitTx: Database.Transaction<
    (events: readonly EngineEvent[], checkpoint: { ts: number; data: string } | null) => void
  > | null;
  private readonly checkpointName: string;
  private closed = false;

  private constructor(
    private readonly db: Database.Database,
    /** Absolute path of the ledger file. */
    readonly file: string,
    readonly readonly: boolean,
    private readonly lock: WriterLock | null,
    private readonly log: Logger,
    checkpointName: string,
  ) {
    this.checkpointName = checkpointName;
    if (readonly) {
      this.writer = null;
      this.commitTx = null;
    } else {
      const writer = new EventWriter(db);
      this.writer = writer;
      this.commitTx = db.transaction(
        (events: readonly EngineEvent[], checkpoint: { ts: number; data: string } | null) => {
          for (const event of events) writer.apply(event);
          if (checkpoint) writer.checkpoint(this.checkpointName, checkpoint.ts, checkpoint.data);
        },
      );
    }
  }

  static open(file: string, opts: LedgerOptions): Ledger {
    const abs = path.resolve(file);
    const log = opts.log;
    const timeout = opts.busyTimeoutMs ?? 2000;
    const checkpointName = opts.checkpointName ?? 'engine';
    if (opts.readonly) return Ledger.openReadonly(abs, log, timeout, checkpointName, opts.verifyOnOpen !== false);

    try {
      fs.mkdirSync(path.dirname(abs), { recursive: true });
    } catch (err) {
      throw new LedgerError(
        `Cannot create the ledger directory ${path.dirname(abs)}: ` +
          `${errorMessage(err)}. Check that this user may write there.`,
        'io',
      );
    }
    const kind = fileKind(abs);
    const lock = WriterLock.acquire(abs, log);
    let db: Database.Database | null = null;
    try {
      db = new Database(abs, { timeout });
      // Check before changing anything: a damaged ledger is reported, never "repaired" by a pragma.
      // The first read fails with SQLITE_NOTADB on a file that is not SQLite; nothing is written to it.
      if (kind === 'present') {
        if (opts.verifyOnOpen === false) schemaVersionOf(db);
        else assertIntact(db, abs);
      }
      configureWriter(db);
      const applied = migrate(db, log, Date.now());
      const ledger = new Ledger(db, abs, false, lock, log, checkpointName);
      log.info('ledger: open', {
        file: abs,
        schemaVersion: LATEST_SCHEMA_VERSION,
        created: kind !== 'present',
        migrations: applied,
      });
      return ledger;
    } catch (err) {
      db?.close();
      lock.release();
      if (err instanceof SchemaTooNewError) throw tooNewError(abs, err.found);
      throw openFailure(abs, err);
    }
  }

  private static openReadonly(
    abs: string,
    log: Logger,
    timeout: number,
    checkpointName: string,
    verify: boolean,
  ): Ledger {
    const kind = fileKind(abs);
    if (kind === 'missing' || kind === 'empty') {
      throw new LedgerError(
        `No ledger at ${abs} yet: the appliance creates it on its first run ` +
          `(niftybox run). Check NIFTYBOX_DB / the config's path.`,
        'missing',
      );
    }
    let db: Database.Database | null = null;
    try {
      db = new Database(abs, { readonly: true, fileMustExist: true, timeout });
      configureReader(db);
      if (verify) assertIntact(db, abs);
      const version = schemaVersionOf(db);
      if (version > LATEST_SCHEMA_VERSION) throw tooNewError(abs, version);
      if (version < LATEST_SCHEMA_VERSION) {
        throw new LedgerError(
          `Ledger ${abs} has schema version ${version}, this niftybox reads version ${LATEST_SCHEMA_VERSION}. ` +
            `Start the appliance once (niftybox run) to upgrade it, then read it again.`,
          'schema',
        );
      }
      const ledger = new Ledger(db, abs, true, null, log, checkpointName);
      log.debug('ledger: open read-only', { file: abs });
      return ledger;
    } catch (err) {
      db?.close();
      throw openFailure(abs, err);
    }
  }

  /**
   * Writes a batch of engine events and the engine checkpoint in ONE transaction, then returns:
   * when it returns, the batch survives a crash or a power cut. Replaying a committed batch changes
   * nothing. On failure nothing of the batch is stored and a LedgerWriteError says why.
   */
  commit(events: readonly EngineEvent[], checkpoint: Checkpoint | null): void {
    this.assertOpen();
    if (!this.commitTx) throw new LedgerError(`Ledger ${this.file} is open read-only; it cannot commit.`, 'usage');
    let cp: { ts: number; data: string } | null = null;
    if (checkpoint) {
      let data: string | undefined;
      try {
        data = JSON.stringify(checkpoint.data);
      } catch (err) {
        throw new LedgerWriteError(
          `engine checkpoint is not JSON-serialisable: ${errorMessage(err)}`,
          null,
          'invalid_data',
        );
      }
      if (data === undefined)
        throw new LedgerWriteError('engine checkpoint data is undefined (nothing to store)', null, 'invalid_data');
      cp = { ts: checkpoint.ts, data };
    }
    try {
      this.commitTx.immediate(events, cp);
    } catch (err) {
      if (err instanceof LedgerWriteError) throw err;
      const code = sqliteCode(err);
      const failure = classifyWriteFailure(code);
      const advice =
        failure === 'disk_full'
          ? ' The disk is full: free space on the SD card.'
          : failure === 'io'
            ? ' The storage reported an I/O error: the SD card may be failing.'
            : failure === 'busy'
              ? ' Another program holds a lock on the ledger.'
              : '';
      this.log.error('ledger: commit failed; nothing of the batch was stored', {
        file: this.file,
        code,
        failure,
        events: events.length,
        error: errorMessage(err),
      });
      throw new LedgerWriteError(
        `Ledger ${this.file}: commit of ${events.length} event(s) failed: ${errorMessage(err)}.${advice}`,
        code,
        failure,
      );
    }
  }

  loadCheckpoint(): Checkpoint | null {
    const row = this.db.prepare('SELECT ts, data FROM checkpoints WHERE name = ?').get(this.checkpointName) as
      | { ts: number; data: string }
      | undefined;
    if (!row) return null;
    try {
      return { ts: row.ts, data: JSON.parse(row.data) as unknown };
    } catch (err) {
      throw new LedgerError(
        `Ledger ${this.file}: the stored engine checkpoint is not valid JSON (${errorMessage(err)}).`,
        'corrupt',
      );
    }
  }

  /** Closed trades ordered by entry time; from/to are trading days (YYYY-MM-DD, IST), inclusive. */
  trades(opts: { from?: string; to?: string } = {}): ClosedTrade[] {
    for (const d of [opts.from, opts.to]) {
      if (d !== undefined && !DATE.test(d)) throw new LedgerError(`bad date "${d}": expected YYYY-MM-DD`, 'usage');
    }
    const rows = this.db
      .prepare(
        `SELECT * FROM trades WHERE (@from IS NULL OR day >= @from) AND (@to IS ` +
          `NULL OR day <= @to) ORDER BY entry_time, trade_id`,
      )
      .all({ from: opts.from ?? null, to: opts.to ?? null }) as TradeRow[];
    return rows.map(tradeFromRow);
  }

  /** The open position (the newest, should there ever be more than one), or null when flat. */
  openPosition(): OpenPosition | null {
    const row = this.db.prepare('SELECT * FROM positions ORDER BY entry_time DESC, trade_id DESC LIMIT 1').get() as
      | PositionRow
      | undefined;
    return row ? positionFromRow(row) : null;
  }

  haltState(): HaltState {
    const row = this.db.prepare('SELECT halted, reason, ts, source FROM halt_state WHERE id = 1').get() as
      | { halted: number; reason: string | null; ts: number; source: string }
      | undefined;
    if (!row) return { halted: false, reason: null, ts: null, source: null };
    return { halted: row.halted === 1, reason: row.reason, ts: row.ts, source: row.source };
  }

  /** Halt and resume events, oldest first. */
  haltHistory(): (HaltEvent | ResumeEvent)[] {
    const rows = this.db.prepare('SELECT ts, kind, source, reason FROM halts ORDER BY ts, kind DESC').all() as {
      ts: number;
      kind: 'halt' | 'resume';
      source: HaltSource;
      reason: string | null;
    }[];
    return rows.map((r) =>
      r.kind === 'halt'
        ? { type: 'halt', ts: r.ts, reason: r.reason ?? '', source: r.source }
        : { type: 'resume', ts: r.ts, source: r.source },
    );
  }

  /** Candles of one instrument with fromTs ≤ ts ≤ toTs, ascending. */
  candles(instrumentKey: string, fromTs: number, toTs: number): Candle[] {
    return this.db
      .prepare(
        'SELECT ts, open, high, low, close, volume FROM candles WHERE ' +
          'instrument_key = ? AND ts BETWEEN ? AND ? ORDER BY ts',
      )
      .all(instrumentKey, fromTs, toTs) as Candle[];
  }

  /** Upstox's official candles of one instrument with fromTs ≤ ts ≤ toTs, ascending (see recordOfficialCandles). */
  officialCandles(instrumentKey: string, fromTs: number, toTs: number): Candle[] {
    return this.db
      .prepare(
        'SELECT ts, open, high, low, close, volume FROM official_candles WHERE ' +
          'instrument_key = ? AND ts BETWEEN ? AND ? ORDER BY ts',
      )
      .all(instrumentKey, fromTs, toTs) as Candle[];
  }

  /**
   * Stores Upstox's own candles (history or intraday) beside the tick-built ones; a re-fetched candle replaces the
   * stored one.
   */
  recordOfficialCandles(instrumentKey: string, candles: readonly Candle[], fetchedAt: number): void {
    this.assertOpen();
    if (this.readonly)
      throw new LedgerError(`Ledger ${this.file} is open read-only; it cannot store candles.`, 'usage');
    const put = this.db.prepare(
      'INSERT OR REPLACE INTO official_candles (instrument_key, ts, open, high, ' +
        'low, close, volume, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      for (const c of candles) put.run(instrumentKey, c.ts, c.open, c.high, c.low, c.close, c.volume, fetchedAt);
    })();
  }

  /** Instrument keys with candles (tick-built or official) in fromTs ≤ ts ≤ toTs. */
  candleKeys(fromTs: number, toTs: number): string[] {
    return this.db
      .prepare(
        'SELECT instrument_key FROM candles WHERE ts BETWEEN @a AND @b UNION ' +
          'SELECT instrument_key FROM official_candles WHERE ts BETWEEN @a AND @b ' +
          'ORDER BY 1',
      )
      .pluck()
      .all({ a: fromTs, b: toTs }) as string[];
  }

  /** IST dates (YYYY-MM-DD) on which an instrument has candles, ascending. */
  candleDays(instrumentKey: string): string[] {
    return this.db
      .prepare("SELECT DISTINCT date(ts / 1000 + 19800, 'unixepoch') FROM candles WHERE instrument_key = ? ORDER BY 1")
      .pluck()
      .all(instrumentKey) as string[];
  }

  lastCandleTs(instrumentKey: string): number | null {
    const ts = this.db.prepare('SELECT MAX(ts) FROM candles WHERE instrument_key = ?').pluck().get(instrumentKey) as
      | number
      | null;
    return ts ?? null;
  }

  /** Retention: deletes candles and alerts older than the given epoch ms; returns how many rows went. */
  prune(opts: { candlesBefore?: number; alertsBefore?: number }): { candles: number; alerts: number } {
    const candles =
      opts.candlesBefore === undefined
        ? 0
        : this.db.prepare('DELETE FROM candles WHERE ts < ?').run(opts.candlesBefore).changes;
    const alerts =
      opts.alertsBefore === undefined
        ? 0
        : this.db.prepare('DELETE FROM alerts WHERE ts < ?').run(opts.alertsBefore).changes;
    return { candles, alerts };
  }

  /** The newest `limit` alerts, newest first. */
  alerts(limit = 50): AlertEvent[] {
    const rows = this.db
      .prepare('SELECT ts, level, code, message FROM alerts ORDER BY ts DESC, id DESC LIMIT ?')
      .all(limit) as {
      ts: number;
      level: AlertLevel;
      code: string;
      message: string;
    }[];
    return rows.map((r) => ({
      type: 'alert',
      ts: r.ts,
      level: r.level,
      code: r.code as AlertEvent['code'],
      message: r.message,
    }));
  }

  /** Signals with fromTs ≤ ts ≤ toTs (default: all), oldest first. */
  signals(fromTs = Number.MIN_SAFE_INTEGER, toTs = Number.MAX_SAFE_INTEGER): SignalEvent[] {
    const rows = this.db
      .prepare('SELECT * FROM signals WHERE ts BETWEEN ? AND ? ORDER BY ts, candle_ts, kind, side')
      .all(fromTs, toTs) as SignalRow[];
    return rows.map(signalFromRow);
  }

  /** Orders with their fills, oldest first; only those of one trade when tradeId is given. */
  orders(tradeId?: number): LedgerOrder[] {
    const rows = this.db
      .prepare(
        `SELECT o.key, o.trade_id, o.kind, o.side, o.instrument_key, o.quantity, o.ts, o.status, o.reason, ` +
          `f.price AS fill_price, f.ts AS fill_ts
         FROM orders o LEFT JOIN fills f ON f.order_key = o.key
         WHERE (@tradeId IS NULL OR o.trade_id = @tradeId) ORDER BY o.ts, o.key`,
      )
      .all({ tradeId: tradeId ?? null }) as OrderRow[];
    return rows.map((r) => ({
      key: r.key,
      tradeId: r.trade_id,
      kind: r.kind,
      side: r.side,
      instrumentKey: r.instrument_key,
      quantity: r.quantity,
      ts: r.ts,
      status: r.status,
      reason: r.reason,
      fillPrice: r.fill_price,
      fillTs: r.fill_ts,
    }));
  }

  /** The highest trade id ever stored (closed, open or ordered), so the engine can continue numbering. */
  maxTradeId(): number | null {
    const id = this.db
      .prepare(
        'SELECT MAX(id) FROM (SELECT MAX(trade_id) AS id FROM trades UNION ALL ' +
          'SELECT MAX(trade_id) FROM positions UNION ALL SELECT MAX(trade_id) FROM ' +
          'orders)',
      )
      .pluck()
      .get() as number | null;
    return id ?? null;
  }

  counts(): LedgerCounts {
    const count = (table: string) => this.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
    return {
      orders: count('orders'),
      fills: count('fills'),
      trades: count('trades'),
      positions: count('positions'),
      halts: count('halts'),
      alerts: count('alerts'),
      signals: count('signals'),
      candles: count('candles'),
      checkpoints: count('checkpoints'),
    };
  }

  get schemaVersion(): number {
    return schemaVersionOf(this.db);
  }

  /** SQLite's full integrity check (for `niftybox doctor`): [] when sound, else the problems found. */
  integrityProblems(): string[] {
    const rows = this.db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
  }

  /** Net P&L (after charges) of every closed trade in the ledger: the all-time figure MQTT publishes. */
  allTimeNetPnl(): number {
    this.assertOpen();
    return (this.db.prepare('SELECT COALESCE(SUM(net_pnl), 0) FROM trades').pluck().get() as number) ?? 0;
  }

  /** Retained MQTT topics the box announced and has not cleared yet (see src/mqtt/announcements.ts). */
  mqttAnnounced(): MqttAnnouncement[] {
    this.assertOpen();
    const rows = this.db
      .prepare('SELECT topic, device_id, kind, announced_at FROM mqtt_announced ORDER BY topic')
      .all() as {
      topic: string;
      device_id: string;
      kind: MqttAnnouncement['kind'];
      announced_at: number;
    }[];
    return rows.map((r) => ({ topic: r.topic, deviceId: r.device_id, kind: r.kind, announcedAt: r.announced_at }));
  }

  /** Remembers announced topics, all in one transaction (one fsync however many). */
  rememberMqttAnnounced(list: readonly MqttAnnouncement[]): void {
    this.assertWritable();
    if (list.length === 0) return;
    const upsert = this.db.prepare(
      'INSERT INTO mqtt_announced (topic, device_id, kind, announced_at) VALUES ' +
        '(?, ?, ?, ?) ON CONFLICT (topic) DO UPDATE SET device_id = ' +
        'excluded.device_id, kind = excluded.kind, announced_at = ' +
        'excluded.announced_at',
    );
    this.db.transaction(() => {
      for (const a of list) upsert.run(a.topic, a.deviceId, a.kind, a.announcedAt);
    })();
  }

  forgetMqttAnnounced(topic: string): void {
    this.assertWritable();
    this.db.prepare('DELETE FROM mqtt_announced WHERE topic = ?').run(topic);
  }

  private assertWritable(): void {
    this.assertOpen();
    if (this.readonly)
      throw new LedgerError(`Ledger ${this.file} is open read-only; it cannot record MQTT announcements.`, 'usage');
  }

  /** An online backup into `file` (see backups.ts); the ledger stays usable while it is made. */
  backup(file: string): Promise<void> {
    this.assertOpen();
    return writeBackup(this.db, file);
  }

  /** Closes the file and releases the writer lock. The WAL is checkpointed and removed by SQLite. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.db.close();
    } finally {
      this.lock?.release();
    }
    this.log.debug('ledger: closed', { file: this.file });
  }

  private assertOpen(): void {
    if (this.closed) throw new LedgerError(`Ledger ${this.file} is closed.`, 'usage');
  }
}

function tooNewError(file: string, found: number): LedgerError {
  return new LedgerError(
    `Ledger ${file} has schema version ${found}, newer than this niftybox understands (${LATEST_SCHEMA_VERSION}). ` +
      `It was written by a newer release: upgrade niftybox, or point NIFTYBOX_DB at another file.`,
    'schema',
  );
}

/** A trades row: one column per charge kind (named as the kind), their total in charges_total. */
interface TradeRow extends Omit<ChargeBreakdown, 'total'> {
  trade_id: number;
  day: string;
  side: Side;
  instrument_key: string;
  strike: number;
  expiry: string;
  quantity: number;
  entry_time: number;
  entry_price: number;
  exit_time: number;
  exit_price: number;
  reason: ExitReason;
  points: number;
  gross_pnl: number;
  charges: number;
  net_pnl: number;
  charges_total: number;
  slippage_cost: number;
  strategy: string | null;
  strategy_params: string | null;
  strategy_hash: string | null;
}

function tradeFromRow(r: TradeRow): ClosedTrade {
  return {
    tradeId: r.trade_id,
    day: r.day,
    side: r.side,
    instrumentKey: r.instrument_key,
    strike: r.strike,
    expiry: r.expiry,
    quantity: r.quantity,
    entryTime: r.entry_time,
    entryPrice: r.entry_price,
    exitTime: r.exit_time,
    exitPrice: r.exit_price,
    reason: r.reason,
    points: r.points,
    grossPnl: r.gross_pnl,
    charges: r.charges,
    netPnl: r.net_pnl,
    chargeBreakdown: {
      brokerage: r.brokerage,
      stt: r.stt,
      exchange: r.exchange,
      sebi: r.sebi,
      stamp: r.stamp,
      gst: r.gst,
      total: r.charges_total,
    },
    slippageCost: r.slippage_cost,
    ...(r.strategy
      ? {
          strategy: {
            name: r.strategy,
            params: r.strategy_params ? (JSON.parse(r.strategy_params) as Record<string, unknown>) : null,
            hash: r.strategy_hash,
          },
        }
      : {}),
  };
}

interface PositionRow {
  trade_id: number;
  side: Side;
  instrument_key: string;
  quantity: number;
  entry_time: number;
  entry_price: number;
  sl: number;
  tp1: number;
  tp1_hit: number;
  ltp: number;
  signal_candle_ts: number;
  strategy: string | null;
  strategy_params: string | null;
}

function positionFromRow(r: PositionRow): OpenPosition {
  return {
    tradeId: r.trade_id,
    side: r.side,
    instrumentKey: r.instrument_key,
    quantity: r.quantity,
    entryTime: r.entry_time,
    entryPrice: r.entry_price,
    sl: r.sl,
    tp1: r.tp1,
    tp1Hit: r.tp1_hit === 1,
    ltp: r.ltp,
    signalCandleTs: r.signal_candle_ts,
    ...(r.strategy && r.strategy_params
      ? { strategy: { name: r.strategy, params: JSON.parse(r.strategy_params) as Record<string, unknown> } }
      : {}),
  };
}

interface SignalRow {
  ts: number;
  candle_ts: number;
  kind: 'entry' | 'reversal';
  side: Side;
  action: 'taken' | 'blocked';
  blocked_by: string | null;
  close: number;
  strategy: string;
  readings: string;
}

function signalFromRow(r: SignalRow): SignalEvent {
  const s: SignalEvent = {
    type: 'signal',
    ts: r.ts,
    candleTs: r.candle_ts,
    kind: r.kind,
    side: r.side,
    action: r.action,
    close: r.close,
    strategy: r.strategy,
    readings: JSON.parse(r.readings) as Record<string, number>,
  };
  if (r.blocked_by !== null) s.blockedBy = JSON.parse(r.blocked_by) as string[];
  return s;
}

interface OrderRow {
  key: string;
  trade_id: number | null;
  kind: 'entry' | 'exit';
  side: Side;
  instrument_key: string | null;
  quantity: number | null;
  ts: number;
  status: 'filled' | 'cancelled';
  reason: string | null;
  fill_price: number | null;
  fill_ts: number | null;
}
