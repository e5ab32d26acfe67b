/**
 * A recorded world for the fake Upstox's history endpoints: the recorded index candles, and for every
 * recorded day a full strike ladder of that day's weekly expiry. The contract the live rule picks (strike
 * nearest the open of the day's first index candle) carries the day's recorded ATM candles — whatever
 * strike the recording used — and every other strike carries visibly different candles (the recorded
 * ones scaled per strike step), so a client that picks the wrong strike gets wrong prices, hence wrong trades.
 */
import { MarketCalendar } from '../../src/core/calendar.js';
import { atmStrike } from '../../src/core/contracts.js';
import { NIFTY_STRIKE_STEP } from '../../src/core/market-data.js';
import { istDate } from '../../src/core/time.js';
import { NIFTY_INDEX_KEY, type Candle, type Side } from '../../src/core/types.js';
import type { OptionDay } from '../../src/feed/csv.js';
import { round05, type PriceSource, type SimContract, type Trade } from '../../src/sim/price-source.js';
import { CandleReplay, type ReplayOption } from './candle-replay.js';

export interface RecordedMarketOptions {
  /** Strikes listed each side of the picked one, per day (default 10). */
  strikesEachSide?: number;
  calendar?: MarketCalendar;
}

/** What the fake serves for every strike other than the picked one: the recorded candles × e^(∓0.12·steps). */
export function otherStrikeCandles(recorded: readonly Candle[], side: Side, steps: number): Candle[] {
  const f = Math.exp((side === 'CE' ? -0.12 : 0.12) * steps);
  return recorded.map((c) => ({
    ts: c.ts,
    open: round05(c.open * f),
    high: round05(c.high * f),
    low: round05(c.low * f),
    close: round05(c.close * f),
    volume: c.volume,
  }));
}

export class RecordedMarket implements PriceSource {
  readonly indexKey = NIFTY_INDEX_KEY;
  private readonly replay: CandleReplay;
  private readonly listed: SimContract[];
  /** The strike the live rule picks on each recorded day. */
  readonly picks = new Map<string, { spot: number; strike: number; expiry: string; recordedStrike: number }>();

  constructor(index: readonly Candle[], options: ReadonlyMap<string, OptionDay>, opts: RecordedMarketOptions = {}) {
    const calendar = opts.calendar ?? new MarketCalendar();
    const each = opts.strikesEachSide ?? 10;
    const firstOpen = new Map<string, number>();
    for (const c of index) {
      const d = istDate(c.ts);
      if (!firstOpen.has(d)) firstOpen.set(d, c.open);
    }
    const recordedToken = new Map<string, string>();
    for (const od of options.values()) {
      for (const side of ['CE', 'PE'] as const) {
        const c = od.contracts[side];
        recordedToken.set(`${c.expiry}|${c.strike}|${side}`, c.instrumentKey.split('|')[1]!);
      }
    }
    const byId = new Map<string, ReplayOption>();
    let next = 100_000;
    const contractFor = (expiry: string, strike: number, side: Side): ReplayOption => {
      const id = `${expiry}|${strike}|${side}`;
      let o = byId.get(id);
      if (!o) {
        const token = recordedToken.get(id) ?? String(next++);
        const [y, m, d] = expiry.split('-');
        o = {
          contract: {
            instrumentKey: `NSE_FO|${token}`,
            exchangeToken: token,
            side,
            strike,
            expiry,
            lotSize: calendar.lotSize(expiry),
            tradingSymbol: `NIFTY ${strike} ${side} ${d}/${m}/${y!.slice(2)}`,
          },
          candles: [],
        };
        byId.set(id, o);
      }
      return o;
    };
    for (const [day, od] of options) {
      const spot = firstOpen.get(day);
      if (spot === undefined) continue;
      const strike = atmStrike(spot);
      const expiry = od.contracts.CE.expiry;
      this.picks.set(day, { spot, strike, expiry, recordedStrike: od.contracts.CE.strike });
      for (let j = -each; j <= each; j++) {
        for (const side of ['CE', 'PE'] as const) {
          const o = contractFor(expiry, strike + j * NIFTY_STRIKE_STEP, side);
          o.candles.push(...(j === 0 ? od.candles[side] : otherStrikeCandles(od.candles[side], side, j)));
        }
      }
    }
    const all = [...byId.values()];
    this.listed = all
      .map((o) => o.contract)
      .sort((a, b) =>
        a.expiry < b.expiry ? -1 : a.expiry > b.expiry ? 1 : a.strike - b.strike || (a.side < b.side ? -1 : 1),
      );
    this.replay = new CandleReplay(index, all, calendar);
  }

  /** Every strike of the expiries not passed on `date` that fall within the next five weeks. */
  contracts(date: string): SimContract[] {
    const until = new Date(Date.parse(date) + 35 * 86_400_000).toISOString().slice(0, 10);
    return this.listed.filter((c) => c.expiry >= date && c.expiry <= until);
  }

  contract(key: string): SimContract | null {
    return this.replay.contract(key);
  }

  trades(key: string, fromTs: number, toTs: number): Trade[] {
    return this.replay.trades(key, fromTs, toTs);
  }

  lastTrade(key: string, ts: number): Trade | null {
    return this.replay.lastTrade(key, ts);
  }

  previousClose(key: string, date: string): number | null {
    return this.replay.previousClose(key, date);
  }

  session(date: string): { openTs: number; closeTs: number } | null {
    return this.replay.session(date);
  }
}
