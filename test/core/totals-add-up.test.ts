/**
 * Issue 27 item 7: every total by kind is the sum of its trades' own figures to the paisa, so a user who
 * adds the CSV's columns gets the report's figures. Over all shared data (892 trades): the summary and
 * each of its buckets (by side, reason, day, ISO week, month) in `backtest --json`, the text report's
 * charges line, the daily report of every day from a real ledger, and each MQTT trade message's kinds.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dailyReportText } from '../../src/app/daily-report.js';
import { MarketCalendar } from '../../src/core/calendar.js';
import { CHARGE_KINDS } from '../../src/core/charges.js';
import { runBacktest } from '../../src/core/backtest.js';
import { DEFAULT_RISK, DEFAULT_V25 } from '../../src/core/params.js';
import { isoWeek } from '../../src/core/time.js';
import { parseIndexCsv, parseOptionsCsv } from '../../src/feed/csv.js';
import { createLogger, setLogSink } from '../../src/log.js';
import { exitPayload } from '../../src/mqtt/payloads.js';
import { chargesByKindText, tradesCsv } from '../../src/report/format.js';
import { Ledger } from '../../src/store/ledger.js';
import { runCli } from '../support/cli.js';
import { hasSharedData, indexCsv, noSharedDataReason, optionsCsv, readShared } from '../support/shared-data.js';

const MONEY = ['gross_pnl', 'charges', 'net_pnl', ...CHARGE_KINDS] as const;
type Row = Record<string, string>;

function parseCsv(text: string): Row[] {
  const [head, ...lines] = text.trim().split('\n');
  const cols = head!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i]!, v])));
}
/** A column summed as the user's spreadsheet does, kept in whole paise. */
const paiseOf = (rows: Row[], col: string) => rows.reduce((a, r) => a + Math.round(Number(r[col]) * 100), 0);

interface BucketJson {
  trades: number;
  grossPnl: number;
  charges: number;
  netPnl: number;
  chargesByKind: Record<string, number>;
}
function expectAddsUp(where: string, b: BucketJson, rows: Row[]) {
  expect(b.trades, where).toBe(rows.length);
  const got: Record<string, number> = { gross_pnl: b.grossPnl, charges: b.charges, net_pnl: b.netPnl };
  for (const k of CHARGE_KINDS) got[k] = b.chargesByKind[k]!;
  for (const col of MONEY) expect(Math.round(got[col]! * 100), `${where} ${col}`).toBe(paiseOf(rows, col));
}

describe.skipIf(!hasSharedData)(
  `totals add up from the trades (${hasSharedData ? 'all shared data' : noSharedDataReason})`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'niftybox-totals-'));
    const csvFile = join(dir, 'trades.csv');

    it('backtest --json: the summary and every bucket are the sums of the CSV rows, to the paisa', () => {
      const r = runCli(['backtest', '--index', indexCsv, '--options', optionsCsv, '--json', '--csv', csvFile]);
      expect(r.code, r.stderr).toBe(0);
      const { summary } = JSON.parse(r.stdout);
      const rows = parseCsv(readFileSync(csvFile, 'utf8'));
      expect(rows.length).toBe(892);
      expectAddsUp('summary', summary, rows);
      const groups: Record<string, (row: Row) => string> = {
        bySide: (x) => x.side!,
        byReason: (x) => x.reason!,
        byDay: (x) => x.day!,
        byWeek: (x) => isoWeek(x.day!),
        byMonth: (x) => x.day!.slice(0, 7),
      };
      for (const [name, keyOf] of Object.entries(groups)) {
        const keys = [...new Set(rows.map(keyOf))];
        expect(Object.keys(summary[name]).sort(), name).toEqual(keys.sort());
        for (const k of keys)
          expectAddsUp(
            `${name} ${k}`,
            summary[name][k],
            rows.filter((x) => keyOf(x) === k),
          );
      }
    }, 180_000);

    it("the issue's week: 2025-06-02…06 GST is the trades' ₹363.51, and the text report's charges line adds up", () => {
      const r = runCli([
        'backtest',
        '--index',
        indexCsv,
        '--options',
        optionsCsv,
        '--from',
        '2025-06-02',
        '--to',
        '2025-06-06',
        '--csv',
        join(dir, 'week.csv'),
      ]);
      expect(r.code, r.stderr).toBe(0);
      const rows = parseCsv(readFileSync(join(dir, 'week.csv'), 'utf8'));
      expect(paiseOf(rows, 'gst')).toBe(36351);
      const line = r.stdout.split('\n').find((l) => l.trimStart().startsWith('charges'))!;
      expect(line).toContain('GST ₹363.51');
      const [total, ...kinds] = [...line.matchAll(/₹([\d,]+\.\d\d)/g)].map((m) =>
        Math.round(Number(m[1]!.replace(/,/g, '')) * 100),
      );
      expect(kinds.reduce((a, b) => a + b, 0)).toBe(total);
      expect(total).toBe(paiseOf(rows, 'charges'));
    }, 120_000);

    it("every day's daily report from a real ledger, and every MQTT trade " +
      "message, carry the trades' own kinds", async () => {
      setLogSink(() => undefined);
      const calendar = new MarketCalendar();
      const result = runBacktest({
        index: parseIndexCsv(readShared(indexCsv), indexCsv),
        options: parseOptionsCsv(readShared(optionsCsv), optionsCsv),
        params: DEFAULT_V25,
        risk: DEFAULT_RISK,
        calendar,
      });
      const rows = parseCsv(tradesCsv(result.trades));
      const ledger = Ledger.open(join(dir, 'l.db'), { log: createLogger() });
      ledger.commit(
        result.trades.map((trade) => ({ type: 'exit' as const, ts: trade.exitTime, trade })),
        null,
      );
      const days = [...new Set(rows.map((x) => x.day!))];
      for (const day of days) {
        const mine = rows.filter((x) => x.day === day);
        const text = await dailyReportText({ day, ledger, keys: [], calendar, official: async () => [] });
        const kinds = Object.fromEntries(CHARGE_KINDS.map((k) => [k, paiseOf(mine, k) / 100]));
        expect(text.split('\n')[1], day).toBe(`Charges by kind: ${chargesByKindText(kinds as never)}`);
        expect(text.split('\n')[0], day).toContain(`charges ₹${(paiseOf(mine, 'charges') / 100).toFixed(2)}`);
      }
      ledger.close();
      result.trades.forEach((trade, i) => {
        const body = exitPayload({ type: 'exit', ts: trade.exitTime, trade }) as {
          chargesByKind: Record<string, number>;
        };
        for (const k of CHARGE_KINDS)
          expect(body.chargesByKind[k], `trade ${trade.tradeId} ${k}`).toBe(Number(rows[i]![k]));
      });
    }, 180_000);
  },
);
