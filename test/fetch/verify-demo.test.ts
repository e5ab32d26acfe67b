/**
 * A demo session through the built CLI (fake exchange, real ledger, real Mosquitto), then `export` and
 * `verify` of that day: the live trades agree with the backtest of the day's official candles, the daily
 * report and the retained MQTT state carry the verdict, and a difference planted in the ledger is
 * reported (what differs) with a non-zero exit.
 */
import Database from 'better-sqlite3';
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasMosquitto, Mosquitto, NO_MOSQUITTO_REASON, readRetained } from '../mqtt/helpers.js';
import { runCliAsync, type CliResult } from './helpers.js';

describe.skipIf(!hasMosquitto)(`verify a demo day${hasMosquitto ? '' : ` (${NO_MOSQUITTO_REASON})`}`, () => {
  let broker: Mosquitto;
  let home: string;
  let db: string;
  let run: CliResult;
  let day: string;

  beforeAll(async () => {
    broker = await new Mosquitto().start();
    home = mkdtempSync(join(tmpdir(), 'niftybox-verify-'));
    db = join(home, 'ledger.db');
    const config = [
      `stateDir: ${home}`,
      'deviceId: box14',
      'candleGraceMs: 5000',
      'demo: { sessionSeconds: 90, seed: 25 }',
      `mqtt: { url: "${broker.url}" }`,
      'device: { display: { kind: none }, button: { simulated: true }, buzzer: { simulated: true } }',
    ].join('\n');
    writeFileSync(join(home, 'config.yaml'), config + '\n');
    run = await runCliAsync(['run', '--config', join(home, 'config.yaml'), '--demo', '--sessions', '1', '--db', db], home);
    day = /Daily report (\d{4}-\d\d-\d\d)/.exec(run.stdout)?.[1] ?? '';
  }, 300_000);
  afterAll(async () => broker?.dispose());

  it('the session ran, and its daily report and retained MQTT state carry the verdict: agrees', async () => {
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(day).toMatch(/^\d{4}-\d\d-\d\d$/);
    expect(run.stdout).toMatch(/Verify vs backtest of the day's candles: agrees: \d+ live trades? = the backtest/);
    const state = JSON.parse((await readRetained(broker.port, 'niftybox/box14-demo/state', 5))!);
    expect(state.verify).toMatchObject({ day, agreed: true, differences: 0 });
    expect(state.verify.liveTrades).toBe(state.verify.backtestTrades);
  });

  it('export writes the two files; backtest on them gives the live trades; verify agrees (exit 0)', async () => {
    const out = join(home, 'export');
    const ex = await runCliAsync(['export', '--config', join(home, 'config.yaml'), '--out', out, '--db', db, '--from', day, '--to', day], home);
    expect(ex.code, ex.stderr).toBe(0);
    expect(ex.stdout).toMatch(/1 day\(s\) of ATM options/);
    expect(readdirSync(out).sort()).toEqual(['nifty-atm-options-5min.csv', 'nifty50-5min.csv']);

    const v = await runCliAsync(['verify', '--config', join(home, 'config.yaml'), '--day', day, '--db', db, '--json'], home);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const verdict = JSON.parse(v.stdout);
    expect(verdict.agreed).toBe(true);
    expect(verdict.candles.official).toBeGreaterThan(200);
    expect(verdict.liveTrades).toBeGreaterThan(0);

    const bt = await runCliAsync(['backtest', '--index', join(out, 'nifty50-5min.csv'), '--options', join(out, 'nifty-atm-options-5min.csv'), '--from', day, '--to', day, '--json'], home);
    expect(bt.code, bt.stderr).toBe(0);
    const trades = JSON.parse(bt.stdout).trades;
    const fromVerify = verdict.rows.map((r: any) => r.backtest);
    expect(trades.map((t: any) => [t.side, t.entryTime, t.entryPrice, t.exitTime, t.exitPrice, t.reason])).toEqual(
      fromVerify.map((t: any) => [t.side, t.entryTime, t.entryPrice, t.exitTime, t.exitPrice, t.reason]),
    );

    const text = await runCliAsync(['verify', '--config', join(home, 'config.yaml'), '--day', day, '--db', db], home);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^AGREES: /m);
    expect(text.stdout).toMatch(/  1  [CP]E \d\d:\d\d @ [\d.]+ → \d\d:\d\d @ [\d.]+ \w+ +[CP]E \d\d:\d\d @/);
  });

  it('a difference planted in the ledger is reported with what differs, exit 1', async () => {
    const planted = join(home, 'planted.db');
    copyFileSync(db, planted);
    const raw = new Database(planted);
    const first = raw.prepare('SELECT trade_id, exit_price, reason FROM trades ORDER BY entry_time LIMIT 1').get() as { trade_id: number; exit_price: number; reason: string };
    raw.prepare('UPDATE trades SET exit_price = exit_price + 1.5, reason = ? WHERE trade_id = ?').run(first.reason === 'EOD' ? 'SL' : 'EOD', first.trade_id);
    raw.close();
    const v = await runCliAsync(['verify', '--config', join(home, 'config.yaml'), '--day', day, '--db', planted], home);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(/differs: reason (EOD|SL) vs \w+/);
    expect(v.stdout).toMatch(/differs: exit price [\d.]+ vs [\d.]+/);
    expect(v.stdout).toMatch(/^DIFFERS: 1 of \d+ trades?/m);

    // a live trade the backtest never made
    const extra = join(home, 'extra.db');
    copyFileSync(db, extra);
    const raw2 = new Database(extra);
    raw2.prepare(
      `INSERT INTO trades SELECT 999, day, side, instrument_key, strike, expiry, quantity, entry_time + 7200000, entry_price, exit_time + 7200000, exit_price, 'HALT',
         points, gross_pnl, charges, net_pnl, brokerage, stt, exchange, sebi, stamp, gst, charges_total, slippage_cost FROM trades ORDER BY entry_time LIMIT 1`,
    ).run();
    raw2.close();
    const v2 = await runCliAsync(['verify', '--config', join(home, 'config.yaml'), '--day', day, '--db', extra], home);
    expect(v2.code).toBe(1);
    expect(v2.stdout).toMatch(/differs: (the box traded here, the backtest did not|reason HALT vs)/);
    expect(v2.stdout).toMatch(/why: a halt/);
  });

  it('names the causes the ledger shows: a gap in the signal candle, a partly seen entry candle', async () => {
    const planted = join(home, 'causes.db');
    copyFileSync(db, planted);
    const raw = new Database(planted);
    const t = raw.prepare('SELECT trade_id, instrument_key, entry_time FROM trades ORDER BY entry_time LIMIT 1').get() as { trade_id: number; instrument_key: string; entry_time: number };
    const entryBucket = t.entry_time - (t.entry_time % 300_000);
    raw.prepare('UPDATE trades SET entry_price = entry_price + 1 WHERE trade_id = ?').run(t.trade_id);
    expect(raw.prepare("DELETE FROM candles WHERE instrument_key = 'NSE_INDEX|Nifty 50' AND ts = ?").run(entryBucket - 300_000).changes).toBe(1);
    expect(raw.prepare('UPDATE candles SET high = high + 2 WHERE instrument_key = ? AND ts = ?').run(t.instrument_key, entryBucket).changes).toBe(1);
    raw.close();
    const hhmm = (ts: number) => new Date(ts + 19_800_000).toISOString().slice(11, 16);
    const v = await runCliAsync(['verify', '--config', join(home, 'config.yaml'), '--day', day, '--db', planted], home);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(/differs: entry price [\d.]+ vs [\d.]+/);
    expect(v.stdout).toContain(`why: a gap: the box saw no trade of NIFTY in the ${hhmm(entryBucket - 300_000)} candle (Upstox has it)`);
    expect(v.stdout).toMatch(new RegExp(`why: a partly seen candle: NIFTY \\d\\d [A-Z]{3} \\d\\d \\d+ [CP]E ${hhmm(entryBucket)} was [\\d./]+ on the box, [\\d./]+ at Upstox`));
  });

  it('bad input: a day the box did not run names the ledger and exits 65; a missing --day is a usage error', async () => {
    const v = await runCliAsync(['verify', '--config', join(home, 'config.yaml'), '--day', '2024-01-03', '--db', db], home);
    expect(v.code).toBe(65);
    expect(v.stderr).toMatch(/cannot verify 2024-01-03 from .*ledger\.db: the ledger has no NIFTY candles of 2024-01-03/);
    const u = await runCliAsync(['verify', '--db', db], home);
    expect(u.code).toBe(64);
    expect(u.stderr).toMatch(/usage: niftybox verify/);
  });
});
