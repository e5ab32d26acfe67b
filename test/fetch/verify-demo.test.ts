/**
 * Demo sessions through the built CLI (fake exchange, real ledgers, real Mosquitto) on pinned days, then
 * `export` and `verify` of each: on every day verify's reasons account for every difference between the
 * live trades and the backtest of the day's official candles; on 2026-12-07 (seed 25) the day differs only
 * as tick fills must, with the five differences explained by their rules; the daily report and the
 * retained MQTT state carry the same three-way verdict; a difference planted in the ledger stays
 * unexplained (exit 1).
 */
import Database from 'better-sqlite3';
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasMosquitto, Mosquitto, NO_MOSQUITTO_REASON, readRetained } from '../mqtt/helpers.js';
import { runCliAsync, type CliResult } from './helpers.js';

/** The day of issue 26: live and backtest differ there exactly as tick fills must. */
const TICK_DAY = '2026-12-07';
/** Another day, for what holds on every day. */
const OTHER_DAY = '2026-12-01';

interface DemoDay {
  day: string;
  deviceId: string;
  home: string;
  db: string;
  config: string;
  run: CliResult;
}

describe.skipIf(!hasMosquitto)(`verify demo days${hasMosquitto ? '' : ` (${NO_MOSQUITTO_REASON})`}`, () => {
  let broker: Mosquitto;
  const days: Record<string, DemoDay> = {};
  let home: string;
  let db: string;
  let day: string;

  async function demoDay(d: string, deviceId: string): Promise<DemoDay> {
    const dir = mkdtempSync(join(tmpdir(), 'niftybox-verify-'));
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      [
        `stateDir: ${dir}`,
        `deviceId: ${deviceId}`,
        'candleGraceMs: 5000',
        `demo: { sessionSeconds: 90, seed: 25, day: "${d}" }`,
        `mqtt: { url: "${broker.url}" }`,
        'web: { enabled: false }',
        'device: { display: { kind: none }, button: { simulated: true }, buzzer: { simulated: true } }',
      ].join('\n') + '\n',
    );
    const dbFile = join(dir, 'ledger.db');
    const run = await runCliAsync(['run', '--config', config, '--demo', '--sessions', '1', '--db', dbFile], dir);
    return { day: d, deviceId, home: dir, db: dbFile, config, run };
  }

  beforeAll(async () => {
    broker = await new Mosquitto().start();
    // Both sessions at once: the demo's market waits for the box, so sharing the machine slows them, nothing else.
    const [a, b] = await Promise.all([demoDay(TICK_DAY, 'box14'), demoDay(OTHER_DAY, 'box15')]);
    days[TICK_DAY] = a!;
    days[OTHER_DAY] = b!;
    ({ home, db, day } = a!);
  }, 400_000);
  afterAll(async () => broker?.dispose());

  const verify = (d: DemoDay, extra: string[] = [], file = d.db) =>
    runCliAsync(['verify', '--config', d.config, '--day', d.day, '--db', file, ...extra], d.home);

  it.each([TICK_DAY, OTHER_DAY])(
    '%s: the session ran on its pinned day; verify accounts for every ' +
      'difference, and the daily report and MQTT state say the same',
    async (d) => {
      const x = days[d]!;
      expect(x.run.code, x.run.stderr.slice(-2000)).toBe(0);
      expect(/Daily report (\d{4}-\d\d-\d\d)/.exec(x.run.stdout)?.[1]).toBe(d);
      const v = await verify(x, ['--json']);
      const verdict = JSON.parse(v.stdout);
      expect(['agrees', 'tick-fills'], v.stdout).toContain(verdict.verdict);
      expect(v.code).toBe(0);
      expect(verdict.unexplained).toBe(0);
      for (const row of verdict.rows) {
        expect(row.unexplained, JSON.stringify(row)).toEqual([]);
        if (row.differences.length) expect(row.why.length, JSON.stringify(row)).toBeGreaterThan(0);
      }
      expect(verdict.explained).toBe(verdict.differences);
      const sum = verdict.rows.filter((r: any) => r.differences.length).reduce((a: number, r: any) => a + r.effect, 0);
      expect(verdict.tickFillEffect).toBeCloseTo(sum, 1);
      expect(x.run.stdout).toContain(`Verify vs backtest of the day's candles: ${verdict.summary}`);
      const state = JSON.parse((await readRetained(broker.port, `niftybox/${x.deviceId}-demo/state`, 5))!);
      expect(state.verify).toMatchObject({
        day: d,
        verdict: verdict.verdict,
        agreed: verdict.verdict === 'agrees',
        differences: verdict.differences,
        explained: verdict.explained,
        unexplained: 0,
        summary: verdict.summary,
      });
    },
  );

  it(
    `${TICK_DAY} seed 25 differs only as tick fills must: each of the five ` + `differences explained by its rule`,
    async () => {
      const v = await verify(days[TICK_DAY]!, ['--json']);
      expect(v.code, v.stdout + v.stderr).toBe(0);
      const verdict = JSON.parse(v.stdout);
      expect(verdict).toMatchObject({
        verdict: 'tick-fills',
        agreed: false,
        liveTrades: 7,
        backtestTrades: 6,
        differences: 5,
        explained: 5,
        unexplained: 0,
      });
      expect(verdict.summary).toMatch(
        /^differs only as tick fills must: 5 of 7 trades .*their effect on net P&L -₹[\d,]+\.\d\d$/,
      );
      const rows = verdict.rows as { live: any; backtest: any; differences: string[]; why: string[] }[];
      const at = (t: any) =>
        t && `${t.side} ${t.entryTime.slice(11, 16)} → ${t.exitTime.slice(11, 19)} @ ${t.exitPrice} ${t.reason}`;
      // #1: the live lock filled at the first trade below it, the candle path at the lock level.
      expect(at(rows[0]!.live)).toBe('CE 09:35 → 09:43:14 @ 88.8 LOCK_SL');
      expect(at(rows[0]!.backtest)).toBe('CE 09:35 → 09:40:00 @ 89.8 LOCK_SL');
      expect(rows[0]!.why.join('\n')).toMatch(
        new RegExp(
          [
            /^a stop filled at the first trade past it: the box's lock 90\.35 \(entry 77\.35 \+ 13\) /.source,
            /met its first trade at or below it at 09:43:14 .* the candle path sells at the level, 90\.30/.source,
          ].join(''),
        ),
      );
      // #2, #4: the lock met inside the candle whose high reached TP1; the candle path sells at the next candle.
      for (const [i, live, next] of [
        [1, '11:54', '11:55'],
        [3, '12:13', '12:15'],
      ] as const) {
        expect(rows[i]!.differences).toEqual([`exit time ${live} vs ${next}`]);
        expect(rows[i]!.why.join('\n')).toMatch(
          new RegExp(
            `^an exit inside a candle instead of at its end: the box's lock [\\d.]+ ` +
              `.* at ${live}:\\d\\d .*so it sells at the next candle, ${next}`,
          ),
        );
      }
      // #5: an entry only the box has, because #4's exit came a candle sooner.
      expect(rows[4]!.backtest).toBeNull();
      expect(at(rows[4]!.live)).toMatch(/^PE 12:15 → /);
      expect(rows[4]!.why.join('\n')).toMatch(
        new RegExp(
          [
            /^an entry that exists only because an earlier exit came a candle sooner: /.source,
            /the box sold #4 at 12:13, inside the 12:10 candle, /.source,
            /so it was flat at the 12:10 close and took that candle's PE signal /.source,
            /.*the backtest still held #4 then \(it sold at 12:15\)/.source,
          ].join(''),
        ),
      );
      // #6: the initial stop filled at the first trade below it (₹0.56 from the level's fill).
      expect(rows[5]!.differences).toEqual(['exit price 35.40 vs 35.96']);
      expect(rows[5]!.why.join('\n')).toMatch(
        new RegExp(
          [
            /^a stop filled at the first trade past it: /.source,
            /the box's stop [\d.]+ \(entry 46\.90 − 1\.5 × ATR [\d.]+\) /.source,
            /met its first trade at or below it at 14:06:\d\d/.source,
          ].join(''),
        ),
      );
      expect(rows.filter((r) => r.differences.length).map((r) => rows.indexOf(r) + 1)).toEqual([1, 2, 4, 5, 6]);

      const text = await verify(days[TICK_DAY]!);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(
        /^DIFFERS ONLY AS TICK FILLS MUST: 5 of 7 trades \(7 live, 6 backtest\), every difference explained/m,
      );
      expect(text.stdout).toMatch(/^  5  PE 12:15 @ [\d.]+ → 12:22 @ [\d.]+ SL +— +≈$/m);
    },
  );

  it(
    'a stop fill the candles do not bear out, or an extra entry without its ' + 'signal, stays unexplained (exit 1)',
    async () => {
      const d = days[TICK_DAY]!;
      // #1 sold below anything the 09:40 candle traded (its low is 82.10): not "the first trade past the lock".
      const low = join(home, 'below-low.db');
      copyFileSync(db, low);
      let raw = new Database(low);
      raw
        .prepare(
          'UPDATE trades SET exit_price = 80.00 WHERE trade_id = (SELECT trade_id ' +
            'FROM trades ORDER BY entry_time LIMIT 1)',
        )
        .run();
      raw.close();
      let v = await verify(d, [], low);
      expect(v.code, v.stdout).toBe(1);
      expect(v.stdout).toMatch(
        new RegExp(
          [
            /^DIFFERS: 1 of 7 trades unexplained \(7 live, 6 backtest\) — /.source,
            /#1: exit price 80\.00 vs 89\.80( \(.*\))?; 4 more explained by tick fills$/.source,
          ].join(''),
          'm',
        ),
      );
      // #5 without the 12:10 PE signal in the box's signal log: nothing says why the box entered.
      const nosignal = join(home, 'no-signal.db');
      copyFileSync(db, nosignal);
      raw = new Database(nosignal);
      const entry = raw
        .prepare("SELECT entry_time FROM trades WHERE side = 'PE' ORDER BY entry_time LIMIT 1 OFFSET 3")
        .get() as { entry_time: number };
      expect(
        raw
          .prepare('DELETE FROM signals WHERE candle_ts = ?')
          .run(entry.entry_time - (entry.entry_time % 300_000) - 300_000).changes,
      ).toBeGreaterThan(0);
      raw.close();
      v = await verify(d, ['--json'], nosignal);
      expect(v.code).toBe(1);
      const verdict = JSON.parse(v.stdout);
      expect(verdict).toMatchObject({ verdict: 'differs', unexplained: 1, explained: 4 });
      expect(verdict.rows[4].unexplained).toEqual(['the box traded here, the backtest did not']);
    },
  );

  it("export writes the two files; backtest on them gives verify's backtest trades", async () => {
    const d = days[TICK_DAY]!;
    const out = join(home, 'export');
    const ex = await runCliAsync(
      ['export', '--config', d.config, '--out', out, '--db', db, '--from', day, '--to', day],
      home,
    );
    expect(ex.code, ex.stderr).toBe(0);
    expect(ex.stdout).toMatch(/1 day\(s\) of ATM options/);
    expect(readdirSync(out).sort()).toEqual(['nifty-atm-options-5min.csv', 'nifty50-5min.csv']);

    const v = await verify(d, ['--json']);
    const verdict = JSON.parse(v.stdout);
    expect(verdict.candles.official).toBeGreaterThan(200);
    expect(verdict.liveTrades).toBeGreaterThan(0);

    const bt = await runCliAsync(
      [
        'backtest',
        '--index',
        join(out, 'nifty50-5min.csv'),
        '--options',
        join(out, 'nifty-atm-options-5min.csv'),
        '--from',
        day,
        '--to',
        day,
        '--json',
      ],
      home,
    );
    expect(bt.code, bt.stderr).toBe(0);
    const trades = JSON.parse(bt.stdout).trades;
    const fromVerify = verdict.rows.map((r: any) => r.backtest).filter(Boolean);
    expect(trades.map((t: any) => [t.side, t.entryTime, t.entryPrice, t.exitTime, t.exitPrice, t.reason])).toEqual(
      fromVerify.map((t: any) => [t.side, t.entryTime, t.entryPrice, t.exitTime, t.exitPrice, t.reason]),
    );
  });

  it('a difference planted in the ledger is reported with what differs, exit 1', async () => {
    const planted = join(home, 'planted.db');
    copyFileSync(db, planted);
    const raw = new Database(planted);
    const first = raw.prepare('SELECT trade_id, exit_price, reason FROM trades ORDER BY entry_time LIMIT 1').get() as {
      trade_id: number;
      exit_price: number;
      reason: string;
    };
    raw
      .prepare('UPDATE trades SET exit_price = exit_price + 1.5, reason = ? WHERE trade_id = ?')
      .run(first.reason === 'EOD' ? 'SL' : 'EOD', first.trade_id);
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
    raw2
      .prepare(
        `INSERT INTO trades SELECT 999, day, side, instrument_key, strike, expiry, quantity, entry_time + 7200000, ` +
          `entry_price, exit_time + 7200000, exit_price, 'HALT',
         points, gross_pnl, charges, net_pnl, brokerage, stt, exchange, sebi, stamp, gst, ` +
          `charges_total, slippage_cost, strategy, strategy_params, strategy_hash ` +
          `FROM trades ORDER BY entry_time LIMIT 1`,
      )
      .run();
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
    const t = raw
      .prepare('SELECT trade_id, instrument_key, entry_time FROM trades ORDER BY entry_time LIMIT 1')
      .get() as { trade_id: number; instrument_key: string; entry_time: number };
    const entryBucket = t.entry_time - (t.entry_time % 300_000);
    raw.prepare('UPDATE trades SET entry_price = entry_price + 1 WHERE trade_id = ?').run(t.trade_id);
    expect(
      raw
        .prepare("DELETE FROM candles WHERE instrument_key = 'NSE_INDEX|Nifty 50' AND ts = ?")
        .run(entryBucket - 300_000).changes,
    ).toBe(1);
    expect(
      raw
        .prepare('UPDATE candles SET high = high + 2 WHERE instrument_key = ? AND ts = ?')
        .run(t.instrument_key, entryBucket).changes,
    ).toBe(1);
    raw.close();
    const hhmm = (ts: number) => new Date(ts + 19_800_000).toISOString().slice(11, 16);
    const v = await runCliAsync(['verify', '--config', join(home, 'config.yaml'), '--day', day, '--db', planted], home);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(/differs: entry price [\d.]+ vs [\d.]+/);
    expect(v.stdout).toContain(
      `why: a gap: the box saw no trade of NIFTY in the ${hhmm(entryBucket - 300_000)} candle (Upstox has it)`,
    );
    expect(v.stdout).toMatch(
      new RegExp(
        `why: a partly seen candle: NIFTY \\d\\d [A-Z]{3} \\d\\d \\d+ [CP]E ${hhmm(entryBucket)} ` +
          `was [\\d./]+ on the box, [\\d./]+ at Upstox`,
      ),
    );
  });

  it(
    'bad input: a day the box did not run names the ledger and exits 65; a ' + 'missing --day is a usage error',
    async () => {
      const v = await runCliAsync(
        ['verify', '--config', join(home, 'config.yaml'), '--day', '2024-01-03', '--db', db],
        home,
      );
      expect(v.code).toBe(65);
      expect(v.stderr).toMatch(
        /cannot verify 2024-01-03 from .*ledger\.db: the ledger has no NIFTY candles of 2024-01-03/,
      );
      const u = await runCliAsync(['verify', '--db', db], home);
      expect(u.code).toBe(64);
      expect(u.stderr).toMatch(/usage: niftybox verify/);
    },
  );
});
