#!/usr/bin/env node
// Bench of the SQLite ledger: simulates full trading sessions of commits, as the app makes them, and
// prints the bytes written (DB + WAL sizes, /proc/self/io deltas) and the time per commit.
//
//   npm run build && node scripts/bench-store.mjs [--sessions 5] [--checkpoint-bytes 16384] [--dir /var/lib/niftybox]
// [--keep]
//
// One session = 75 five-minute buckets (09:15–15:25 IST). Per bucket one batch: the index candle,
// the CE and PE candles, a signal every third bucket, the entries of that bucket, and the engine
// checkpoint. Ten trades per session: each entry commits with its bucket; its TP1 move (half of
// them) and its exit commit as their own batches (tick-driven). Six alerts and a halt/resume.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ledger } from '../dist/store/ledger.js';

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const SESSIONS = Number(arg('sessions', '5'));
const CHECKPOINT_BYTES = Number(arg('checkpoint-bytes', '16384'));
const baseDir = arg('dir', os.tmpdir());
const keep = args.includes('--keep');

const dir = fs.mkdtempSync(path.join(baseDir, 'niftybox-bench-store-'));
const file = path.join(dir, 'ledger.db');
const log = { debug() {}, info() {}, warn() {}, error: (m, f) => console.error(m, f), child: () => log };

const INDEX = 'NSE_INDEX|Nifty 50';
const BUCKET = 300_000;

function procIo() {
  try {
    const text = fs.readFileSync('/proc/self/io', 'utf8');
    const get = (k) => Number(new RegExp(`^${k}: (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    return { wchar: get('wchar'), writeBytes: get('write_bytes') };
  } catch {
    return null;
  }
}
const size = (f) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
const mb = (n) => (n / 1024 / 1024).toFixed(2) + ' MiB';

/** An engine checkpoint of about CHECKPOINT_BYTES of JSON (indicator state + recent candles). */
function checkpointData(bucketTs, tradeId) {
  const candles = [];
  let json = 0;
  for (let k = 0; json < CHECKPOINT_BYTES - 400; k++) {
    const c = {
      ts: bucketTs - k * BUCKET,
      open: 24500.05 + k,
      high: 24512.4 + k,
      low: 24493.15 + k,
      close: 24503.3 + k,
      volume: 0,
    };
    candles.push(c);
    json += JSON.stringify(c).length + 1;
  }
  return {
    version: 1,
    lastBucket: bucketTs,
    nextTradeId: tradeId,
    ema: 24490.1234567,
    macd: { fast: 24501.12345, slow: 24495.6789, signal: 3.4567 },
    chop: 42.123456,
    candles,
  };
}

function candle(instrumentKey, ts, base) {
  return {
    type: 'candle',
    ts: ts + BUCKET,
    instrumentKey,
    candle: { ts, open: base, high: base + 12.4, low: base - 7.15, close: base + 3.3, volume: 123_456 },
  };
}

function trade(tradeId, day, p, exitTime, exitPrice) {
  const points = exitPrice - p.entryPrice;
  const b = { brokerage: 40, stt: 8.77, exchange: 7.6, sebi: 0.016, stamp: 0.228, gst: 8.6, total: 65.214 };
  return {
    tradeId,
    day,
    side: p.side,
    instrumentKey: p.instrumentKey,
    strike: 24550,
    expiry: '2025-06-05',
    quantity: 75,
    entryTime: p.entryTime,
    entryPrice: p.entryPrice,
    exitTime,
    exitPrice,
    reason: points > 0 ? 'LOCK_SL' : 'SL',
    points,
    grossPnl: points * 75,
    charges: b.total,
    netPnl: points * 75 - b.total,
    chargeBreakdown: b,
    slippageCost: 7.5,
  };
}

const ledger = Ledger.open(file, { log });
const times = [];
let tradeId = 1;
const perSession = [];
let walMax = 0;

for (let s = 0; s < SESSIONS; s++) {
  const day = new Date(Date.UTC(2025, 5, 2 + s)).toISOString().slice(0, 10);
  const open = Date.parse(`${day}T03:45:00Z`);
  const CE = `NSE_FO|${41000 + s * 2}`;
  const PE = `NSE_FO|${41001 + s * 2}`;
  const io0 = procIo();
  const db0 = size(file) + size(`${file}-wal`);
  let commits = 0;
  let position = null;
  let tradesToday = 0;
  const commit = (events, ts) => {
    const t0 = process.hrtime.bigint();
    ledger.commit(events, { ts, data: checkpointData(ts, tradeId) });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    commits++;
    walMax = Math.max(walMax, size(`${file}-wal`));
  };
  for (let b = 0; b < 75; b++) {
    const ts = open + b * BUCKET;
    const events = [candle(INDEX, ts, 24500 + b), candle(CE, ts, 100 + b / 10), candle(PE, ts, 95 - b / 10)];
    if (b % 3 === 0)
      events.push({
        type: 'signal',
        ts: ts + BUCKET,
        candleTs: ts,
        kind: 'entry',
        side: b % 2 ? 'CE' : 'PE',
        action: b % 7 === 3 ? 'taken' : 'blocked',
        blockedBy: b % 7 === 3 ? undefined : ['CHOP'],
        close: 24503.3,
        strategy: 'v25',
        readings: { close: 24503.3, ema: 24490.1, hist: 1.2, chop: 44.4 },
      });
    if (b % 12 === 5)
      events.push({
        type: 'alert',
        ts: ts + BUCKET,
        level: 'warn',
        code: 'STALE_FEED',
        message: `no tick for 30 s (${b})`,
      });
    if (b === 40) events.push({ type: 'halt', ts: ts + BUCKET, reason: 'button', source: 'button' });
    if (b === 42) events.push({ type: 'resume', ts: ts + BUCKET, source: 'button' });
    if (!position && tradesToday < 10 && b % 7 === 2) {
      position = {
        tradeId: tradeId++,
        side: b % 2 ? 'CE' : 'PE',
        instrumentKey: b % 2 ? CE : PE,
        quantity: 75,
        entryTime: ts + BUCKET + 500,
        entryPrice: 101.35,
        sl: 86.35,
        tp1: 121.35,
        tp1Hit: false,
        ltp: 101.35,
        signalCandleTs: ts,
      };
      events.push({
        type: 'signal',
        ts: ts + BUCKET,
        candleTs: ts,
        kind: 'entry',
        side: position.side,
        action: 'taken',
        close: 24503.3,
        strategy: 'v25',
        readings: { close: 24503.3, ema: 24490.1, hist: 1.2, chop: 44.4 },
      });
      events.push({ type: 'entry', ts: ts + BUCKET + 500, position });
      tradesToday++;
    }
    commit(events, ts + BUCKET);
    if (position && b % 7 === 3 && position.tradeId % 2 === 0) {
      position = { ...position, tp1Hit: true, sl: position.entryPrice + 13, ltp: 121.5 };
      commit([{ type: 'position', ts: ts + BUCKET + 90_000, position, change: 'TP1' }], ts + BUCKET + 90_000);
    }
    if (position && b % 7 === 5) {
      const exitTime = ts + BUCKET + 140_000;
      commit(
        [
          {
            type: 'exit',
            ts: exitTime,
            trade: trade(position.tradeId, day, position, exitTime, 101.35 + ((position.tradeId * 7) % 30) - 10),
          },
        ],
        exitTime,
      );
      position = null;
    }
  }
  const io1 = procIo();
  perSession.push({
    day,
    commits,
    trades: tradesToday,
    wcharBytes: io0 && io1 ? io1.wchar - io0.wchar : NaN,
    blockWriteBytes: io0 && io1 ? io1.writeBytes - io0.writeBytes : NaN,
    dbPlusWalGrowth: size(file) + size(`${file}-wal`) - db0,
  });
}

const dbSize = size(file);
const walSize = size(`${file}-wal`);
const counts = ledger.counts();
ledger.close();
const sorted = [...times].sort((a, b) => a - b);
const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))].toFixed(2);

console.log(`ledger bench: ${SESSIONS} session(s), checkpoint ≈ ${CHECKPOINT_BYTES} B JSON, ${file}`);
console.log(`filesystem: ${dir} (synchronous=FULL: one fsync of the WAL per commit)`);
console.log('per session:');
for (const r of perSession) {
  console.log(
    `  ${r.day}: ${r.commits} commits, ${r.trades} trades, written ${mb(r.wcharBytes)} (write syscalls), ` +
      `${mb(r.blockWriteBytes)} (/proc/self/io write_bytes), DB+WAL grew ${mb(r.dbPlusWalGrowth)}`,
  );
}
const avg = (k) => perSession.reduce((a, r) => a + r[k], 0) / perSession.length;
console.log(
  `average per session: ${mb(avg('wcharBytes'))} written by write syscalls, ` +
    `${mb(avg('blockWriteBytes'))} write_bytes (target < 20 MiB)`,
);
console.log(
  `files before close: DB ${mb(dbSize)}, WAL ${mb(walSize)} (largest WAL ` +
    `seen ${mb(walMax)}); after close: DB ${mb(size(file))}, WAL ${mb(size(`${file}-wal`))}`,
);
console.log(
  `commit time (ms): mean ${(times.reduce((a, b) => a + b, 0) / times.length).toFixed(2)},` +
    ` p50 ${pct(50)}, p90 ${pct(90)}, p99 ${pct(99)}, max ${sorted[sorted.length - 1].toFixed(2)} ` +
    `over ${times.length} commits`,
);
console.log(`rows: ${JSON.stringify(counts)}`);
if (!keep) fs.rmSync(dir, { recursive: true, force: true });
