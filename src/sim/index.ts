/** The simulated world: market model, candle replay, virtual clock and the fake Upstox. */
export { MarketSimulator, type MarketSimulatorOptions } from './market.js';
export { CandleReplay, replayOptions, type ReplayOption } from './replay.js';
export { VirtualClock, ManualClock, type Clock, type Timer } from './clock.js';
export { startFakeUpstox, type FakeUpstox, type FakeUpstoxOptions, type FakeUpstoxStats, type Misbehaviour } from './fake-upstox.js';
export { candlesFromTrades, dayCandles, type PriceSource, type SimContract, type Trade } from './price-source.js';
export { RecordedMarket, otherStrikeCandles, type RecordedMarketOptions } from './recorded-market.js';
