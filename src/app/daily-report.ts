/**
 * After the close: the day's trades (gross, charges, net) and a check of the tick-built candles in
 * the ledger against Upstox's official intraday candles, naming the largest deviation.
 */
import type { MarketCalendar } from '../core/calendar.js';
import { summarize } from '../core/report.js';
import { chargesByKindText } from '../report/format.js';
import { istDate, istIso } from '../core/time.js';
import type { Candle } from '../core/types.js';
import { reconcileCandles, type DayCandles } from '../store/candle-check.js';
import type { RiskParams } from '../core/params.js';
import type { StrategyChoice } from '../core/strategies/index.js';
import { verdictOf, verifyDay, type VerifyVerdict } from './verify-day.js';

/** The report text and, given the engine's parameters, the verdict of `niftybox verify` on the day. */
export async function dailyReport(
  d: DayCandles,
  strategy?: { strategy: StrategyChoice; risk: RiskParams },
): Promise<{ text: string; verdict: VerifyVerdict | null }> {
  const text = await dailyReportText(d);
  if (!strategy) return { text, verdict: null };
  try {
    const verdict = verdictOf(verifyDay({ ledger: d.ledger, day: d.day, calendar: d.calendar, ...strategy }));
    return { text: `${text}\nVerify vs backtest of the day's candles: ${verdict.summary}`, verdict };
  } catch (err) {
    return {
      text: `${text}\nVerify vs backtest of the day's candles: not possible (${(err as Error).message})`,
      verdict: null,
    };
  }
}

export async function dailyReportText(d: DayCandles): Promise<string> {
  const { day, ledger } = d;
  const s = summarize(ledger.trades({ from: day, to: day }));
  const lines = [
    `Daily report ${day}: ${s.trades} trades, ${s.wins} wins; gross ₹${s.grossPnl.toFixed(2)},` +
      ` charges ₹${s.charges.toFixed(2)}, net ₹${s.netPnl.toFixed(2)}`,
    `Charges by kind: ${chargesByKindText(s.chargesByKind)}`,
  ];
  try {
    const rec = await reconcileCandles(d);
    lines.push(
      `Candle check vs Upstox intraday: ${rec.compared} candles compared, ` +
        `largest deviation ${rec.maxDev.toFixed(2)} pt (${rec.where})`,
    );
  } catch (err) {
    lines.push(`Candle check vs Upstox intraday: not possible (${(err as Error).message})`);
  }
  return lines.join('\n');
}
