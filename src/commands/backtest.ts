/**
 * `niftybox backtest`: a strategy (default the config's, else v25) on recorded candles, with the report, `--json`,
 * `--csv` and `--html`.
 */
import { readFileSync } from 'node:fs';
import { runBacktest, tradedDays, type BacktestResult } from '../core/backtest.js';
import { tradeMetrics } from '../core/metrics.js';
import { MarketCalendar } from '../core/calendar.js';
import { DEFAULT_RISK } from '../core/params.js';
import { type StrategyChoice, StrategyChoiceError, chooseWithAssignments } from '../core/strategies/index.js';
import { loadConfig } from '../config.js';
import { summarize } from '../core/report.js';
import { missingIndexDays, parseIndexCsv, parseOptionsCsv, type OptionDay } from '../feed/csv.js';
import { metricsJson } from '../report/sweep-format.js';
import {
  sensitivityJson,
  summaryJson,
  textReport,
  tradeJson,
  tradesCsv,
  type SlippagePoint,
} from '../report/format.js';
import type { Candle } from '../core/types.js';
import { DATE_RANGE_FLAGS, REPORT_OUTPUT_FLAGS, dateRangeFlags, numberFlag, parseFlags } from './args.js';
import { DataError, UsageError } from '../lib/errors.js';
import { checkWritable, fsReason, writeOutput } from './output-file.js';
import { backtestPage, writeHtmlPage } from '../web/html-export.js';
import { paramsText } from './report.js';
import { usageOf } from './usage.js';

const USAGE = usageOf('backtest');

export interface LoadedCandles {
  index: Candle[];
  options: Map<string, OptionDay>;
}

export function readCandleFiles(indexFile: string, optionsFile: string): LoadedCandles {
  const read = (f: string, what: string) => {
    try {
      return readFileSync(f);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new DataError(
        `cannot read the ${what} file ${f}: ${code === 'ENOENT' ? 'ENOENT (no such file)' : fsReason(err)}`,
      );
    }
  };
  return {
    index: parseIndexCsv(read(indexFile, 'index'), indexFile),
    options: parseOptionsCsv(read(optionsFile, 'options'), optionsFile),
  };
}

/**
 * An index trading day missing inside the traded range (--from/--to, else the options file's span)
 * is an error naming the file and the date; with `allowGaps` it becomes a note. Returns the notes.
 */
export function checkIndexGaps(
  data: LoadedCandles,
  indexFile: string,
  from: string | undefined,
  to: string | undefined,
  allowGaps: boolean,
): string[] {
  const days = [...data.options.keys()].sort();
  const lo = from ?? days[0];
  const hi = to ?? days.at(-1);
  if (!lo || !hi) return [];
  const gaps = missingIndexDays(data.index, new MarketCalendar(), lo, hi);
  if (gaps.length === 0) return [];
  const more =
    gaps.length > 1
      ? ` (and ${gaps.length - 1} more: ${gaps.slice(1, 6).join(', ')}${gaps.length > 6 ? ' …' : ''})`
      : '';
  if (!allowGaps)
    throw new DataError(
      `${indexFile}: no candles for trading day ${gaps[0]}${more}, inside the ` +
        `traded range ${lo} … ${hi}: complete the file, or pass --allow-gaps to ` +
        `trade around the gap`,
    );
  return [
    `${gaps.length} index trading day${gaps.length > 1 ? 's' : ''} missing ` +
      `from ${indexFile} and not traded (--allow-gaps): ${gaps.slice(0, 6).join(', ')}${gaps.length > 6 ? ' …' : ''}`,
  ];
}

export interface BacktestRun {
  result: BacktestResult;
  sensitivity: SlippagePoint[];
}

/** Runs the strategy at the requested slippage and at 0 / 0.5 / 1 point for the sensitivity line. */
function backtestWithSensitivity(
  data: LoadedCandles,
  choice: StrategyChoice,
  from?: string,
  to?: string,
  onProgress?: (d: string, i: number, n: number) => void,
): BacktestRun {
  const calendar = new MarketCalendar();
  const { strategy, params } = choice;
  const run = (slippagePoints: number, progress?: typeof onProgress) =>
    runBacktest({
      index: data.index,
      options: data.options,
      from,
      to,
      strategy: strategy.name,
      params: { ...params, slippagePoints },
      risk: DEFAULT_RISK,
      calendar,
      onProgress: progress,
    });
  const result = run(params.slippagePoints, onProgress);
  const sensitivity = [0, 0.5, 1].map((s) => {
    const r = s === params.slippagePoints ? result : run(s);
    return { slippage: s, trades: r.trades.length, netPnl: r.trades.reduce((a, t) => a + t.netPnl, 0) };
  });
  return { result, sensitivity };
}

export async function backtestCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      index: { type: 'string' },
      options: { type: 'string' },
      ...DATE_RANGE_FLAGS,
      slippage: { type: 'string' },
      strategy: { type: 'string' },
      param: { type: 'string', multiple: true },
      config: { type: 'string' },
      ...REPORT_OUTPUT_FLAGS,
      'allow-gaps': { type: 'boolean', default: false },
    },
    USAGE,
  );
  if (!values.index || !values.options) throw new UsageError(`--index and --options are required\nusage: ${USAGE}`);
  const { from, to } = dateRangeFlags(values);
  const choice = strategyFlags(values);
  const slippage = choice.params.slippagePoints;
  const title = `${choice.strategy.name} backtest, slippage ${slippage} pt`;
  checkWritable(values.csv, '--csv');

  const data = readCandleFiles(values.index, values.options);
  const gapNotes = checkIndexGaps(data, values.index, from, to, values['allow-gaps']);
  const progress = (day: string, i: number, n: number) => {
    if (n >= 40 && (i % 25 === 0 || i === n)) process.stderr.write(`backtest: ${i}/${n} days (${day})\n`);
  };
  const { result, sensitivity } = backtestWithSensitivity(data, choice, from, to, progress);
  if (result.daysTraded === 0)
    throw new DataError(
      `no trading day in ${from ?? 'the start'} … ${to ?? 'the end'} has both ` +
        `index candles and an option pair in ${values.options}`,
    );
  const summary = summarize(result.trades);
  const notes: string[] = [...gapNotes];
  if (result.cancelledEntries)
    notes.push(
      `${result.cancelledEntries} entr${result.cancelledEntries === 1 ? 'y' : 'ies'} ` +
        `cancelled: the contract had no next candle`,
    );
  if (result.daysWithoutOptions.length) {
    const d = result.daysWithoutOptions;
    notes.push(
      `${d.length} day(s) in range have index candles but no option pair and were not traded (${d[0]} … ${d.at(-1)})`,
    );
  }

  if (values.csv) writeOutput(values.csv, '--csv', tradesCsv(result.trades));
  if (values.html) {
    const page = backtestPage({
      index: data.index,
      options: data.options,
      trades: result.trades,
      sensitivity,
      strategy: choice,
      calendar: new MarketCalendar(),
      from,
      to,
      title: `${title}, ${result.daysTraded} trading days`,
      notes: [strategyLine(choice), ...notes],
    });
    const bytes = writeHtmlPage(values.html, page);
    process.stderr.write(
      `backtest: ${values.html} written (${(bytes / 1048576).toFixed(2)} MB, ${Object.keys(page.days).length} days)\n`,
    );
  }
  if (values.json) {
    // The sweep's metrics (core/metrics.ts) beside the summary's own: expectancy, Sharpe, Sortino, Calmar, trading
    // days.
    const { expectancy, sharpe, sortino, calmar, tradingDays } = metricsJson(
      tradeMetrics(result.trades, tradedDays(data.index, data.options, from, to)),
    );
    const extra = {
      strategy: { name: choice.strategy.name, params: choice.params },
      expectancy,
      sharpe,
      sortino,
      calmar,
      tradingDays,
      slippagePoints: slippage,
      daysTraded: result.daysTraded,
      cancelledEntries: result.cancelledEntries,
      daysWithoutOptions: result.daysWithoutOptions.length,
      slippageSensitivity: sensitivityJson(sensitivity),
    };
    process.stdout.write(
      JSON.stringify({ trades: result.trades.map(tradeJson), summary: summaryJson(summary, extra) }) + '\n',
    );
  } else {
    process.stdout.write(
      textReport(summary, {
        title: `${title}, ${result.daysTraded} trading days`,
        sensitivity,
        notes: [strategyLine(choice), ...notes],
        showDays: values.days,
      }),
    );
    if (values.csv) process.stdout.write(`\n${result.trades.length} trades written to ${values.csv}\n`);
  }
  if (values.json) for (const n of notes) process.stderr.write(`note: ${n}\n`);
  return 0;
}

/**
 * `--strategy NAME` (default the config's strategy, else v25), `--param NAME=VALUE …` on top of that
 * strategy's parameters (the config's when it names the same strategy), and `--slippage P` as
 * `--param slippagePoints=P`. A bad name or value is a usage error naming it (exit 64).
 */
function strategyFlags(values: {
  strategy?: string;
  param?: string[];
  slippage?: string;
  config?: string;
}): StrategyChoice {
  const configured = loadConfig(values.config).config.strategy;
  const name = values.strategy ?? configured.name;
  const base = name === configured.name ? (configured.params as Record<string, unknown>) : {};
  const assignments = [...(values.param ?? [])];
  const slippage = numberFlag(values.slippage, 'slippage', 0, 50);
  if (slippage !== undefined) {
    if (assignments.some((a) => a.startsWith('slippagePoints=')))
      throw new UsageError('--slippage and --param slippagePoints= both given: pass one');
    assignments.push(`slippagePoints=${slippage}`);
  }
  try {
    return chooseWithAssignments(name, base, assignments);
  } catch (err) {
    if (err instanceof StrategyChoiceError)
      throw new UsageError(
        `${values.strategy === undefined || err.param ? '--param' : '--strategy'}: ${err.message}\nusage: ${USAGE}`,
      );
    throw err;
  }
}

/** The run's identity as the report prints it: the strategy and every parameter, defaults included. */
export function strategyLine(choice: StrategyChoice): string {
  return `strategy ${choice.strategy.name}: ${paramsText(choice.params as unknown as Record<string, unknown>)}`;
}
