/**
 * `niftybox fetch` from the fake Upstox (its market simulator): interrupted by SIGINT and by SIGKILL and
 * run again, it writes the same files as an uninterrupted run with no duplicate rows, and makes only the
 * calls that were missing; a burst of 429s slows it down without failing it; UDAPI1149 is explained.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { istTime } from '../../src/core/time.js';
import { parseIndexCsv, parseOptionsCsv } from '../../src/feed/csv.js';
import { ManualClock, startFakeUpstox, type FakeUpstox } from '../../src/sim/index.js';
import { installHome, runCliAsync, startCli } from './helpers.js';
import { plusOnly, restLatency, restRateLimit } from '../../src/sim/fake-behaviours.js';

const FROM = '2025-06-02';
const TO = '2025-06-13';
const args = (out: string) => ['fetch', '--from', FROM, '--to', TO, '--out', out];
const candleCalls = (f: FakeUpstox) =>
  Object.entries(f.stats.restByPath)
    .filter(([p]) => p.includes('historical-candle'))
    .reduce((a, [, n]) => a + n, 0);
const files = (dir: string) => [
  readFileSync(join(dir, 'nifty50-5min.csv'), 'utf8'),
  readFileSync(join(dir, 'nifty-atm-options-5min.csv'), 'utf8'),
];

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('niftybox fetch: interrupted, resumed, rate limited', () => {
  let fake: FakeUpstox;
  let home: string;
  let reference: string[];
  let fullCalls: number;

  beforeAll(async () => {
    fake = await startFakeUpstox({
      seed: 14,
      clock: new ManualClock(istTime('2025-06-17', '10:00')),
      pumpIntervalMs: 1000,
    });
    home = installHome(fake.apiBaseUrl, fake.token);
    const before = candleCalls(fake);
    const r = await runCliAsync(args(join(home, 'ref')), home);
    expect(r.code, r.stderr).toBe(0);
    fullCalls = candleCalls(fake) - before;
    reference = files(join(home, 'ref'));
  }, 120_000);
  afterAll(async () => fake?.close());

  it('the uninterrupted run: 10 days, the expired API for past weeks and the current one for 13 June', () => {
    const opts = parseOptionsCsv(reference[1]!, 'ref');
    expect([...opts.keys()]).toHaveLength(10);
    expect(parseIndexCsv(reference[0]!, 'ref').length).toBe(30 * 75);
    expect(fake.stats.restByPath['/v2/expired-instruments/expiries']).toBe(1);
    expect(opts.get('2025-06-02')!.contracts.CE.instrumentKey).toMatch(/\|05-06-2025$/);
    // the 19 June weekly is current on the 17th
    expect(opts.get('2025-06-13')!.contracts.CE.instrumentKey).not.toMatch(/\|\d\d-\d\d-\d{4}$/);
    expect(fullCalls).toBe(2 + 2 * 10);
  });

  for (const signal of ['SIGINT', 'SIGKILL'] as const) {
    it(`${signal} midway, then the same command again: the same files, no ` +
      `duplicate rows, only the missing calls`, async () => {
      const out = mkdtempSync(join(tmpdir(), `niftybox-fetch-${signal}-`));
      const fast = fake.use(restLatency(150));
      const before = candleCalls(fake);
      const run = startCli(args(out), home);
      await until(
        () => /ATM options\s+\[[#-]+\] [3-9]\/10 days/.test(run.stderr()),
        60_000,
        'three option days fetched',
      );
      run.child.kill(signal);
      const r = await run.done;
      fast();
      if (signal === 'SIGINT') {
        expect(r.code, r.stderr).toBe(130);
        expect(r.stderr).toMatch(/interrupted; what was fetched is kept in .*: run the same command again to resume/);
      } else expect(r.signal).toBe('SIGKILL');
      expect(existsSync(join(out, 'nifty-atm-options-5min.csv'))).toBe(false); // no half-written output
      const firstPart = candleCalls(fake) - before;
      expect(firstPart).toBeGreaterThanOrEqual(2 + 2 * 3);
      expect(firstPart).toBeLessThan(fullCalls);

      const again = await runCliAsync(args(out), home);
      expect(again.code, again.stderr).toBe(0);
      const total = candleCalls(fake) - before;
      expect(total).toBeLessThanOrEqual(fullCalls + 2); // at most the one pair in flight at the kill is fetched twice
      expect(files(out)).toEqual(reference);
      const rows = files(out)[1]!.trim().split('\n');
      expect(new Set(rows).size).toBe(rows.length);
      parseOptionsCsv(files(out)[1]!, 'resumed'); // rejects duplicate timestamps per contract
    }, 120_000);
  }

  it('a burst of 429s slows it down, says so, and does not fail it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'niftybox-fetch-429-'));
    fake.use(restRateLimit(3));
    const t0 = Date.now();
    const r = await runCliAsync(args(out), home);
    expect(r.code, r.stderr).toBe(0);
    expect(
      r.stderr.match(/Upstox answered 429 \(too many requests\): waiting \d+\.\d s before trying again/g),
    ).toHaveLength(3);
    expect(Date.now() - t0).toBeGreaterThan(3_000); // backed off 1 + 2 + 4 s (half of it jitter) before going on
    expect(files(out)).toEqual(reference);
  }, 120_000);

  it('without Upstox Plus (UDAPI1149) it says in plain words what works, and keeps the current week', async () => {
    const out = mkdtempSync(join(tmpdir(), 'niftybox-fetch-plus-'));
    const withPlus = fake.use(plusOnly());
    try {
      const past = await runCliAsync(['fetch', '--from', '2025-06-02', '--to', '2025-06-06', '--out', out], home);
      expect(past.code).toBe(78);
      expect(past.stderr).toMatch(
        new RegExp(
          [
            /UDAPI1149: its expired-instruments API .* only open to Upstox Plus subscribers\. /.source,
            /What still works without Plus: the NIFTY index candles for any period, /.source,
            /and the ATM options of expiries that have not passed yet/.source,
          ].join(''),
        ),
      );
      const mixed = await runCliAsync(args(out), home);
      expect(mixed.code, mixed.stderr).toBe(0);
      expect(mixed.stderr).toMatch(
        new RegExp(
          [
            /2025-06-02 skipped: its weekly expiry 2025-06-05 has passed /.source,
            /and expired contracts need Upstox Plus \(UDAPI1149\)/.source,
          ].join(''),
        ),
      );
      const opts = parseOptionsCsv(files(out)[1]!, 'plus');
      expect([...opts.keys()]).toEqual(['2025-06-13']);
    } finally {
      withPlus();
    }
  }, 120_000);

  it('a period older than the expired-instruments API reaches: says which days ' +
    'and why, writes nothing, exits 65', async () => {
    const out = mkdtempSync(join(tmpdir(), 'niftybox-fetch-old-'));
    const r = await runCliAsync(['fetch', '--from', '2024-06-03', '--to', '2024-06-04', '--out', out], home);
    expect(r.code, r.stderr).toBe(65);
    expect(r.stderr).toMatch(
      new RegExp(
        [
          /2024-06-03 skipped: its weekly expiry 2024-06-06 is not listed by Upstox /.source,
          /\(the expired-instruments API reaches about six months back\)/.source,
        ].join(''),
      ),
    );
    expect(r.stderr).toMatch(
      /no trading day in 2024-06-03 … 2024-06-04 has its ATM options at Upstox; nothing written/,
    );
    expect(existsSync(join(out, 'nifty50-5min.csv'))).toBe(false);
  }, 60_000);

  it('bad input exits 64 with the usage; no token exits 78 and says to log in', async () => {
    const u = await runCliAsync(['fetch', '--from', '2025-06-02', '--out', home], home);
    expect(u.code).toBe(64);
    expect(u.stderr).toMatch(/--from, --to and --out are required\nusage: niftybox fetch/);
    const noToken = mkdtempSync(join(tmpdir(), 'niftybox-fetch-notoken-'));
    const t = await runCliAsync(args(join(noToken, 'x')), noToken);
    expect(t.code).toBe(78);
    expect(t.stderr).toMatch(/no valid Upstox access token: run "niftybox login"/);
  }, 60_000);
});
