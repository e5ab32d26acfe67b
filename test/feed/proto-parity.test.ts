import { describe, expect, it } from 'vitest';
import { decodeFeedFrame } from '../../src/feed/upstox/feed-decoder.js';
import { FeedResponseType } from '../../src/feed/upstox/proto.js';
import { encodeFrame, feedFor, marketInfoFrame } from '../../src/sim/feed-frames.js';
import { MarketSimulator } from '../../src/sim/market.js';
import { officialDecode, officialEncode } from './helpers/official-proto.js';

/** Our schema's full plain form, same options as officialDecode. */
const ourDecode = (buf: Uint8Array) =>
  FeedResponseType.toObject(FeedResponseType.decode(buf), { longs: Number, enums: String, defaults: true });

const TS = 1751428500123;
const ltpc = { ltp: 131.45, ltt: 1751428499870, ltq: 75, cp: 118.2, iep: { value: 130.5 } };
const quote = (i: number) => ({ bidQ: 1500 + i, bidP: 131.4 - i * 0.05, askQ: 975 + i, askP: 131.5 + i * 0.05 });
const greeks = { delta: 0.51, theta: -18.2, gamma: 0.0011, vega: 9.8, rho: 0.7 };
const ohlc = [
  { interval: '1d', open: 120.1, high: 140, low: 110.2, close: 131.45, vol: 8123450, ts: 1751394600000 },
  { interval: 'I1', open: 131, high: 131.6, low: 130.9, close: 131.45, vol: 1200, ts: 1751428440000 },
  { interval: 'I30', open: 125, high: 133, low: 124, close: 131.45, vol: 90000, ts: 1751427000000 },
];
const marketFF = (levels: number) => ({
  ltpc,
  marketLevel: { bidAskQuote: Array.from({ length: levels }, (_, i) => quote(i)) },
  optionGreeks: greeks,
  marketOHLC: { ohlc },
  atp: 124.9,
  vtt: 8123450,
  oi: 5123400,
  iv: 0.1321,
  tbq: 402000,
  tsq: 388500,
  iep: 130.1,
  rp: 2.5,
  ieq: 1300,
  iiqTotal: 4500,
  iiqM: 2200,
  casEligible: true,
});

/** Every message type and mode, every field set (int64 beyond 2^32 where it matters). */
const CASES: Record<string, Record<string, unknown>> = {
  market_info: {
    type: 'market_info',
    currentTs: TS,
    marketInfo: {
      segmentStatus: {
        NSE_FO: 'NORMAL_OPEN',
        NSE_INDEX: 'NORMAL_OPEN',
        NSE_EQ: 'PRE_OPEN_END',
        MCX_FO: 'CLOSING_END',
        BSE_EQ: 'NORMAL_CLOSE',
        BSE_FO: 'PRE_OPEN_START',
        NCD_FO: 'CLOSING_START',
      },
      casMarketStatus: { NSE_EQ: { status: 'CAS_OPEN', updatedTime: TS - 5000 } },
      preOpenSessionStatus: { NSE_FO: { status: 'ENDED', updatedTime: TS - 9000 } },
    },
  },
  initial_ltpc: { currentTs: TS, feeds: { 'NSE_FO|43885': { ltpc, requestMode: 'ltpc' } } },
  live_ltpc: {
    type: 'live_feed',
    currentTs: TS,
    feeds: {
      'NSE_FO|43885': { ltpc, requestMode: 'ltpc' },
      'NSE_INDEX|Nifty 50': { ltpc: { ltp: 25512.3, ltt: 1751428499000, cp: 25453.4 } },
    },
  },
  full_market: {
    type: 'live_feed',
    currentTs: TS,
    feeds: { 'NSE_FO|43885': { fullFeed: { marketFF: marketFF(5) }, requestMode: 'full_d5' } },
  },
  full_index: {
    type: 'live_feed',
    currentTs: TS,
    feeds: {
      'NSE_INDEX|Nifty 50': {
        fullFeed: { indexFF: { ltpc: { ltp: 25512.3, ltt: 1751428499000, cp: 25453.4 }, marketOHLC: { ohlc } } },
        requestMode: 'full_d5',
      },
    },
  },
  full_d30: {
    type: 'live_feed',
    currentTs: TS,
    feeds: { 'NSE_FO|43885': { fullFeed: { marketFF: marketFF(30) }, requestMode: 'full_d30' } },
  },
  option_greeks: {
    type: 'live_feed',
    currentTs: TS,
    feeds: {
      'NSE_FO|43885': {
        firstLevelWithGreeks: {
          ltpc,
          firstDepth: quote(0),
          optionGreeks: greeks,
          vtt: 8123450,
          oi: 5123400,
          iv: 0.1321,
        },
        requestMode: 'option_greeks',
      },
    },
  },
};

describe('decode parity with the official MarketDataFeedV3.proto', () => {
  for (const [name, obj] of Object.entries(CASES)) {
    it(`${name}: official bytes → our decoder gives every field`, () => {
      const bytes = officialEncode(obj);
      expect(ourDecode(bytes)).toEqual(officialDecode(bytes));
      expect(ourDecode(bytes)).toMatchObject(obj);
    });
    it(`${name}: our encoder's bytes → official decoder gives the same`, () => {
      const ours = encodeFrame(obj);
      expect(officialDecode(ours)).toEqual(ourDecode(ours));
      expect(officialDecode(ours)).toEqual(officialDecode(officialEncode(obj)));
    });
  }

  it('hot-path ticks carry every field of each mode', () => {
    const ltpcFrame = decodeFeedFrame(officialEncode(CASES.initial_ltpc!));
    expect(ltpcFrame.type).toBe('initial_feed'); // type 0 is absent on the wire
    expect(ltpcFrame.ticks[0]).toEqual({
      instrumentKey: 'NSE_FO|43885',
      ts: ltpc.ltt,
      ltp: 131.45,
      ltq: 75,
      volume: 75,
      cp: 118.2,
      iep: 130.5,
      mode: 'ltpc',
      currentTs: TS,
      initial: true,
    });

    const full = decodeFeedFrame(officialEncode(CASES.full_market!)).ticks[0]!;
    expect(full).toMatchObject({
      mode: 'full_d5',
      initial: false,
      bid: 131.4,
      ask: 131.5,
      bidQty: 1500,
      askQty: 975,
      oi: 5123400,
      iv: 0.1321,
      atp: 124.9,
      vtt: 8123450,
      tbq: 402000,
      tsq: 388500,
      greeks,
    });
    expect(full.depth).toHaveLength(5);
    expect(full.ohlc).toEqual(ohlc.map(({ vol, ...o }) => ({ ...o, volume: vol })));

    const d30 = decodeFeedFrame(officialEncode(CASES.full_d30!)).ticks[0]!;
    expect(d30.mode).toBe('full_d30');
    expect(d30.depth).toHaveLength(30);
    expect(d30.depth![29]).toEqual({ bidQty: 1529, bidPrice: quote(29).bidP, askQty: 1004, askPrice: quote(29).askP });

    const idx = decodeFeedFrame(officialEncode(CASES.full_index!)).ticks[0]!;
    expect(idx).toMatchObject({
      instrumentKey: 'NSE_INDEX|Nifty 50',
      ltp: 25512.3,
      ts: 1751428499000,
      cp: 25453.4,
      mode: 'full_d5',
    });
    expect(idx.bid).toBeUndefined();
    expect(idx.oi).toBeUndefined();
    expect(idx.ltq).toBeUndefined(); // absent, not a fake zero

    const og = decodeFeedFrame(officialEncode(CASES.option_greeks!)).ticks[0]!;
    expect(og).toMatchObject({
      mode: 'option_greeks',
      bid: 131.4,
      ask: 131.5,
      greeks,
      vtt: 8123450,
      oi: 5123400,
      iv: 0.1321,
    });

    const mi = decodeFeedFrame(officialEncode(CASES.market_info!));
    expect(mi.type).toBe('market_info');
    expect(mi.marketInfo!.segmentStatus).toEqual(
      CASES.market_info!.marketInfo && (CASES.market_info!.marketInfo as { segmentStatus: unknown }).segmentStatus,
    );
    expect(mi.ticks).toEqual([]);
  });

  it('large int64 values (beyond 2^32) convert exactly', () => {
    const big = {
      type: 'live_feed',
      currentTs: 2 ** 50 + 1,
      feeds: { k: { ltpc: { ltp: 1, ltt: 2 ** 45 + 7, ltq: 2 ** 40 } } },
    };
    const t = decodeFeedFrame(officialEncode(big));
    expect(t.currentTs).toBe(2 ** 50 + 1);
    expect(t.ticks[0]!.ts).toBe(2 ** 45 + 7);
    expect(t.ticks[0]!.ltq).toBe(2 ** 40);
  });

  it("the fake exchange's frames (every mode, index and option) decode identically with the official proto", () => {
    const sim = new MarketSimulator({ seed: 7 });
    const date = '2025-09-29';
    const c = sim.contracts(date).find((x) => x.side === 'PE')!;
    const ts = sim.session(date)!.openTs + 3_600_000;
    for (const key of [sim.indexKey, c.instrumentKey]) {
      for (const mode of ['ltpc', 'full', 'option_greeks', 'full_d30'] as const) {
        const trade = sim.lastTrade(key, ts)!;
        const bytes = encodeFrame({
          type: 'live_feed',
          currentTs: ts,
          feeds: { [key]: feedFor(sim, key, mode, trade) },
        });
        expect(ourDecode(bytes)).toEqual(officialDecode(bytes));
        const tick = decodeFeedFrame(bytes).ticks[0]!;
        expect(tick.ltp).toBe(trade.price);
        expect(tick.ts).toBe(trade.ts);
      }
    }
    const mi = marketInfoFrame(ts, true);
    expect(ourDecode(mi)).toEqual(officialDecode(mi));
  });
});
