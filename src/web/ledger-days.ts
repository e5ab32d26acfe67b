/** Day views, the day list and the equity curve from the paper ledger (the live page and `report --html`). */
import type { MarketCalendar } from '../core/calendar.js';
import type { StrategyChoice } from '../core/strategies/index.js';
import { DAY_MS } from '../core/time.js';
import { NIFTY_INDEX_KEY, type Candle, type DayContracts, type Side } from '../core/types.js';
import type { Ledger } from '../store/ledger.js';
import {
  dayTrades,
  equityCurve,
  indexPane,
  optionPane,
  strategyPlots,
  type DayView,
  type EquityPoint,
  type OptionPane,
  type PositionLevels,
} from './day-view.js';

/**
 * Index candles before the day that warm the indicators (EMA200 is ~2.7 days of candles; EMA26 + signal converge well
 * within this).
 */
const WARMUP_MS = 10 * DAY_MS;

export interface LiveDayExtras {
  /** Today's contracts as the engine picked them. */
  contracts?: DayContracts | null;
  /** Index candles the source warmed up with (the API's history before the ledger had any). */
  history?: (untilTs: number) => Candle[];
  position?: PositionLevels | null;
}

export class LedgerDays {
  constructor(
    private readonly ledger: Ledger,
    private readonly calendar: MarketCalendar,
    private readonly strategy: StrategyChoice,
  ) {}

  /** Days with index candles or trades, ascending. */
  days(): string[] {
    const set = new Set(this.ledger.candleDays(NIFTY_INDEX_KEY));
    for (const t of this.ledger.trades()) set.add(t.day);
    return [...set].sort();
  }

  equity(): EquityPoint[] {
    return equityCurve(this.ledger.trades());
  }

  day(day: string, live: LiveDayExtras = {}): DayView | null {
    const session = this.calendar.session(day);
    if (!session) return null;
    const { openTs, closeTs } = session;
    const stored = this.ledger.candles(NIFTY_INDEX_KEY, openTs - WARMUP_MS, closeTs);
    const history = live.history
      ? mergeByTs(
          live.history(openTs - 1).filter((c) => c.ts >= openTs - WARMUP_MS),
          stored,
        )
      : stored;
    const trades = this.ledger.trades({ from: day, to: day });
    const index = indexPane(history, openTs, closeTs, this.strategy);

    // The day's contracts: the engine's pick (today), else the trades' contracts, else the candles in the ledger.
    const options: Record<Side, OptionPane | null> = { CE: null, PE: null };
    const candlesOf = (key: string) => this.ledger.candles(key, openTs, closeTs);
    const contracts = live.contracts && live.contracts.day === day ? live.contracts : null;
    for (const side of ['CE', 'PE'] as const) {
      if (contracts) options[side] = optionPane(contracts[side], candlesOf(contracts[side].instrumentKey));
      else {
        const t = trades.find((x) => x.side === side);
        if (t) options[side] = optionPane(t, candlesOf(t.instrumentKey));
      }
    }
    const known = new Set([NIFTY_INDEX_KEY, options.CE?.instrumentKey, options.PE?.instrumentKey]);
    for (const key of this.ledger.candleKeys(openTs, closeTs)) {
      if (known.has(key)) continue;
      const candles = candlesOf(key);
      const side = sideByCorrelation(candles, history);
      if (side && !options[side]) options[side] = optionPane({ instrumentKey: key }, candles);
    }
    const position =
      live.position &&
      (options[live.position.side]?.instrumentKey === live.position.instrumentKey || !options[live.position.side])
        ? live.position
        : null;
    return { day, strategy: strategyPlots(this.strategy), index, options, trades: dayTrades(trades), position };
  }
}

function mergeByTs(a: readonly Candle[], b: readonly Candle[]): Candle[] {
  const m = new Map<number, Candle>();
  for (const c of a) m.set(c.ts, c);
  for (const c of b) m.set(c.ts, c); // the ledger's own candles win
  return [...m.values()].sort((x, y) => x.ts - y.ts);
}

/**
 * A contract the ledger holds candles of but no trade names: a call moves with the index, a put
 * against it. Used only to place an untraded contract in the CE or PE chart.
 */
function sideByCorrelation(option: readonly Candle[], index: readonly Candle[]): Side | null {
  const byTs = new Map(index.map((c) => [c.ts, c.close]));
  let s = 0;
  for (let i = 1; i < option.length; i++) {
    const a = byTs.get(option[i - 1]!.ts);
    const b = byTs.get(option[i]!.ts);
    if (a === undefined || b === undefined) continue;
    s += Math.sign(b - a) * Math.sign(option[i]!.close - option[i - 1]!.close);
  }
  return s > 0 ? 'CE' : s < 0 ? 'PE' : null;
}
