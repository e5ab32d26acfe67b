/**
 * History for any period from Upstox: the NIFTY index 5-minute candles (V3 historical, at most a month
 * per call) with earlier days to warm the indicators, and for each trading day the ATM weekly CE and PE
 * the live box would have picked — the first index trade of the day (the open of its first candle),
 * the nearest listed expiry not passed, the strike nearest the spot. Past expiries come from the
 * expired-instruments API (expiries → contracts of that expiry → candles), current ones from the
 * option-contract and V3 historical-candle APIs. A contract is fetched in one call over the days of its
 * week it is the pick on (not one call a day). Every fetched day goes to a HistoryCache first, so a
 * re-run makes no candle call for what it already has.
 */
import type { MarketCalendar } from '../../core/calendar.js';
import { atmStrike } from '../../core/contracts.js';
import { addDays, istDate } from '../../core/time.js';
import { NIFTY_INDEX_KEY, type Candle, type OptionContract, type Side } from '../../core/types.js';
import type { OptionDayRows } from '../candle-files.js';
import { UpstoxApiError } from './errors.js';
import type { HistoryCache } from './history-cache.js';
import type { CandleWithOi, UpstoxRest } from './rest.js';

export type HistoryRest = Pick<
  UpstoxRest,
  | 'historicalCandles'
  | 'historicalCandlesWithOi'
  | 'optionContracts'
  | 'expiredExpiries'
  | 'expiredOptionContracts'
  | 'expiredHistoricalCandles'
>;

/** Upstox's longest span of 5-minute candles in one call is a month; 30 days stays inside it. */
const MAX_SPAN_DAYS = 30;
/** Trading days of index candles before --from (the indicators' EMA/MACD/Choppiness warm-up). */
const DEFAULT_WARM_DAYS = 20;

const PLUS_ONLY_CODE = 'UDAPI1149';

export interface HistoryProgress {
  phase: 'index' | 'options';
  done: number;
  total: number;
  day?: string;
}

export interface HistoryFetchOptions {
  rest: HistoryRest;
  calendar: MarketCalendar;
  cache: HistoryCache;
  from: string;
  to: string;
  /** Epoch ms now: days whose session has not closed yet are left out. */
  now: number;
  warmDays?: number;
  onProgress?: (p: HistoryProgress) => void;
  onNote?: (message: string) => void;
  /** Checked before every call; true stops the fetch with Interrupted (what is cached stays). */
  stopped?: () => boolean;
}

export interface SkippedDay {
  day: string;
  why: string;
}

export interface HistoryResult {
  index: Candle[];
  days: OptionDayRows[];
  skipped: SkippedDay[];
  /** True when Upstox answered UDAPI1149 (expired instruments need Upstox Plus). */
  plusOnly: boolean;
  /** Candle calls made by this run (0 when everything was cached). */
  candleCalls: number;
}

export class Interrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'Interrupted';
  }
}

/** Thrown when every option day needs the expired-instruments API and the account has no Upstox Plus. */
export class PlusOnlyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlusOnlyError';
  }
}

type CompactCandle = [number, number, number, number, number, number, number?];
interface CachedOptionDay {
  day: string;
  spot: number;
  expired: boolean;
  contracts: Record<Side, OptionContract>;
  candles: Record<Side, CompactCandle[]>;
}

const pack = (c: Candle & { oi?: number }): CompactCandle => [
  c.ts,
  c.open,
  c.high,
  c.low,
  c.close,
  c.volume,
  c.oi ?? 0,
];
const unpack = ([ts, open, high, low, close, volume, oi]: CompactCandle): Candle & { oi: number } => ({
  ts,
  open,
  high,
  low,
  close,
  volume,
  oi: oi ?? 0,
});

/** The trading days `warmDays` before `from`, then `from`…`to`, oldest first. */
function indexDays(calendar: MarketCalendar, from: string, to: string, warmDays: number): string[] {
  let start = from;
  for (let i = 0; i < warmDays; i++) start = calendar.previousTradingDay(start);
  return calendar.tradingDays(start, to);
}

/** Splits sorted days into runs whose first and last day are at most MAX_SPAN_DAYS apart. */
export function spans(days: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (const d of days) {
    const last = out.at(-1);
    if (last && d <= addDays(last[0], MAX_SPAN_DAYS)) last[1] = d;
    else out.push([d, d]);
  }
  return out;
}

/** The nearest expiry on or after `day` (an expiry day has not passed on that day). */
export function nearestExpiry(expiries: Iterable<string>, day: string): string | null {
  let best: string | null = null;
  for (const e of expiries) if (e >= day && (best === null || e < best)) best = e;
  return best;
}

export async function fetchHistory(o: HistoryFetchOptions): Promise<HistoryResult> {
  const { rest, calendar, cache } = o;
  const note = o.onNote ?? (() => undefined);
  const complete = (day: string) => {
    const s = calendar.session(day);
    return !!s && s.closeTs <= o.now;
  };
  let candleCalls = 0;
  const guard = () => {
    if (o.stopped?.()) throw new Interrupted();
  };

  // ---- index
  const wanted = indexDays(calendar, o.from, o.to, o.warmDays ?? DEFAULT_WARM_DAYS).filter(complete);
  const missing = wanted.filter((d) => !cache.has('index', d));
  const runs = spans(missing);
  let done = 0;
  o.onProgress?.({ phase: 'index', done, total: runs.length });
  for (const [a, b] of runs) {
    guard();
    const candles = await rest.historicalCandles(NIFTY_INDEX_KEY, 'minutes', 5, a, b);
    candleCalls++;
    const byDay = new Map<string, CompactCandle[]>();
    for (const c of candles) {
      const d = istDate(c.ts);
      if (!byDay.has(d)) byDay.set(d, []);
      byDay.get(d)!.push(pack(c).slice(0, 6) as CompactCandle);
    }
    for (const d of missing) if (d >= a && d <= b) cache.put('index', d, byDay.get(d) ?? []);
    o.onProgress?.({ phase: 'index', done: ++done, total: runs.length, day: b });
  }
  const indexByDay = new Map<string, Candle[]>();
  for (const d of wanted) {
    const rows = cache.get<CompactCandle[]>('index', d);
    if (rows === undefined)
      throw new Error(`the cached index candles of ${d} are unreadable: delete ${cache.dir} and fetch again`);
    indexByDay.set(
      d,
      rows.map(unpack).map(({ oi: _oi, ...c }) => c),
    );
  }

  // ---- the day's ATM pair
  const tradeDays = wanted.filter((d) => d >= o.from && d <= o.to);
  const skipped: SkippedDay[] = [];
  const days: OptionDayRows[] = [];
  const todo = tradeDays.filter((d) => !cache.has('options', d));
  let plusOnly = false;
  let listing: { expired: Set<string>; current: OptionContract[]; currentExpiries: Set<string> } | null = null;
  const loadListing = async () => {
    if (listing) return listing;
    let expired: string[] = [];
    try {
      guard();
      expired = await rest.expiredExpiries(NIFTY_INDEX_KEY);
    } catch (err) {
      if (!(err instanceof UpstoxApiError && err.code === PLUS_ONLY_CODE)) throw err;
      plusOnly = true;
      note(plusOnlyExplanation());
    }
    guard();
    const current = await rest.optionContracts(NIFTY_INDEX_KEY);
    listing = { expired: new Set(expired), current, currentExpiries: new Set(current.map((c) => c.expiry)) };
    return listing;
  };
  const contractsOf = new Map<string, OptionContract[]>();
  const expiredContracts = async (expiry: string) => {
    let list = contractsOf.get(expiry) ?? cache.get<OptionContract[]>('contracts', expiry);
    if (!list) {
      guard();
      list = await rest.expiredOptionContracts(NIFTY_INDEX_KEY, expiry);
      if (list.length) cache.put('contracts', expiry, list); // a past expiry's contracts never change
    }
    contractsOf.set(expiry, list);
    return list;
  };

  // First each day's pair (listings only, no candles): a contract picked on several days of its week is then
  // fetched in one call over those days instead of one call a day.
  type Plan = { skip: string } | { spot: number; expired: boolean; contracts: Record<Side, OptionContract> };
  const plans = new Map<string, Plan>();
  for (const day of todo) {
    const index = indexByDay.get(day) ?? [];
    if (index.length === 0) {
      plans.set(day, { skip: 'Upstox has no index candles for it' });
      continue;
    }
    const spot = index[0]!.open;
    const strike = atmStrike(spot);
    const l = await loadListing();
    const expiry = nearestExpiry([...l.expired, ...l.currentExpiries], day);
    const needsExpired = calendar.weeklyExpiry(day) < (nearestExpiry(l.currentExpiries, '0000-00-00') ?? '9999-99-99');
    if (plusOnly && needsExpired) {
      plans.set(day, {
        skip:
          `its weekly expiry ${calendar.weeklyExpiry(day)} has passed and expired ` +
          `contracts need Upstox Plus (${PLUS_ONLY_CODE})`,
      });
      continue;
    }
    // The nearest listed expiry lies beyond the day's weekly one: that week is no longer listed.
    if (!expiry || expiry > calendar.weeklyExpiry(day)) {
      plans.set(day, {
        skip:
          `its weekly expiry ${calendar.weeklyExpiry(day)} is not listed by Upstox ` +
          `(the expired-instruments API reaches about six months back)`,
      });
      continue;
    }
    const expired = l.expired.has(expiry) && !l.currentExpiries.has(expiry);
    const listed = expired ? await expiredContracts(expiry) : l.current.filter((c) => c.expiry === expiry);
    const find = (side: Side) => listed.find((c) => c.side === side && c.strike === strike && c.expiry === expiry);
    const CE = find('CE');
    const PE = find('PE');
    if (!CE || !PE) {
      plans.set(day, { skip: `no ${!CE ? 'CE' : 'PE'} at strike ${strike} (spot ${spot}) for expiry ${expiry}` });
      continue;
    }
    plans.set(day, { spot, expired, contracts: { CE, PE } });
  }
  // The days each contract is wanted on (all in its expiry's week: well inside a call's month).
  const wantedOn = new Map<string, string[]>();
  for (const [day, p] of plans)
    if ('contracts' in p)
      for (const c of [p.contracts.CE, p.contracts.PE])
        (wantedOn.get(c.instrumentKey) ?? wantedOn.set(c.instrumentKey, []).get(c.instrumentKey)!).push(day);
  const fetched = new Map<string, CandleWithOi[]>();
  const candlesOf = async (c: OptionContract, expired: boolean): Promise<CandleWithOi[]> => {
    let got = fetched.get(c.instrumentKey);
    if (!got) {
      const on = wantedOn.get(c.instrumentKey)!;
      const [first, last] = [on[0]!, on.at(-1)!];
      guard();
      got = expired
        ? await rest.expiredHistoricalCandles(c.instrumentKey, '5minute', first, last)
        : await rest.historicalCandlesWithOi(c.instrumentKey, 'minutes', 5, first, last);
      candleCalls++;
      fetched.set(c.instrumentKey, got);
    }
    return got;
  };

  done = 0;
  o.onProgress?.({ phase: 'options', done, total: todo.length });
  for (const day of tradeDays) {
    let entry = cache.get<CachedOptionDay>('options', day);
    if (!entry) {
      const plan = plans.get(day);
      if (!plan) continue; // cached when the plans were made, unreadable now: not on this run
      if ('skip' in plan) {
        skipped.push({ day, why: plan.skip });
        if (indexByDay.get(day)?.length) o.onProgress?.({ phase: 'options', done: ++done, total: todo.length, day });
        continue;
      }
      const { CE, PE } = plan.contracts;
      const candles = {} as Record<Side, CompactCandle[]>;
      for (const [side, c] of [
        ['CE', CE],
        ['PE', PE],
      ] as const)
        candles[side] = (await candlesOf(c, plan.expired)).filter((x) => istDate(x.ts) === day).map(pack);
      if (!candles.CE.length || !candles.PE.length) {
        skipped.push({
          day,
          why: `Upstox returned no candles for ${!candles.CE.length ? CE.instrumentKey : PE.instrumentKey}`,
        });
        o.onProgress?.({ phase: 'options', done: ++done, total: todo.length, day });
        continue;
      }
      entry = { day, spot: plan.spot, expired: plan.expired, contracts: { CE, PE }, candles };
      cache.put('options', day, entry);
      o.onProgress?.({ phase: 'options', done: ++done, total: todo.length, day });
    }
    days.push({
      day,
      contracts: entry.contracts,
      candles: { CE: entry.candles.CE.map(unpack), PE: entry.candles.PE.map(unpack) },
    });
  }
  if (plusOnly && days.length === 0 && skipped.length > 0) throw new PlusOnlyError(plusOnlyExplanation());
  return { index: wanted.flatMap((d) => indexByDay.get(d)!), days, skipped, plusOnly, candleCalls };
}

function plusOnlyExplanation(): string {
  return (
    `Upstox answered ${PLUS_ONLY_CODE}: its expired-instruments API (the ` +
    `option contracts and candles of weekly expiries that have passed) ` +
    ('is only open to Upstox Plus subscribers. What still works without Plus: ' +
      'the NIFTY index candles for any period, and the ATM options ') +
    ('of expiries that have not passed yet (roughly the current week). ' +
      'Subscribe to Upstox Plus to backtest older weeks, or backtest ') +
    "the box's own recorded days with `niftybox export`."
  );
}
