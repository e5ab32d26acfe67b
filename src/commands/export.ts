/**
 * `niftybox export --out DIR`: the box's recorded index and option candles (Upstox's official ones where
 * the box fetched them, else its tick-built ones) into the two CSV files `backtest` reads.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createCalendar } from '../app.js';
import { bestCandles, dayPair } from '../app/verify-day.js';
import { dbPath, loadConfig } from '../config.js';
import { istDate } from '../core/time.js';
import { NIFTY_INDEX_KEY } from '../core/types.js';
import { INDEX_FILE, OPTIONS_FILE, indexCsv, optionsCsv, type OptionDayRows } from '../feed/candle-files.js';
import { writeFileDurable } from '../lib/durable-file.js';
import { createLogger, setLogSink } from '../log.js';
import { Ledger } from '../store/ledger.js';
import { CONFIG_FLAGS, DATE_RANGE_FLAGS, dateRangeFlags, parseFlags } from './args.js';
import { DataError, UsageError } from '../lib/errors.js';
import { usageOf } from './usage.js';
import { requireReadableLedger } from './ledger-file.js';

const USAGE = usageOf('export');

export async function exportCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { out: { type: 'string' }, ...CONFIG_FLAGS, ...DATE_RANGE_FLAGS }, USAGE);
  if (!values.out) throw new UsageError(`--out is required\nusage: ${USAGE}`);
  const range = dateRangeFlags(values);
  const [from, to] = [range.from ?? '0000-01-01', range.to ?? '9999-12-31'];
  setLogSink((line) => process.stderr.write(line + '\n'));
  const { config } = loadConfig(values.config);
  const calendar = createCalendar(config);
  const file = values.db ?? dbPath(config);
  requireReadableLedger(file);
  const ledger = Ledger.open(file, { log: createLogger({ area: 'ledger' }), readonly: true });
  try {
    // The index: every candle up to --to, from 30 days before --from (the indicators' warm-up).
    const fromTs = from === '0000-01-01' ? 0 : Date.parse(`${from}T00:00:00+05:30`) - 30 * 86_400_000;
    const toTs = Date.parse(`${to}T23:59:59+05:30`);
    const index = bestCandles(ledger, NIFTY_INDEX_KEY, fromTs, toTs);
    const days: OptionDayRows[] = [];
    const skipped: string[] = [];
    let official = index.official;
    for (const day of [...new Set(index.candles.map((c) => istDate(c.ts)))].filter((d) => d >= from && d <= to)) {
      const s = calendar.session(day);
      const pair = s ? dayPair(ledger, day, calendar) : null;
      if (!s || !pair) {
        skipped.push(day);
        continue;
      }
      const CE = bestCandles(ledger, pair.CE.instrumentKey, s.openTs, s.closeTs);
      const PE = bestCandles(ledger, pair.PE.instrumentKey, s.openTs, s.closeTs);
      official += CE.official + PE.official;
      days.push({ day, contracts: { CE: pair.CE, PE: pair.PE }, candles: { CE: CE.candles, PE: PE.candles } });
    }
    if (index.candles.length === 0)
      throw new DataError(
        `the ledger ${file} has no NIFTY candles` +
          (values.from || values.to ? ` in ${values.from ?? '…'} … ${values.to ?? '…'}` : ''),
      );
    mkdirSync(values.out, { recursive: true });
    writeFileDurable(join(values.out, INDEX_FILE), indexCsv(index.candles));
    writeFileDurable(join(values.out, OPTIONS_FILE), optionsCsv(days));
    for (const d of skipped)
      process.stderr.write(
        `export: ${d} has index candles but the ledger does not say which CE/PE the box traded; no options that day\n`,
      );
    const total = index.candles.length + days.reduce((a, d) => a + d.candles.CE.length + d.candles.PE.length, 0);
    process.stdout.write(
      `${index.candles.length} index candles and ${days.length} day(s) of ATM ` +
        `options written to ${join(values.out, INDEX_FILE)} and ${join(values.out, OPTIONS_FILE)} ` +
        `(${official} of ${total} candles official from Upstox, the rest built from the box's ticks)\n`,
    );
    return 0;
  } finally {
    ledger.close();
  }
}
