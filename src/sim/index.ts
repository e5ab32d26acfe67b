/** The simulated world: market model, virtual clock and the fake Upstox. */
export { MarketSimulator, type MarketSimulatorOptions } from './market.js';
export { VirtualClock, ManualClock, type Clock, type Timer } from './clock.js';
export { startFakeUpstox, type FakeUpstox, type FakeUpstoxOptions, type FakeUpstoxStats } from './fake-upstox.js';
export * as behaviours from './fake-behaviours.js';
export type { FakeUpstoxBehaviour, FakeCall, FakeFrame, FakeUpstoxControl } from './fake-behaviours.js';
export { candlesFromTrades, dayCandles, type PriceSource, type SimContract, type Trade } from './price-source.js';
export { MarketPacer, type PacerOptions } from './pacer.js';
