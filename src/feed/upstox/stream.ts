/**
 * The Upstox V3 market-data stream: one WebSocket, our own reconnect loop (forever, 1 s → 30 s with
 * jitter), resubscription of every instrument in its mode, gap reporting, a stale-feed watchdog that
 * counts market data only (never pings) and only while the market is open, and a hard stop on 401.
 * Bad frames are counted and logged once; nothing from the wire can crash the process.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { createLogger, OnceLogger, type Logger } from '../../log.js';
import { backoffDelay } from '../../lib/backoff.js';
import { realClock, type Clock, type Timer } from '../../lib/clock.js';
import { TypedEmitter } from './emitter.js';
import { TokenExpired } from './errors.js';
import { decodeFeedFrame, type FeedFrame, type FeedTick, type MarketInfoUpdate } from './feed-decoder.js';

export type SubscriptionMode = 'ltpc' | 'full' | 'option_greeks' | 'full_d30';

export interface StreamEvents extends Record<string, unknown> {
  tick: FeedTick;
  marketInfo: MarketInfoUpdate;
  connected: { attempt: number };
  disconnected: { code: number; reason: string; retryInMs: number | null };
  /** No market data for `silentMs` while the market was open: the socket is being replaced. */
  stale: { silentMs: number };
  /**
   * The feed has not been open for `downMs` while the market was open (a start whose feed never connects, an outage):
   * once per outage.
   */
  down: { downMs: number; lastError: string | null };
  /**
   * Market data was missing between these server times (ms): the app completes the candles over it from Upstox
   * (app/components/backfill.ts).
   */
  gap: { from: number; to: number };
  /** The token no longer works: the stream has stopped; log in again and call start(). */
  tokenExpired: TokenExpired;
  error: Error;
}

export interface MarketDataStreamOptions {
  /**
   * Direct feed URL (wss://api.upstox.com/v3/feed/market-data-feed), opened with the Bearer header; the 307 is
   * followed.
   */
  feedUrl?: string;
  /** Token for the direct URL; a function is re-read on every connect (after a re-login). */
  token?: string | (() => string | null | undefined);
  /** Alternative to feedUrl: returns a fresh single-use authorized URL per connect (UpstoxRest.feedAuthorize). */
  authorize?: () => Promise<string>;
  /** Seconds without market data (while open) before the socket is replaced. Config upstox.staleFeedSeconds. */
  staleFeedSeconds?: number;
  /** Whether the market is open at a time (MarketCalendar session); outside it silence is normal. */
  isMarketOpen?: (ts: number) => boolean;
  /** The clock of the reconnect waits and the watchdog. Default the system clock. */
  clock?: Clock;
  /** Clock that measures silence (real time). Default: `clock`. */
  now?: () => number;
  /** Clock passed to isMarketOpen (a virtual clock in the demo). Default: `now`. */
  marketTime?: () => number;
  backoff?: { initialMs: number; maxMs: number };
  random?: () => number;
  /** Check period of the watchdog. Default min(1 s, stale window / 4). */
  watchdogIntervalMs?: number;
  handshakeTimeoutMs?: number;
  /**
   * Seconds with no frame AND no server ping (at any hour) before the link is presumed dead and replaced
   * quietly (no stale event). Upstox pings idle sockets, so this only trips on a vanished peer. Default 180.
   */
  idleTimeoutSeconds?: number;
  /** Consecutive 403 handshakes before treating the token as dead. Default 3. */
  max403?: number;
  log?: Logger;
}

export interface StreamStats {
  connectAttempts: number;
  connects: number;
  frames: number;
  ticks: number;
  badFrames: number;
  textFrames: number;
  unknownEnums: number;
  skippedFeeds: number;
  stale: number;
  gaps: number;
  /** Feeds for instruments we are not subscribed to (dropped). */
  unknownKeys: number;
  /** Sockets replaced because nothing at all (not even a ping) arrived for idleTimeoutSeconds. */
  idleTimeouts: number;
}

const UPSTOX_MODE: Record<SubscriptionMode, string> = {
  ltpc: 'ltpc',
  full: 'full',
  option_greeks: 'option_greeks',
  full_d30: 'full_d30',
};

export class MarketDataStream extends TypedEmitter<StreamEvents> {
  readonly stats: StreamStats = {
    connectAttempts: 0,
    connects: 0,
    frames: 0,
    ticks: 0,
    badFrames: 0,
    textFrames: 0,
    unknownEnums: 0,
    skippedFeeds: 0,
    stale: 0,
    gaps: 0,
    unknownKeys: 0,
    idleTimeouts: 0,
  };
  private readonly subs = new Map<string, SubscriptionMode>();
  private readonly log: Logger;
  private readonly once: OnceLogger;
  private readonly now: () => number;
  private readonly marketTime: () => number;
  private readonly staleMs: number;
  private ws: WebSocket | null = null;
  private running = false;
  private readonly clock: Clock;
  private reconnectTimer: Timer | null = null;
  private watchdog: Timer | null = null;
  private attempt = 0;
  private consecutive403 = 0;
  private openedAt = 0;
  private lastDataAt = 0;
  /** Last frame or server ping (liveness of the link, not of the market data). */
  private lastActivityAt = 0;
  private lastServerTs: number | null = null;
  private gapFrom: number | null = null;
  private wasOpen = false;
  /** Since when no socket has been open (start, close, the market's open); null while one is. */
  private downSince: number | null = null;
  private downReported = false;
  private lastFailure: string | null = null;
  private segments: MarketInfoUpdate['segmentStatus'] = {};

  constructor(private readonly opts: MarketDataStreamOptions) {
    super((event, err) => this.log.error('stream listener threw', { event, error: err as Error }));
    if (!opts.feedUrl && !opts.authorize) throw new Error('MarketDataStream needs feedUrl (with token) or authorize()');
    this.log = opts.log ?? createLogger({ mod: 'upstox-stream' });
    this.once = new OnceLogger(this.log);
    this.clock = opts.clock ?? realClock;
    this.now = opts.now ?? (() => this.clock.now());
    this.marketTime = opts.marketTime ?? this.now;
    this.staleMs = (opts.staleFeedSeconds ?? 20) * 1000;
  }

  get isConnected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** The instruments and modes that are (re)subscribed on every connect. */
  get subscriptions(): ReadonlyMap<string, SubscriptionMode> {
    return this.subs;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.attempt = 0;
    this.consecutive403 = 0;
    this.downSince = this.now();
    this.downReported = false;
    const every = this.opts.watchdogIntervalMs ?? Math.max(50, Math.min(1000, this.staleMs / 4));
    this.watchdog = this.clock.every(every, () => this.checkStale(), { background: true });
    void this.connect();
  }

  stop(): void {
    this.running = false;
    this.reconnectTimer?.cancel();
    this.watchdog?.cancel();
    this.reconnectTimer = this.watchdog = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.removeAllListeners('message');
      ws.terminate();
    }
  }

  subscribe(keys: readonly string[], mode: SubscriptionMode = 'ltpc'): void {
    for (const k of keys) this.subs.set(k, mode);
    this.send('sub', keys, mode);
  }

  unsubscribe(keys: readonly string[]): void {
    for (const k of keys) this.subs.delete(k);
    this.send('unsub', keys);
  }

  changeMode(keys: readonly string[], mode: SubscriptionMode): void {
    for (const k of keys) this.subs.set(k, mode);
    this.send('change_mode', keys, mode);
  }

  /** Handles one raw message as if it came from the socket (used by the socket; public for tests/fuzzing). */
  handleMessage(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    if (!isBinary) {
      this.stats.textFrames++;
      this.once.warn('text-frame', 'feed sent a text frame; ignoring (the V3 feed is binary protobuf)');
      return;
    }
    this.lastActivityAt = this.now();
    const buf = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    let frame: FeedFrame;
    try {
      frame = decodeFeedFrame(buf);
    } catch (err) {
      this.stats.badFrames++;
      this.once.warn('bad-frame', 'feed frame could not be decoded; ignoring it (counted in stats.badFrames)', {
        error: err as Error,
        bytes: buf.length,
      });
      return;
    }
    this.stats.frames++;
    if (frame.unknownEnums) {
      this.stats.unknownEnums += frame.unknownEnums;
      this.once.warn('unknown-enum', 'feed frame carried enum values this schema does not know (newer proto?)');
    }
    if (frame.skipped) this.stats.skippedFeeds += frame.skipped;
    if (frame.marketInfo) {
      this.segments = { ...this.segments, ...frame.marketInfo.segmentStatus };
      this.emit('marketInfo', frame.marketInfo);
    }
    if (!frame.ticks.length) return;
    this.lastDataAt = this.now();
    this.attempt = 0;
    this.consecutive403 = 0;
    const serverTs = frame.currentTs || frame.ticks[0]!.ts;
    if (this.gapFrom !== null) {
      const gap = { from: this.gapFrom, to: serverTs };
      this.gapFrom = null;
      if (gap.to > gap.from) {
        this.stats.gaps++;
        this.emit('gap', gap);
      }
    }
    this.lastServerTs = Math.max(this.lastServerTs ?? 0, serverTs);
    for (const t of frame.ticks) {
      if (!this.subs.has(t.instrumentKey)) {
        // e.g. in-flight frames right after an unsubscribe: not asked for, so not passed on
        this.stats.unknownKeys++;
        this.once.warn('unknown-key', 'feed sent an instrument we are not subscribed to; dropping it', {
          instrumentKey: t.instrumentKey,
        });
        continue;
      }
      this.stats.ticks++;
      this.emit('tick', t);
    }
  }

  private send(method: 'sub' | 'unsub' | 'change_mode', keys: readonly string[], mode?: SubscriptionMode): void {
    const ws = this.ws;
    if (!keys.length || !ws || ws.readyState !== WebSocket.OPEN) return; // (re)sent on the next open
    const data: Record<string, unknown> = { instrumentKeys: [...keys] };
    if (mode) data.mode = UPSTOX_MODE[mode];
    ws.send(Buffer.from(JSON.stringify({ guid: randomUUID(), method, data })), { binary: true });
  }

  private resubscribeAll(): void {
    const byMode = new Map<SubscriptionMode, string[]>();
    for (const [k, m] of this.subs) byMode.set(m, [...(byMode.get(m) ?? []), k]);
    for (const [m, keys] of byMode) this.send('sub', keys, m);
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    this.stats.connectAttempts++;
    let url: string;
    const headers: Record<string, string> = {};
    try {
      if (this.opts.authorize) url = await this.opts.authorize();
      else {
        url = this.opts.feedUrl!;
        const token = typeof this.opts.token === 'function' ? this.opts.token() : this.opts.token;
        if (!token) throw new TokenExpired('no Upstox access token for the market-data feed: run `niftybox login`');
        headers.Authorization = `Bearer ${token}`;
      }
    } catch (err) {
      if (err instanceof TokenExpired) return this.tokenDead(err);
      this.emitError(err as Error);
      return this.scheduleReconnect(0, `authorize failed: ${(err as Error).message}`);
    }
    if (!this.running) return;
    const ws = new WebSocket(url, {
      headers,
      followRedirects: true,
      handshakeTimeout: this.opts.handshakeTimeoutMs ?? 10_000,
    });
    this.ws = ws;
    let handshakeStatus: number | null = null;
    ws.on('open', () => {
      if (this.ws !== ws) return;
      this.stats.connects++;
      this.openedAt = this.lastDataAt = this.lastActivityAt = this.now();
      this.downSince = null;
      this.downReported = false;
      this.lastFailure = null;
      this.log.info('market-data feed connected', { instruments: this.subs.size });
      this.resubscribeAll();
      this.emit('connected', { attempt: this.stats.connectAttempts });
    });
    ws.on('message', (data, isBinary) => {
      if (this.ws === ws) this.handleMessage(data as Buffer, isBinary);
    });
    ws.on('ping', () => {
      if (this.ws === ws) this.lastActivityAt = this.now(); // liveness only: never counts as market data
    });
    ws.on('error', (err) => {
      const m = /Unexpected server response: (\d+)/.exec(err.message);
      if (m) handshakeStatus = Number(m[1]);
      else if (this.ws === ws)
        this.once.warn(`ws-error:${err.message}`, 'market-data feed socket error', { error: err });
    });
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (!this.running) return;
      this.downSince ??= this.now();
      if (this.lastServerTs !== null && this.gapFrom === null) this.gapFrom = this.lastServerTs;
      if (handshakeStatus === 401)
        return this.tokenDead(
          new TokenExpired('the market-data feed rejected the token (HTTP 401): run `niftybox login`'),
        );
      if (handshakeStatus === 403 && ++this.consecutive403 >= (this.opts.max403 ?? 3)) {
        return this.tokenDead(
          new TokenExpired(
            `the market-data feed refused ${this.consecutive403} handshakes (HTTP ` +
              `403): token expired or feed not enabled for this app`,
          ),
        );
      }
      if (this.openedAt && this.now() - this.openedAt >= 10_000) this.attempt = 0; // it was a healthy connection
      this.openedAt = 0;
      const why = handshakeStatus
        ? `handshake HTTP ${handshakeStatus}`
        : `closed ${code}${reason.length ? ' ' + reason.toString() : ''}`;
      // A 429 handshake: start the backoff further along so we do not hammer the limiter.
      this.scheduleReconnect(handshakeStatus === 429 ? 3 : 0, why, code);
    });
  }

  private scheduleReconnect(extraSteps: number, why: string, code = 0): void {
    if (!this.running || this.reconnectTimer) return;
    const delay = backoffDelay(this.attempt + extraSteps, {
      initialMs: this.opts.backoff?.initialMs ?? 1_000,
      maxMs: this.opts.backoff?.maxMs ?? 30_000,
      random: this.opts.random,
    });
    this.attempt++;
    this.lastFailure = why;
    this.log.warn('market-data feed disconnected; reconnecting', { why, retryInMs: delay, attempt: this.attempt });
    this.emit('disconnected', { code, reason: why, retryInMs: delay });
    this.reconnectTimer = this.clock.after(delay, () => {
      this.reconnectTimer = null;
      void this.connect();
    });
  }

  private tokenDead(err: TokenExpired): void {
    this.log.error('market-data feed stopped: token expired', { error: err });
    this.stop();
    this.emit('disconnected', { code: 401, reason: err.message, retryInMs: null });
    this.emit('tokenExpired', err);
  }

  private emitError(err: Error): void {
    this.once.warn(`err:${err.message}`, 'market-data feed error', { error: err });
    this.emit('error', err);
  }

  /** Open per the injected calendar AND (when the feed has told us) per market_info's segment status. */
  private marketOpen(): boolean {
    if (this.opts.isMarketOpen && !this.opts.isMarketOpen(this.marketTime())) return false;
    const known = ['NSE_INDEX', 'NSE_FO'].map((s) => this.segments[s]).filter(Boolean);
    return known.length === 0 || known.includes('NORMAL_OPEN');
  }

  private checkStale(): void {
    const ws = this.ws;
    const open = this.marketOpen();
    if (open && !this.wasOpen) {
      this.lastDataAt = this.now(); // the market just opened: silence counts from here
      if (this.downSince !== null) this.downSince = this.now(); // and so does a feed that is not up
    }
    this.wasOpen = open;
    if (!ws || ws.readyState !== WebSocket.OPEN) return this.checkDown(open);
    const idleMs = this.now() - this.lastActivityAt;
    if (idleMs >= (this.opts.idleTimeoutSeconds ?? 180) * 1000) {
      this.stats.idleTimeouts++;
      this.log.warn('market-data feed link idle (no frames, no pings); replacing the socket', { idleMs });
      ws.terminate();
      return;
    }
    if (!open || this.subs.size === 0) return;
    const silentMs = this.now() - this.lastDataAt;
    if (silentMs < this.staleMs) return;
    this.stats.stale++;
    this.log.warn('market-data feed stale; replacing the socket', { silentMs });
    this.emit('stale', { silentMs });
    ws.terminate(); // the close handler reconnects
  }

  /**
   * No socket open: after staleFeedSeconds of an open market (a start whose feed never connects, a long outage) say so
   * once.
   */
  private checkDown(marketOpen: boolean): void {
    if (!marketOpen || this.downSince === null || this.downReported) return;
    const downMs = this.now() - this.downSince;
    if (downMs < this.staleMs) return;
    this.downReported = true;
    this.log.warn('market-data feed not connected while the market is open; still retrying', {
      downMs,
      lastError: this.lastFailure,
    });
    this.emit('down', { downMs, lastError: this.lastFailure });
  }
}
