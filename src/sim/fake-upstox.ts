/**
 * A fake Upstox on loopback: the REST endpoints niftybox reads, the OAuth dialog and token endpoint,
 * and the V3 market-data WebSocket (307 from the Bearer URL to a single-use feeder URL, binary JSON
 * subscriptions, market_info first, initial_feed then live_feed frames in real protobuf). Prices come
 * from a PriceSource (the MarketSimulator; tests also replay recorded candles); time from an injected Clock, so a demo
 * can fast-forward a session. It misbehaves through composable behaviours (fake-behaviours.ts), added
 * and removed while it runs.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { MarketCalendar } from '../core/calendar.js';
import { NSE_HOLIDAYS } from '../core/market-data.js';
import { istDate, istIso } from '../core/time.js';
import { createLogger, type Logger } from '../log.js';
import type { Clock } from './clock.js';
import type { FakeCall, FakeFrame, FakeUpstoxBehaviour, FakeUpstoxControl } from './fake-behaviours.js';
import { encodeFrame, feedFor, marketInfoFrame, type FeedMode } from './feed-frames.js';
import { MarketSimulator } from './market.js';
import { dayCandles, type PriceSource, type SimContract, type Trade } from './price-source.js';

export interface FakeUpstoxOptions {
  source?: PriceSource;
  calendar?: MarketCalendar;
  seed?: number;
  clock?: Clock;
  host?: string;
  /** 0 = pick a free port. */
  port?: number;
  /** The access token the fake accepts (and issues from the OAuth flow). Random when omitted. */
  token?: string;
  apiKey?: string;
  apiSecret?: string;
  /** Real ms between feed pumps. */
  pumpIntervalMs?: number;
  /** Real ms between WebSocket pings. */
  pingIntervalMs?: number;
  /** At most this much virtual time of trades is sent after a pause or a clock jump. */
  maxCatchUpMs?: number;
  /** Behaviours active from the start. */
  behaviours?: FakeUpstoxBehaviour[];
  log?: Logger;
}

export interface FakeUpstoxStats {
  restRequests: number;
  restByPath: Record<string, number>;
  feedHandshakes: number;
  feedConnections: number;
  rejected401: number;
  rateLimited: number;
  framesSent: number;
  pingsSent: number;
  subscriptionRequests: { method: string; mode?: string; instrumentKeys: string[] }[];
}

export interface FakeUpstox {
  apiBaseUrl: string;
  loginBaseUrl: string;
  /** Direct feed URL (needs the Bearer header; answers 307 to the feeder). */
  feedUrl: string;
  token: string;
  apiKey: string;
  apiSecret: string;
  port: number;
  clock: Clock;
  source: PriceSource;
  stats: FakeUpstoxStats;
  /** Open feed sockets. */
  readonly connections: number;
  /** Adds behaviours (they act in the order added); returns a function that takes them off again. */
  use(...behaviours: FakeUpstoxBehaviour[]): () => void;
  remove(...behaviours: FakeUpstoxBehaviour[]): void;
  /** The behaviours active now. */
  readonly behaviours: readonly FakeUpstoxBehaviour[];
  /** Back to normal behaviour: every behaviour taken off. */
  behave(): void;
  /** Sends now what the clock has reached (the paced demo pumps after each step of its clock). */
  pump(): void;
  close(): Promise<void>;
}

interface FeedConn {
  ws: WebSocket;
  subs: Map<string, FeedMode>;
  sentUpTo: number;
  /** Market state last announced by market_info. */
  open: boolean;
}

const FEED_PATH = '/v3/feed/market-data-feed';
const FEEDER_PATH = '/market-data-feeder/v3/upstox-developer-api/feeds';
const MODES = new Set(['ltpc', 'full', 'option_greeks', 'full_d30']);

function errorBody(code: string, message: string): string {
  const e = {
    error_code: code,
    message,
    property_path: null,
    invalid_value: null,
    errorCode: code,
    propertyPath: null,
    invalidValue: null,
  };
  return JSON.stringify({ status: 'error', errors: [e] });
}

export async function startFakeUpstox(opts: FakeUpstoxOptions = {}): Promise<FakeUpstox> {
  const calendar = opts.calendar ?? new MarketCalendar();
  const source = opts.source ?? new MarketSimulator({ seed: opts.seed ?? 25, calendar });
  const clock = opts.clock ?? { now: () => Date.now() };
  const log = opts.log ?? createLogger({ mod: 'fake-upstox' });
  const token = opts.token ?? `fake-${randomBytes(24).toString('hex')}`;
  const apiKey = opts.apiKey ?? 'fake-api-key';
  const apiSecret = opts.apiSecret ?? 'fake-api-secret';
  const host = opts.host ?? '127.0.0.1';
  const maxCatchUpMs = opts.maxCatchUpMs ?? 10 * 60_000;
  const stats: FakeUpstoxStats = {
    restRequests: 0,
    restByPath: {},
    feedHandshakes: 0,
    feedConnections: 0,
    rejected401: 0,
    rateLimited: 0,
    framesSent: 0,
    pingsSent: 0,
    subscriptionRequests: [],
  };
  const behaviours: FakeUpstoxBehaviour[] = [];
  /** The feed clock's skew: the sum of the active behaviours' offsets. */
  const shiftMs = () => behaviours.reduce((n, b) => n + (b.feedClockOffsetMs ?? 0), 0);
  const authCodes = new Map<string, string>(); // OAuth code → redirect_uri (single use)
  const feederCodes = new Set<string>(); // authorized feeder codes (single use)
  const conns = new Set<FeedConn>();
  let base = '';

  const now = () => clock.now();
  const marketOpen = (ts: number) => {
    const s = source.session(istDate(ts));
    return !!s && ts >= s.openTs && ts < s.closeTs;
  };

  // ---------- REST ----------
  const server = createServer((req, res) => {
    handleRest(req, res).catch((err) => {
      log.error('fake upstox handler failed', { error: err as Error, url: req.url });
      if (!res.headersSent) json(res, 500, errorBody('UDAPI100500', 'internal error'));
    });
  });

  function json(res: ServerResponse, status: number, body: string | object): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async function handleRest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const path = url.pathname;
    stats.restRequests++;
    const route = path.replace(/\/[^/]*%7C[^/]*/i, '/{key}').replace(/\d{4}-\d\d-\d\d/g, '{date}');
    stats.restByPath[route] = (stats.restByPath[route] ?? 0) + 1;
    const call = restCall(url, res);
    if (await arrival(call)) return;

    // OAuth (no Bearer)
    if (path === '/v2/login/authorization/dialog') {
      const clientId = url.searchParams.get('client_id');
      const redirect = url.searchParams.get('redirect_uri');
      if (clientId !== apiKey || !redirect || url.searchParams.get('response_type') !== 'code') {
        return json(
          res,
          400,
          errorBody('UDAPI100068', 'Check your client_id and redirect_uri; one or both are incorrect.'),
        );
      }
      const code = randomBytes(6).toString('hex');
      authCodes.set(code, redirect);
      const to = new URL(redirect);
      to.searchParams.set('code', code);
      const state = url.searchParams.get('state');
      if (state !== null) to.searchParams.set('state', state);
      res.writeHead(302, { Location: to.toString() });
      return void res.end();
    }
    if (path === '/v2/login/authorization/token' && req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req));
      const code = form.get('code') ?? '';
      const redirect = authCodes.get(code);
      authCodes.delete(code); // single use, success or not
      if (
        !redirect ||
        redirect !== form.get('redirect_uri') ||
        form.get('client_id') !== apiKey ||
        form.get('client_secret') !== apiSecret ||
        form.get('grant_type') !== 'authorization_code'
      ) {
        return json(res, 400, errorBody('UDAPI100016', 'Invalid Credentials'));
      }
      return json(res, 200, {
        email: 'demo@example.in',
        exchanges: ['NSE', 'NFO', 'BSE', 'CDS', 'BFO', 'BCD'],
        products: ['D', 'CO', 'I'],
        broker: 'UPSTOX',
        user_id: 'FAKE01',
        user_name: 'Fake User',
        order_types: ['MARKET', 'LIMIT', 'SL', 'SL-M'],
        user_type: 'individual',
        poa: false,
        is_active: true,
        access_token: token,
        extended_token: null,
      });
    }

    const holidays = path.startsWith('/v2/market/holidays');
    if (!holidays) {
      if (!authorized(call, req.headers.authorization === `Bearer ${token}`)) return;
      if (authorizedCall(call)) return;
    }
    const seg = path.split('/').filter(Boolean).map(decodeURIComponent);
    const today = istDate(now());

    if (path === '/v2/user/profile') {
      // Shape per the Upstox docs (Get Profile); `niftybox login --token` checks a token with it.
      return json(res, 200, {
        status: 'success',
        data: {
          email: 'demo@example.com',
          exchanges: ['NSE', 'NFO'],
          products: ['D', 'I'],
          broker: 'UPSTOX',
          user_id: 'FAKE01',
          user_name: 'Fake Upstox user',
          order_types: ['MARKET', 'LIMIT', 'SL', 'SL-M'],
          user_type: 'individual',
          poa: false,
          is_active: true,
        },
      });
    }

    if (path === '/v2/option/contract') {
      const key = url.searchParams.get('instrument_key');
      if (!key) return json(res, 400, errorBody('UDAPI1009', 'instrument_key is required'));
      const expiry = url.searchParams.get('expiry_date');
      const rows = key !== source.indexKey ? [] : source.contracts(today).filter((c) => !expiry || c.expiry === expiry);
      return json(res, 200, {
        status: 'success',
        data: rows.map((c) => ({
          name: 'NIFTY',
          segment: 'NSE_FO',
          exchange: 'NSE',
          expiry: c.expiry,
          instrument_key: c.instrumentKey,
          exchange_token: c.exchangeToken,
          trading_symbol: c.tradingSymbol,
          tick_size: 5,
          lot_size: c.lotSize,
          instrument_type: c.side,
          freeze_quantity: 1800,
          underlying_key: source.indexKey,
          underlying_type: 'INDEX',
          underlying_symbol: 'NIFTY',
          strike_price: c.strike,
          minimum_lot: c.lotSize,
          weekly: true,
        })),
      });
    }
    if (seg[0] === 'v3' && seg[1] === 'historical-candle') {
      const intraday = seg[2] === 'intraday';
      const [key, unit, intervalStr, toDate, fromDate] = intraday ? seg.slice(3) : seg.slice(2);
      const interval = Number(intervalStr);
      if (!key || !key.includes('|'))
        return json(res, 400, errorBody('UDAPI1021', 'Instrument key is of invalid format'));
      const listed = source.contract(key);
      if (listed && listed.expiry < today)
        return json(
          res,
          400,
          errorBody(
            'UDAPI100011',
            'Invalid Instrument key: the contract has expired (use the expired-instruments API)',
          ),
        );
      if (unit !== 'minutes' || !(interval >= 1 && interval <= 300))
        return json(res, 400, errorBody('UDAPI1146', 'Invalid unit or interval (fake supports minutes 1-300)'));
      let days: string[];
      if (intraday) days = source.session(today) ? [today] : [];
      else {
        if (!toDate || !/^\d{4}-\d\d-\d\d$/.test(toDate))
          return json(res, 400, errorBody('UDAPI1022', 'to_date is required'));
        const from = fromDate ?? toDate;
        if (from > toDate)
          return json(res, 400, errorBody('UDAPI1015', 'to_date must be greater than or equal to from_date'));
        if (Date.parse(toDate) - Date.parse(from) > 31 * 86_400_000)
          return json(res, 400, errorBody('UDAPI1148', 'Invalid date range: at most one month for minute candles'));
        days = calendar.tradingDays(from, toDate).filter((d) => d < today);
      }
      const candles = days.flatMap((d) =>
        dayCandles(source, key, d, d === today ? now() : Infinity, interval * 60_000),
      );
      const rows = candles.reverse().map((c) => [istIso(c.ts), c.open, c.high, c.low, c.close, c.volume, 0]);
      return json(res, 200, { status: 'success', data: { candles: rows } });
    }
    if (seg[0] === 'v2' && seg[1] === 'expired-instruments') return expiredInstruments(url, seg, res, today);
    if (path === '/v3/market-quote/ltp') {
      const keys = (url.searchParams.get('instrument_key') ?? '').split(',').filter(Boolean);
      if (!keys.length) return json(res, 400, errorBody('UDAPI1009', 'instrument_key is required'));
      if (keys.length > 500) return json(res, 400, errorBody('UDAPI100043', 'too many instrument keys'));
      const data: Record<string, unknown> = {};
      for (const k of keys) {
        const t = source.lastTrade(k, now());
        if (!t) continue;
        const c = source.contract(k);
        const name =
          k === source.indexKey
            ? 'NSE_INDEX:Nifty 50'
            : `NSE_FO:NIFTY${c ? c.expiry.replace(/-/g, '').slice(2) : ''}${c?.strike ?? ''}${c?.side ?? ''}`;
        data[name] = {
          last_price: t.price,
          instrument_token: k,
          ltq: t.qty,
          volume: 0,
          cp: source.previousClose(k, istDate(t.ts)) ?? t.price,
        };
      }
      return json(res, 200, { status: 'success', data });
    }
    if (holidays) {
      const date = seg[3];
      const year = (date ?? today).slice(0, 4);
      const rows = Object.entries(NSE_HOLIDAYS)
        .filter(([d]) => (date ? d === date : d.startsWith(year)))
        .map(([d, description]) => ({
          date: d,
          description,
          holiday_type: 'TRADING_HOLIDAY',
          closed_exchanges: ['NSE', 'NFO', 'CDS', 'BSE', 'BFO', 'BCD'],
          open_exchanges: [],
        }));
      return json(res, 200, { status: 'success', data: rows });
    }
    if (seg[0] === 'v2' && seg[1] === 'market' && seg[2] === 'timings' && seg[3]) {
      if (!/^\d{4}-\d\d-\d\d$/.test(seg[3])) return json(res, 400, errorBody('UDAPI1088', 'Invalid date'));
      const s = source.session(seg[3]);
      const data = s ? ['NSE', 'NFO'].map((exchange) => ({ exchange, start_time: s.openTs, end_time: s.closeTs })) : [];
      return json(res, 200, { status: 'success', data });
    }
    if (path === `${FEED_PATH}/authorize`) {
      const uri = authorizedFeederUrl();
      return json(res, 200, { status: 'success', data: { authorized_redirect_uri: uri, authorizedRedirectUri: uri } });
    }
    json(res, 404, errorBody('UDAPI100060', 'Resource not Found.'));
  }

  // ---------- expired instruments (expiries → contracts of an expiry → candles), from the source's listings
  // A recorded source may already carry the expired form (NSE_FO|40469|05-06-2025); a simulated one has live keys.
  const expiredKey = (c: SimContract) =>
    /\|\d\d-\d\d-\d{4}$/.test(c.instrumentKey)
      ? c.instrumentKey
      : `${c.instrumentKey}|${c.expiry.slice(8, 10)}-${c.expiry.slice(5, 7)}-${c.expiry.slice(0, 4)}`;
  let pastExpiries: { today: string; list: string[] } | null = null;
  function expiriesBefore(today: string): string[] {
    if (pastExpiries?.today === today) return pastExpiries.list;
    const set = new Set<string>();
    const start = new Date(Date.parse(today) - 183 * 86_400_000).toISOString().slice(0, 10);
    for (const d of calendar.tradingDays(start, today))
      for (const c of source.contracts(d)) if (c.expiry < today && c.expiry >= start) set.add(c.expiry);
    pastExpiries = { today, list: [...set].sort() };
    return pastExpiries.list;
  }

  function expiredInstruments(url: URL, seg: string[], res: ServerResponse, today: string): void {
    const underlying = url.searchParams.get('instrument_key');
    if (seg[2] === 'expiries') {
      if (!underlying) return json(res, 400, errorBody('UDAPI1009', 'instrument_key is required'));
      return json(res, 200, { status: 'success', data: underlying === source.indexKey ? expiriesBefore(today) : [] });
    }
    if (seg[2] === 'option' && seg[3] === 'contract') {
      const expiry = url.searchParams.get('expiry_date');
      if (!underlying || !expiry)
        return json(res, 400, errorBody('UDAPI1009', 'instrument_key and expiry_date are required'));
      const rows =
        underlying !== source.indexKey || expiry >= today
          ? []
          : source.contracts(expiry).filter((c) => c.expiry === expiry);
      return json(res, 200, {
        status: 'success',
        data: rows.map((c) => ({
          name: 'NIFTY',
          segment: 'NSE_FO',
          exchange: 'NSE',
          expiry: c.expiry,
          instrument_key: expiredKey(c),
          exchange_token: c.exchangeToken,
          trading_symbol: c.tradingSymbol,
          tick_size: 5,
          lot_size: c.lotSize,
          instrument_type: c.side,
          freeze_quantity: 1800,
          underlying_key: source.indexKey,
          underlying_type: 'INDEX',
          underlying_symbol: 'NIFTY',
          strike_price: c.strike,
          minimum_lot: c.lotSize,
          weekly: true,
        })),
      });
    }
    if (seg[2] === 'historical-candle') {
      const [key, intervalName, toDate, fromDate] = seg.slice(3);
      const m = /^(.+)\|(\d\d)-(\d\d)-(\d{4})$/.exec(key ?? '');
      if (!m)
        return json(
          res,
          400,
          errorBody('UDAPI1021', 'Instrument key is of invalid format (expected NSE_FO|<token>|DD-MM-YYYY)'),
        );
      const c = source.contract(key!) ?? source.contract(m[1]!);
      if (!c || c.expiry !== `${m[4]}-${m[3]}-${m[2]}` || c.expiry >= today)
        return json(res, 400, errorBody('UDAPI100011', 'Invalid Instrument key'));
      const minutes = { '1minute': 1, '3minute': 3, '5minute': 5, '15minute': 15, '30minute': 30 }[intervalName ?? ''];
      if (!minutes)
        return json(res, 400, errorBody('UDAPI1147', 'Invalid interval (fake supports 1minute … 30minute)'));
      if (!toDate || !fromDate || !/^\d{4}-\d\d-\d\d$/.test(toDate) || !/^\d{4}-\d\d-\d\d$/.test(fromDate))
        return json(res, 400, errorBody('UDAPI1015', 'to_date and from_date are required, YYYY-MM-DD'));
      if (fromDate > toDate)
        return json(res, 400, errorBody('UDAPI1015', 'to_date must be greater than or equal to from_date'));
      const candles = calendar
        .tradingDays(fromDate, toDate)
        .flatMap((d) => dayCandles(source, c.instrumentKey, d, Infinity, minutes * 60_000));
      const rows = candles.reverse().map((x) => [istIso(x.ts), x.open, x.high, x.low, x.close, x.volume, 0]);
      return json(res, 200, { status: 'success', data: { candles: rows } });
    }
    json(res, 404, errorBody('UDAPI100060', 'Resource not Found.'));
  }

  function authorizedFeederUrl(): string {
    const code = randomUUID();
    feederCodes.add(code);
    return `${base.replace(/^http/, 'ws')}${FEEDER_PATH}?requestId=${randomUUID()}&code=${code}`;
  }

  // ---------- WebSocket feed ----------
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

  function refuse(socket: Duplex, status: number, text: string, body = '', headers: Record<string, string> = {}): void {
    const extra = Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: ` +
        `application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`,
    );
  }

  server.on('upgrade', (req, socket, head) => {
    void handleUpgrade(req, socket, head).catch((err) => {
      log.error('fake upstox upgrade failed', { error: err as Error, url: req.url });
      socket.destroy();
    });
  });

  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    stats.feedHandshakes++;
    const call = feedCall(url, socket);
    if (await arrival(call)) return;
    if (url.pathname === FEED_PATH) {
      if (!authorized(call, req.headers.authorization === `Bearer ${token}`) || authorizedCall(call)) return;
      return refuse(socket, 307, 'Temporary Redirect', '', { Location: authorizedFeederUrl() });
    }
    if (url.pathname === FEEDER_PATH) {
      const code = url.searchParams.get('code') ?? '';
      if (!authorized(call, true) || authorizedCall(call)) return;
      if (!feederCodes.delete(code))
        return refuse(socket, 403, 'Forbidden', errorBody('UDAPI100050', 'authorization code invalid or already used'));
      return wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
    }
    refuse(socket, 404, 'Not Found', errorBody('UDAPI100060', 'Resource not Found.'));
  }

  // ---------- behaviours: the points where they act ----------
  /** A call as behaviours see it, plus the status it was answered with (0 = not answered yet). */
  type Call = FakeCall & { status: number };

  function makeCall(
    transport: FakeCall['transport'],
    url: URL,
    reply: { error(status: number, code: string, message: string): void; html(status: number, html: string): void },
  ): Call {
    const call: Call = {
      transport,
      url,
      status: 0,
      get answered() {
        return call.status !== 0;
      },
      answerError: (status, code, message) => {
        call.status = status;
        reply.error(status, code, message);
      },
      answerHtml: (status, html) => {
        call.status = status;
        reply.html(status, html);
      },
    };
    return call;
  }

  const restCall = (url: URL, res: ServerResponse): Call =>
    makeCall('rest', url, {
      error: (status, code, message) => json(res, status, errorBody(code, message)),
      html: (status, html) => {
        res.writeHead(status, { 'Content-Type': 'text/html' });
        res.end(html);
      },
    });

  /** A feed handshake has no page to show: an HTML answer goes as Upstox's error body with the status. */
  const feedCall = (url: URL, socket: Duplex): Call => {
    const error = (status: number, code: string, message: string) =>
      refuse(socket, status, STATUS_CODES[status] ?? 'Error', errorBody(code, message));
    return makeCall('feed', url, {
      error,
      html: (status) => error(status, 'UDAPI100500', STATUS_CODES[status] ?? 'error'),
    });
  };

  function answered(call: Call): boolean {
    if (call.status === 429) stats.rateLimited++;
    return call.answered;
  }

  /** Each behaviour's onArrival in turn, until one answers; true when one did. */
  async function arrival(call: Call): Promise<boolean> {
    for (const b of [...behaviours]) {
      await b.onArrival?.(call, control);
      if (answered(call)) return true;
    }
    return false;
  }

  /** The token check: false (and a 401 sent) when the token is wrong or a behaviour refuses it. */
  function authorized(call: Call, tokenRight: boolean): boolean {
    if (tokenRight && behaviours.every((b) => b.acceptsToken?.(call) ?? true)) return true;
    stats.rejected401++;
    call.answerError(401, 'UDAPI100050', 'Invalid token used to access API');
    return false;
  }

  /** Each behaviour's onAuthorized in turn, until one answers; true when one did. */
  function authorizedCall(call: Call): boolean {
    for (const b of [...behaviours]) {
      b.onAuthorized?.(call, control);
      if (answered(call)) return true;
    }
    return false;
  }

  /** Sends a frame through every behaviour's onFrameOut, in the order they were added. */
  function emit(conn: FeedConn, frame: FakeFrame): boolean {
    let frames = [frame];
    for (const b of behaviours) if (b.onFrameOut) frames = frames.flatMap((f) => b.onFrameOut!(f, conn));
    for (const f of frames) send(conn, f.bytes);
    return frames.length > 0;
  }

  const control: FakeUpstoxControl = {
    now,
    indexKey: source.indexKey,
    closeFeeds(how) {
      for (const c of conns) how ? c.ws.close(how.code, how.reason) : c.ws.terminate();
      if (!how) conns.clear();
    },
    sendToFeeds(bytes) {
      for (const c of conns) send(c, bytes);
    },
    remove: (b) => remove(b),
  };

  function use(...added: FakeUpstoxBehaviour[]): () => void {
    for (const b of added) {
      behaviours.push(b);
      log.debug('fake upstox: behaviour on', { behaviour: b.name });
      b.onAdd?.(control);
    }
    return () => remove(...added);
  }

  function remove(...gone: FakeUpstoxBehaviour[]): void {
    for (const b of gone) {
      const i = behaviours.indexOf(b);
      if (i >= 0) behaviours.splice(i, 1);
    }
  }

  function onConnection(ws: WebSocket): void {
    stats.feedConnections++;
    const t = now();
    const conn: FeedConn = { ws, subs: new Map(), sentUpTo: t, open: marketOpen(t) };
    conns.add(conn);
    emit(conn, { kind: 'market_info', atConnect: true, bytes: marketInfoFrame(t + shiftMs(), conn.open) });
    ws.on('message', (data, isBinary) => onRequest(conn, data as Buffer, isBinary));
    ws.on('close', () => conns.delete(conn));
    ws.on('error', () => conns.delete(conn));
  }

  function send(conn: FeedConn, bytes: Uint8Array | string): void {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    conn.ws.send(bytes, { binary: typeof bytes !== 'string' });
    stats.framesSent++;
  }

  function onRequest(conn: FeedConn, data: Buffer, isBinary: boolean): void {
    let req: { guid?: string; method?: string; data?: { mode?: string; instrumentKeys?: unknown } };
    try {
      req = JSON.parse(data.toString('utf8'));
    } catch {
      return; // the real server's reaction is undocumented: ignore
    }
    const keys = Array.isArray(req.data?.instrumentKeys)
      ? (req.data!.instrumentKeys as unknown[]).filter((k): k is string => typeof k === 'string')
      : [];
    const mode = (req.data?.mode ?? 'ltpc') as FeedMode;
    stats.subscriptionRequests.push({ method: String(req.method), mode: req.data?.mode, instrumentKeys: keys });
    if (!isBinary) log.debug('fake upstox: subscription sent as a text frame (the real server may ignore it)');
    if (req.method === 'unsub') return void keys.forEach((k) => conn.subs.delete(k));
    if ((req.method !== 'sub' && req.method !== 'change_mode') || !MODES.has(mode)) return;
    for (const k of keys) conn.subs.set(k, mode);
    const t = now();
    const shift = shiftMs();
    const feeds: Record<string, unknown> = {};
    for (const k of keys) {
      const trade = source.lastTrade(k, t);
      if (trade) feeds[k] = feedFor(source, k, mode, trade, shift);
    }
    // initial_feed: type 0 left off the wire
    emit(conn, { kind: 'initial_feed', bytes: encodeFrame({ feeds, currentTs: t + shift }) });
  }

  function pump(): void {
    const t = now();
    const shift = shiftMs();
    for (const conn of conns) {
      const from = Math.max(conn.sentUpTo, t - maxCatchUpMs);
      conn.sentUpTo = t;
      // the socket's market state changes only once a market_info saying so went out (not while silenced)
      if (
        marketOpen(t) !== conn.open &&
        emit(conn, { kind: 'market_info', bytes: marketInfoFrame(t + shift, !conn.open) })
      )
        conn.open = !conn.open;
      if (conn.subs.size === 0 || t <= from) continue;
      const byTs = new Map<number, Record<string, unknown>>();
      for (const [key, mode] of conn.subs) {
        for (const trade of source.trades(key, from, t) as Trade[]) {
          let feeds = byTs.get(trade.ts);
          if (!feeds) byTs.set(trade.ts, (feeds = {}));
          feeds[key] = feedFor(source, key, mode, trade, shift);
        }
      }
      for (const ts of [...byTs.keys()].sort((a, b) => a - b)) {
        emit(conn, {
          kind: 'live_feed',
          bytes: encodeFrame({ type: 'live_feed', feeds: byTs.get(ts), currentTs: Math.min(t, ts + 25) + shift }),
        });
      }
    }
  }

  const pumpTimer = setInterval(pump, opts.pumpIntervalMs ?? 50);
  const pingTimer = setInterval(() => {
    for (const c of conns) if (c.ws.readyState === c.ws.OPEN) c.ws.ping(), stats.pingsSent++;
  }, opts.pingIntervalMs ?? 5_000);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  base = `http://${host}:${port}`;
  log.info('fake upstox listening', { apiBaseUrl: base });
  if (opts.behaviours) use(...opts.behaviours);

  return {
    apiBaseUrl: base,
    loginBaseUrl: base,
    feedUrl: `${base.replace(/^http/, 'ws')}${FEED_PATH}`,
    token,
    apiKey,
    apiSecret,
    port,
    clock,
    source,
    stats,
    get connections() {
      return conns.size;
    },
    use,
    remove,
    get behaviours() {
      return behaviours.slice();
    },
    behave(): void {
      behaviours.length = 0;
    },
    pump,
    async close(): Promise<void> {
      clearInterval(pumpTimer);
      clearInterval(pingTimer);
      for (const c of conns) c.ws.terminate();
      conns.clear();
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
