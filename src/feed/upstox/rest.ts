/**
 * The Upstox REST client: the few read endpoints niftybox needs. Every response is validated with zod;
 * transient failures (network, timeout, 5xx) are retried with exponential backoff and jitter, 429 backs
 * off harder, requests are paced under the documented limits, and 401 becomes TokenExpired at once.
 */
import type { z } from 'zod';
import { createLogger, type Logger } from '../../log.js';
import { NIFTY_INDEX_KEY, type Candle, type OptionContract } from '../../core/types.js';
import { backoffDelay } from '../../lib/backoff.js';
import { realClock, type Sleep } from '../../lib/clock.js';
import { TokenExpired, UpstoxApiError, UpstoxShapeError } from './errors.js';
import { DEFAULT_BUDGET, RequestBudget, type BudgetWindow } from './request-budget.js';
import {
  authorizeResponse,
  candlesResponse,
  describeZodError,
  errorEnvelope,
  expiriesResponse,
  holidaysResponse,
  ltpResponse,
  optionContractsResponse,
  timingsResponse,
  tokenResponse,
  type HolidayRow,
  type TimingRow,
  type TokenResponse,
} from './schemas.js';

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;
export type CandleUnit = 'minutes' | 'hours' | 'days' | 'weeks' | 'months';

export interface UpstoxRestOptions {
  /** e.g. https://api.upstox.com (config upstox.apiBaseUrl). */
  baseUrl: string;
  /** The access token, or a function returning the current one (re-read after a re-login). */
  token?: string | (() => string | null | undefined);
  fetch?: FetchLike;
  sleep?: Sleep;
  random?: () => number;
  now?: () => number;
  timeoutMs?: number;
  /** Retries after the first attempt for network errors, timeouts and 5xx. */
  maxRetries?: number;
  /** Retries after the first attempt for 429 Too Many Requests. */
  maxRateLimitRetries?: number;
  retryBaseMs?: number;
  budget?: BudgetWindow[];
  log?: Logger;
  /** Told before every pause: the client-side rate budget, or a 429 backoff. */
  onWait?: (ms: number, why: 'budget' | 'rate-limited') => void;
}

/** A candle with the open interest Upstox sends as its 7th field (0 for an index). */
export interface CandleWithOi extends Candle {
  oi: number;
}

/** Interval names of the expired-instruments historical-candle API (v2-style). */
export type ExpiredInterval = '1minute' | '3minute' | '5minute' | '15minute' | '30minute' | 'day';

export interface LtpQuote {
  instrumentKey: string;
  ltp: number;
  ltq?: number;
  volume?: number;
  cp?: number;
}

interface RequestSpec {
  method?: 'GET' | 'POST';
  query?: Record<string, string | undefined>;
  form?: Record<string, string>;
  auth?: boolean;
}

const RETRY_MAX_MS = 30_000;

export class UpstoxRest {
  private readonly baseUrl: string;
  private readonly fetchFn: FetchLike;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly maxRateLimitRetries: number;
  private readonly retryBaseMs: number;
  private readonly budget: RequestBudget;
  private readonly log: Logger;
  /** Counters for diagnostics and tests. */
  readonly stats = { requests: 0, retries: 0, rateLimited: 0 };

  constructor(private readonly opts: UpstoxRestOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.fetchFn = opts.fetch ?? ((url, init) => fetch(url, init));
    this.sleep = opts.sleep ?? realClock.sleep;
    this.random = opts.random ?? Math.random;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxRetries = opts.maxRetries ?? 4;
    this.maxRateLimitRetries = opts.maxRateLimitRetries ?? 6;
    this.retryBaseMs = opts.retryBaseMs ?? 500;
    this.budget = new RequestBudget(opts.budget ?? DEFAULT_BUDGET, opts.now ?? Date.now, this.sleep, (ms) =>
      opts.onWait?.(ms, 'budget'),
    );
    this.log = opts.log ?? createLogger({ mod: 'upstox-rest' });
  }

  /** The rate budget's recent send times, and a way to count an earlier run's (see RequestBudget.seed). */
  get rateBudget(): Pick<RequestBudget, 'recent' | 'seed'> {
    return this.budget;
  }

  /** Option contracts of an underlying (all listed expiries, or one). lotSize comes from the response. */
  async optionContracts(underlying: string = NIFTY_INDEX_KEY, expiry?: string): Promise<OptionContract[]> {
    const body = await this.call('/v2/option/contract', optionContractsResponse, {
      query: { instrument_key: underlying, expiry_date: expiry },
    });
    return body.data.map((r) => ({
      instrumentKey: r.instrument_key,
      side: r.instrument_type,
      strike: r.strike_price,
      expiry: r.expiry,
      lotSize: r.lot_size,
    }));
  }

  /** V3 historical candles between two dates (inclusive), ascending by ts. Upstox wants to_date first in the path. */
  async historicalCandles(
    key: string,
    unit: CandleUnit,
    interval: number,
    fromDate: string,
    toDate: string,
  ): Promise<Candle[]> {
    const path = `/v3/historical-candle/${encodeURIComponent(key)}/${unit}/${interval}/${toDate}/${fromDate}`;
    return parseCandles(await this.call(path, candlesResponse));
  }

  /** V3 intraday candles of the current day, ascending by ts (may include the still-forming candle). */
  async intradayCandles(
    key: string,
    unit: Exclude<CandleUnit, 'weeks' | 'months'>,
    interval: number,
  ): Promise<Candle[]> {
    const path = `/v3/historical-candle/intraday/${encodeURIComponent(key)}/${unit}/${interval}`;
    return parseCandles(await this.call(path, candlesResponse));
  }

  /** V3 historical candles with their open interest, ascending by ts. */
  async historicalCandlesWithOi(
    key: string,
    unit: CandleUnit,
    interval: number,
    fromDate: string,
    toDate: string,
  ): Promise<CandleWithOi[]> {
    const path = `/v3/historical-candle/${encodeURIComponent(key)}/${unit}/${interval}/${toDate}/${fromDate}`;
    return parseCandlesWithOi(await this.call(path, candlesResponse));
  }

  /**
   * Expired-instruments API (Upstox Plus only, else UDAPI1149): the expiries of an underlying, about six months back.
   */
  async expiredExpiries(underlying: string = NIFTY_INDEX_KEY): Promise<string[]> {
    return (
      await this.call('/v2/expired-instruments/expiries', expiriesResponse, { query: { instrument_key: underlying } })
    ).data;
  }

  /** Expired-instruments API: the option contracts of one past expiry, keyed like NSE_FO|40469|05-06-2025. */
  async expiredOptionContracts(underlying: string, expiry: string): Promise<OptionContract[]> {
    const body = await this.call('/v2/expired-instruments/option/contract', optionContractsResponse, {
      query: { instrument_key: underlying, expiry_date: expiry },
    });
    return body.data.map((r) => ({
      instrumentKey: r.instrument_key,
      side: r.instrument_type,
      strike: r.strike_price,
      expiry: r.expiry,
      lotSize: r.lot_size,
    }));
  }

  /** Expired-instruments API: candles of an expired contract between two dates (inclusive), ascending. */
  async expiredHistoricalCandles(
    expiredKey: string,
    interval: ExpiredInterval,
    fromDate: string,
    toDate: string,
  ): Promise<CandleWithOi[]> {
    const key = encodeURIComponent(expiredKey);
    const path = `/v2/expired-instruments/historical-candle/${key}/${interval}/${toDate}/${fromDate}`;
    return parseCandlesWithOi(await this.call(path, candlesResponse));
  }

  /** Last traded prices, keyed by instrument key (the response keys use "SEGMENT:SYMBOL"; we map back). */
  async ltp(keys: readonly string[]): Promise<Map<string, LtpQuote>> {
    const out = new Map<string, LtpQuote>();
    for (let i = 0; i < keys.length; i += 500) {
      const chunk = keys.slice(i, i + 500);
      const body = await this.call('/v3/market-quote/ltp', ltpResponse, { query: { instrument_key: chunk.join(',') } });
      for (const v of Object.values(body.data)) {
        const q: LtpQuote = { instrumentKey: v.instrument_token, ltp: v.last_price };
        if (v.ltq != null) q.ltq = v.ltq;
        if (v.volume != null) q.volume = v.volume;
        if (v.cp != null) q.cp = v.cp;
        out.set(v.instrument_token, q);
      }
    }
    return out;
  }

  /** Market holidays of the current year, or of one date. */
  async holidays(date?: string): Promise<HolidayRow[]> {
    return (await this.call(date ? `/v2/market/holidays/${date}` : '/v2/market/holidays', holidaysResponse)).data;
  }

  /** Exchange timings of a date (ms epochs). */
  async timings(date: string): Promise<TimingRow[]> {
    return (await this.call(`/v2/market/timings/${date}`, timingsResponse)).data;
  }

  /** A fresh, single-use authorized WebSocket URL for the V3 market-data feed. */
  async feedAuthorize(): Promise<string> {
    return (await this.call('/v3/feed/market-data-feed/authorize', authorizeResponse)).data.authorized_redirect_uri;
  }

  /** OAuth: exchanges an authorization code for an access token (no Bearer; form body). */
  async exchangeCode(p: {
    code: string;
    apiKey: string;
    apiSecret: string;
    redirectUri: string;
  }): Promise<TokenResponse> {
    return this.call('/v2/login/authorization/token', tokenResponse, {
      method: 'POST',
      auth: false,
      form: {
        code: p.code,
        client_id: p.apiKey,
        client_secret: p.apiSecret,
        redirect_uri: p.redirectUri,
        grant_type: 'authorization_code',
      },
    });
  }

  private currentToken(): string | null {
    const t = typeof this.opts.token === 'function' ? this.opts.token() : this.opts.token;
    return t || null;
  }

  private async call<S extends z.ZodType>(path: string, schema: S, spec: RequestSpec = {}): Promise<z.infer<S>> {
    const json = await this.request(path, spec);
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new UpstoxShapeError(
        `Upstox ${path.split('/').slice(0, 4).join('/')} answered an unexpected ` +
          `shape: ${describeZodError(parsed.error)}`,
      );
    }
    return parsed.data;
  }

  private async request(path: string, spec: RequestSpec): Promise<unknown> {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const what = `${spec.method ?? 'GET'} ${url.pathname}`;
    let failures = 0;
    let limited = 0;
    for (;;) {
      await this.budget.take();
      const outcome = await this.attempt(url, spec, what);
      if (outcome.ok) return outcome.json;
      if (outcome.kind === 'rate-limited') {
        this.stats.rateLimited++;
        if (limited >= this.maxRateLimitRetries)
          throw new UpstoxApiError(
            `${what}: still rate limited (429 UDAPI10005) after ${limited} retries`,
            429,
            'UDAPI10005',
          );
        const wait = backoffDelay(limited++, {
          initialMs: Math.max(1_000, this.retryBaseMs * 2),
          maxMs: RETRY_MAX_MS,
          random: this.random,
        });
        this.log.warn('upstox rate limited; backing off', { path: url.pathname, waitMs: wait });
        this.opts.onWait?.(wait, 'rate-limited');
        this.stats.retries++;
        await this.sleep(wait);
        continue;
      }
      if (failures >= this.maxRetries) throw outcome.error;
      const wait = backoffDelay(failures++, { initialMs: this.retryBaseMs, maxMs: RETRY_MAX_MS, random: this.random });
      this.log.warn('upstox request failed; retrying', {
        path: url.pathname,
        error: outcome.error.message,
        waitMs: wait,
      });
      this.stats.retries++;
      await this.sleep(wait);
    }
  }

  private async attempt(
    url: URL,
    spec: RequestSpec,
    what: string,
  ): Promise<{ ok: true; json: unknown } | { ok: false; kind: 'retry' | 'rate-limited'; error: Error }> {
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'niftybox/0.1 (+node)' };
    if (spec.auth !== false) {
      const token = this.currentToken();
      if (!token)
        throw new TokenExpired(
          'no Upstox access token configured: run `niftybox login` or set upstox.token / NIFTYBOX_UPSTOX_TOKEN',
        );
      headers.Authorization = `Bearer ${token}`;
    }
    let body: string | undefined;
    if (spec.form) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(spec.form).toString();
    }
    this.stats.requests++;
    let res: Response;
    let text: string;
    try {
      res = await this.fetchFn(url.toString(), {
        method: spec.method ?? 'GET',
        headers,
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      const e = err as Error;
      const why =
        e.name === 'TimeoutError' || e.name === 'AbortError'
          ? `timed out after ${this.timeoutMs} ms`
          : `network error: ${e.message}`;
      return { ok: false, kind: 'retry', error: new UpstoxApiError(`${what}: ${why}`, null) };
    }
    const isHtml = /^\s*</.test(text) || /text\/html/i.test(res.headers.get('content-type') ?? '');
    let json: unknown = undefined;
    if (!isHtml && text.trim()) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    const envelope = errorEnvelope.safeParse(json);
    const first = envelope.success ? envelope.data.errors[0] : undefined;
    const code = first ? (first.error_code ?? first.errorCode ?? null) : null;
    const message = first?.message ?? null;

    if (res.status === 401 || code === 'UDAPI100050') {
      throw new TokenExpired(
        `Upstox rejected the access token ` +
          `(${res.status}${code ? ' ' + code : ''}) on ${what}: run \`niftybox ` +
          `login\` or set a new analytics token`,
      );
    }
    if (res.status === 429 || code === 'UDAPI10005') {
      return { ok: false, kind: 'rate-limited', error: new UpstoxApiError(`${what}: too many requests`, 429, code) };
    }
    if (isHtml) {
      const err = new UpstoxApiError(
        `${what}: Upstox answered an HTML page (HTTP ${res.status}) instead of ` +
          `JSON — a gateway/Cloudflare error or a wrong upstox.apiBaseUrl; check ` +
          `the URL and try again later`,
        res.status,
      );
      if (res.status >= 500) return { ok: false, kind: 'retry', error: err };
      throw err;
    }
    if (res.status >= 500) {
      return {
        ok: false,
        kind: 'retry',
        error: new UpstoxApiError(
          `${what}: server error ${res.status}${code ? ' ' + code : ''}${message ? ': ' + message : ''}`,
          res.status,
          code,
        ),
      };
    }
    if (res.status >= 400) {
      throw new UpstoxApiError(
        `${what}: HTTP ${res.status}${code ? ' ' + code : ''}${message ? ': ' + message : ''}`,
        res.status,
        code,
      );
    }
    if (json === undefined)
      throw new UpstoxShapeError(`${what}: response is not JSON (HTTP ${res.status}, ${text.length} bytes)`);
    return { ok: true, json };
  }
}

function parseCandles(body: {
  data: { candles: (readonly [string, number, number, number, number, number, number, ...number[]])[] };
}): Candle[] {
  const out: Candle[] = [];
  for (const row of body.data.candles) {
    const ts = Date.parse(row[0]);
    if (!Number.isFinite(ts)) throw new UpstoxShapeError(`candle time "${row[0]}" is not an ISO-8601 timestamp`);
    out.push({ ts, open: row[1], high: row[2], low: row[3], close: row[4], volume: row[5] });
  }
  return out.sort((a, b) => a.ts - b.ts); // Upstox sends newest first
}

function parseCandlesWithOi(body: {
  data: { candles: (readonly [string, number, number, number, number, number, number, ...number[]])[] };
}): CandleWithOi[] {
  const oi = new Map(body.data.candles.map((r) => [Date.parse(r[0]), r[6]]));
  return parseCandles(body).map((c) => ({ ...c, oi: oi.get(c.ts) ?? 0 }));
}
