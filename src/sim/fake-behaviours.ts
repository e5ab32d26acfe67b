/**
 * The fake Upstox's misbehaviours as composable behaviours (after Z-Wave JS's mock controller and
 * nodes): each is an object with optional hooks the fake calls at fixed points — a call arriving, the
 * token check, an authorized call, a frame going out — and any number can be active at once, added
 * and removed while the fake runs (`fake.use(...)`, `fake.remove(...)`, `fake.behave()`). Without any
 * behaviour the fake is a well-behaved Upstox; the wire protocol stays the fake's own.
 */
import { randomBytes } from 'node:crypto';
import { encodeFrame } from './feed-frames.js';

/** A REST request or a feed WebSocket upgrade, as the fake's behaviours see it. */
export interface FakeCall {
  transport: 'rest' | 'feed';
  url: URL;
  /** Set once something answered the call; the fake then does nothing more with it. */
  readonly answered: boolean;
  /** Answer with Upstox's error body (`{status: 'error', errors: [{error_code, message, …}]}`). */
  answerError(status: number, code: string, message: string): void;
  /** Answer with an HTML page, as a gateway in front of Upstox does (REST only). */
  answerHtml(status: number, html: string): void;
}

/** A frame about to go out on a feed socket. */
export interface FakeFrame {
  kind: 'market_info' | 'initial_feed' | 'live_feed';
  /** The market_info every new socket gets first. */
  atConnect?: boolean;
  bytes: Uint8Array | string;
}

/** What a behaviour may do to the running fake when it is added. */
export interface FakeUpstoxControl {
  now(): number;
  indexKey: string;
  /** Close every feed socket: abruptly (terminate) or with a close frame. */
  closeFeeds(how?: { code: number; reason: string }): void;
  /** Send a frame on every open feed socket. */
  sendToFeeds(bytes: Uint8Array | string): void;
  /** Take a behaviour off the fake (a counted one removes itself when spent). */
  remove(b: FakeUpstoxBehaviour): void;
}

export interface FakeUpstoxBehaviour {
  /** What it does, for logs and test messages. */
  readonly name: string;
  /** Called when the behaviour is added: act at once (drop the sockets, send frames). */
  onAdd?(fake: FakeUpstoxControl): void;
  /** Any REST request or feed upgrade as it arrives, before the token is checked (latency, outages, 429, 5xx). */
  onArrival?(call: FakeCall, fake: FakeUpstoxControl): void | Promise<void>;
  /** Return false to have the fake refuse the caller's token (401 UDAPI100050) even when it is right. */
  acceptsToken?(call: FakeCall): boolean;
  /** An authorized REST call or feed handshake, before the fake answers it. */
  onAuthorized?(call: FakeCall, fake: FakeUpstoxControl): void;
  /**
   * A frame about to go out on a socket: return what to send instead ([] drops it). `socket` is stable per connection.
   */
  onFrameOut?(frame: FakeFrame, socket: object): FakeFrame[];
  /** Shift every time the feed puts on the wire (ltt, currentTs, candle ts) by this many ms. */
  feedClockOffsetMs?: number;
}

const isFeedData = (f: FakeFrame) =>
  f.kind === 'initial_feed' || f.kind === 'live_feed' || (f.kind === 'market_info' && !f.atConnect);

/** A behaviour that acts on the first `count` calls its hook sees, then takes itself off. */
function counted(
  name: string,
  count: number,
  hook: 'onArrival' | 'onAuthorized',
  match: (c: FakeCall) => boolean,
  act: (c: FakeCall) => void,
): FakeUpstoxBehaviour {
  let left = count;
  const b: FakeUpstoxBehaviour = {
    name,
    [hook]: (call: FakeCall, fake: FakeUpstoxControl) => {
      if (left <= 0 || !match(call)) return;
      left--;
      act(call);
      if (left <= 0) fake.remove(b);
    },
  };
  return b;
}

/** Close every feed socket abruptly now (the client sees a drop and reconnects). */
export function dropFeeds(): FakeUpstoxBehaviour {
  const b: FakeUpstoxBehaviour = {
    name: 'drop feed sockets',
    onAdd: (fake) => {
      fake.closeFeeds();
      fake.remove(b);
    },
  };
  return b;
}

/**
 * Close every feed socket now and refuse feed handshakes (503) until the fake's clock reaches `untilTs`: an outage of a
 * set length.
 */
export function feedOutageUntil(untilTs: number): FakeUpstoxBehaviour {
  return {
    name: `feed outage until ${new Date(untilTs).toISOString()}`,
    onAdd: (fake) => fake.closeFeeds(),
    onArrival: (call, fake) => {
      if (call.transport === 'feed' && fake.now() < untilTs) call.answerError(503, 'UDAPI100500', 'feed unavailable');
    },
  };
}

/** Refuse every feed handshake (503) while it is on: a feed that never opens. Open sockets stay. */
export function refuseFeeds(): FakeUpstoxBehaviour {
  return {
    name: 'feed handshakes refused',
    onArrival: (call) =>
      call.transport === 'feed' ? call.answerError(503, 'UDAPI100500', 'feed unavailable') : undefined,
  };
}

/**
 * Feed sockets stay open but carry no market data (pings continue): the socket every new connection's market_info still
 * arrives on.
 */
export function silence(): FakeUpstoxBehaviour {
  return { name: 'silence', onFrameOut: (f) => (isFeedData(f) ? [] : [f]) };
}

/**
 * The token is dead: REST calls and feed handshakes get 401 UDAPI100050, and open feed sockets are closed as Upstox
 * closes a dead token's.
 */
export function rejectToken(): FakeUpstoxBehaviour {
  return {
    name: 'token rejected (401)',
    onAdd: (fake) => fake.closeFeeds({ code: 1008, reason: 'token expired' }),
    acceptsToken: () => false,
  };
}

/** The next `count` REST requests get 429 UDAPI10005. */
export function restRateLimit(count: number): FakeUpstoxBehaviour {
  return counted(
    `REST 429 ×${count}`,
    count,
    'onArrival',
    (c) => c.transport === 'rest',
    (c) => c.answerError(429, 'UDAPI10005', 'Too many requests'),
  );
}

/** The next `count` feed handshakes (authorized: after the token check) get 429. */
export function feedRateLimit(count: number): FakeUpstoxBehaviour {
  return counted(
    `feed handshake 429 ×${count}`,
    count,
    'onAuthorized',
    (c) => c.transport === 'feed',
    (c) => c.answerError(429, 'UDAPI10005', 'Too many requests'),
  );
}

/** The next `count` REST requests get a 500 (a gateway's HTML 502 page when html is true). */
export function serverError(count: number, opts: { html?: boolean } = {}): FakeUpstoxBehaviour {
  return counted(
    `REST ${opts.html ? 'HTML 502' : '500'} ×${count}`,
    count,
    'onArrival',
    (c) => c.transport === 'rest',
    (c) =>
      opts.html
        ? c.answerHtml(
            502,
            '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>',
          )
        : c.answerError(500, 'UDAPI100500', 'Something went wrong'),
  );
}

/** Every REST answer comes `ms` real milliseconds late (a slow link). */
export function restLatency(ms: number): FakeUpstoxBehaviour {
  return {
    name: `REST latency ${ms} ms`,
    onArrival: (call) => (call.transport === 'rest' ? new Promise<void>((r) => setTimeout(r, ms)) : undefined),
  };
}

/** The expired-instruments API answers UDAPI1149: the account has no Upstox Plus. */
export function plusOnly(): FakeUpstoxBehaviour {
  return {
    name: 'no Upstox Plus',
    onAuthorized: (call) => {
      if (call.transport === 'rest' && call.url.pathname.startsWith('/v2/expired-instruments'))
        call.answerError(403, 'UDAPI1149', 'This API is available only for Upstox Plus users');
    },
  };
}

/** Send `count` garbage / truncated binary frames on every feed socket now. */
export function malformedFrames(count: number): FakeUpstoxBehaviour {
  const b: FakeUpstoxBehaviour = {
    name: `${count} malformed frames`,
    onAdd: (fake) => {
      const valid = encodeFrame({
        type: 'live_feed',
        currentTs: fake.now(),
        feeds: { [fake.indexKey]: { ltpc: { ltp: 1, ltt: fake.now() } } },
      });
      for (let i = 0; i < count; i++)
        fake.sendToFeeds(
          i % 2 === 0 ? randomBytes(1 + (i % 64)) : Buffer.from(valid.subarray(0, 1 + (i % (valid.length - 1)))),
        );
      fake.remove(b);
    },
  };
  return b;
}

/** Send one text frame on every feed socket now (Upstox sends only binary). */
export function textFrame(): FakeUpstoxBehaviour {
  const b: FakeUpstoxBehaviour = {
    name: 'a text frame',
    onAdd: (fake) => {
      fake.sendToFeeds('this is not protobuf');
      fake.remove(b);
    },
  };
  return b;
}

/** Swap neighbouring live frames on each socket. */
export function outOfOrder(): FakeUpstoxBehaviour {
  const held = new WeakMap<object, FakeFrame>();
  return {
    name: 'out-of-order frames',
    onFrameOut: (f, socket) => {
      if (f.kind !== 'live_feed') return [f];
      const h = held.get(socket);
      if (!h) return (held.set(socket, f), []);
      held.delete(socket);
      return [f, h];
    },
  };
}

/** Send every live frame twice. */
export function duplicateFrames(): FakeUpstoxBehaviour {
  return { name: 'duplicate frames', onFrameOut: (f) => (f.kind === 'live_feed' ? [f, f] : [f]) };
}

/** Every time the feed sends (ltt, currentTs, candle ts) is `ms` off (clock skew). */
export function feedClockSkew(ms: number): FakeUpstoxBehaviour {
  return { name: `feed clock ${ms >= 0 ? '+' : ''}${ms} ms`, feedClockOffsetMs: ms };
}
