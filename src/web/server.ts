/**
 * The box's verification page and its JSON API (interfaces.md "The page"). An Output of the trading
 * loop: it hears the same committed events and state as the OLED and MQTT, and pushes them to the
 * open pages over server-sent events. Read-only apart from Halt (and Resume only with
 * `web.allowRemoteResume`); every POST must come from the page itself (same origin + CSRF token).
 *
 * The loop never waits on it: onEvents/onState only mark what changed; the fan-out to the
 * browsers runs on a later turn of the event loop.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MarketCalendar } from '../core/calendar.js';
import { paise } from '../core/charges.js';
import type { EngineEvent } from '../core/events.js';
import type { StrategyChoice } from '../core/strategies/index.js';
import type { ApplianceState } from '../core/state.js';
import { isCalendarDate, istDate } from '../core/time.js';
import type { Candle, DayContracts } from '../core/types.js';
import { TradeRules } from '../core/trade-rules.js';
import { realClock, type Clock, type Timer } from '../lib/clock.js';
import type { Logger } from '../log.js';
import type { ControlPort, Output } from '../output.js';
import { Ledger } from '../store/ledger.js';
import { reconcileCandles, type CandleCheck } from '../store/candle-check.js';
import type { WebConfig } from './config.js';
import type { PositionLevels } from './day-view.js';
import { HostAllowList } from './allowed-hosts.js';
import { LedgerDays } from './ledger-days.js';
import { pageHtml, readClientBundle } from './page.js';
import { proxyToLogin, registerPageServer, type LoginRoute } from './login-proxy.js';

export interface WebServerOptions {
  config: WebConfig;
  /** The ledger file; the page reads it through its own read-only connection. */
  ledgerFile: string;
  calendar: MarketCalendar;
  /** The configured strategy: the page draws its readings. */
  strategy: StrategyChoice;
  control: ControlPort;
  /** The loop's current state (the OLED's and MQTT's facts). */
  state: () => ApplianceState;
  /** Engine facts the state lacks: every guard, and today's contracts. */
  engine: () => { guards: Record<string, string>; contracts: DayContracts | null };
  /** Official candles of a day (Upstox), for the reconciliation; absent → the page says so. */
  officialCandles?: (instrumentKey: string, day: string) => Promise<Candle[]>;
  /** The source's index history (warm-up candles the ledger may not hold). */
  history?: (untilTs: number) => Candle[];
  log: Logger;
  title?: string;
  /** The SSE keep-alive runs on it. Default the system clock. */
  clock?: Clock;
}

const SSE_HEARTBEAT_MS = 15_000;
const MAX_SSE_BACKLOG = 1 << 20;
const DAY = /^\/api\/day\/([^/]*)(\/reconcile)?$/;

export class WebServer implements Output {
  readonly name = 'web';
  private readonly server: Server;
  private readonly csrf = randomBytes(24).toString('base64url');
  private readonly clients = new Set<ServerResponse>();
  /** Open event streams per client address (the caps of web.maxStreamsPerClient and web.maxStreams). */
  private readonly streamsByAddress = new Map<string, number>();
  private readonly hosts: HostAllowList;
  private readonly days: LedgerDays;
  private readonly ledger: Ledger;
  private readonly reconciled = new Map<string, CandleCheck>();
  /** The shared trade rules on the strategy's parameters: the page draws the stop they lock at TP1. */
  private readonly rules: TradeRules;
  private pendingState = false;
  private pendingEvents = new Set<string>();
  private flushScheduled = false;
  private heartbeat: Timer | null = null;
  private lastState: ApplianceState | null = null;
  /** The open position's entry time, read once per position (not on every state push). */
  private openEntry: { key: string; ts: number | null } | null = null;
  /** Bumped on every committed batch: a day's JSON is built once per change, however many pages ask. */
  private version = 0;
  private readonly dayCache = new Map<string, { key: string; body: string }>();
  url = '';
  port = 0;
  private refusedHosts = 0;
  /** While a login is pending: the OAuth login page, passed through on this server. */
  private loginRoute: LoginRoute | null = null;
  private unregister: () => void = () => undefined;

  private constructor(private readonly o: WebServerOptions) {
    // The box checked the file when it opened it for writing, moments ago.
    this.ledger = Ledger.open(o.ledgerFile, {
      log: o.log.child({ area: 'web-ledger' }),
      readonly: true,
      verifyOnOpen: false,
    });
    this.days = new LedgerDays(this.ledger, o.calendar, o.strategy);
    this.rules = new TradeRules(o.strategy.params);
    const clock = o.clock ?? realClock;
    this.hosts = new HostAllowList(o.config.hosts, () => clock.now());
    // a missing bundle fails at start; each /app.js reads it again (not kept: ~0.4 MB of a box's heap)
    readClientBundle();
    this.server = createServer((req, res) => {
      try {
        this.handle(req, res);
      } catch (err) {
        o.log.error('web: request failed', { url: req.url, error: (err as Error).message });
        if (!res.headersSent) json(res, 500, { error: (err as Error).message });
        else res.end();
      }
    });
  }

  static async start(o: WebServerOptions): Promise<WebServer> {
    const w = new WebServer(o);
    try {
      await new Promise<void>((resolve, reject) => {
        w.server.once('error', reject);
        w.server.listen(o.config.port, o.config.bind, () => {
          w.server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      w.ledger.close();
      throw new Error(
        `the page could not listen on ${o.config.bind}:${o.config.port} ` +
          `(${(err as Error).message}); set web.port to a free port, 0 for any`,
      );
    }
    const port = (w.server.address() as AddressInfo).port;
    w.port = port;
    w.unregister = registerPageServer(port, w);
    const host = o.config.bind === '0.0.0.0' || o.config.bind === '::' ? '127.0.0.1' : o.config.bind;
    w.url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
    w.heartbeat = (o.clock ?? realClock).every(SSE_HEARTBEAT_MS, () => w.broadcast(': keep-alive\n\n'), {
      background: true,
    });
    o.log.info('web: page ready', { url: w.url, bind: o.config.bind, port });
    return w;
  }

  // ------------------------------------------------------------------ Output

  onEvents(events: readonly EngineEvent[], state: ApplianceState): void {
    this.lastState = state;
    this.version++;
    for (const e of events) this.pendingEvents.add(e.type === 'candle' ? 'candle' : e.type);
    this.pendingState = true;
    this.scheduleFlush();
  }

  onState(state: ApplianceState): void {
    this.lastState = state;
    this.pendingState = true;
    this.scheduleFlush();
  }

  setLoginRoute(route: LoginRoute | null): void {
    this.loginRoute = route;
  }

  async close(): Promise<void> {
    this.unregister();
    this.heartbeat?.cancel();
    for (const c of this.clients) c.end();
    this.clients.clear();
    await new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeAllConnections?.();
    this.ledger.close();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.clients.size === 0) {
      if (this.clients.size === 0) {
        this.pendingEvents.clear();
        this.pendingState = false;
      }
      return;
    }
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      let out = '';
      if (this.pendingEvents.size)
        out += `event: ledger\ndata: ${JSON.stringify({ events: [...this.pendingEvents] })}\n\n`;
      if (this.pendingState && this.lastState)
        out += `event: state\ndata: ${JSON.stringify(this.stateJson(this.lastState))}\n\n`;
      this.pendingEvents.clear();
      this.pendingState = false;
      if (out) this.broadcast(out);
    });
  }

  private broadcast(chunk: string): void {
    for (const c of this.clients) {
      if (c.writableLength > MAX_SSE_BACKLOG) {
        c.destroy(); // a client that stopped reading must not grow our memory
        this.clients.delete(c);
        continue;
      }
      c.write(chunk);
    }
  }

  // ------------------------------------------------------------------ HTTP

  private handle(req: IncomingMessage, res: ServerResponse): void {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    // Before anything else: a Host that is not the box's is a rebound name (or a misrouted request).
    if (!this.hosts.allows(req.headers.host)) {
      if (this.refusedHosts++ % 100 === 0)
        this.o.log.warn(
          'web: request for a host that is not this box refused (421); add it to web.hosts if it is yours',
          { host: String(req.headers.host ?? '').slice(0, 100), refused: this.refusedHosts },
        );
      res.writeHead(421, { 'Content-Length': '0' });
      res.end();
      req.resume();
      return;
    }
    if (!this.authorized(req)) {
      res.writeHead(401, {
        'WWW-Authenticate': 'Basic realm="niftybox", charset="UTF-8"',
        'Content-Type': 'text/plain',
      });
      res.end('niftybox: this page needs the password set in web.password\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://local');
    const path = url.pathname;
    if (this.loginRoute?.paths.has(path)) return proxyToLogin(req, res, this.loginRoute.port);
    if (path === '/login') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(
        `<!doctype html><meta charset="utf-8"><title>niftybox login</title><body ` +
          `style="font-family:sans-serif;max-width:40em;margin:3em auto"><h1>No ` +
          `login needed</h1><p>The box's Upstox token works. This page offers a ` +
          `login when the token expires. <a href="/">Back to the page</a>.</p>`,
      );
      return;
    }
    if (req.method === 'POST') return this.post(req, res, path);
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'only GET and POST' });

    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(pageHtml({ title: this.o.title ?? 'niftybox', csrf: this.csrf }));
      return;
    }
    if (path === '/app.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' });
      res.end(readClientBundle());
      return;
    }
    if (path === '/api/state') return json(res, 200, this.stateJson(this.o.state()));
    if (path === '/api/days')
      return json(res, 200, { days: this.days.days(), today: this.o.state().day || istDate(this.o.state().ts) });
    if (path === '/api/equity') return json(res, 200, { equity: this.days.equity() });
    if (path === '/api/events') return this.events(req, res);
    const m = DAY.exec(path);
    if (m) {
      const day = m[1]!;
      if (!isCalendarDate(day))
        return json(res, 400, { error: `"${day.slice(0, 40)}" is not a date: use /api/day/YYYY-MM-DD` });
      if (m[2]) return void this.reconcile(day, res);
      const state = this.o.state();
      const levels = state.day === day ? this.levels(state) : null;
      const levelsKey = levels ? `${levels.instrumentKey}@${levels.sl}/${levels.tp1Hit}` : '-';
      const key = `${this.version}|${state.day}|${levelsKey}`;
      const cached = this.dayCache.get(day);
      if (cached?.key === key) return jsonText(res, 200, cached.body);
      const view = this.days.day(
        day,
        state.day === day
          ? { contracts: this.o.engine().contracts, position: levels, history: this.o.history }
          : { history: this.o.history },
      );
      if (!view) return json(res, 404, { error: `${day} is not a trading day` });
      const body = JSON.stringify(view);
      if (this.dayCache.size > 8) this.dayCache.clear();
      this.dayCache.set(day, { key, body });
      return jsonText(res, 200, body);
    }
    json(res, 404, {
      error: `no such page: ${path} (the API is /api/state, /api/days, /api/day/YYYY-MM-DD, /api/equity, /api/events)`,
    });
  }

  private post(req: IncomingMessage, res: ServerResponse, path: string): void {
    const refused = this.refusePost(req);
    req.resume(); // the body carries nothing we need
    if (refused) {
      this.o.log.warn('web: POST refused', { path, why: refused });
      return json(res, 403, { error: refused });
    }
    if (path === '/api/halt') {
      this.o.control.halt('halted from the page', 'web');
      return json(res, 200, this.stateJson(this.o.state()));
    }
    if (path === '/api/resume') {
      if (!this.o.config.allowRemoteResume)
        return json(res, 403, {
          error:
            'resume from the page is disabled (web.allowRemoteResume is false): hold ' +
            'the button 3 s or run "niftybox resume" on the box',
        });
      this.o.control.resume('web');
      return json(res, 200, this.stateJson(this.o.state()));
    }
    json(res, 404, { error: `nothing to POST at ${path}` });
  }

  /** Why a POST is not the page's own: cross-origin, or without this server's CSRF token. Null when fine. */
  private refusePost(req: IncomingMessage): string | null {
    const origin = req.headers.origin;
    const host = req.headers.host;
    if (!origin || !host) return 'missing Origin or Host header';
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return 'bad Origin header';
    }
    if (originHost !== host) return `cross-origin request from ${origin}`;
    const token = req.headers['x-csrf-token'];
    if (typeof token !== 'string' || !safeEqual(token, this.csrf))
      return 'missing or wrong CSRF token (reload the page)';
    return null;
  }

  private authorized(req: IncomingMessage): boolean {
    const password = this.o.config.password;
    if (!password) return true;
    const h = req.headers.authorization ?? '';
    if (!h.startsWith('Basic ')) return false;
    const decoded = Buffer.from(h.slice(6), 'base64').toString('utf8');
    return safeEqual(decoded.slice(decoded.indexOf(':') + 1), password);
  }

  private events(req: IncomingMessage, res: ServerResponse): void {
    const address = req.socket.remoteAddress ?? '?';
    const mine = this.streamsByAddress.get(address) ?? 0;
    const { maxStreamsPerClient, maxStreams } = this.o.config;
    if (mine >= maxStreamsPerClient || this.clients.size >= maxStreams) {
      const why =
        mine >= maxStreamsPerClient
          ? `${maxStreamsPerClient} live-update streams are open from ${address} already`
          : `${maxStreams} live-update streams are open already`;
      res.setHeader('Retry-After', '30');
      return json(res, 503, { error: `${why}: close a tab of the page and reload` });
    }
    this.streamsByAddress.set(address, mine + 1);
    let open = true;
    const closed = () => {
      if (!open) return;
      open = false;
      this.clients.delete(res);
      const n = (this.streamsByAddress.get(address) ?? 1) - 1;
      if (n > 0) this.streamsByAddress.set(address, n);
      else this.streamsByAddress.delete(address);
    };
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: 2000\nevent: state\ndata: ${JSON.stringify(this.stateJson(this.o.state()))}\n\n`);
    this.clients.add(res);
    req.on('close', closed);
    res.on('close', closed);
  }

  private async reconcile(day: string, res: ServerResponse): Promise<void> {
    const official = this.o.officialCandles;
    if (!official)
      return json(res, 200, { available: false, why: 'no Upstox connection to fetch official candles from' });
    const cached = this.reconciled.get(day);
    if (cached) return json(res, 200, { available: true, ...cached });
    const session = this.o.calendar.session(day);
    if (!session) return json(res, 404, { error: `${day} is not a trading day` });
    const keys = this.ledger.candleKeys(session.openTs, session.closeTs);
    try {
      const check = await reconcileCandles({
        day,
        ledger: this.ledger,
        keys,
        calendar: this.o.calendar,
        official: (k) => official(k, day),
      });
      // only a finished day's answer is final
      if (this.o.state().ts > session.closeTs + 3_600_000) this.reconciled.set(day, check);
      json(res, 200, { available: true, ...check });
    } catch (err) {
      json(res, 200, { available: false, why: (err as Error).message });
    }
  }

  private levels(state: ApplianceState): PositionLevels | null {
    const p = state.position;
    if (!p) return null;
    const key = `${p.instrumentKey}@${p.entryPrice}`;
    if (this.openEntry?.key !== key) {
      const open = this.ledger.openPosition();
      this.openEntry = {
        key,
        ts: open && open.instrumentKey === p.instrumentKey ? Math.round(open.entryTime / 1000) : null,
      };
    }
    return {
      side: p.side,
      instrumentKey: p.instrumentKey,
      symbol: p.symbol,
      entryTime: this.openEntry.ts,
      entryPrice: p.entryPrice,
      ltp: p.ltp,
      sl: p.sl,
      tp1: p.tp1,
      lock: paise(this.rules.lockedStop(p.side, p.entryPrice)),
      tp1Hit: p.tp1Hit,
      quantity: p.quantity,
      unrealizedPnl: p.unrealizedPnl,
    };
  }

  private stateJson(state: ApplianceState) {
    const engine = this.o.engine();
    return {
      ...state,
      guards: engine.guards,
      positionLevels: this.levels(state),
      page: { allowRemoteResume: this.o.config.allowRemoteResume },
    };
  }
}

/** On every response (set first in handle): nothing of the page runs from, or inside, another site. */
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
};

function json(res: ServerResponse, status: number, body: unknown): void {
  jsonText(res, status, JSON.stringify(body));
}

function jsonText(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(body);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
