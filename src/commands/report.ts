/** `niftybox report`: the paper ledger in the same shapes as the backtest (text, --json, --csv, --html). */
import { dbPath, loadConfig, strategyChoice } from '../config.js';
import { strategyKey, summarize } from '../core/report.js';
import type { ClosedTrade } from '../core/types.js';
import { createLogger, setLogSink } from '../log.js';
import { summaryJson, textReport, tradeJson, tradesCsv } from '../report/format.js';
import { Ledger } from '../store/ledger.js';
import { CONFIG_FLAGS, DATE_RANGE_FLAGS, REPORT_OUTPUT_FLAGS, dateRangeFlags, ledgerFlag, parseFlags } from './args.js';
import { checkWritable, writeOutput } from './output-file.js';
import { createCalendar } from '../app.js';
import { ledgerPage, writeHtmlPage } from '../web/html-export.js';
import { usageOf } from './usage.js';
import { requireReadableLedger } from './ledger-file.js';

const USAGE = usageOf('report');

export async function reportCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      ...CONFIG_FLAGS,
      ...DATE_RANGE_FLAGS,
      ...REPORT_OUTPUT_FLAGS,
    },
    USAGE,
  );
  setLogSink((line) => process.stderr.write(line + '\n'));
  const { config } = loadConfig(values.config);
  const file = ledgerFlag(values.db) ?? dbPath(config);
  const { from, to } = dateRangeFlags(values);
  checkWritable(values.csv, '--csv');
  requireReadableLedger(file);
  const ledger = Ledger.open(file, { log: createLogger({ area: 'ledger' }), readonly: true });
  try {
    const trades = ledger.trades({ from, to });
    const summary = summarize(trades);
    if (values.csv) writeOutput(values.csv, '--csv', tradesCsv(trades));
    if (values.html) {
      const bytes = writeHtmlPage(
        values.html,
        ledgerPage({
          ledger,
          calendar: createCalendar(config),
          strategy: strategyChoice(config.strategy),
          from,
          to,
          title: `niftybox paper ledger ${file}`,
          notes: strategyNotes(trades),
        }),
      );
      process.stderr.write(`report: ${values.html} written (${(bytes / 1048576).toFixed(2)} MB)\n`);
    }
    if (values.json) {
      const halt = ledger.haltState();
      process.stdout.write(
        JSON.stringify({
          trades: trades.map(tradeJson),
          summary: summaryJson(summary, { ledger: file, halted: halt.halted, strategies: strategyRuns(trades) }),
        }) + '\n',
      );
    } else {
      const halt = ledger.haltState();
      const notes = strategyNotes(trades);
      if (halt.halted) notes.push(`trading is HALTED (${halt.reason ?? 'no reason'}); "niftybox resume" re-arms it`);
      process.stdout.write(
        textReport(summary, { title: `niftybox paper ledger ${file}`, notes, showDays: values.days }),
      );
      if (values.csv) process.stdout.write(`\n${trades.length} trades written to ${values.csv}\n`);
    }
  } finally {
    ledger.close();
  }
  return 0;
}

/** The strategy runs in the trades, in order of first use: name, parameters (null when not recorded) and their hash. */
export function strategyRuns(
  trades: readonly ClosedTrade[],
): { key: string; name: string; params: Record<string, unknown> | null; hash: string | null; trades: number }[] {
  const runs = new Map<
    string,
    { key: string; name: string; params: Record<string, unknown> | null; hash: string | null; trades: number }
  >();
  for (const t of trades) {
    const key = strategyKey(t);
    if (key === null) continue;
    const r = runs.get(key);
    if (r) r.trades++;
    else runs.set(key, { key, name: t.strategy!.name, params: t.strategy!.params, hash: t.strategy!.hash, trades: 1 });
  }
  return [...runs.values()];
}

/** `emaPeriod=21 … tp1Points.CE=15 …`: a strategy's parameters on one line. */
export function paramsText(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) =>
      v !== null && typeof v === 'object'
        ? Object.entries(v)
            .map(([s, x]) => `${k}.${s}=${String(x)}`)
            .join(' ')
        : `${k}=${String(v)}`,
    )
    .join(' ');
}

/** One line per strategy run of the trades: its key, trade count and every parameter. */
function strategyNotes(trades: readonly ClosedTrade[]): string[] {
  return strategyRuns(trades).map(
    (r) =>
      `strategy ${r.key}: ${r.trades} trade${r.trades === 1 ? '' : 's'}, ` +
      (r.params ? paramsText(r.params) : 'parameters not recorded (before strategies were)'),
  );
}
