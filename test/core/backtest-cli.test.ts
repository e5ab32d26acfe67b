import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { expectedTrades, hasSharedData, indexCsv, noSharedDataReason, optionsCsv } from '../support/shared-data.js';

const paiseSum = (k: Record<string, number>) => Object.values(k).reduce((a, v) => a + Math.round(v * 100), 0);

const tmp = mkdtempSync(join(tmpdir(), 'niftybox-cli-'));

describe.skipIf(!hasSharedData)(
  `niftybox backtest through the built CLI${hasSharedData ? '' : ` (${noSharedDataReason})`}`,
  () => {
    it('--json prints only {"trades","summary"} and gives the expected 466 trades', () => {
      const r = runCli([
        'backtest',
        '--index',
        indexCsv,
        '--options',
        optionsCsv,
        '--from',
        '2025-06-01',
        '--to',
        '2025-08-31',
        '--slippage',
        '0',
        '--json',
      ]);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout); // the whole of stdout is one JSON document
      expect(Object.keys(out)).toEqual(['trades', 'summary']);
      const exp = expectedTrades();
      expect(out.trades).toHaveLength(exp.length);
      out.trades.forEach((t: any, i: number) => {
        const e = exp[i]!;
        expect([t.side, t.instrumentKey, t.entryTime, t.exitTime, t.reason]).toEqual([
          e.side,
          e.instrumentKey,
          e.entryTime,
          e.exitTime,
          e.reason,
        ]);
        expect(Math.abs(t.entryPrice - e.entryPrice)).toBeLessThanOrEqual(0.01);
        expect(Math.abs(t.exitPrice - e.exitPrice)).toBeLessThanOrEqual(0.01);
        expect(t.quantity).toBe(75);
        expect(t.netPnl).toBeCloseTo(t.grossPnl - t.charges, 1);
        expect(Object.keys(t.chargesByKind)).toEqual(['brokerage', 'stt', 'exchange', 'sebi', 'stamp', 'gst']);
        expect(paiseSum(t.chargesByKind)).toBe(Math.round(t.charges * 100)); // to the paisa
      });
      const s = out.summary;
      for (const k of [
        'trades',
        'wins',
        'losses',
        'winRate',
        'grossPnl',
        'charges',
        'netPnl',
        'profitFactor',
        'maxDrawdown',
        'avgPnlPerTrade',
        'bySide',
        'byMonth',
        'byWeek',
        'byDay',
        'byReason',
        'slippageSensitivity',
      ])
        expect(s).toHaveProperty(k);
      expect(s.trades).toBe(466);
      expect(paiseSum(s.chargesByKind)).toBe(Math.round(s.charges * 100));
      expect(s.chargesByKind.brokerage).toBe(466 * 40);
      expect(Object.keys(s.byMonth)).toEqual(['2025-06', '2025-07', '2025-08']);
      expect(s.slippageSensitivity.map((p: any) => p.slippage)).toEqual([0, 0.5, 1]);
      expect(s.slippageSensitivity[0].trades).toBe(466);
    });

    it('writes a per-trade CSV with contract names a broker chart shows, and a readable report', () => {
      const csv = join(tmp, 'trades.csv');
      const r = runCli([
        'backtest',
        '--index',
        indexCsv,
        '--options',
        optionsCsv,
        '--from',
        '2025-06-02',
        '--to',
        '2025-06-02',
        '--csv',
        csv,
      ]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/net P&L/);
      expect(r.stdout).toMatch(/slippage\s+0 pt → net/);
      const rows = readFileSync(csv, 'utf8').trim().split('\n');
      expect(rows[0]).toBe(
        'id,day,side,instrument_key,contract,entry_time,entry_price,exit_time,' +
          'exit_price,reason,points,quantity,gross_pnl,charges,net_pnl,brokerage,' +
          'stt,exchange,sebi,stamp,gst',
      );
      expect(rows[1]).toMatch(
        /^1,2025-06-02,PE,NSE_FO\|40470\|05-06-2025,NIFTY 05 JUN 25 24550 PE,2025-06-02T09:35:00\+05:30,206\.50,/,
      );
      for (const row of rows.slice(1)) {
        const f = row.split(',');
        expect(f.slice(15).reduce((a, x) => a + Math.round(Number(x) * 100), 0)).toBe(Math.round(Number(f[13]) * 100));
      }
      // The text report shows the charges by kind, and they add up to the charges line.
      const m = r.stdout.match(
        new RegExp(
          [
            /charges +₹([\d,.]+) += brokerage ₹([\d,.]+) \+ STT ₹([\d,.]+) \+ exchange\+IPFT ₹([\d,.]+) /.source,
            /\+ SEBI ₹([\d,.]+) \+ stamp ₹([\d,.]+) \+ GST ₹([\d,.]+)/.source,
          ].join(''),
        ),
      );
      expect(m, r.stdout).not.toBeNull();
      const rupees = m!.slice(1).map((x) => Math.round(Number(x.replace(/,/g, '')) * 100));
      expect(rupees.slice(1).reduce((a, b) => a + b, 0)).toBe(rupees[0]);
    });
  },
);

describe('niftybox backtest bad input', () => {
  it('an unknown flag names the flag, prints usage, exits 64', () => {
    const r = runCli(['backtest', '--bogus']);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/Unknown option '--bogus'/);
    expect(r.stderr).toMatch(/usage: niftybox backtest/);
  });

  it('a corrupt CSV row names the file and line, exits 65', () => {
    const idx = join(tmp, 'idx.csv');
    const opt = join(tmp, 'opt.csv');
    writeFileSync(
      idx,
      'datetime,open,high,low,close,volume\n2025-06-02 09:15:00+05:30,1,2,0.5,1.5,0\n2025-06-02 09:20:00+05:30,1,2\n',
    );
    writeFileSync(
      opt,
      'timestamp,open,high,low,close,volume,oi,datetime,date,instrument_type,' +
        'strike_price,expiry_date,instrument_key,trading_day,is_expired\n',
    );
    const r = runCli(['backtest', '--index', idx, '--options', opt]);
    expect(r.code).toBe(65);
    expect(r.stderr).toBe(`niftybox backtest: ${idx}:3: expected 6 fields, found 3 (truncated or malformed row)\n`);
  });

  it('a missing file is named', () => {
    const r = runCli(['backtest', '--index', join(tmp, 'nope.csv'), '--options', join(tmp, 'nope2.csv')]);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/cannot read the index file .*nope\.csv: ENOENT/);
  });

  it('an unknown command exits 64', () => {
    expect(runCli(['frobnicate']).code).toBe(64);
  });
});
