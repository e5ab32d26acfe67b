import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/core/events.js';
import { Ledger, LedgerError, LedgerWriteError } from '../../src/store/ledger.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../src/store/migrations.js';
import { CACHE_KIB } from '../../src/store/connection.js';
import {
  CE_KEY,
  DAY,
  OPEN_TS,
  PE_KEY,
  candleEvent,
  captureLog,
  closedTrade,
  everyEventType,
  position,
  removeTempDirs,
  tempDir,
} from './helpers.js';

const open: Ledger[] = [];
function openLedger(file: string, opts: { readonly?: boolean; busyTimeoutMs?: number } = {}): Ledger {
  const l = Ledger.open(file, { log: captureLog(), ...opts });
  open.push(l);
  return l;
}
afterEach(() => {
  while (open.length) open.pop()!.close();
});

function dbOf(ledger: Ledger): Database.Database {
  return (ledger as unknown as { db: Database.Database }).db;
}

afterAll(removeTempDirs);

describe('Ledger.open', () => {
  it('creates the directory and a WAL-mode file with the latest schema', () => {
    const file = path.join(tempDir(), 'nested', 'deeper', 'ledger.db');
    const ledger = openLedger(file);
    expect(fs.existsSync(file)).toBe(true);
    expect(ledger.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    const db = dbOf(ledger);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('cache_size', { simple: true })).toBe(-CACHE_KIB); // a bounded page cache (issue 25)
    expect(CACHE_KIB).toBeLessThanOrEqual(512);
    expect(db.prepare('SELECT version FROM schema_version').pluck().all()).toEqual(MIGRATIONS.map((m) => m.version));
    expect(ledger.counts()).toEqual({
      orders: 0,
      fills: 0,
      trades: 0,
      positions: 0,
      halts: 0,
      alerts: 0,
      signals: 0,
      candles: 0,
      checkpoints: 0,
    });
    expect(ledger.haltState()).toEqual({ halted: false, reason: null, ts: null, source: null });
    expect(ledger.openPosition()).toBeNull();
    expect(ledger.loadCheckpoint()).toBeNull();
    expect(ledger.maxTradeId()).toBeNull();
  });

  it('reopens an existing ledger without migrating again, keeping its data', () => {
    const file = path.join(tempDir(), 'ledger.db');
    const a = Ledger.open(file, { log: captureLog() });
    a.commit(everyEventType(), { ts: 1, data: { n: 1 } });
    a.close();
    const log = captureLog();
    const b = Ledger.open(file, { log });
    open.push(b);
    expect(b.counts().trades).toBe(1);
    expect(log.lines.find((l) => l.msg === 'ledger: open')?.fields?.migrations).toEqual([]);
  });

  it('refuses a file that is not SQLite, naming it and leaving it untouched', () => {
    const file = path.join(tempDir(), 'ledger.db');
    const garbage = Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919 + 13) % 256));
    fs.writeFileSync(file, garbage);
    for (const readonly of [false, true]) {
      const err = catchError(() => Ledger.open(file, { log: captureLog(), readonly }));
      expect(err).toBeInstanceOf(LedgerError);
      expect((err as LedgerError).kind).toBe('corrupt');
      expect(err.message).toContain(file);
      expect(err.message).toMatch(/not a readable SQLite database/);
      expect(err.message).toMatch(/mv ".*ledger\.db" ".*ledger\.db\.damaged"/);
    }
    expect(fs.readFileSync(file).equals(garbage)).toBe(true);
    expect(fs.existsSync(`${file}-wal`)).toBe(false);

    const tiny = path.join(path.dirname(file), 'tiny.db');
    fs.writeFileSync(tiny, 'not a db\n');
    expect(() => Ledger.open(tiny, { log: captureLog() })).toThrow(/tiny\.db is not a readable SQLite database/);
    expect(fs.readFileSync(tiny, 'utf8')).toBe('not a db\n');
  });

  it('refuses a SQLite file with damaged pages, leaving it untouched', () => {
    const file = path.join(tempDir(), 'ledger.db');
    const a = Ledger.open(file, { log: captureLog() });
    const events: EngineEvent[] = [];
    for (let i = 0; i < 2000; i++) events.push(candleEvent(CE_KEY, OPEN_TS + i * 300_000, 100 + i));
    a.commit(events, null);
    a.close(); // last connection: the WAL is checkpointed into the file and removed
    const bytes = fs.readFileSync(file);
    expect(bytes.length).toBeGreaterThan(10 * 4096);
    // damage the last three pages (candle leaves): the schema still reads, only a check finds it
    for (let i = bytes.length - 3 * 4096; i < bytes.length; i++) bytes[i] = (i * 31) % 251;
    fs.writeFileSync(file, bytes);
    const err = catchError(() => Ledger.open(file, { log: captureLog() }));
    expect(err).toBeInstanceOf(LedgerError);
    expect((err as LedgerError).kind).toBe('corrupt');
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/not a readable SQLite database/);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    // without the check on open it would have started on the damaged file
    Ledger.open(file, { log: captureLog(), verifyOnOpen: false }).close();
  });

  it('reports a database locked by another program instead of hanging', () => {
    const file = path.join(tempDir(), 'ledger.db');
    Ledger.open(file, { log: captureLog() }).close();
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    try {
      const err = catchError(() => Ledger.open(file, { log: captureLog(), busyTimeoutMs: 50 }));
      expect(err).toBeInstanceOf(LedgerError);
      expect(err.message).toMatch(/locked by another program/);
      expect((err as LedgerError).kind).toBe('locked');
      expect(err.message).toContain(file);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    openLedger(file); // and it opens once the other program lets go
  });

  it('refuses a second writer in the same process; a read-only open works alongside', () => {
    const file = path.join(tempDir(), 'ledger.db');
    const writer = openLedger(file);
    writer.commit([candleEvent(CE_KEY, OPEN_TS)], null);
    const err = catchError(() => Ledger.open(file, { log: captureLog() }));
    expect(err).toBeInstanceOf(LedgerError);
    expect(err.message).toMatch(new RegExp(`already open for writing by process ${process.pid}`));
    expect((err as LedgerError).kind).toBe('in_use');
    const reader = openLedger(file, { readonly: true });
    expect(reader.candles(CE_KEY, 0, Number.MAX_SAFE_INTEGER)).toHaveLength(1);
    writer.commit([candleEvent(CE_KEY, OPEN_TS + 300_000)], null);
    expect(reader.candles(CE_KEY, 0, Number.MAX_SAFE_INTEGER)).toHaveLength(2); // sees new commits
    expect(() => reader.commit([], null)).toThrow(/read-only/);
    // the refused attempt must not have broken the first writer's lock
    expect(() => Ledger.open(file, { log: captureLog() })).toThrow(/already open for writing/);
  });

  it('read-only: a missing file and a schema newer than the code are clear errors', () => {
    const dir = tempDir();
    const missing = catchError(() => Ledger.open(path.join(dir, 'none.db'), { log: captureLog(), readonly: true }));
    expect(missing.message).toMatch(/No ledger at .*none\.db yet/);
    expect((missing as LedgerError).kind).toBe('missing');
    const file = path.join(dir, 'ledger.db');
    Ledger.open(file, { log: captureLog() }).close();
    const raw = new Database(file);
    raw.pragma('user_version = 99');
    raw.close();
    for (const readonly of [false, true]) {
      const err = catchError(() => Ledger.open(file, { log: captureLog(), readonly }));
      expect(err.message).toMatch(/schema version 99, newer than this niftybox/);
      expect((err as LedgerError).kind).toBe('schema');
    }
  });
});

describe('Ledger.commit', () => {
  it('round-trips every event type', () => {
    const ledger = openLedger(path.join(tempDir(), 'ledger.db'));
    const events = everyEventType();
    ledger.commit(events, {
      ts: OPEN_TS + 2_000_000,
      data: { lastBucket: OPEN_TS, nested: { ema: 24490.123456789, list: [1, null, 'x'] } },
    });

    const trade = closedTrade(1);
    expect(ledger.trades()).toEqual([trade]);
    expect(ledger.openPosition()).toBeNull(); // opened, TP1 moved, then closed
    expect(ledger.maxTradeId()).toBe(1);
    const orders = ledger.orders();
    expect(orders).toEqual([
      {
        key: 'T1:entry',
        tradeId: 1,
        kind: 'entry',
        side: 'CE',
        instrumentKey: CE_KEY,
        quantity: 75,
        ts: trade.entryTime,
        status: 'filled',
        reason: null,
        fillPrice: trade.entryPrice,
        fillTs: trade.entryTime,
      },
      {
        key: `C${OPEN_TS + 900_000}:PE:entry`,
        tradeId: null,
        kind: 'entry',
        side: 'PE',
        instrumentKey: null,
        quantity: null,
        ts: OPEN_TS + 900_000,
        status: 'cancelled',
        reason: 'NO_NEXT_CANDLE',
        fillPrice: null,
        fillTs: null,
      },
      {
        key: 'T1:exit',
        tradeId: 1,
        kind: 'exit',
        side: 'CE',
        instrumentKey: CE_KEY,
        quantity: 75,
        ts: trade.exitTime,
        status: 'filled',
        reason: 'LOCK_SL',
        fillPrice: trade.exitPrice,
        fillTs: trade.exitTime,
      },
    ]);
    expect(ledger.signals()).toEqual(events.filter((e) => e.type === 'signal'));
    expect(ledger.alerts(10)).toEqual(events.filter((e) => e.type === 'alert'));
    expect(ledger.haltHistory()).toEqual(events.filter((e) => e.type === 'halt' || e.type === 'resume'));
    expect(ledger.haltState()).toEqual({ halted: false, reason: null, ts: OPEN_TS + 2_000_000, source: 'cli' });
    const candles = events.filter((e) => e.type === 'candle');
    expect(ledger.candles('NSE_INDEX|Nifty 50', 0, Number.MAX_SAFE_INTEGER)).toEqual([candles[0]!.candle]);
    expect(ledger.candles(CE_KEY, OPEN_TS, OPEN_TS)).toEqual([candles[1]!.candle]);
    expect(ledger.lastCandleTs(CE_KEY)).toBe(OPEN_TS);
    expect(ledger.lastCandleTs(PE_KEY)).toBeNull();
    expect(ledger.loadCheckpoint()).toEqual({
      ts: OPEN_TS + 2_000_000,
      data: { lastBucket: OPEN_TS, nested: { ema: 24490.123456789, list: [1, null, 'x'] } },
    });
    expect(ledger.counts()).toEqual({
      orders: 3,
      fills: 2,
      trades: 1,
      positions: 0,
      halts: 2,
      alerts: 1,
      signals: 2,
      candles: 2,
      checkpoints: 1,
    });
  });

  it('keeps an open position with its TP1 update, and the halt state across a reopen', () => {
    const file = path.join(tempDir(), 'ledger.db');
    const a = Ledger.open(file, { log: captureLog() });
    const p = position(7, { side: 'PE', instrumentKey: PE_KEY });
    a.commit([{ type: 'entry', ts: p.entryTime, position: p }], null);
    expect(a.openPosition()).toEqual(p);
    const moved = { ...p, tp1Hit: true, sl: p.entryPrice + 8, ltp: 130.4 };
    a.commit(
      [
        { type: 'position', ts: p.entryTime + 5_000, position: moved, change: 'TP1' },
        { type: 'halt', ts: p.entryTime + 6_000, reason: 'daily loss limit', source: 'guard' },
      ],
      null,
    );
    a.close();
    const b = openLedger(file, { readonly: true });
    expect(b.openPosition()).toEqual(moved);
    expect(b.haltState()).toEqual({
      halted: true,
      reason: 'daily loss limit',
      ts: p.entryTime + 6_000,
      source: 'guard',
    });
    expect(b.maxTradeId()).toBe(7);
  });

  it('filters trades by IST trading day, inclusive, ordered by entry time', () => {
    const ledger = openLedger(path.join(tempDir(), 'ledger.db'));
    const t = (id: number, day: string, entryTime: number) =>
      closedTrade(id, { day, entryTime, exitTime: entryTime + 60_000 });
    const trades = [
      t(3, '2025-06-03', 3_000),
      t(1, '2025-06-02', 2_000),
      t(2, '2025-06-02', 1_000),
      t(4, '2025-06-04', 4_000),
    ];
    ledger.commit(
      trades.map((trade) => ({ type: 'exit', ts: trade.exitTime, trade })),
      null,
    );
    expect(ledger.trades().map((x) => x.tradeId)).toEqual([2, 1, 3, 4]);
    expect(ledger.trades({ from: '2025-06-02', to: '2025-06-02' }).map((x) => x.tradeId)).toEqual([2, 1]);
    expect(ledger.trades({ from: '2025-06-03' }).map((x) => x.tradeId)).toEqual([3, 4]);
    expect(ledger.trades({ to: '2025-06-03' }).map((x) => x.tradeId)).toEqual([2, 1, 3]);
    expect(() => ledger.trades({ from: '2/6/2025' })).toThrow(/expected YYYY-MM-DD/);
  });

  it('is atomic: a batch that fails half-way leaves nothing behind, checkpoint included', () => {
    const ledger = openLedger(path.join(tempDir(), 'ledger.db'));
    ledger.commit([candleEvent(CE_KEY, OPEN_TS)], { ts: 1, data: { v: 1 } });
    const before = ledger.counts();
    const bad = candleEvent(PE_KEY, OPEN_TS);
    if (bad.type === 'candle') bad.candle.close = Number.NaN; // binds as NULL: NOT NULL constraint fails
    const trade = closedTrade(2);
    const batch: EngineEvent[] = [
      candleEvent(CE_KEY, OPEN_TS + 300_000),
      { type: 'exit', ts: trade.exitTime, trade },
      { type: 'halt', ts: 5, reason: 'x', source: 'cli' },
      bad,
      { type: 'alert', ts: 6, level: 'error', code: 'DISK', message: 'never stored' },
    ];
    const err = catchError(() => ledger.commit(batch, { ts: 2, data: { v: 2 } }));
    expect(err).toBeInstanceOf(LedgerWriteError);
    expect((err as LedgerWriteError).failure).toBe('invalid_data');
    expect(ledger.counts()).toEqual(before);
    expect(ledger.loadCheckpoint()).toEqual({ ts: 1, data: { v: 1 } });
    expect(ledger.haltState().halted).toBe(false);

    const unknown = [candleEvent(CE_KEY, OPEN_TS + 600_000), { type: 'mystery', ts: 1 } as unknown as EngineEvent];
    expect(() => ledger.commit(unknown, null)).toThrow(/cannot store an event of type "mystery"/);
    expect(ledger.counts()).toEqual(before);
    expect(() => ledger.commit([], { ts: 3, data: undefined })).toThrow(LedgerWriteError);
    expect(ledger.loadCheckpoint()).toEqual({ ts: 1, data: { v: 1 } });
  });

  it('is idempotent: committing the same batch twice leaves one copy', () => {
    const ledger = openLedger(path.join(tempDir(), 'ledger.db'));
    const events = everyEventType();
    ledger.commit(events, { ts: 9, data: { n: 9 } });
    const once = snapshot(ledger);
    ledger.commit(events, { ts: 9, data: { n: 9 } });
    expect(snapshot(ledger)).toEqual(once);
    // and batch by batch, replaying each one (crash before the app learnt the commit returned)
    const other = openLedger(path.join(tempDir(), 'ledger.db'));
    for (const e of events) {
      other.commit([e], null);
      other.commit([e], null);
    }
    other.commit([], { ts: 9, data: { n: 9 } });
    expect(snapshot(other)).toEqual(once);
  });

  it('a replayed older batch does not undo later state (closed position, TP1, resume)', () => {
    const ledger = openLedger(path.join(tempDir(), 'ledger.db'));
    const p = position(4);
    const entry: EngineEvent[] = [{ type: 'entry', ts: p.entryTime, position: p }];
    const moved = { ...p, tp1Hit: true, sl: p.entryPrice + 13 };
    ledger.commit(entry, null);
    ledger.commit([{ type: 'position', ts: p.entryTime + 1, position: moved, change: 'TP1' }], null);
    ledger.commit(entry, null);
    expect(ledger.openPosition()).toEqual(moved);
    const trade = closedTrade(4);
    ledger.commit([{ type: 'exit', ts: trade.exitTime, trade }], null);
    ledger.commit(entry, null);
    ledger.commit([{ type: 'position', ts: p.entryTime + 1, position: moved, change: 'TP1' }], null);
    expect(ledger.openPosition()).toBeNull();

    const halt: EngineEvent = { type: 'halt', ts: 100, reason: 'button', source: 'button' };
    ledger.commit([halt], null);
    ledger.commit([{ type: 'resume', ts: 200, source: 'mqtt' }], null);
    ledger.commit([halt], null);
    expect(ledger.haltState()).toEqual({ halted: false, reason: null, ts: 200, source: 'mqtt' });
    expect(ledger.haltHistory()).toHaveLength(2);
  });

  it('replaces a corrected candle, keeps one row per (instrument, ts)', () => {
    const ledger = openLedger(path.join(tempDir(), 'ledger.db'));
    ledger.commit([candleEvent(CE_KEY, OPEN_TS, 100), candleEvent(CE_KEY, OPEN_TS + 300_000, 101)], null);
    ledger.commit([candleEvent(CE_KEY, OPEN_TS, 100.5)], null);
    expect(ledger.candles(CE_KEY, 0, Number.MAX_SAFE_INTEGER).map((c) => c.open)).toEqual([100.55, 101.05]);
    expect(ledger.candles(CE_KEY, OPEN_TS + 1, OPEN_TS + 300_000)).toHaveLength(1);
    expect(ledger.lastCandleTs(CE_KEY)).toBe(OPEN_TS + 300_000);
  });

  it('refuses a trade id reused for a different trade, storing nothing of that batch', () => {
    const ledger = openLedger(path.join(tempDir(), 'ledger.db'));
    const p = position(1);
    ledger.commit([{ type: 'entry', ts: p.entryTime, position: p }], null);
    const other = position(1, { entryTime: p.entryTime + 86_400_000 });
    const err = catchError(() =>
      ledger.commit([candleEvent(CE_KEY, OPEN_TS), { type: 'entry', ts: other.entryTime, position: other }], null),
    );
    expect(err).toBeInstanceOf(LedgerWriteError);
    expect(err.message).toMatch(/trade id 1 is already in the ledger/);
    expect(ledger.counts().candles).toBe(0);
  });

  it('disk full: throws LedgerWriteError(disk_full), stores nothing, and works again once space is back', () => {
    const ledger = openLedger(path.join(tempDir(), 'ledger.db'));
    ledger.commit([candleEvent(CE_KEY, OPEN_TS)], { ts: 1, data: { v: 1 } });
    const db = dbOf(ledger);
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`); // the file may not grow: SQLite reports SQLITE_FULL
    const batch: EngineEvent[] = [];
    for (let i = 1; i <= 500; i++) batch.push(candleEvent(PE_KEY, OPEN_TS + i * 300_000));
    const err = catchError(() => ledger.commit(batch, { ts: 2, data: { v: 2, pad: 'x'.repeat(20_000) } }));
    expect(err).toBeInstanceOf(LedgerWriteError);
    expect((err as LedgerWriteError).code).toBe('SQLITE_FULL');
    expect((err as LedgerWriteError).failure).toBe('disk_full');
    expect(err.message).toMatch(/disk is full/);
    expect(ledger.counts().candles).toBe(1);
    expect(ledger.loadCheckpoint()).toEqual({ ts: 1, data: { v: 1 } });
    db.pragma('max_page_count = 1073741823');
    ledger.commit(batch, { ts: 2, data: { v: 2 } });
    expect(ledger.counts().candles).toBe(501);
  });

  it('returns the newest alerts first, up to the limit', () => {
    const ledger = openLedger(path.join(tempDir(), 'ledger.db'));
    const alerts: EngineEvent[] = [3, 1, 2].map((n) => ({
      type: 'alert',
      ts: n * 1000,
      level: 'info',
      code: 'FEED_DOWN',
      message: `alert ${n}`,
    }));
    ledger.commit(alerts, null);
    expect(ledger.alerts(2).map((a) => a.message)).toEqual(['alert 3', 'alert 2']);
    expect(ledger.alerts().map((a) => a.message)).toEqual(['alert 3', 'alert 2', 'alert 1']);
  });

  it('refuses to commit after close', () => {
    const ledger = Ledger.open(path.join(tempDir(), 'ledger.db'), { log: captureLog() });
    ledger.close();
    expect(() => ledger.commit([], null)).toThrow(/is closed/);
  });
});

function snapshot(ledger: Ledger) {
  return {
    trades: ledger.trades(),
    orders: ledger.orders(),
    signals: ledger.signals(),
    alerts: ledger.alerts(1000),
    halts: ledger.haltHistory(),
    halt: ledger.haltState(),
    position: ledger.openPosition(),
    candles: ledger.candles(CE_KEY, 0, Number.MAX_SAFE_INTEGER),
    checkpoint: ledger.loadCheckpoint(),
    counts: ledger.counts(),
  };
}

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error, none was thrown');
}

void DAY;

describe('migration 4 (strategies): a ledger from before opens and reports as before', () => {
  it(
    "keeps the trades (recorded as V25's, parameters unknown) and turns the " + "signals' ema/hist/chop into readings",
    () => {
      const file = path.join(tempDir(), 'v3.db');
      const raw = new Database(file);
      for (const m of MIGRATIONS.filter((x) => x.version <= 3)) {
        raw.exec(m.sql);
        raw
          .prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, 0)')
          .run(m.version, m.description);
      }
      raw.pragma('user_version = 3');
      raw
        .prepare(
          `INSERT INTO trades VALUES (1, '2025-06-02', 'CE', 'NSE_FO|1', 24500, ` +
            `'2025-06-05', 75, 1000, 120.5, 2000, 135.5, 'LOCK_SL', 15, 1125, 61.2, ` +
            `1063.8, 40, 5, 4, 0.01, 0.3, 11.89, 61.2, 0)`,
        )
        .run();
      raw
        .prepare(`INSERT INTO signals VALUES (900, 600, 'entry', 'CE', 'taken', NULL, 24503.3, 24490.12, 1.25, 38.2)`)
        .run();
      raw.close();

      const ledger = openLedger(file);
      expect(ledger.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
      const [t] = ledger.trades();
      expect(t).toMatchObject({
        tradeId: 1,
        side: 'CE',
        entryPrice: 120.5,
        exitPrice: 135.5,
        reason: 'LOCK_SL',
        netPnl: 1063.8,
        strategy: { name: 'v25', params: null, hash: null },
      });
      expect(ledger.signals()).toEqual([
        {
          type: 'signal',
          ts: 900,
          candleTs: 600,
          kind: 'entry',
          side: 'CE',
          action: 'taken',
          close: 24503.3,
          strategy: 'v25',
          readings: { close: 24503.3, ema: 24490.12, hist: 1.25, chop: 38.2 },
        },
      ]);
    },
  );
});
