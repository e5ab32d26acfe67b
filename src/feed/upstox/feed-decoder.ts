/**
 * Protobuf frame → plain typed values. The hot path reads the decoded protobufjs message directly
 * (no toObject, no JSON round trip). proto3 leaves defaults off the wire, so presence is read from
 * own properties: an absent number stays undefined and is never mistaken for a real zero.
 */
import type { Tick } from '../../core/types.js';
import {
  FRAME_TYPE_NAMES,
  FeedResponseType,
  MARKET_STATUS_NAMES,
  REQUEST_MODE_NAMES,
  type FrameTypeName,
  type MarketStatusName,
  type RequestModeName,
} from './proto.js';

export interface DepthLevel {
  bidQty: number;
  bidPrice: number;
  askQty: number;
  askPrice: number;
}

export interface OptionGreeks {
  delta: number;
  theta: number;
  gamma: number;
  vega: number;
  rho: number;
}

export interface FeedOhlc {
  /** "1d", "I1" or "I30". */
  interval: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** Candle start, epoch ms. */
  ts: number;
}

/**
 * One instrument's update from the feed. `ts` is the last trade time (ltt, ms); `volume` is the last
 * trade quantity (ltq) so that summing ticks gives candle volume. Optional fields are present only
 * when the frame carried them (depends on the subscription mode).
 */
export interface FeedTick extends Tick {
  mode: RequestModeName | 'unknown';
  /** Server send time of the frame (ms): the app's clock-skew reference. */
  currentTs: number;
  /** True when the frame was an initial_feed snapshot rather than a live trade. */
  initial: boolean;
  ltq?: number;
  /** Previous close. */
  cp?: number;
  /** Pre-open indicative price. */
  iep?: number;
  bidQty?: number;
  askQty?: number;
  depth?: DepthLevel[];
  oi?: number;
  iv?: number;
  atp?: number;
  /** Volume traded today. */
  vtt?: number;
  tbq?: number;
  tsq?: number;
  greeks?: OptionGreeks;
  ohlc?: FeedOhlc[];
}

export interface MarketInfoUpdate {
  currentTs: number;
  /** Segment → status, e.g. NSE_FO → NORMAL_OPEN; unknown enum values appear as "UNKNOWN_<n>". */
  segmentStatus: Record<string, MarketStatusName | `UNKNOWN_${number}`>;
}

export interface FeedFrame {
  type: FrameTypeName | 'unknown';
  currentTs: number;
  ticks: FeedTick[];
  marketInfo?: MarketInfoUpdate;
  /** Feeds skipped because they carried no price (kept for diagnostics). */
  skipped: number;
  /** Enum values this schema does not know (a newer proto on the server). */
  unknownEnums: number;
}

type Msg = Record<string, any>;
const has = (m: Msg, k: string): boolean => Object.prototype.hasOwnProperty.call(m, k);
/** int64 → number: protobufjs gives Long objects (or numbers when long.js is absent). */
const num = (v: unknown): number =>
  typeof v === 'number' ? v : v == null ? 0 : (v as { toNumber(): number }).toNumber();
const opt = (m: Msg, k: string): number | undefined => (has(m, k) ? num(m[k]) : undefined);

/** Decodes one binary feed message. Throws on bytes that are not a FeedResponse. */
export function decodeFeedFrame(buf: Uint8Array): FeedFrame {
  const msg = FeedResponseType.decode(buf) as Msg;
  let unknownEnums = 0;
  let type: FeedFrame['type'] = 'initial_feed'; // proto3: type 0 is absent from the bytes
  if (has(msg, 'type')) {
    type = (FRAME_TYPE_NAMES[msg.type as number] as FrameTypeName | undefined) ?? 'unknown';
    if (type === 'unknown') unknownEnums++;
  }
  const currentTs = has(msg, 'currentTs') ? num(msg.currentTs) : 0;
  const frame: FeedFrame = { type, currentTs, ticks: [], skipped: 0, unknownEnums };
  if (has(msg, 'marketInfo') && msg.marketInfo) frame.marketInfo = readMarketInfo(msg.marketInfo, currentTs, frame);
  if (has(msg, 'feeds')) {
    const initial = type === 'initial_feed';
    const feeds = msg.feeds as Record<string, Msg>;
    for (const key in feeds) {
      const tick = readFeed(key, feeds[key]!, currentTs, initial, frame);
      if (tick) frame.ticks.push(tick);
      else frame.skipped++;
    }
  }
  return frame;
}

function readMarketInfo(mi: Msg, currentTs: number, frame: FeedFrame): MarketInfoUpdate {
  const segmentStatus: MarketInfoUpdate['segmentStatus'] = {};
  const src = (mi.segmentStatus ?? {}) as Record<string, number>;
  for (const seg in src) {
    const v = src[seg]!;
    const name = MARKET_STATUS_NAMES[v] as MarketStatusName | undefined;
    if (name) segmentStatus[seg] = name;
    else {
      segmentStatus[seg] = `UNKNOWN_${v}`;
      frame.unknownEnums++;
    }
  }
  return { currentTs, segmentStatus };
}

function readFeed(key: string, feed: Msg, currentTs: number, initial: boolean, frame: FeedFrame): FeedTick | null {
  let mode: FeedTick['mode'] = 'ltpc';
  if (has(feed, 'requestMode')) {
    mode = (REQUEST_MODE_NAMES[feed.requestMode as number] as RequestModeName | undefined) ?? 'unknown';
    if (mode === 'unknown') frame.unknownEnums++;
  }
  let ltpc: Msg | null = null;
  let body: Msg | null = null;
  let kind: 'ltpc' | 'market' | 'index' | 'greeks' = 'ltpc';
  if (feed.ltpc) ltpc = feed.ltpc;
  else if (feed.fullFeed) {
    const ff = feed.fullFeed as Msg;
    if (ff.marketFF) (body = ff.marketFF), (kind = 'market');
    else if (ff.indexFF) (body = ff.indexFF), (kind = 'index');
    ltpc = body?.ltpc ?? null;
  } else if (feed.firstLevelWithGreeks) {
    body = feed.firstLevelWithGreeks;
    kind = 'greeks';
    ltpc = body!.ltpc ?? null;
  }
  if (!ltpc || !has(ltpc, 'ltp')) return null;
  const ltp = ltpc.ltp as number;
  if (!Number.isFinite(ltp)) return null;
  const ltt = opt(ltpc, 'ltt');
  const tick: FeedTick = { instrumentKey: key, ts: ltt || currentTs, ltp, mode, currentTs, initial };
  if (has(ltpc, 'ltq')) tick.volume = tick.ltq = num(ltpc.ltq);
  if (has(ltpc, 'cp')) tick.cp = ltpc.cp;
  if (ltpc.iep && has(ltpc.iep, 'value')) tick.iep = ltpc.iep.value;
  if (!body) return tick;

  if (kind === 'market') {
    const levels = body.marketLevel?.bidAskQuote as Msg[] | undefined;
    if (levels && levels.length) {
      const depth: DepthLevel[] = new Array(levels.length);
      for (let i = 0; i < levels.length; i++) depth[i] = readQuote(levels[i]!);
      tick.depth = depth;
      setBest(tick, depth[0]!);
    }
    copyNumbers(body, tick, MARKET_NUMBERS);
    if (body.optionGreeks) tick.greeks = readGreeks(body.optionGreeks);
    if (body.marketOHLC) tick.ohlc = readOhlc(body.marketOHLC);
  } else if (kind === 'index') {
    if (body.marketOHLC) tick.ohlc = readOhlc(body.marketOHLC);
  } else {
    if (body.firstDepth) setBest(tick, readQuote(body.firstDepth));
    if (body.optionGreeks) tick.greeks = readGreeks(body.optionGreeks);
    copyNumbers(body, tick, GREEK_NUMBERS);
  }
  return tick;
}

const MARKET_NUMBERS = ['atp', 'vtt', 'oi', 'iv', 'tbq', 'tsq'] as const;
const GREEK_NUMBERS = ['vtt', 'oi', 'iv'] as const;

function copyNumbers(src: Msg, tick: FeedTick, keys: readonly (keyof FeedTick & string)[]): void {
  for (const k of keys) if (has(src, k)) (tick as unknown as Record<string, number>)[k] = num(src[k]);
}

function setBest(tick: FeedTick, q: DepthLevel): void {
  // An empty level is all zeros: no quote on that side, not a price of zero.
  if (q.bidPrice > 0) (tick.bid = q.bidPrice), (tick.bidQty = q.bidQty);
  if (q.askPrice > 0) (tick.ask = q.askPrice), (tick.askQty = q.askQty);
}

function readQuote(q: Msg): DepthLevel {
  return { bidQty: num(q.bidQ), bidPrice: q.bidP ?? 0, askQty: num(q.askQ), askPrice: q.askP ?? 0 };
}

function readGreeks(g: Msg): OptionGreeks {
  return { delta: g.delta ?? 0, theta: g.theta ?? 0, gamma: g.gamma ?? 0, vega: g.vega ?? 0, rho: g.rho ?? 0 };
}

function readOhlc(m: Msg): FeedOhlc[] {
  const list = (m.ohlc ?? []) as Msg[];
  const out: FeedOhlc[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const o = list[i]!;
    out[i] = {
      interval: o.interval ?? '',
      open: o.open ?? 0,
      high: o.high ?? 0,
      low: o.low ?? 0,
      close: o.close ?? 0,
      volume: num(o.vol),
      ts: num(o.ts),
    };
  }
  return out;
}
