/**
 * `backtest --html FILE` and `report --html FILE`: the page as one self-contained file (the chart
 * library and the data inlined, nothing fetched), with the summary, breakdowns, slippage
 * sensitivity, equity and drawdown, and every day's charts with its trades.
 */
import { writeFileSync } from 'node:fs';
import type { MarketCalendar } from '../core/calendar.js';
import type { StrategyChoice } from '../core/strategies/index.js';
import { summarize } from '../core/report.js';
import { istDate } from '../core/time.js';
import type { Candle, ClosedTrade } from '../core/types.js';
import type { OptionDay } from '../feed/csv.js';
import { sensitivityJson, summaryJson, type SlippagePoint } from '../report/format.js';
import type { Ledger } from '../store/ledger.js';
import { DataError } from '../lib/errors.js';
import {
  dayTrades,
  emptyIndexPane,
  equityCurve,
  indicatorSeries,
  optionPane,
  pushRow,
  strategyPlots,
  type DayView,
  type IndexPane,
  type ReportView,
} from './day-view.js';
import { LedgerDays } from './ledger-days.js';
import { pageHtml, readClientBundle } from './page.js';

export interface StaticPageData {
  kind: 'backtest' | 'report';
  report: ReportView;
  days: Record<string, DayView>;
}

function reportView(
  title: string,
  trades: readonly ClosedTrade[],
  sensitivity: SlippagePoint[],
  notes: string[],
  extra: Record<string, unknown> = {},
): ReportView {
  return {
    title,
    summary: summaryJson(summarize(trades), extra),
    sensitivity: sensitivityJson(sensitivity),
    equity: equityCurve(trades),
    trades: dayTrades(trades),
    notes,
  };
}

/** Day views of a backtest: the indicators run once over the whole index history, as the engine's do. */
export function backtestDays(
  index: readonly Candle[],
  options: ReadonlyMap<string, OptionDay>,
  trades: readonly ClosedTrade[],
  strategy: StrategyChoice,
  calendar: MarketCalendar,
  from?: string,
  to?: string,
): Record<string, DayView> {
  const ind = indicatorSeries(index, strategy);
  const panes = new Map<string, IndexPane>();
  index.forEach((c, i) => {
    const d = istDate(c.ts);
    let p = panes.get(d);
    if (!p) panes.set(d, (p = emptyIndexPane(strategy)));
    pushRow(p, c, ind[i]!);
  });
  const byDay = new Map<string, ClosedTrade[]>();
  for (const t of trades) byDay.set(t.day, [...(byDay.get(t.day) ?? []), t]);
  const days: Record<string, DayView> = {};
  for (const [day, od] of [...options.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if ((from && day < from) || (to && day > to) || !calendar.session(day)) continue;
    const pane = panes.get(day);
    if (!pane) continue;
    days[day] = {
      day,
      strategy: strategyPlots(strategy),
      index: pane,
      options: { CE: optionPane(od.contracts.CE, od.candles.CE), PE: optionPane(od.contracts.PE, od.candles.PE) },
      trades: dayTrades(byDay.get(day) ?? []),
      position: null,
    };
  }
  return days;
}

export function backtestPage(o: {
  index: readonly Candle[];
  options: ReadonlyMap<string, OptionDay>;
  trades: readonly ClosedTrade[];
  sensitivity: SlippagePoint[];
  strategy: StrategyChoice;
  calendar: MarketCalendar;
  from?: string;
  to?: string;
  title: string;
  notes: string[];
}): StaticPageData {
  return {
    kind: 'backtest',
    report: reportView(o.title, o.trades, o.sensitivity, o.notes, { slippagePoints: o.strategy.params.slippagePoints }),
    days: backtestDays(o.index, o.options, o.trades, o.strategy, o.calendar, o.from, o.to),
  };
}

/** The ledger's days in [from, to] that have candles or trades. */
export function ledgerPage(o: {
  ledger: Ledger;
  calendar: MarketCalendar;
  strategy: StrategyChoice;
  from?: string;
  to?: string;
  title: string;
  notes: string[];
}): StaticPageData {
  const ld = new LedgerDays(o.ledger, o.calendar, o.strategy);
  const trades = o.ledger.trades({ from: o.from, to: o.to });
  const days: Record<string, DayView> = {};
  for (const d of ld.days()) {
    if ((o.from && d < o.from) || (o.to && d > o.to)) continue;
    const v = ld.day(d);
    if (v) days[d] = v;
  }
  return { kind: 'report', report: reportView(o.title, trades, [], o.notes), days };
}

/** Writes the page; a file that cannot be written is the user's I/O problem (exit 74), said in one sentence. */
export function writeHtmlPage(file: string, data: StaticPageData): number {
  const html = pageHtml({ title: data.report.title, inline: { data, script: readClientBundle() } });
  try {
    writeFileSync(file, html);
  } catch (err) {
    throw new HtmlWriteError(
      `cannot write the --html file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return Buffer.byteLength(html);
}

/** Reported like any data error, with the I/O exit code 74. */
export class HtmlWriteError extends DataError {
  constructor(message: string) {
    super(message);
    Object.defineProperty(this, 'exitCode', { value: 74 });
  }
}
