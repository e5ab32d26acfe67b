/**
 * Replays recorded 5-minute candles (the CSV formats of ../shared/data) as trades: each candle becomes
 * four trades — open, low, high, close — at times inside its 5-minute bucket.
 */
import { MarketCalendar } from '../../src/core/calendar.js';
import { addDays, istDate } from '../../src/core/time.js';
import { NIFTY_INDEX_KEY, type Candle } from '../../src/core/types.js';
import type { OptionDay } from '../../src/feed/csv.js';
import type { PriceSource, SimContract, Trade } from '../../src/sim/price-source.js';

/** Offsets of the four trades inside a bucket: open, low, high, close. */
const OFFSETS = [1_000, 75_000, 150_000, 290_000];
/**
 * With a continuous path the close trades a minute before the boundary, so a fast virtual clock cannot close the candle
 * before it.
 */
const PATH_OFFSETS = [1_000, 60_000, 150_000, 240_000];

export interface CandleReplayOptions {
  /**
   * Option candles become a continuous path (open → low → high → close, steps of at most this many points)
   * instead of four trades, as a real tape crosses every price: a live stop then fills within a step of
   * the stop, as the backtest's path fills at it. The index keeps four trades (only its OHLC matters).
   */
  optionPathStep?: number;
  /** Also list this many strikes either side of each day's recorded pair (no trades): a full chain to pick from. */
  chainStrikes?: number;
}

export interface ReplayOption {
  contract: SimContract;
  candles: Candle[];
}

export class CandleReplay implements PriceSource {
  readonly indexKey = NIFTY_INDEX_KEY;
  private readonly byKey = new Map<string, Map<string, Candle[]>>();
  private readonly contractsByKey = new Map<string, SimContract>();
  private readonly contractDays = new Map<string, Set<string>>();

  constructor(
    index: readonly Candle[],
    options: readonly ReplayOption[] = [],
    readonly calendar: MarketCalendar = new MarketCalendar(),
    private readonly replayOpts: CandleReplayOptions = {},
  ) {
    this.addCandles(this.indexKey, index);
    for (const o of options) {
      this.contractsByKey.set(o.contract.instrumentKey, o.contract);
      this.addCandles(o.contract.instrumentKey, o.candles);
      for (const c of o.candles) {
        const d = istDate(c.ts);
        if (!this.contractDays.has(d)) this.contractDays.set(d, new Set());
        this.contractDays.get(d)!.add(o.contract.instrumentKey);
      }
    }
    for (const { contract, days } of chainAround(options, replayOpts.chainStrikes ?? 0)) {
      this.contractsByKey.set(contract.instrumentKey, contract);
      for (const d of days) this.contractDays.get(d)?.add(contract.instrumentKey);
    }
  }

  session(date: string): { openTs: number; closeTs: number } | null {
    return this.calendar.session(date);
  }

  contracts(date: string): SimContract[] {
    return [...(this.contractDays.get(date) ?? [])].map((k) => this.contractsByKey.get(k)!);
  }

  contract(key: string): SimContract | null {
    return this.contractsByKey.get(key) ?? null;
  }

  trades(key: string, fromTs: number, toTs: number): Trade[] {
    const days = this.byKey.get(key);
    if (!days) return [];
    const out: Trade[] = [];
    for (let d = istDate(Math.max(fromTs + 1, toTs - 40 * 86_400_000)); d <= istDate(toTs); d = addDays(d, 1)) {
      for (const c of days.get(d) ?? []) {
        if (c.ts + 300_000 <= fromTs || c.ts > toTs) continue;
        for (const t of this.candleTrades(key, c)) if (t.ts > fromTs && t.ts <= toTs) out.push(t);
      }
    }
    return out;
  }

  lastTrade(key: string, ts: number): Trade | null {
    const days = this.byKey.get(key);
    if (!days) return null;
    for (let d = istDate(ts), n = 0; n < 15; d = addDays(d, -1), n++) {
      const list = days.get(d);
      if (!list) continue;
      for (let i = list.length - 1; i >= 0; i--) {
        const trades = this.candleTrades(key, list[i]!).filter((t) => t.ts <= ts);
        if (trades.length) return trades[trades.length - 1]!;
      }
    }
    return null;
  }

  previousClose(key: string, date: string): number | null {
    const days = this.byKey.get(key);
    for (let d = addDays(date, -1), n = 0; days && n < 15; d = addDays(d, -1), n++) {
      const list = days.get(d);
      if (list?.length) return list[list.length - 1]!.close;
    }
    return null;
  }

  private readonly pathCache = new Map<Candle, Trade[]>();

  private candleTrades(key: string, c: Candle): Trade[] {
    const step = this.replayOpts.optionPathStep;
    if (!step || key === this.indexKey) return candleTrades(c, step ? PATH_OFFSETS : OFFSETS);
    let path = this.pathCache.get(c);
    if (!path) this.pathCache.set(c, (path = pathTrades(c, step)));
    return path;
  }

  private addCandles(key: string, candles: readonly Candle[]): void {
    let days = this.byKey.get(key);
    if (!days) this.byKey.set(key, (days = new Map()));
    for (const c of candles) {
      const d = istDate(c.ts);
      if (!days.has(d)) days.set(d, []);
      days.get(d)!.push(c);
    }
    for (const list of days.values()) list.sort((a, b) => a.ts - b.ts);
  }
}

function candleTrades(c: Candle, offsets: readonly number[]): Trade[] {
  const qty = Math.floor(c.volume / 4);
  // The close carries the remainder so that the four trades add up to the candle's volume.
  return [c.open, c.low, c.high, c.close].map((price, i) => ({
    ts: c.ts + offsets[i]!,
    price,
    qty: i === 3 ? c.volume - 3 * qty : qty,
  }));
}

/** open → low → high → close through every price on the way (steps ≤ `step`), the same order the backtest walks. */
function pathTrades(c: Candle, step: number): Trade[] {
  const points = [c.open, c.low, c.high, c.close];
  const out: { ts: number; price: number }[] = [{ ts: c.ts + PATH_OFFSETS[0]!, price: c.open }];
  for (let seg = 1; seg < 4; seg++) {
    const [p0, p1] = [points[seg - 1]!, points[seg]!];
    const [t0, t1] = [c.ts + PATH_OFFSETS[seg - 1]!, c.ts + PATH_OFFSETS[seg]!];
    const n = Math.max(1, Math.ceil(Math.abs(p1 - p0) / step - 1e-9));
    for (let k = 1; k <= n; k++)
      out.push({
        ts: t0 + Math.round(((t1 - t0) * k) / n),
        price: k === n ? p1 : Math.round((p0 + ((p1 - p0) * k) / n) * 100) / 100,
      });
  }
  const qty = Math.floor(c.volume / out.length);
  return out.map((t, i) => ({ ...t, qty: i === out.length - 1 ? c.volume - qty * (out.length - 1) : qty }));
}

/**
 * Neighbouring strikes of each recorded pair, listed on the same days but never traded (an ATM pick off the recorded
 * strike finds no data).
 */
function chainAround(options: readonly ReplayOption[], n: number): { contract: SimContract; days: string[] }[] {
  if (n <= 0) return [];
  const out = new Map<string, { contract: SimContract; days: Set<string> }>();
  const recorded = new Set(options.map((o) => o.contract.instrumentKey));
  for (const o of options) {
    for (let k = -n; k <= n; k++) {
      const strike = o.contract.strike + 50 * k;
      const key = `NSE_FO|CHAIN-${o.contract.expiry}-${strike}-${o.contract.side}`;
      if (k === 0 || recorded.has(key)) continue;
      let x = out.get(key);
      if (!x)
        out.set(
          key,
          (x = {
            contract: {
              ...o.contract,
              strike,
              instrumentKey: key,
              exchangeToken: key.split('|')[1]!,
              tradingSymbol: `NIFTY ${strike} ${o.contract.side} ${o.contract.expiry}`,
            },
            days: new Set(),
          }),
        );
      for (const c of o.candles) x.days.add(istDate(c.ts));
    }
  }
  return [...out.values()].map((x) => ({ contract: x.contract, days: [...x.days] }));
}
/** The options file's day pairs (parsed by feed/csv.ts) as replayable contracts, one per instrument key. */
export function replayOptions(
  days: ReadonlyMap<string, OptionDay>,
  calendar: MarketCalendar = new MarketCalendar(),
): ReplayOption[] {
  const byKey = new Map<string, ReplayOption>();
  for (const od of days.values()) {
    for (const side of ['CE', 'PE'] as const) {
      const c = od.contracts[side];
      let o = byKey.get(c.instrumentKey);
      if (!o) {
        const lotSize = c.lotSize > 0 ? c.lotSize : calendar.lotSize(c.expiry);
        o = {
          contract: {
            ...c,
            lotSize,
            exchangeToken: c.instrumentKey.split('|')[1] ?? c.instrumentKey,
            tradingSymbol: `NIFTY ${c.strike} ${side} ${c.expiry}`,
          },
          candles: [],
        };
        byKey.set(c.instrumentKey, o);
      }
      o.candles.push(...od.candles[side]);
    }
  }
  return [...byKey.values()];
}
