/**
 * Replays recorded 5-minute candles (the CSV formats of ../shared/data) as trades: each candle becomes
 * four trades — open, low, high, close — at times inside its 5-minute bucket.
 */
import { MarketCalendar } from '../core/calendar.js';
import { addDays, istDate } from '../core/time.js';
import { NIFTY_INDEX_KEY, type Candle } from '../core/types.js';
import type { OptionDay } from '../feed/csv.js';
import type { PriceSource, SimContract, Trade } from './price-source.js';

/** Offsets of the four trades inside a bucket: open, low, high, close. */
const OFFSETS = [1_000, 75_000, 150_000, 290_000];

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
        for (const t of candleTrades(c)) if (t.ts > fromTs && t.ts <= toTs) out.push(t);
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
        const trades = candleTrades(list[i]!).filter((t) => t.ts <= ts);
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

function candleTrades(c: Candle): Trade[] {
  const qty = Math.floor(c.volume / 4);
  // The close carries the remainder so that the four trades add up to the candle's volume.
  return [c.open, c.low, c.high, c.close].map((price, i) => ({ ts: c.ts + OFFSETS[i]!, price, qty: i === 3 ? c.volume - 3 * qty : qty }));
}

/** The options file's day pairs (parsed by feed/csv.ts) as replayable contracts, one per instrument key. */
export function replayOptions(days: ReadonlyMap<string, OptionDay>, calendar: MarketCalendar = new MarketCalendar()): ReplayOption[] {
  const byKey = new Map<string, ReplayOption>();
  for (const od of days.values()) {
    for (const side of ['CE', 'PE'] as const) {
      const c = od.contracts[side];
      let o = byKey.get(c.instrumentKey);
      if (!o) {
        const lotSize = c.lotSize > 0 ? c.lotSize : calendar.lotSize(c.expiry);
        o = {
          contract: { ...c, lotSize, exchangeToken: c.instrumentKey.split('|')[1] ?? c.instrumentKey, tradingSymbol: `NIFTY ${c.strike} ${side} ${c.expiry}` },
          candles: [],
        };
        byKey.set(c.instrumentKey, o);
      }
      o.candles.push(...od.candles[side]);
    }
  }
  return [...byKey.values()];
}
