/**
 * Why a live day may differ from the backtest of its candles and still be right: the differences that
 * live ticks must make (v25.md, "Candles as ticks, and live ticks"). Each explanation is a rule of
 * v25.md checked against the day's data — the box's own tick-built candles (what it traded on) and
 * Upstox's candles (what the backtest ran on) — and accounts for named fields of a row. A difference no
 * rule accounts for stays unexplained: nothing here is a catch-all.
 *
 * - stop-fill: a stop or lock filled at the first trade at or below it (at that trade's bid) instead of at its level;
 * - exit-inside-candle: a lock met inside the candle whose high reached TP1, where the candle path
 *   (open → low → high → close) sees the lock only at the next candle;
 * - first-trade-fill: an entry or a reversal/EOD exit at the box's first trade of the candle instead
 *   of Upstox's open;
 * - earlier-exit-entry: an entry that exists only because an earlier exit came a candle sooner;
 * - held-in-other: an entry absent from one side because that side still held a position then.
 */
import { sellFill } from '../core/fill-model.js';
import { DayAtr } from '../core/indicators.js';
import type { SharedParams } from '../core/strategies/contract.js';
import { BUCKET_MS, istIso } from '../core/time.js';
import type { SignalEvent } from '../core/events.js';
import type { Candle, ClosedTrade } from '../core/types.js';
import type { DiffField, Explanation } from './verify-day.js';

const EPS = 1e-9;
/**
 * Live fills meet the best bid (sales) or ask (buys) when depth is known, not the trade itself (the ledger
 * keeps the fill, not the quote): a fill may lie this far outside the traded range of its candle.
 */
export const QUOTE_SPREAD_MAX = 0.25;

/** The backtest's own stop levels for one of its trades (from its entry and TP1 events). */
export interface BacktestLevels {
  sl: number;
  tp1: number;
  /** The lock (the stop after TP1) and the candle in which TP1 was reached, if it was. */
  lock?: number;
  tp1Bucket?: number;
}

export interface TickFillContext {
  /** The shared exit rules' parameters of the strategy the day is re-run with. */
  params: SharedParams;
  /** The box's tick-built candle of `key` that starts at `ts`. */
  boxCandle(key: string, ts: number): Candle | undefined;
  /** The box's tick-built candles of `key` from the session open to `toTs`, inclusive. */
  boxCandles(key: string, toTs: number): Candle[];
  /** The candle the backtest ran on (Upstox's where the ledger has it). */
  backtestCandle(key: string, ts: number): Candle | undefined;
  levels(bt: ClosedTrade): BacktestLevels | undefined;
  /** The box's entry signals taken on the index candle that starts at `candleTs`. */
  liveEntrySignals(candleTs: number): SignalEvent[];
}

export interface PairedRow {
  live: ClosedTrade | null;
  backtest: ClosedTrade | null;
  diffs: { field: DiffField; text: string }[];
  explanations: Explanation[];
}

export const bucket = (ts: number) => ts - (ts % BUCKET_MS);
const hhmm = (ts: number) => istIso(ts).slice(11, 16);
const hhmmss = (ts: number) => istIso(ts).slice(11, 19);
const p2 = (x: number) => x.toFixed(2);

/** A row is explained when every differing field is accounted for. */
export const isExplained = (r: PairedRow) =>
  r.diffs.every((d) => r.explanations.some((e) => e.accounts.includes(d.field)));

/** Fills each row's `explanations` with the rules that hold; rows in time order (later rows lean on earlier ones). */
export function explainTickFills(rows: PairedRow[], ctx: TickFillContext): void {
  for (const r of rows) {
    if (r.diffs.length === 0) continue;
    if (r.live && r.backtest) explainPair(r, r.live, r.backtest, ctx);
    else explainOneSided(r, rows, ctx);
  }
}

function explainPair(r: PairedRow, live: ClosedTrade, bt: ClosedTrade, ctx: TickFillContext): void {
  const has = (f: DiffField) => r.diffs.some((d) => d.field === f);
  if (has('side') || has('reason')) return; // no tick rule changes a side or an exit's kind
  const slip = ctx.params.slippagePoints;

  if (has('entryPrice')) {
    const mine = ctx.boxCandle(live.instrumentKey, bucket(live.entryTime));
    const theirs = ctx.backtestCandle(bt.instrumentKey, bucket(bt.entryTime));
    const trade = live.entryPrice - slip;
    if (
      mine &&
      theirs &&
      trade >= mine.open - EPS &&
      trade <= mine.open + QUOTE_SPREAD_MAX + EPS &&
      Math.abs(bt.entryPrice - (theirs.open + slip)) < EPS
    ) {
      r.explanations.push({
        kind: 'first-trade-fill',
        accounts: ['entryPrice'],
        text:
          `an entry at the first trade after the close: the box bought at its first ` +
          `trade of the ${hhmm(bucket(live.entryTime))} candle, ${p2(trade)} (+${slip} ` +
          `slippage), the backtest at that candle's open, ${p2(theirs.open)}`,
      });
    }
  }

  const stopExit = live.reason === 'SL' || live.reason === 'LOCK_SL';
  if (!has('exitTime') && !has('exitPrice')) return;
  if (stopExit) {
    const liveStop = liveStopMet(live, ctx);
    if (!liveStop) return;
    const L = ctx.levels(bt);
    const level = live.reason === 'LOCK_SL' ? L?.lock : L?.sl;
    if (!L || level === undefined) return;
    const exitBucket = bucket(live.exitTime);
    const btBucket = bucket(bt.exitTime);
    if (exitBucket === btBucket) {
      // Same candle: the candle path sells at the level, or at the open when a stop already in force was
      // gapped through; a lock armed at this candle's high is crossed on the way down to its close.
      const c = ctx.backtestCandle(bt.instrumentKey, btBucket);
      const armedHere = live.reason === 'LOCK_SL' && L.tp1Bucket === btBucket;
      if (!c || (armedHere ? c.close > level + EPS : c.low > level + EPS)) return;
      const pathSale = armedHere ? level : Math.min(c.open, level);
      if (Math.abs(bt.exitPrice - sellFill(pathSale, slip)) > EPS) return;
      r.explanations.push({
        kind: 'stop-fill',
        accounts: ['exitPrice'],
        text:
          `a stop filled at the first trade past it: ${liveStop.text}; the candle ` +
          `path sells at ` +
          (pathSale === level ? `the level, ${p2(level)}` : `the open, ${p2(c.open)}, below the level`) +
          ` ` +
          `(${p2(bt.exitPrice)} after slippage)`,
      });
    } else if (
      live.reason === 'LOCK_SL' &&
      btBucket === exitBucket + BUCKET_MS &&
      L.tp1Bucket === exitBucket &&
      L.lock !== undefined
    ) {
      // TP1 in this very candle: the path visits the low before the high, so the lock is armed only after
      // the low, and a close above it leaves the exit to the next candle.
      const c = ctx.backtestCandle(bt.instrumentKey, exitBucket);
      const next = ctx.backtestCandle(bt.instrumentKey, btBucket);
      if (!c || !next || c.close <= L.lock + EPS || c.low > L.lock + EPS || c.high < L.tp1 - EPS) return;
      if (Math.abs(bt.exitPrice - sellFill(Math.min(next.open, L.lock), slip)) > EPS) return;
      r.explanations.push({
        kind: 'exit-inside-candle',
        accounts: ['exitTime', 'exitPrice'],
        text:
          `an exit inside a candle instead of at its end: ${liveStop.text}, inside ` +
          `the candle whose high reached TP1; ` +
          (`the candle path reaches TP1 at the high, after the low (${p2(c.low)}), ` +
            `and the close ${p2(c.close)} is above the lock ${p2(L.lock)}, so it ` +
            `sells at the next candle, ${hhmm(btBucket)}, ${p2(bt.exitPrice)}`),
      });
    }
    return;
  }
  // A reversal or EOD exit fills at the first trade of the candle, live; the backtest at its open.
  if (has('exitTime') || (live.reason !== 'REVERSAL' && live.reason !== 'EOD')) return;
  const mine = ctx.boxCandle(live.instrumentKey, bucket(live.exitTime));
  const theirs = ctx.backtestCandle(bt.instrumentKey, bucket(bt.exitTime));
  const trade = live.exitPrice + slip;
  if (
    !mine ||
    !theirs ||
    trade > mine.open + EPS ||
    trade < mine.open - QUOTE_SPREAD_MAX - EPS ||
    Math.abs(bt.exitPrice - sellFill(theirs.open, slip)) > EPS
  )
    return;
  r.explanations.push({
    kind: 'first-trade-fill',
    accounts: ['exitPrice'],
    text:
      `a ${live.reason} exit at the first trade of the ${hhmm(bucket(live.exitTime))} ` +
      `candle, ${p2(trade)}, where the backtest sells at its open, ${p2(theirs.open)}`,
  });
}

/**
 * The live stop (or lock) and the trade that met it, if the box's candles bear it out: the sale's trade
 * is at or below the stop, inside the exit candle's range, and no earlier candle since the stop was in
 * force traded at or below it (so it was the first such trade).
 */
function liveStopMet(live: ClosedTrade, ctx: TickFillContext): { level: number; trade: number; text: string } | null {
  const { params } = ctx;
  const slip = params.slippagePoints;
  if (live.exitPrice <= 0.05 + EPS) return null; // a sale at the floor hides its trade
  const trade = live.exitPrice + slip;
  const key = live.instrumentKey;
  const entryBucket = bucket(live.entryTime);
  const exitBucket = bucket(live.exitTime);
  const candles = ctx.boxCandles(key, exitBucket).filter((c) => c.ts >= entryBucket);
  const exitCandle = candles.find((c) => c.ts === exitBucket);
  if (!exitCandle || exitCandle.high < trade - EPS || exitCandle.low > trade + QUOTE_SPREAD_MAX + EPS) return null;
  const before = (c: Candle) => c.ts < exitBucket;
  let level: number;
  let what: string;
  if (live.reason === 'LOCK_SL') {
    level = live.entryPrice + params.lockPoints[live.side];
    const tp1 = live.entryPrice + params.tp1Points[live.side];
    const tp1Candle = candles.find((c) => c.high >= tp1 - EPS);
    if (!tp1Candle) return null;
    if (candles.some((c) => before(c) && c.ts > tp1Candle.ts && c.low <= level + EPS)) return null;
    what = `lock ${p2(level)} (entry ${p2(live.entryPrice)} + ${params.lockPoints[live.side]})`;
  } else {
    const atr = atrAt(ctx.boxCandles(key, entryBucket - BUCKET_MS), params.atrPeriod);
    if (atr === undefined) return null;
    level = live.entryPrice - params.slAtrMult * atr;
    if (candles.some((c) => before(c) && c.low <= level + EPS)) return null;
    what = `stop ${p2(level)} (entry ${p2(live.entryPrice)} − ${params.slAtrMult} × ATR ${atr.toFixed(2)})`;
  }
  if (trade > level + EPS || exitCandle.low > level + EPS) return null;
  return {
    level,
    trade,
    text:
      `the box's ${what} met its first trade at or below it at ${hhmmss(live.exitTime)} ` +
      `(the ${hhmm(exitBucket)} candle's low ${p2(exitCandle.low)}) and sold at ` +
      `${p2(trade)}, ${p2(live.exitPrice)} after slippage`,
  };
}

/** The option ATR as of the last of the day's candles given (v25.md: reset each day). */
function atrAt(candles: Candle[], period: number): number | undefined {
  if (candles.length === 0) return undefined;
  const atr = new DayAtr(period);
  for (const c of candles) atr.update(c);
  return atr.value;
}

/**
 * A trade on one side only. It is explained when, at its signal candle's close, the other side was not
 * flat because of a difference already explained: that side still held a trade whose counterpart had
 * exited sooner (earlier-exit-entry), or held a one-sided trade of its own (held-in-other).
 */
function explainOneSided(r: PairedRow, rows: PairedRow[], ctx: TickFillContext): void {
  const t = (r.live ?? r.backtest)!;
  const onLive = r.live !== null;
  const signal = bucket(t.entryTime) - BUCKET_MS;
  const mine = (x: PairedRow) => (onLive ? x.live : x.backtest);
  const other = (x: PairedRow) => (onLive ? x.backtest : x.live);
  const holds = (x: ClosedTrade | null) => x !== null && bucket(x.entryTime) <= signal && bucket(x.exitTime) > signal;
  const number = (x: PairedRow) => `#${rows.indexOf(x) + 1}`;
  // The entry signal itself: the backtest's trade is its own proof; the box's must be in its signal log.
  const liveSignal = onLive
    ? ctx.liveEntrySignals(signal).find((s) => s.side === t.side && s.action === 'taken')
    : undefined;
  if (onLive && !liveSignal) return;
  for (const x of rows) {
    if (x === r || !holds(other(x)) || !isExplained(x)) continue;
    const counterpart = mine(x);
    if (counterpart && bucket(counterpart.exitTime) <= signal) {
      const readings = liveSignal ? ` (close ${p2(liveSignal.close)}${readingsText(liveSignal.readings)})` : '';
      r.explanations.push({
        kind: 'earlier-exit-entry',
        accounts: ['presence'],
        text:
          `an entry that exists only because an earlier exit came a candle sooner: ` +
          `${onLive ? 'the box' : 'the backtest'} ` +
          `sold ${number(x)} at ${hhmm(counterpart.exitTime)}, inside the ${hhmm(bucket(counterpart.exitTime))} ` +
          `candle, ` +
          (`so it was flat at the ${hhmm(signal)} close and took that candle's ${t.side} ` +
            `signal${readings}; ${onLive ? 'the backtest' : 'the box'} still held ${number(x)} ` +
            `then (it sold at ${hhmm(other(x)!.exitTime)}), so it has no such trade`),
      });
      return;
    }
    if (!counterpart) {
      r.explanations.push({
        kind: 'held-in-other',
        accounts: ['presence'],
        text:
          `absent from ${onLive ? 'the backtest' : 'the box'}: it still held ${number(x)} ` +
          `(a trade the other side does not have) at the ${hhmm(signal)} close`,
      });
      return;
    }
  }
}

/** A signal's readings for a sentence: `, ema 26112.40, hist 1.23, chop 48.1`. */
function readingsText(readings: Record<string, number>): string {
  return Object.entries(readings)
    .map(
      ([name, v]) => `, ${name} ${Math.abs(v) >= 100 ? v.toFixed(2) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2)}`,
    )
    .join('');
}
