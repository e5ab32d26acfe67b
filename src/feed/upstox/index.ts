/** The Upstox link: login and tokens, REST, warm-up, and the V3 market-data stream. */
export { TokenExpired, UpstoxApiError, UpstoxShapeError } from './errors.js';
export {
  loadToken,
  readStoredToken,
  storeAnalyticsToken,
  storeToken,
  oauthExpiry,
  tokenPath,
  type StoredToken,
  type TokenKind,
} from './token-store.js';
export { runLoginServer, type LoginServerOptions } from './login.js';
export {
  UpstoxRest,
  type UpstoxRestOptions,
  type LtpQuote,
  type FetchLike,
  type CandleUnit,
  type CandleWithOi,
  type ExpiredInterval,
} from './rest.js';
export { mergeCandles, closedCandles, warmUpIndexCandles, warmUpDays } from './warmup.js';
export {
  MarketDataStream,
  type MarketDataStreamOptions,
  type StreamEvents,
  type StreamStats,
  type SubscriptionMode,
} from './stream.js';
export {
  decodeFeedFrame,
  type FeedTick,
  type FeedFrame,
  type FeedOhlc,
  type MarketInfoUpdate,
  type DepthLevel,
  type OptionGreeks,
} from './feed-decoder.js';
