/**
 * A strategy on recorded candles: each candle becomes the ticks open → low → high → close and goes
 * through the same Engine the appliance runs (Engine.onCandle: the four ticks in one call). Pure: parsed data in,
 * trades out.
 */
import type { MarketCalendar } from './calendar.js';
import { Engine } from './engine.js';
import type { EngineEvent } from './events.js';
import type { RiskParams } from './params.js';
import { DEFAULT_STRATEGY, type StrategyChoice, chooseStrategy } from './strategies/index.js';
import { BUCKET_MS, DAY_MS, IST_OFFSET_MS, istDate, istDayNumber } from './time.js';
import { forEachCandleTick } from './candle-ticks.js';
import type { Candle, ClosedTrade, DayContracts, Side, Tick } from './types.js';
import { NIFTY_INDEX_KEY } from './types.js';

export interface BacktestDay {
  contracts: DayContracts;
  candles: Record<Side, Candle[]>;
}

export interface BacktestInput {
  index: readonly Candle[];
  options: ReadonlyMap<string, BacktestDay>;
  from?: string;
  to?: string;
  /** The strategy's name (strategies.md); default v25. */
  strategy?: string;
  /**
   * Its parameters, any subset (the rest are its defaults); an unknown one or a bad value throws StrategyChoiceError.
   */
  params?: Record<string, unknown>;
  risk: RiskParams;
  calendar: MarketCalendar;
  onProgress?: (day: string, done: number, total: number) => void;
  /** Every engine event, entries and TP1 moves included (verify reads the backtest's stop levels); slower. */
  onEvent?: (e: EngineEvent) => void;
}

export interface BacktestResult {
  trades: ClosedTrade[];
  /** Entries cancelled because the contract had no next candle. */
  cancelledEntries: number;
  /** Trading days in range that had index candles but no option pair (not traded). */
  daysWithoutOptions: string[];
  daysTraded: number;
}

/** The traded span: --from/--to, else the options file's (earlier index candles only warm up). */
export function backtestRange(
  options: ReadonlyMap<string, unknown>,
  from?: string,
  to?: string,
): { from: string; to: string } {
  const optionDays = [...options.keys()].sort();
  return { from: from ?? optionDays[0] ?? '9999-99-99', to: to ?? optionDays.at(-1) ?? '0000-00-00' };
}

/** The days a backtest of the range trades: those with index candles and an option pair, ascending. */
export function tradedDays(
  index: readonly Candle[],
  options: ReadonlyMap<string, unknown>,
  from?: string,
  to?: string,
): string[] {
  const range = backtestRange(options, from, to);
  const out: string[] = [];
  let lastDay = -1;
  for (const c of index) {
    const n = istDayNumber(c.ts);
    if (n === lastDay) continue;
    lastDay = n;
    const day = istDate(c.ts);
    if (day >= range.from && day <= range.to && options.has(day)) out.push(day);
  }
  return out;
}

export function runBacktest(input: BacktestInput): BacktestResult {
  const { index, options, calendar } = input;
  const optionDays = [...options.keys()].sort();
  const { from, to } = backtestRange(options, input.from, input.to);
  // Only exits and cancels are collected: no candle, signal, entry or position events to build.
  const strategy = backtestStrategy(input);
  const engine = new Engine({
    strategy,
    risk: input.risk,
    calendar,
    emitCandles: false,
    emitSignals: false,
    emitPositions: Boolean(input.onEvent),
  });
  const trades: ClosedTrade[] = [];
  let cancelled = 0;
  const daysWithoutOptions: string[] = [];
  const collect = (events: readonly EngineEvent[]) => {
    if (events.length === 0) return;
    if (input.onEvent) for (const e of events) input.onEvent(e);
    for (const e of events) {
      if (e.type === 'exit') trades.push(e.trade);
      else if (e.type === 'order_cancelled' && e.reason === 'NO_NEXT_CANDLE') cancelled++;
    }
  };

  // Engine.onCandle is the candle's four ticks (open, low, high, close) in one call.
  const onCandle = (key: string, c: Candle) => collect(engine.onCandle(key, c));
  const onClock = (ts: number) => collect(engine.onClock(ts));
  const daysInRange = optionDays.filter((d) => d >= from && d <= to);
  let done = 0;
  let i = 0;
  while (i < index.length) {
    // The day's candles are [i, end): those before the next IST midnight (the date string is made once per day).
    const nextMidnight = (istDayNumber(index[i]!.ts) + 1) * DAY_MS - IST_OFFSET_MS;
    let end = i + 1;
    while (end < index.length && index[end]!.ts < nextMidnight) end++;
    const day = istDate(index[i]!.ts);
    if (day > to) break;
    const od = day >= from ? options.get(day) : undefined;
    if (!od) {
      if (day >= from) daysWithoutOptions.push(day);
      for (let k = i; k < end; k++) engine.warmIndexCandle(index[k]!);
      i = end;
      continue;
    }
    collect(engine.setContracts(withLotSizes(od.contracts, calendar), index[i]!.ts));
    walkDay(index, i, end, od, onCandle, onClock);
    collect(engine.endSession(lastTs(index[end - 1]!, od)));
    done++; // not inside the optional call below: without onProgress its arguments are never evaluated
    input.onProgress?.(day, done, daysInRange.length);
    i = end;
  }
  return { trades, cancelledEntries: cancelled, daysWithoutOptions, daysTraded: done };
}

/** The strategy and full parameters a backtest input names. */
export function backtestStrategy(input: Pick<BacktestInput, 'strategy' | 'params'>): StrategyChoice {
  return chooseStrategy(input.strategy ?? DEFAULT_STRATEGY, input.params);
}

function lastTs(lastIndex: Candle, od: BacktestDay): number {
  const ce = od.candles.CE.at(-1)?.ts ?? 0;
  const pe = od.candles.PE.at(-1)?.ts ?? 0;
  return Math.max(lastIndex.ts, ce, pe) + BUCKET_MS;
}

/**
 * Walks one day's buckets in time order, replaying each candle as ticks open → low → high → close
 * and then closing the bucket. A bucket may lack the index or an option candle. `fromBucket` skips
 * buckets before it (a resumed replay). Shared by the backtest and `niftybox run --replay`.
 */
export function replayDay(
  index: readonly Candle[],
  start: number,
  end: number,
  od: BacktestDay,
  onTick: (tick: Tick) => void,
  onClock: (ts: number) => void,
  fromBucket = -Infinity,
): void {
  walkDay(index, start, end, od, (key, c) => forEachCandleTick(key, c, onTick), onClock, fromBucket);
}

/** replayDay's walk with each candle handed over whole (the backtest feeds it to Engine.onCandle). */
function walkDay(
  index: readonly Candle[],
  start: number,
  end: number,
  od: BacktestDay,
  onCandle: (key: string, c: Candle) => void,
  onClock: (ts: number) => void,
  fromBucket = -Infinity,
): void {
  const ce = od.candles.CE;
  const pe = od.candles.PE;
  const ceKey = od.contracts.CE.instrumentKey;
  const peKey = od.contracts.PE.instrumentKey;
  let ii = start;
  let ci = 0;
  let pi = 0;
  // The next candle's start in each series (∞ when it has none left), read once per candle.
  let ti = ii < end ? index[ii]!.ts : Infinity;
  let tc = ci < ce.length ? ce[ci]!.ts : Infinity;
  let tp = pi < pe.length ? pe[pi]!.ts : Infinity;
  for (;;) {
    const t = ti < tc ? (ti < tp ? ti : tp) : tc < tp ? tc : tp;
    if (t === Infinity) break;
    const play = t >= fromBucket;
    if (ti === t) {
      if (play) onCandle(NIFTY_INDEX_KEY, index[ii]!);
      ti = ++ii < end ? index[ii]!.ts : Infinity;
    }
    if (tc === t) {
      if (play) onCandle(ceKey, ce[ci]!);
      tc = ++ci < ce.length ? ce[ci]!.ts : Infinity;
    }
    if (tp === t) {
      if (play) onCandle(peKey, pe[pi]!);
      tp = ++pi < pe.length ? pe[pi]!.ts : Infinity;
    }
    if (play) onClock(t + BUCKET_MS);
  }
}

/** The day's contracts with lot sizes from the calendar where the file has none. */
export function withLotSizes(c: DayContracts, calendar: MarketCalendar): DayContracts {
  const fix = <T extends { lotSize: number; expiry: string }>(x: T): T =>
    x.lotSize > 0 ? x : { ...x, lotSize: calendar.lotSize(x.expiry) };
  return { day: c.day, CE: fix(c.CE), PE: fix(c.PE) };
}
