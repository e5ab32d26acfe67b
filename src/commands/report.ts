/** `niftybox report`: the paper ledger in the same shapes as the backtest (text, --json, --csv, --html). */
import { existsSync } from 'node:fs';
import { dbPath, loadConfig } from '../config.js';
import { summarize } from '../core/report.js';
import { createLogger, setLogSink } from '../log.js';
import { summaryJson, textReport, tradeJson, tradesCsv } from '../report/format.js';
import { Ledger } from '../store/ledger.js';
import { CONFIG_FLAGS, DATE_RANGE_FLAGS, REPORT_OUTPUT_FLAGS, dateRangeFlags, ledgerFlag, parseFlags } from './args.js';
import { DataError } from '../lib/errors.js';
import { checkWritable, writeOutput } from './output-file.js';
import { createCalendar } from '../app.js';
import { ledgerPage, writeHtmlPage } from '../web/html-export.js';
import { usageOf } from './usage.js';

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
  if (!existsSync(file)) throw new DataError(`no ledger at ${file}: run the appliance first ("niftybox run"), or name one with --db`);
  const ledger = Ledger.open(file, { log: createLogger({ area: 'ledger' }), readonly: true });
  try {
    const trades = ledger.trades({ from, to });
    const summary = summarize(trades);
    if (values.csv) writeOutput(values.csv, '--csv', tradesCsv(trades));
    if (values.html) {
      const bytes = writeHtmlPage(values.html, ledgerPage({ ledger, calendar: createCalendar(config), params: config.strategy, from, to, title: `niftybox paper ledger ${file}`, notes: [] }));
      process.stderr.write(`report: ${values.html} written (${(bytes / 1048576).toFixed(2)} MB)\n`);
    }
    if (values.json) {
      const halt = ledger.haltState();
      process.stdout.write(JSON.stringify({ trades: trades.map(tradeJson), summary: summaryJson(summary, { ledger: file, halted: halt.halted }) }) + '\n');
    } else {
      const halt = ledger.haltState();
      const notes = halt.halted ? [`trading is HALTED (${halt.reason ?? 'no reason'}); "niftybox resume" re-arms it`] : [];
      process.stdout.write(textReport(summary, { title: `niftybox paper ledger ${file}`, notes, showDays: values.days }));
      if (values.csv) process.stdout.write(`\n${trades.length} trades written to ${values.csv}\n`);
    }
  } finally {
    ledger.close();
  }
  return 0;
}
