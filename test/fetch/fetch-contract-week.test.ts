/**
 * `niftybox fetch` makes one candle call per contract per week it is picked in, not one per contract-day:
 * on ranges where the live rule's ATM strike holds for several days the call count halves or better. Two
 * ranges of the shared data where it does (the fake serves each day's recorded candles under the strike
 * the live rule picks, so the picks are the live rule's, not the recorded ones):
 * - 2025-06-09…12: 4 days, 2 (expiry, strike) pairs → 4 option candle calls where one a day made 8;
 * - 2025-07-04…10: 5 days, 2 pairs (25450 on 4, 25500 on 10 Jul) → 4 where one a day made 10.
 * On all of Jun–Nov 2025 the live rule picks 105 pairs on 125 days (the ATM moves most days): 210 calls
 * where one a day made 250, so the saving there is a sixth, not a half.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { istTime } from '../../src/core/time.js';
import { parseIndexCsv, parseOptionsCsv, type OptionDay } from '../../src/feed/csv.js';
import { ManualClock, startFakeUpstox, type FakeUpstox } from '../../src/sim/index.js';
import { RecordedMarket } from '../support/recorded-market.js';
import { hasSharedData, indexCsv, noSharedDataReason, optionsCsv, readShared } from '../support/shared-data.js';
import { installHome, runCliAsync } from './helpers.js';

const EXPIRED_CANDLES = '/v2/expired-instruments/historical-candle/{key}/5minute/{date}/{date}';
const INDEX_CANDLES = '/v3/historical-candle/{key}/minutes/5/{date}/{date}';

describe.skipIf(!hasSharedData)(
  `niftybox fetch by contract-week${hasSharedData ? '' : ` (${noSharedDataReason})`}`,
  () => {
    let fake: FakeUpstox;
    let market: RecordedMarket;
    let home: string;
    let options: Map<string, OptionDay>;

    beforeAll(async () => {
      const index = parseIndexCsv(readShared(indexCsv), indexCsv);
      options = parseOptionsCsv(readShared(optionsCsv), optionsCsv);
      market = new RecordedMarket(index, new Map([...options].filter(([d]) => d <= '2025-07-14')));
      // 14 July 2025, 10:00 IST: both ranges' weeklies have expired (the expired-instruments API).
      fake = await startFakeUpstox({
        source: market,
        clock: new ManualClock(istTime('2025-07-14', '10:00')),
        pumpIntervalMs: 1000,
      });
      home = installHome(fake.apiBaseUrl, fake.token);
    }, 60_000);
    afterAll(async () => fake?.close());

    for (const [from, to, days] of [
      ['2025-06-09', '2025-06-12', 4],
      ['2025-07-04', '2025-07-10', 5],
    ] as const) {
      const title = `${from}…${to}: ${days} days, 2 contracts a side, 4 option candle calls (one a day: ${2 * days})`;
      it(title, async () => {
        const picks = [...market.picks].filter(([d]) => d >= from && d <= to);
        expect(picks).toHaveLength(days);
        expect(new Set(picks.map(([, p]) => `${p.expiry} ${p.strike}`)).size).toBe(2);

        const out = mkdtempSync(join(tmpdir(), 'niftybox-fetch-week-'));
        const count = (path: string) => fake.stats.restByPath[path] ?? 0;
        const [optionsBefore, indexBefore] = [count(EXPIRED_CANDLES), count(INDEX_CANDLES)];
        const r = await runCliAsync(['fetch', '--from', from, '--to', to, '--out', out], home);
        expect(r.code, r.stderr).toBe(0);
        const calls = count(EXPIRED_CANDLES) - optionsBefore;
        const indexCalls = count(INDEX_CANDLES) - indexBefore;
        expect(calls).toBe(4);
        expect(calls * 2).toBeLessThanOrEqual(2 * days); // at most half of one call per contract-day
        // what the box says it did, index calls included: the count in the note
        const said = /\((\d+) candle calls, (\d+) requests in all/.exec(r.stdout);
        expect(said, r.stdout).not.toBeNull();
        expect(Number(said![1])).toBe(calls + indexCalls);
        console.log(
          `fetch ${from}…${to}: ${calls} option candle calls (one a day: ${2 * days}), ${said![2]} requests in ` +
            `all (one a day: ${Number(said![2]) - calls + 2 * days})`,
        );

        // the same files as one call a day would write: each day's recorded candles of its pick
        const fetched = parseOptionsCsv(readFileSync(join(out, 'nifty-atm-options-5min.csv')), 'fetched');
        expect([...fetched.keys()]).toEqual(picks.map(([d]) => d));
        for (const [day, od] of fetched) {
          expect(od.contracts.CE.strike).toBe(market.picks.get(day)!.strike);
          expect(od.candles.CE).toEqual(options.get(day)!.candles.CE);
          expect(od.candles.PE).toEqual(options.get(day)!.candles.PE);
        }
      }, 120_000);
    }
  },
);
