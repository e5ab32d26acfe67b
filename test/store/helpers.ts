import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EngineEvent } from '../../src/core/events.js';
import type { ClosedTrade, OpenPosition } from '../../src/core/types.js';
import type { Logger } from '../../src/log.js';

export interface CapturedLog extends Logger {
  lines: { level: string; msg: string; fields?: Record<string, unknown> }[];
}

/** A logger that keeps what it is told, for assertions. */
export function captureLog(): CapturedLog {
  const lines: CapturedLog['lines'] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    void lines.push({ level, msg, fields });
  const log: CapturedLog = {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => log,
  };
  return log;
}

const tempDirs: string[] = [];

/** A fresh directory under the OS temp dir; removeTempDirs() deletes them all (call it in afterAll). */
export function tempDir(prefix = 'niftybox-store-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export const DAY = '2025-06-02';
/** 2025-06-02 09:15 IST. */
export const OPEN_TS = Date.parse('2025-06-02T03:45:00Z');
export const CE_KEY = 'NSE_FO|41234';
export const PE_KEY = 'NSE_FO|41235';

export function position(tradeId: number, over: Partial<OpenPosition> = {}): OpenPosition {
  return {
    tradeId,
    side: 'CE',
    instrumentKey: CE_KEY,
    quantity: 75,
    entryTime: OPEN_TS + tradeId * 600_000 + 1_234,
    entryPrice: 101.35,
    sl: 86.35,
    tp1: 121.35,
    tp1Hit: false,
    ltp: 101.85,
    signalCandleTs: OPEN_TS + tradeId * 600_000 - 300_000,
    ...over,
  };
}

export function closedTrade(tradeId: number, over: Partial<ClosedTrade> = {}): ClosedTrade {
  const p = position(tradeId);
  return {
    tradeId,
    day: DAY,
    side: p.side,
    instrumentKey: p.instrumentKey,
    strike: 24550,
    expiry: '2025-06-05',
    quantity: p.quantity,
    entryTime: p.entryTime,
    entryPrice: p.entryPrice,
    exitTime: p.entryTime + 1_500_000 + 17,
    exitPrice: 117.05,
    reason: 'LOCK_SL',
    points: 15.700000000000003,
    grossPnl: 1177.5000000000002,
    charges: 61.83729999999999,
    netPnl: 1115.6627000000003,
    chargeBreakdown: {
      brokerage: 40,
      stt: 8.7787,
      exchange: 7.6011,
      sebi: 0.0164,
      stamp: 0.228,
      gst: 5.213159999999999,
      total: 61.83729999999999,
    },
    slippageCost: 7.5,
    ...over,
  };
}

export function candleEvent(instrumentKey: string, ts: number, base = 24500): EngineEvent {
  return {
    type: 'candle',
    ts: ts + 300_000,
    instrumentKey,
    candle: { ts, open: base + 0.05, high: base + 12.4, low: base - 7.15, close: base + 3.3, volume: 12_345 },
  };
}

/** One of every event type, in a plausible order. */
export function everyEventType(): EngineEvent[] {
  const p = position(1);
  const tp1 = { ...p, tp1Hit: true, sl: p.entryPrice + 13, ltp: 122.1 };
  const trade = closedTrade(1);
  return [
    candleEvent('NSE_INDEX|Nifty 50', OPEN_TS),
    candleEvent(CE_KEY, OPEN_TS, 101),
    {
      type: 'signal',
      ts: OPEN_TS + 300_000,
      candleTs: OPEN_TS,
      kind: 'entry',
      side: 'CE',
      action: 'taken',
      close: 24503.3,
      strategy: 'v25',
      readings: { ema: 24490.12, hist: 1.25, chop: 38.2 },
    },
    {
      type: 'signal',
      ts: OPEN_TS + 300_000,
      candleTs: OPEN_TS,
      kind: 'entry',
      side: 'PE',
      action: 'blocked',
      blockedBy: ['CHOP', 'MAX_TRADES'],
      close: 24503.3,
      strategy: 'v25',
      readings: { ema: 24490.12, hist: -0.5, chop: 61.7 },
    },
    { type: 'entry', ts: p.entryTime, position: p },
    { type: 'position', ts: p.entryTime + 60_000, position: tp1, change: 'TP1' },
    { type: 'order_cancelled', ts: OPEN_TS + 900_000, side: 'PE', kind: 'entry', reason: 'NO_NEXT_CANDLE' },
    { type: 'alert', ts: OPEN_TS + 910_000, level: 'warn', code: 'STALE_FEED', message: 'no tick for 30 s' },
    { type: 'halt', ts: OPEN_TS + 920_000, reason: 'red button', source: 'button' },
    { type: 'exit', ts: trade.exitTime, trade },
    { type: 'resume', ts: OPEN_TS + 2_000_000, source: 'cli' },
  ];
}

/** The child-process fixtures import the compiled ledger: fail clearly when it was not built. */
export function requireBuiltLedger(): void {
  const built = new URL('../../dist/store/ledger.js', import.meta.url);
  if (!fs.existsSync(built))
    throw new Error(`${built.pathname} is missing: run "npm run build" first (npm test does it for you)`);
}
