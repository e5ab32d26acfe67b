/**
 * The market simulator: a synthetic NIFTY 50 path, deterministic for (seed, date), with a U-shaped
 * intraday volatility and regime-switching drift (range / up-trend / down-trend), so a MACD+EMA trend
 * strategy with a Choppiness filter sees real signals several times a day. Option prices come from
 * Black–Scholes with a volatility smile; strikes every 50; expiries from MarketCalendar.weeklyExpiry.
 * Every trading day can be generated on its own (history for warm-up costs nothing extra).
 */
import { MarketCalendar } from '../core/calendar.js';
import { NIFTY_STRIKE_STEP } from '../core/market-data.js';
import { addDays, istDate, istTime } from '../core/time.js';
import { NIFTY_INDEX_KEY, type Side } from '../core/types.js';
import { bsGreeks, bsPrice, smileVol, type BsGreeks } from './black-scholes.js';
import { hashSeed, Prng } from './prng.js';
import { round05, type PriceSource, type SimContract, type Trade } from './price-source.js';

/** Price paths kept (least recently used dropped first). */
const PATH_CACHE = 24;

export interface MarketSimulatorOptions {
  seed?: number;
  calendar?: MarketCalendar;
  /** Index level on `anchorDate`. */
  startSpot?: number;
  /** Day levels walk from here (any date before the ones you use). */
  anchorDate?: string;
  /** Time between trades (virtual ms). */
  stepMs?: number;
  /** Daily volatility of the index (fraction). */
  dailyVol?: number;
  /** ATM implied volatility (annual fraction). */
  atmIv?: number;
  rate?: number;
  /** Strikes listed each side of the day's opening ATM. */
  strikesEachSide?: number;
  /** Weekly expiries listed. */
  expiriesListed?: number;
}

interface DayPath {
  date: string;
  openTs: number;
  closeTs: number;
  prices: Float64Array;
  qty: Uint32Array;
}

const YEAR_MS = 365 * 86_400_000;
const EPOCH_DAY = Date.parse('2020-01-01T00:00:00Z');
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

export class MarketSimulator implements PriceSource {
  readonly indexKey = NIFTY_INDEX_KEY;
  readonly calendar: MarketCalendar;
  private readonly seed: number;
  private readonly startSpot: number;
  private readonly anchorDate: string;
  private readonly stepMs: number;
  private readonly dailyVol: number;
  private readonly atmIv: number;
  private readonly rate: number;
  private readonly strikesEachSide: number;
  private readonly expiriesListed: number;
  private readonly levels = new Map<string, number>();
  private readonly paths = new Map<string, DayPath>();
  // Calendar look-ups parse dates; the feed asks the same questions many times a second.
  private readonly sessions = new Map<string, { openTs: number; closeTs: number } | null>();
  private readonly contractByKey = new Map<string, SimContract | null>();
  private readonly prevCloses = new Map<string, number | null>();

  constructor(opts: MarketSimulatorOptions = {}) {
    this.seed = opts.seed ?? 25;
    this.calendar = opts.calendar ?? new MarketCalendar();
    this.startSpot = opts.startSpot ?? 24_500;
    this.anchorDate = opts.anchorDate ?? '2024-01-01';
    this.stepMs = opts.stepMs ?? 1_000;
    this.dailyVol = opts.dailyVol ?? 0.006;
    this.atmIv = opts.atmIv ?? 0.13;
    this.rate = opts.rate ?? 0.065;
    this.strikesEachSide = opts.strikesEachSide ?? 20;
    this.expiriesListed = opts.expiriesListed ?? 4;
  }

  session(date: string): { openTs: number; closeTs: number } | null {
    let s = this.sessions.get(date);
    if (s === undefined) {
      const full = this.calendar.session(date);
      this.sessions.set(date, (s = full ? { openTs: full.openTs, closeTs: full.closeTs } : null));
    }
    return s;
  }

  /** Opening level of a trading day: a mean-reverting walk of daily moves from the anchor (cheap: no paths). */
  dayOpen(date: string): number {
    const cached = this.levels.get(date);
    if (cached !== undefined) return cached;
    let logLevel = 0;
    let d = this.anchorDate;
    let last = this.anchorDate;
    // Walk forward from the newest cached day before `date` if there is one.
    for (const [k, v] of this.levels)
      if (k < date && k >= last) (last = k), (logLevel = Math.log(v / this.startSpot)), (d = k);
    for (; d < date; d = addDays(d, 1)) {
      if (!this.calendar.isTradingDay(d)) continue;
      const r = new Prng(hashSeed(this.seed, 'day', d));
      logLevel = 0.97 * logLevel + this.dailyVol * 1.2 * r.normal();
    }
    const level = this.startSpot * Math.exp(logLevel);
    this.levels.set(date, level);
    return level;
  }

  /** Index price path of a trading day (one trade per step). */
  path(date: string): DayPath | null {
    const hit = this.cached(`I|${date}`);
    if (hit) return hit;
    const s = this.session(date);
    if (!s) return null;
    const n = Math.max(1, Math.floor((s.closeTs - s.openTs) / this.stepMs));
    const prices = new Float64Array(n);
    const qty = new Uint32Array(n);
    const r = new Prng(hashSeed(this.seed, 'path', date));
    const stepsPerDay = (6.25 * 3600_000) / this.stepMs;
    const baseSigma = this.dailyVol / Math.sqrt(stepsPerDay);
    let x = Math.log(this.dayOpen(date));
    let regime = 0; // -1 down-trend, 0 range, +1 up-trend
    let drift = 0;
    let anchor = x;
    const switchP = this.stepMs / (40 * 60_000); // regimes last ~40 minutes on average
    for (let i = 0; i < n; i++) {
      if (r.next() < switchP || i === 0) {
        const u = r.next();
        regime = u < 0.35 ? 0 : u < 0.675 ? 1 : -1;
        // Trends of 0.25–0.7 % an hour: enough for MACD and a Choppiness below 57.
        drift = regime * (0.0025 + 0.0045 * r.next()) * (this.stepMs / 3600_000);
        anchor = x;
      }
      const frac = i / n;
      const u = (frac - 0.5) / 0.5;
      const sigma = baseSigma * (0.65 + 1.05 * u * u); // U-shape, mean ≈ 1
      const pull = regime === 0 ? -0.002 * (x - anchor) : 0;
      x += drift + pull + sigma * r.normal();
      prices[i] = Math.round(Math.exp(x) * 100) / 100;
      qty[i] = 0; // the index has no traded quantity
    }
    const p: DayPath = { date, openTs: s.openTs, closeTs: s.closeTs, prices, qty };
    this.remember(`I|${date}`, p);
    return p;
  }

  /** Spot (index) at ts during a session; the nearest session price otherwise. */
  spotAt(ts: number): number | null {
    return this.lastTrade(this.indexKey, ts)?.price ?? null;
  }

  /** Expiries listed on a date: the next `expiriesListed` weekly expiries. */
  expiries(date: string): string[] {
    const out: string[] = [];
    let d = date;
    while (out.length < this.expiriesListed) {
      const e = this.calendar.weeklyExpiry(d);
      out.push(e);
      d = addDays(e, 1);
    }
    return out;
  }

  contracts(date: string): SimContract[] {
    const atm = Math.round(this.dayOpen(date) / NIFTY_STRIKE_STEP) * NIFTY_STRIKE_STEP;
    const out: SimContract[] = [];
    for (const expiry of this.expiries(date)) {
      for (let k = -this.strikesEachSide; k <= this.strikesEachSide; k++) {
        for (const side of ['CE', 'PE'] as Side[])
          out.push(this.makeContract(expiry, atm + k * NIFTY_STRIKE_STEP, side));
      }
    }
    return out;
  }

  contract(key: string): SimContract | null {
    let c = this.contractByKey.get(key);
    if (c === undefined) {
      if (this.contractByKey.size > 5000) this.contractByKey.clear();
      this.contractByKey.set(key, (c = this.parseContractKey(key)));
    }
    return c;
  }

  private parseContractKey(key: string): SimContract | null {
    const m = /^NSE_FO\|(\d+)$/.exec(key);
    if (!m) return null;
    const token = Number(m[1]);
    const side: Side = token % 2 ? 'PE' : 'CE';
    const strike = (Math.floor(token / 2) % 2000) * NIFTY_STRIKE_STEP;
    const expiry = new Date(EPOCH_DAY + Math.floor(token / 4000) * 86_400_000).toISOString().slice(0, 10);
    return strike > 0 ? this.makeContract(expiry, strike, side) : null;
  }

  /** Theoretical option price (Black–Scholes with the smile) at a spot and time. */
  optionPrice(c: Pick<SimContract, 'side' | 'strike' | 'expiry'>, spot: number, ts: number): number {
    const years = this.yearsToExpiry(c.expiry, ts);
    return round05(bsPrice(c.side === 'CE', spot, c.strike, years, smileVol(this.atmIv, spot, c.strike), this.rate));
  }

  greeks(c: Pick<SimContract, 'side' | 'strike' | 'expiry'>, spot: number, ts: number): BsGreeks & { iv: number } {
    const iv = smileVol(this.atmIv, spot, c.strike);
    return {
      ...bsGreeks(
        c.side === 'CE',
        spot,
        c.strike,
        Math.max(this.yearsToExpiry(c.expiry, ts), 1 / (365 * 24 * 60)),
        iv,
        this.rate,
      ),
      iv,
    };
  }

  trades(key: string, fromTs: number, toTs: number): Trade[] {
    const out: Trade[] = [];
    for (let d = istDate(Math.max(fromTs, toTs - 40 * 86_400_000) + 1); d <= istDate(toTs); d = addDays(d, 1)) {
      const p = this.keyPath(key, d);
      if (!p) continue;
      const first = Math.max(0, Math.floor((fromTs - p.openTs) / this.stepMs) + 1);
      const last = Math.min(p.prices.length - 1, Math.floor((toTs - p.openTs) / this.stepMs));
      for (let i = first; i <= last; i++)
        out.push({ ts: p.openTs + i * this.stepMs, price: p.prices[i]!, qty: p.qty[i]! });
    }
    return out;
  }

  lastTrade(key: string, ts: number): Trade | null {
    for (let d = istDate(ts), n = 0; n < 15; d = addDays(d, -1), n++) {
      const p = this.keyPath(key, d);
      if (!p || ts < p.openTs) continue;
      const i = Math.min(p.prices.length - 1, Math.floor((ts - p.openTs) / this.stepMs));
      return { ts: p.openTs + i * this.stepMs, price: p.prices[i]!, qty: p.qty[i]! };
    }
    return null;
  }

  previousClose(key: string, date: string): number | null {
    const id = `${key}|${date}`;
    let v = this.prevCloses.get(id);
    if (v === undefined) {
      const p = this.keyPath(key, this.calendar.previousTradingDay(date));
      if (this.prevCloses.size > 5000) this.prevCloses.clear();
      this.prevCloses.set(id, (v = p ? p.prices[p.prices.length - 1]! : null));
    }
    return v;
  }

  private keyPath(key: string, date: string): DayPath | null {
    if (key === this.indexKey) return this.path(date);
    const c = this.contract(key);
    if (!c || date > c.expiry) return null;
    const cacheKey = `${key}|${date}`;
    const hit = this.cached(cacheKey);
    if (hit) return hit;
    const idx = this.path(date);
    if (!idx) return null;
    const prices = new Float64Array(idx.prices.length);
    const qty = new Uint32Array(idx.prices.length);
    const r = new Prng(hashSeed(this.seed, key, date));
    for (let i = 0; i < prices.length; i++) {
      prices[i] = this.optionPrice(c, idx.prices[i]!, idx.openTs + i * this.stepMs);
      qty[i] = c.lotSize * r.int(1, 20);
    }
    const p: DayPath = { date, openTs: idx.openTs, closeTs: idx.closeTs, prices, qty };
    this.remember(cacheKey, p);
    return p;
  }

  /**
   * Price paths are ~270 KB each (a day of one-second steps): the cache keeps the PATH_CACHE most
   * recently used (a day's feed needs a handful), so a process that simulates day after day — the
   * demo, the soak — stays flat instead of growing towards hundreds of paths.
   */
  private cached(key: string): DayPath | undefined {
    const hit = this.paths.get(key);
    if (hit && this.paths.size > 1) {
      this.paths.delete(key); // most recently used last
      this.paths.set(key, hit);
    }
    return hit;
  }

  private remember(key: string, p: DayPath): void {
    while (this.paths.size >= PATH_CACHE) this.paths.delete(this.paths.keys().next().value!);
    this.paths.set(key, p);
  }

  private yearsToExpiry(expiry: string, ts: number): number {
    const close = this.session(expiry)?.closeTs ?? istTime(expiry, '15:30');
    return Math.max(0, close - ts) / YEAR_MS;
  }

  private makeContract(expiry: string, strike: number, side: Side): SimContract {
    const dayIdx = Math.round((Date.parse(`${expiry}T00:00:00Z`) - EPOCH_DAY) / 86_400_000);
    const token = dayIdx * 4000 + (strike / NIFTY_STRIKE_STEP) * 2 + (side === 'PE' ? 1 : 0);
    const [y, m, d] = expiry.split('-');
    return {
      instrumentKey: `NSE_FO|${token}`,
      exchangeToken: String(token),
      side,
      strike,
      expiry,
      lotSize: this.calendar.lotSize(expiry),
      tradingSymbol: `NIFTY ${strike} ${side} ${d} ${MONTHS[Number(m) - 1]} ${y!.slice(2)}`,
    };
  }
}
