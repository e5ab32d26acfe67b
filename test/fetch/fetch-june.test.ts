/**
 * `niftybox fetch` against the fake Upstox serving the shared data's June 2025 (past weeks through the
 * expired-instruments API, the last days through the current option-contract API), then `backtest` on
 * the two fetched files gives the trades of the backtest on ../shared/data (times, prices, reasons).
 * The fake serves each day's recorded candles only under the strike the live rule picks.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../src/core/backtest.js';
import { MarketCalendar } from '../../src/core/calendar.js';
import { DEFAULT_RISK, DEFAULT_V25 } from '../../src/core/params.js';
import { istTime } from '../../src/core/time.js';
import { parseIndexCsv, parseOptionsCsv, type OptionDay } from '../../src/feed/csv.js';
import { ManualClock, startFakeUpstox, type FakeUpstox } from '../../src/sim/index.js';
import { otherStrikeCandles, RecordedMarket } from '../support/recorded-market.js';
import { hasSharedData, indexCsv, noSharedDataReason, optionsCsv, readShared } from '../support/shared-data.js';
import { installHome, runCliAsync } from './helpers.js';

const FROM = '2025-06-01';
const TO = '2025-06-30';

describe.skipIf(!hasSharedData)(
  `niftybox fetch → backtest, June 2025 from the fake Upstox${hasSharedData ? '' : ` (${noSharedDataReason})`}`,
  () => {
    let fake: FakeUpstox;
    let market: RecordedMarket;
    let home: string;
    let options: Map<string, OptionDay>;
    const out = () => join(home, 'june');

    beforeAll(async () => {
      const index = parseIndexCsv(readShared(indexCsv), indexCsv);
      options = parseOptionsCsv(readShared(optionsCsv), optionsCsv);
      const served = new Map([...options].filter(([d]) => d <= '2025-07-01'));
      market = new RecordedMarket(index, served);
      // 1 July 2025, 10:00 IST: the weeks up to 26 June have expired, the 3 July weekly is current.
      fake = await startFakeUpstox({
        source: market,
        clock: new ManualClock(istTime('2025-07-01', '10:00')),
        pumpIntervalMs: 1000,
      });
      home = installHome(fake.apiBaseUrl, fake.token);
    }, 60_000);
    afterAll(async () => fake?.close());

    it(
      'the fake is a real test of the pick: the live rule differs from the ' +
        'recorded strike on many June days, and other strikes trade differently',
      () => {
        const june = [...market.picks].filter(([d]) => d >= FROM && d <= TO);
        expect(june).toHaveLength(21);
        const differing = june.filter(([, p]) => p.strike !== p.recordedStrike);
        expect(differing.length).toBe(14); // 76 of the 125 recorded days, 14 of June's 21
        // Candles of a neighbouring strike give other trades than the recorded pair.
        const index = parseIndexCsv(readShared(indexCsv), indexCsv);
        const juneOptions = new Map([...options].filter(([d]) => d >= FROM && d <= TO));
        const shifted = new Map(
          [...juneOptions].map(([d, od]) => [
            d,
            {
              ...od,
              candles: {
                CE: otherStrikeCandles(od.candles.CE, 'CE', 1),
                PE: otherStrikeCandles(od.candles.PE, 'PE', 1),
              },
            },
          ]),
        );
        const run = (o: Map<string, OptionDay>) =>
          runBacktest({
            index,
            options: o,
            from: FROM,
            to: TO,
            params: { ...DEFAULT_V25, slippagePoints: 0 },
            risk: DEFAULT_RISK,
            calendar: new MarketCalendar(),
          }).trades.map((t) => `${t.entryTime} ${t.entryPrice} ${t.exitTime} ${t.exitPrice} ${t.reason}`);
        expect(run(shifted)).not.toEqual(run(juneOptions));
      },
    );

    it("writes exactly the two files, in the recorded formats, with the live rule's pair per day", async () => {
      const r = await runCliAsync(['fetch', '--from', FROM, '--to', TO, '--out', out()], home);
      expect(r.stderr).not.toMatch(/skipped/);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/fetch ATM options\s+\[#{24}\] 21\/21 days/);
      expect(
        readdirSync(out())
          .filter((f) => !f.startsWith('.'))
          .sort(),
      ).toEqual(['nifty-atm-options-5min.csv', 'nifty50-5min.csv']);
      expect(readdirSync(out()).sort()).toEqual(['.cache', 'nifty-atm-options-5min.csv', 'nifty50-5min.csv']);

      const idxText = readFileSync(join(out(), 'nifty50-5min.csv'), 'utf8');
      const optText = readFileSync(join(out(), 'nifty-atm-options-5min.csv'), 'utf8');
      expect(idxText.split('\n')[0]).toBe(readShared(indexCsv).split('\n')[0]);
      expect(optText.split('\n')[0]).toBe(readShared(optionsCsv).split('\n')[0]);
      // Index rows are byte-identical to the recorded ones (20 warm-up days before June, then June).
      const sharedIdx = readShared(indexCsv).split('\n');
      const fetchedIdx = idxText.trim().split('\n').slice(1);
      const start = sharedIdx.indexOf(fetchedIdx[0]!);
      expect(start).toBeGreaterThan(0);
      expect(fetchedIdx).toEqual(sharedIdx.slice(start, start + fetchedIdx.length));
      expect(fetchedIdx.at(-1)).toMatch(/^2025-06-30 15:25:00\+05:30,/);
      expect(fetchedIdx.length).toBe((20 + 21) * 75);

      const fetched = parseOptionsCsv(optText, 'fetched');
      expect([...fetched.keys()]).toEqual([...market.picks.keys()].filter((d) => d >= FROM && d <= TO));
      for (const [day, od] of fetched) {
        const pick = market.picks.get(day)!;
        expect([od.contracts.CE.strike, od.contracts.PE.strike, od.contracts.CE.expiry]).toEqual([
          pick.strike,
          pick.strike,
          pick.expiry,
        ]);
        // past expiries carry the expired key form, the current week the live one
        expect(od.contracts.CE.instrumentKey).toMatch(
          pick.expiry < '2025-07-01' ? /^NSE_FO\|\d+\|\d\d-\d\d-\d{4}$/ : /^NSE_FO\|\d+$/,
        );
        expect(od.candles.CE).toEqual(options.get(day)!.candles.CE);
        expect(od.candles.PE).toEqual(options.get(day)!.candles.PE);
      }
      // is_expired is True on the expiry day, as in the recorded file
      expect(/,2025-06-05,NSE_FO\|\d+\|05-06-2025,2025-06-05,True\n/.test(optText)).toBe(true);
      expect(/,2025-06-05,NSE_FO\|\d+\|05-06-2025,2025-06-04,False\n/.test(optText)).toBe(true);
      // both paths were used: the expired-instruments API and the current contracts + V3 candles
      expect(fake.stats.restByPath['/v2/expired-instruments/expiries']).toBe(1);
      // One candle call per contract per week it is picked in (not per day): June's 19 past-week days pick
      // 16 distinct (expiry, strike) pairs, so 32 calls where one a day made 38.
      const junePicks = [...market.picks].filter(([d]) => d >= FROM && d <= TO);
      const pairsIn = (past: boolean) =>
        new Set(junePicks.filter(([, p]) => p.expiry < '2025-07-01' === past).map(([, p]) => `${p.expiry} ${p.strike}`))
          .size;
      expect(junePicks.filter(([, p]) => p.expiry < '2025-07-01')).toHaveLength(19);
      expect(fake.stats.restByPath['/v2/expired-instruments/historical-candle/{key}/5minute/{date}/{date}']).toBe(
        2 * pairsIn(true),
      );
      expect(2 * pairsIn(true)).toBe(32);
      // the 3 July week's pairs (27 + 30 June), index in 2 calls
      expect(fake.stats.restByPath['/v3/historical-candle/{key}/minutes/5/{date}/{date}']).toBe(2 * pairsIn(false) + 2);
    }, 120_000);

    it('backtest on the fetched files gives the trades of the backtest on ../shared/data for June', async () => {
      const mine = await runCliAsync(
        [
          'backtest',
          '--index',
          join(out(), 'nifty50-5min.csv'),
          '--options',
          join(out(), 'nifty-atm-options-5min.csv'),
          '--from',
          FROM,
          '--to',
          TO,
          '--slippage',
          '0',
          '--json',
        ],
        home,
      );
      const ref = await runCliAsync(
        [
          'backtest',
          '--index',
          indexCsv,
          '--options',
          optionsCsv,
          '--from',
          FROM,
          '--to',
          TO,
          '--slippage',
          '0',
          '--json',
        ],
        home,
      );
      expect(mine.code, mine.stderr).toBe(0);
      expect(ref.code, ref.stderr).toBe(0);
      const key = (t: any) => [t.day, t.side, t.entryTime, t.entryPrice, t.exitTime, t.exitPrice, t.reason, t.netPnl];
      const a = JSON.parse(mine.stdout).trades.map(key);
      const b = JSON.parse(ref.stdout).trades.map(key);
      expect(b.length).toBeGreaterThan(100);
      expect(a).toEqual(b);
    }, 120_000);

    it('a re-run makes no candle calls (index included) and writes the same bytes', async () => {
      const before = readFileSync(join(out(), 'nifty-atm-options-5min.csv'), 'utf8');
      const beforeIdx = readFileSync(join(out(), 'nifty50-5min.csv'), 'utf8');
      const counts = { ...fake.stats.restByPath };
      const r = await runCliAsync(['fetch', '--from', FROM, '--to', TO, '--out', out()], home);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/\(0 candle calls, 0 requests in all/);
      expect(fake.stats.restByPath).toEqual(counts);
      expect(readFileSync(join(out(), 'nifty-atm-options-5min.csv'), 'utf8')).toBe(before);
      expect(readFileSync(join(out(), 'nifty50-5min.csv'), 'utf8')).toBe(beforeIdx);
      expect(existsSync(join(out(), '.cache'))).toBe(true);
    }, 60_000);
  },
);
