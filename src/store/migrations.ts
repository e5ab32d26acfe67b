/**
 * Numbered schema migrations. `PRAGMA user_version` is the authoritative version (it lives in the
 * database header and changes inside the same transaction as the migration); `schema_version`
 * keeps a readable history. Never edit a released migration: append a new one.
 */
import type Database from 'better-sqlite3';
import type { Logger } from '../log.js';

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'ledger: orders, fills, trades, positions, halts, alerts, signals, candles, checkpoints',
    sql: `
      CREATE TABLE schema_version (
        version     INTEGER PRIMARY KEY,
        description TEXT    NOT NULL,
        applied_at  INTEGER NOT NULL
      );

      -- One row per order. key: 'T<tradeId>:entry', 'T<tradeId>:exit', or 'C<ts>:<side>:<kind>' for a
      -- cancelled order (it never got a trade id).
      CREATE TABLE orders (
        key            TEXT    PRIMARY KEY,
        trade_id       INTEGER,
        kind           TEXT    NOT NULL CHECK (kind IN ('entry', 'exit')),
        side           TEXT    NOT NULL CHECK (side IN ('CE', 'PE')),
        instrument_key TEXT,
        quantity       INTEGER,
        ts             INTEGER NOT NULL,
        status         TEXT    NOT NULL CHECK (status IN ('filled', 'cancelled')),
        reason         TEXT
      ) WITHOUT ROWID;
      CREATE INDEX orders_by_trade ON orders (trade_id);

      CREATE TABLE fills (
        order_key      TEXT    PRIMARY KEY REFERENCES orders (key),
        trade_id       INTEGER NOT NULL,
        ts             INTEGER NOT NULL,
        price          REAL    NOT NULL,
        quantity       INTEGER NOT NULL
      ) WITHOUT ROWID;

      -- Closed round trips (ClosedTrade), keyed by the engine's trade id.
      CREATE TABLE trades (
        trade_id       INTEGER PRIMARY KEY,
        day            TEXT    NOT NULL,
        side           TEXT    NOT NULL CHECK (side IN ('CE', 'PE')),
        instrument_key TEXT    NOT NULL,
        strike         REAL    NOT NULL,
        expiry         TEXT    NOT NULL,
        quantity       INTEGER NOT NULL,
        entry_time     INTEGER NOT NULL,
        entry_price    REAL    NOT NULL,
        exit_time      INTEGER NOT NULL,
        exit_price     REAL    NOT NULL,
        reason         TEXT    NOT NULL,
        points         REAL    NOT NULL,
        gross_pnl      REAL    NOT NULL,
        charges        REAL    NOT NULL,
        net_pnl        REAL    NOT NULL,
        brokerage      REAL    NOT NULL,
        stt            REAL    NOT NULL,
        exchange       REAL    NOT NULL,
        sebi           REAL    NOT NULL,
        stamp          REAL    NOT NULL,
        gst            REAL    NOT NULL,
        charges_total  REAL    NOT NULL,
        slippage_cost  REAL    NOT NULL
      );
      CREATE INDEX trades_by_day ON trades (day, entry_time);

      -- Open positions (normally zero or one), removed when their trade closes.
      CREATE TABLE positions (
        trade_id         INTEGER PRIMARY KEY,
        side             TEXT    NOT NULL CHECK (side IN ('CE', 'PE')),
        instrument_key   TEXT    NOT NULL,
        quantity         INTEGER NOT NULL,
        entry_time       INTEGER NOT NULL,
        entry_price      REAL    NOT NULL,
        sl               REAL    NOT NULL,
        tp1              REAL    NOT NULL,
        tp1_hit          INTEGER NOT NULL CHECK (tp1_hit IN (0, 1)),
        ltp              REAL    NOT NULL,
        signal_candle_ts INTEGER NOT NULL,
        updated_ts       INTEGER NOT NULL
      );

      -- Halt / resume history, and the current state in a single row (id = 1).
      CREATE TABLE halts (
        ts     INTEGER NOT NULL,
        kind   TEXT    NOT NULL CHECK (kind IN ('halt', 'resume')),
        source TEXT    NOT NULL,
        reason TEXT,
        PRIMARY KEY (ts, kind, source)
      ) WITHOUT ROWID;
      CREATE TABLE halt_state (
        id     INTEGER PRIMARY KEY CHECK (id = 1),
        halted INTEGER NOT NULL CHECK (halted IN (0, 1)),
        reason TEXT,
        ts     INTEGER NOT NULL,
        source TEXT    NOT NULL
      );

      CREATE TABLE alerts (
        id      INTEGER PRIMARY KEY,
        ts      INTEGER NOT NULL,
        level   TEXT    NOT NULL CHECK (level IN ('info', 'warn', 'error')),
        code    TEXT    NOT NULL,
        message TEXT    NOT NULL,
        UNIQUE (ts, code, message)
      );

      CREATE TABLE signals (
        ts         INTEGER NOT NULL,
        candle_ts  INTEGER NOT NULL,
        kind       TEXT    NOT NULL CHECK (kind IN ('entry', 'reversal')),
        side       TEXT    NOT NULL CHECK (side IN ('CE', 'PE')),
        action     TEXT    NOT NULL CHECK (action IN ('taken', 'blocked')),
        blocked_by TEXT,
        close      REAL    NOT NULL,
        ema        REAL    NOT NULL,
        hist       REAL    NOT NULL,
        chop       REAL    NOT NULL,
        PRIMARY KEY (candle_ts, kind, side, ts, action)
      ) WITHOUT ROWID;

      -- 5-minute candles (index and options). WITHOUT ROWID: the primary key is the table, no second b-tree.
      CREATE TABLE candles (
        instrument_key TEXT    NOT NULL,
        ts             INTEGER NOT NULL,
        open           REAL    NOT NULL,
        high           REAL    NOT NULL,
        low            REAL    NOT NULL,
        close          REAL    NOT NULL,
        volume         REAL    NOT NULL,
        PRIMARY KEY (instrument_key, ts)
      ) WITHOUT ROWID;

      -- Engine state after the last committed batch: one JSON row per engine.
      CREATE TABLE checkpoints (
        name TEXT    PRIMARY KEY,
        ts   INTEGER NOT NULL,
        data TEXT    NOT NULL
      );
    `,
  },
  {
    version: 2,
    description:
      'mqtt_announced: retained Home Assistant discovery configs the box published, so it can remove them later',
    sql: `
      -- One row per retained topic the box announced (the HA device config, its state/availability),
      -- removed once an empty retained message has cleared it (discovery off, device id changed).
      CREATE TABLE mqtt_announced (
        topic        TEXT    PRIMARY KEY,
        device_id    TEXT    NOT NULL,
        kind         TEXT    NOT NULL CHECK (kind IN ('discovery', 'retained')),
        announced_at INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    description:
      "official candles: Upstox's own 5-minute candles the box fetched (warm-up history, the after-close check)",
    sql: `
      -- Upstox's candles beside the box's tick-built ones in candles: export and verify prefer these.
      CREATE TABLE official_candles (
        instrument_key TEXT    NOT NULL,
        ts             INTEGER NOT NULL,
        open           REAL    NOT NULL,
        high           REAL    NOT NULL,
        low            REAL    NOT NULL,
        close          REAL    NOT NULL,
        volume         REAL    NOT NULL,
        fetched_at     INTEGER NOT NULL,
        PRIMARY KEY (instrument_key, ts)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    description:
      'strategies: each trade and open position records its strategy and ' +
      'parameters; signals carry the strategy and its readings as JSON',
    sql:
      `
      -- The strategy (strategies.md) and every parameter, as canonical JSON, with its SHA-256 (a run's
      -- identity). Trades before this migration were all V25's; their parameters were not recorded.
      ALTER TABLE trades ADD COLUMN strategy TEXT;
      ALTER TABLE trades ADD COLUMN strategy_params TEXT;
      ALTER TABLE trades ADD COLUMN strategy_hash TEXT;
      UPDATE trades SET strategy = 'v25';
      ALTER TABLE positions ADD COLUMN strategy TEXT;
      ALTER TABLE positions ADD COLUMN strategy_params TEXT;
      UPDATE positions SET strategy = 'v25';

      -- Signals: V25's ema/hist/chop columns become the deciding strategy's readings (JSON).
      CREATE TABLE signals_v4 (
        ts         INTEGER NOT NULL,
        candle_ts  INTEGER NOT NULL,
        kind       TEXT    NOT NULL CHECK (kind IN ('entry', 'reversal')),
        side       TEXT    NOT NULL CHECK (side IN ('CE', 'PE')),
        action     TEXT    NOT NULL CHECK (action IN ('taken', 'blocked')),
        blocked_by TEXT,
        close      REAL    NOT NULL,
        strategy   TEXT    NOT NULL,
        readings   TEXT    NOT NULL,
        PRIMARY KEY (candle_ts, kind, side, ts, action)
      ) WITHOUT ROWID;
      INSERT INTO signals_v4 (ts, candle_ts, kind, side, action, blocked_by, close, strategy, readings)
        SELECT ts, candle_ts, kind, side, action, blocked_by, close, 'v25', ` +
      `json_object('close', close, 'ema', ema, 'hist', hist, 'chop', chop) FROM signals;
      DROP TABLE signals;
      ALTER TABLE signals_v4 RENAME TO signals;
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export function schemaVersionOf(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the schema to LATEST_SCHEMA_VERSION inside ONE immediate transaction (takes the write lock
 * up front, so a locked database is reported at open time, not at the first trade).
 * Returns the versions applied. Throws if the file is newer than this code.
 */
export function migrate(db: Database.Database, log: Logger, now: number): number[] {
  const run = db.transaction(() => {
    const current = schemaVersionOf(db);
    if (current > LATEST_SCHEMA_VERSION) throw new SchemaTooNewError(current);
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.description,
        now,
      );
      db.pragma(`user_version = ${m.version}`);
      applied.push(m.version);
    }
    return applied;
  });
  const applied = run.immediate();
  if (applied.length > 0) log.info('ledger: schema migrated', { from: applied[0]! - 1, to: LATEST_SCHEMA_VERSION });
  return applied;
}

export class SchemaTooNewError extends Error {
  constructor(readonly found: number) {
    super(`schema version ${found} is newer than this niftybox knows (${LATEST_SCHEMA_VERSION})`);
  }
}
