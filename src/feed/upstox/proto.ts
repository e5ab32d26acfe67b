/**
 * The Market Data Feed V3 protobuf schema, written by us from Upstox's documented field numbers and
 * types (MarketDataFeedV3.proto of upstox-js-sdk 2.31). Built with Root.fromJSON so that nothing but
 * compiled JavaScript has to ship in dist/. Field names follow the official proto so JSON forms match.
 */
import protobuf from 'protobufjs/light.js'; // Root.fromJSON needs no .proto parser: the light build

const PACKAGE = 'com.upstox.marketdatafeederv3udapi.rpc.proto';

const f = (type: string, id: number, rule?: 'repeated') => (rule ? { type, id, rule } : { type, id });
const map = (keyType: string, type: string, id: number) => ({ keyType, type, id });

const feedTypes = {
  LTPC: {
    fields: {
      ltp: f('double', 1),
      ltt: f('int64', 2),
      ltq: f('int64', 3),
      cp: f('double', 4),
      iep: f('google.protobuf.DoubleValue', 5),
    },
  },
  MarketLevel: { fields: { bidAskQuote: f('Quote', 1, 'repeated') } },
  MarketOHLC: { fields: { ohlc: f('OHLC', 1, 'repeated') } },
  Quote: { fields: { bidQ: f('int64', 1), bidP: f('double', 2), askQ: f('int64', 3), askP: f('double', 4) } },
  OptionGreeks: {
    fields: {
      delta: f('double', 1),
      theta: f('double', 2),
      gamma: f('double', 3),
      vega: f('double', 4),
      rho: f('double', 5),
    },
  },
  OHLC: {
    fields: {
      interval: f('string', 1),
      open: f('double', 2),
      high: f('double', 3),
      low: f('double', 4),
      close: f('double', 5),
      vol: f('int64', 6),
      ts: f('int64', 7),
    },
  },
  Type: { values: { initial_feed: 0, live_feed: 1, market_info: 2 } },
  MarketFullFeed: {
    fields: {
      ltpc: f('LTPC', 1),
      marketLevel: f('MarketLevel', 2),
      optionGreeks: f('OptionGreeks', 3),
      marketOHLC: f('MarketOHLC', 4),
      atp: f('double', 5),
      vtt: f('int64', 6),
      oi: f('double', 7),
      iv: f('double', 8),
      tbq: f('double', 9),
      tsq: f('double', 10),
      iep: f('double', 11),
      rp: f('double', 12),
      ieq: f('int64', 13),
      iiqTotal: f('int64', 14),
      iiqM: f('int64', 15),
      casEligible: f('bool', 16),
    },
  },
  IndexFullFeed: { fields: { ltpc: f('LTPC', 1), marketOHLC: f('MarketOHLC', 2) } },
  FullFeed: {
    oneofs: { FullFeedUnion: { oneof: ['marketFF', 'indexFF'] } },
    fields: { marketFF: f('MarketFullFeed', 1), indexFF: f('IndexFullFeed', 2) },
  },
  FirstLevelWithGreeks: {
    fields: {
      ltpc: f('LTPC', 1),
      firstDepth: f('Quote', 2),
      optionGreeks: f('OptionGreeks', 3),
      vtt: f('int64', 4),
      oi: f('double', 5),
      iv: f('double', 6),
    },
  },
  Feed: {
    oneofs: { FeedUnion: { oneof: ['ltpc', 'fullFeed', 'firstLevelWithGreeks'] } },
    fields: {
      ltpc: f('LTPC', 1),
      fullFeed: f('FullFeed', 2),
      firstLevelWithGreeks: f('FirstLevelWithGreeks', 3),
      requestMode: f('RequestMode', 4),
    },
  },
  RequestMode: { values: { ltpc: 0, full_d5: 1, option_greeks: 2, full_d30: 3 } },
  MarketStatus: {
    values: { PRE_OPEN_START: 0, PRE_OPEN_END: 1, NORMAL_OPEN: 2, NORMAL_CLOSE: 3, CLOSING_START: 4, CLOSING_END: 5 },
  },
  StatusInfo: { fields: { status: f('string', 1), updatedTime: f('int64', 2) } },
  MarketInfo: {
    fields: {
      segmentStatus: map('string', 'MarketStatus', 1),
      casMarketStatus: map('string', 'StatusInfo', 2),
      preOpenSessionStatus: map('string', 'StatusInfo', 3),
    },
  },
  FeedResponse: {
    fields: {
      type: f('Type', 1),
      feeds: map('string', 'Feed', 2),
      currentTs: f('int64', 3),
      marketInfo: f('MarketInfo', 4),
    },
  },
};

function nest(path: string, leaf: Record<string, unknown>): Record<string, unknown> {
  return path
    .split('.')
    .reduceRight<Record<string, unknown>>((inner, name) => ({ nested: { [name]: inner } }), { nested: leaf });
}

const descriptor = nest(PACKAGE, feedTypes) as { nested: Record<string, unknown> };
// google.protobuf.DoubleValue (wrappers.proto), declared here rather than imported from a file.
descriptor.nested.google = nest('protobuf', { DoubleValue: { fields: { value: f('double', 1) } } });

/** The schema root; look types up by their short names with `feedType(...)`. */
const feedRoot: protobuf.Root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
feedRoot.resolveAll();

function feedType(name: keyof typeof feedTypes): protobuf.Type {
  return feedRoot.lookupType(`${PACKAGE}.${name}`);
}

export const FeedResponseType: protobuf.Type = feedType('FeedResponse');

export const REQUEST_MODE_NAMES = ['ltpc', 'full_d5', 'option_greeks', 'full_d30'] as const;
export type RequestModeName = (typeof REQUEST_MODE_NAMES)[number];
export const MARKET_STATUS_NAMES = [
  'PRE_OPEN_START',
  'PRE_OPEN_END',
  'NORMAL_OPEN',
  'NORMAL_CLOSE',
  'CLOSING_START',
  'CLOSING_END',
] as const;
export type MarketStatusName = (typeof MARKET_STATUS_NAMES)[number];
export const FRAME_TYPE_NAMES = ['initial_feed', 'live_feed', 'market_info'] as const;
export type FrameTypeName = (typeof FRAME_TYPE_NAMES)[number];
