/**
 * `niftybox sweep` through the built CLI: a variant's figures equal `backtest`'s for the same parameters,
 * 1 and 2 workers print the same bytes, Ctrl-C stops it at once, bad input exits 64 naming the flag,
 * and the --html report draws in Chromium (screenshot in test-output/sweep/).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../src/core/backtest.js';
import { MarketCalendar } from '../../src/core/calendar.js';
import { paise } from '../../src/core/charges.js';
import { DEFAULT_RISK, DEFAULT_V25 } from '../../src/core/params.js';
import { parseIndexCsv, parseOptionsCsv } from '../../src/feed/csv.js';
import { builtCli, runCli } from '../support/cli.js';
import {
  hasSharedData,
  indexCsv,
  noSharedDataReason,
  optionsCsv,
  readShared,
  repoRoot,
} from '../support/shared-data.js';
import { CHROMIUM, launchChromium, watchedPage } from '../web/browser.js';

const tmp = mkdtempSync(join(tmpdir(), 'niftybox-sweep-'));
const OUT = join(repoRoot, 'test-output', 'sweep');
const data = ['--index', indexCsv, '--options', optionsCsv];
const JUN_JUL = ['--from', '2025-06-01', '--to', '2025-07-31'];

describe.skipIf(!hasSharedData)(
  `niftybox sweep on the shared data${hasSharedData ? '' : ` (${noSharedDataReason})`}`,
  () => {
    it(
      'each variant equals backtest --slippage for the same slippage; the ' +
        'defaults are marked (and added when the grid lacks them)',
      () => {
        const r = runCli(['sweep', ...data, ...JUN_JUL, '--grid', 'slippagePoints=0,1', '--workers', '2', '--json']);
        expect(r.code, r.stderr).toBe(0);
        const out = JSON.parse(r.stdout);
        expect(Object.keys(out)).toEqual([
          'strategy',
          'objective',
          'grid',
          'variants',
          'best',
          'defaultVariant',
          'walkForward',
          'overfitting',
        ]);
        expect(out.grid).toEqual({ slippagePoints: [0, 1] });
        expect(out.variants.map((v: any) => [v.params.slippagePoints, v.isDefault])).toEqual([
          [0, false],
          [1, false],
          [0.5, true],
        ]);
        expect(out.defaultVariant).toBe(2);
        for (const v of out.variants) {
          expect(Object.keys(v.params)).toHaveLength(17); // every parameter, defaults included
          const b = runCli(['backtest', ...data, ...JUN_JUL, '--slippage', String(v.params.slippagePoints), '--json']);
          const s = JSON.parse(b.stdout).summary;
          for (const k of [
            'trades',
            'wins',
            'winRate',
            'grossPnl',
            'charges',
            'netPnl',
            'maxDrawdown',
            'expectancy',
            'sharpe',
            'sortino',
            'calmar',
            'tradingDays',
          ])
            expect(v.metrics[k], k).toBe(s[k]);
          expect(v.metrics.profitFactor).toBeCloseTo(s.profitFactor, 3);
        }
        expect(out.walkForward).toBeNull();
        expect(out.overfitting.trials).toBe(3);
        expect(out.overfitting.words[0]).toMatch(
          /^the best of 3 variants has a 0\.\d\d probability of a true Sharpe above zero/,
        );
      },
    );

    it('a variant of the indicator parameters equals a backtest of the same parameters', () => {
      const r = runCli([
        'sweep',
        ...data,
        ...JUN_JUL,
        '--grid',
        'emaPeriod=15,30',
        '--grid',
        'tp1Points.CE=12',
        '--workers',
        '2',
        '--json',
      ]);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      const index = parseIndexCsv(readShared(indexCsv), indexCsv);
      const options = parseOptionsCsv(readShared(optionsCsv), optionsCsv);
      for (const v of out.variants.slice(0, 2)) {
        const params = { ...DEFAULT_V25, emaPeriod: v.params.emaPeriod, tp1Points: { CE: 12, PE: 10 } };
        const b = runBacktest({
          index,
          options,
          from: '2025-06-01',
          to: '2025-07-31',
          params,
          risk: DEFAULT_RISK,
          calendar: new MarketCalendar(),
        });
        expect(v.metrics.trades).toBe(b.trades.length);
        expect(v.metrics.netPnl).toBe(paise(b.trades.reduce((a, t) => a + paise(t.netPnl), 0)));
      }
    });

    it('a variant equals backtest --strategy S --param … through the CLI (v25 and ema-cross)', () => {
      for (const [strategy, grid, pick] of [
        ['v25', ['--grid', 'emaPeriod=15,30', '--grid', 'tp1Points.CE=12'], { emaPeriod: 30, 'tp1Points.CE': 12 }],
        ['ema-cross', ['--grid', 'fastPeriod=5,9', '--grid', 'slowPeriod=30'], { fastPeriod: 5, slowPeriod: 30 }],
      ] as const) {
        const r = runCli(['sweep', ...data, ...JUN_JUL, '--strategy', strategy, ...grid, '--workers', '2', '--json']);
        expect(r.code, r.stderr).toBe(0);
        const out = JSON.parse(r.stdout);
        expect(out.strategy).toBe(strategy);
        const v = out.variants.find((x: any) => Object.entries(pick).every(([k, val]) => x.params[k] === val));
        const b = runCli([
          'backtest',
          ...data,
          ...JUN_JUL,
          '--strategy',
          strategy,
          ...Object.entries(pick).flatMap(([k, val]) => ['--param', `${k}=${val}`]),
          '--json',
        ]);
        expect(b.code, b.stderr).toBe(0);
        const s = JSON.parse(b.stdout).summary;
        for (const k of [
          'trades',
          'wins',
          'grossPnl',
          'charges',
          'netPnl',
          'maxDrawdown',
          'sharpe',
          'sortino',
          'calmar',
        ])
          expect(v.metrics[k], `${strategy} ${k}`).toBe(s[k]);
      }
    });

    it('1 and 2 workers: the same bytes on stdout and in the CSV, walk-forward and statistics included', () => {
      const args = [
        'sweep',
        ...data,
        '--grid',
        'emaPeriod=15:27:6',
        '--grid',
        'chopMax=50,60',
        '--walk-forward',
        '8:4',
        '--pbo-blocks',
        '8',
        '--json',
      ];
      const one = runCli([...args, '--workers', '1', '--csv', join(tmp, 'w1.csv')]);
      const two = runCli([...args, '--workers', '2', '--csv', join(tmp, 'w2.csv')]);
      expect(one.code, one.stderr).toBe(0);
      expect(two.code, two.stderr).toBe(0);
      expect(two.stdout).toBe(one.stdout);
      expect(readFileSync(join(tmp, 'w2.csv'), 'utf8')).toBe(readFileSync(join(tmp, 'w1.csv'), 'utf8'));
      const out = JSON.parse(one.stdout);
      expect(out.variants).toHaveLength(7); // 3 × 2 and the defaults
      const wf = out.walkForward;
      expect(wf.folds.length).toBeGreaterThan(3);
      for (const f of wf.folds) {
        expect(f.train.to < f.test.from).toBe(true);
        expect(Object.keys(f)).toEqual(['train', 'test', 'chosen', 'chosenVariant', 'inSample', 'outOfSample']);
      }
      expect(wf.outOfSample.trades).toBe(wf.folds.reduce((a: number, f: any) => a + f.outOfSample.trades, 0));
      expect(wf.defaultsOutOfSample.trades).toBeGreaterThan(0);
      expect(Object.keys(out.overfitting)).toEqual(['trials', 'deflatedSharpe', 'pbo', 'words', 'details']);
      expect(out.overfitting.trials).toBe(7);
      expect(out.overfitting.deflatedSharpe).toBe(out.overfitting.details.deflatedSharpe.deflatedSharpe);
      expect(out.overfitting.pbo).toBeGreaterThanOrEqual(0);
      expect(out.overfitting.details.pbo).toMatchObject({ blocks: 8, splits: 70 }); // C(8, 4)
      // A fold's figures from the whole-range run equal a backtest of that window alone (indicators warmed on every
      // earlier candle, as backtest --from does): nothing but the indicators carries over a day boundary.
      const index = parseIndexCsv(readShared(indexCsv), indexCsv);
      const options = parseOptionsCsv(readShared(optionsCsv), optionsCsv);
      for (const f of [wf.folds[0], wf.folds.at(-1)]) {
        for (const [w, m] of [
          [f.train, f.inSample],
          [f.test, f.outOfSample],
        ]) {
          const params = { ...DEFAULT_V25, emaPeriod: f.chosen.emaPeriod, chopMax: f.chosen.chopMax };
          const b = runBacktest({
            index,
            options,
            from: w.from,
            to: w.to,
            params,
            risk: DEFAULT_RISK,
            calendar: new MarketCalendar(),
          });
          expect(m.trades).toBe(b.trades.length);
          expect(m.netPnl).toBe(paise(b.trades.reduce((a: number, t) => a + paise(t.netPnl), 0)));
        }
      }
      const csv = readFileSync(join(tmp, 'w1.csv'), 'utf8').trim().split('\n');
      expect(csv).toHaveLength(8);
      expect(csv[0]).toMatch(
        new RegExp(
          [
            /^variant,default,entryStart,entryEnd,.*,emaPeriod,.*,chopMax,/.source,
            /trades,wins,winRate,grossPnl,charges,netPnl,/.source,
            /profitFactor,expectancy,maxDrawdown,sharpe,sortino,calmar,/.source,
            /tradingDays$/.source,
          ].join(''),
        ),
      );
    });

    it('Ctrl-C stops every worker at once: exit 130, no JSON finished, no process left', async () => {
      const child = spawn(
        process.execPath,
        [
          builtCli,
          'sweep',
          ...data,
          '--grid',
          'emaPeriod=5:200:1',
          '--grid',
          'chopMax=50,57',
          '--workers',
          '2',
          '--json',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b) => (stdout += b));
      // The first variant on stdout: the workers are running.
      await new Promise<void>((resolve) => child.stdout.on('data', () => stdout.includes('"metrics"') && resolve()));
      child.stderr.on('data', (b) => (stderr += b));
      child.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      expect(code).toBe(130);
      expect(stderr).toMatch(/interrupted; every worker stopped/);
      expect(stdout).not.toMatch(/"overfitting"/); // 392 variants would take far longer than it took to stop
      expect(() => process.kill(child.pid!, 0)).toThrow(); // the process (and with it every worker thread) is gone
    });

    describe('the --html report in Chromium', () => {
      let chromium: Awaited<ReturnType<typeof launchChromium>>;
      beforeAll(async () => {
        if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
        chromium = await launchChromium();
      });
      afterAll(async () => {
        await chromium?.close();
      });
      it('draws the heatmap, the folds, the out-of-sample equity, the top table and the words, offline', async () => {
        mkdirSync(OUT, { recursive: true });
        const html = join(OUT, 'sweep.html');
        const r = runCli([
          'sweep',
          ...data,
          '--grid',
          'emaPeriod=15:27:3',
          '--grid',
          'slAtrMult=1:2:0.5',
          '--walk-forward',
          '8:2',
          '--workers',
          '2',
          '--html',
          html,
        ]);
        expect(r.code, r.stderr).toBe(0);
        expect(readFileSync(html, 'utf8')).not.toMatch(/https?:\/\//);
        const { page, errors, requests } = await watchedPage(chromium.browser, { width: 1200, height: 900 });
        await page.goto(pathToFileURL(html).href);
        expect(await page.locator('#heatmap rect').count()).toBe(15); // 5 × 3
        expect(await page.locator('#heatmap rect[stroke]').count()).toBe(1); // the defaults (21, 1.5)
        expect(await page.locator('#folds rect').count()).toBeGreaterThanOrEqual(2 * 9);
        expect(await page.locator('#oos-line').getAttribute('points')).toMatch(/^([\d.]+,[\d.]+ )+[\d.]+,[\d.]+$/);
        expect(await page.locator('#defaults-line').count()).toBe(1);
        expect(await page.locator('#top tr').count()).toBe(16); // header + 15 variants
        expect(await page.locator('#words li').first().textContent()).toMatch(
          /The best of 15 variants has a \d\.\d\d probability of a true Sharpe above zero/,
        );
        expect(await page.locator('#words li').nth(1).textContent()).toMatch(
          /^PBO \d\.\d\d: the in-sample winner usually/,
        );
        await page.screenshot({ path: join(OUT, 'sweep.png'), fullPage: true });
        expect(errors).toEqual([]);
        expect(requests.every((u) => u.startsWith('file://'))).toBe(true);
      });
    });
  },
);

// Bad input needs no real data: two days of made-up candles.
const IDX_HEAD = 'datetime,open,high,low,close,volume';
const OPT_HEAD =
  'timestamp,open,high,low,close,volume,oi,datetime,date,instrument_type,' +
  'strike_price,expiry_date,instrument_key,trading_day,is_expired';
const times = Array.from(
  { length: 12 },
  (_, i) =>
    `${String(9 + Math.floor((15 + 5 * i) / 60)).padStart(2, '0')}:${String((15 + 5 * i) % 60).padStart(2, '0')}`,
);
const days = ['2025-06-02', '2025-06-03'];
const small = { i: join(tmp, 'index.csv'), o: join(tmp, 'options.csv') };
writeFileSync(
  small.i,
  [
    IDX_HEAD,
    ...days.flatMap((d) =>
      times.map((t, k) => `${d} ${t}:00+05:30,${24500 + k},${24510 + k},${24490 + k},${24505 + k},0`),
    ),
  ].join('\n') + '\n',
);
writeFileSync(
  small.o,
  [
    OPT_HEAD,
    ...days.flatMap((d) =>
      times.flatMap((t) =>
        (['CE', 'PE'] as const).map(
          (s) =>
            `${d}T${t}:00+05:30,100,104,98,101,1000,5000,${d} ${t}:00+05:30,${d},${s},` +
            `24500,2025-06-05,NSE_FO|${s === 'CE' ? 1 : 2}|05-06-2025,${d},True`,
        ),
      ),
    ),
  ].join('\n') + '\n',
);

describe('sweep: bad input exits 64 naming the flag, never a stack trace', () => {
  const cases: [string, string[], RegExp][] = [
    [
      'an unknown parameter',
      ['--grid', 'fooPeriod=1,2'],
      /--grid: v25 has no parameter "fooPeriod"; its parameters are entryStart, .*emaPeriod/,
    ],
    [
      'a value outside the range',
      ['--grid', 'chopMax=50,150'],
      /--grid chopMax=150 is out of range: give a number from 0 to 100/,
    ],
    [
      'a fraction for a whole-number parameter',
      ['--grid', 'emaPeriod=1.5,2'],
      /--grid emaPeriod=1\.5: emaPeriod takes a whole number/,
    ],
    ['not a number', ['--grid', 'emaPeriod=abc'], /--grid emaPeriod="abc" is not a number/],
    [
      'a bad time',
      ['--grid', 'entryStart=9:30,25:00'],
      /--grid entryStart="9:30": give a time HH:MM from 09:15 to 15:30/,
    ],
    ['an empty range', ['--grid', 'emaPeriod=30:10:5'], /--grid emaPeriod=30:10:5 is an empty range/],
    ['a range of two numbers', ['--grid', 'emaPeriod=10:20'], /a range is FROM:TO:STEP, three numbers/],
    ['a zero step', ['--grid', 'slAtrMult=1:2:0'], /the step must be above 0/],
    ['no --grid', [], /--grid is required/],
    [
      'a grid over --max-variants',
      ['--grid', 'emaPeriod=2:201:1', '--grid', 'chopMax=1:100:1'],
      /the grid has 20000 variants, over --max-variants 10000/,
    ],
    [
      '--random larger than the grid',
      ['--grid', 'emaPeriod=10,20,30', '--random', '5'],
      /--random 5 is larger than the grid \(3 variants\)/,
    ],
    ['--seed without --random', ['--grid', 'emaPeriod=10,20', '--seed', '3'], /--seed does nothing without --random/],
    [
      'a walk-forward longer than the data',
      ['--grid', 'emaPeriod=10,20', '--walk-forward', '4:1'],
      /--walk-forward 4:1 needs at least 5 weeks of data; the range 2025-06-02 … 2025-06-03 has 1/,
    ],
    [
      'a bad walk-forward',
      ['--grid', 'emaPeriod=10,20', '--walk-forward', '8'],
      /--walk-forward "8" is not TRAIN:TEST/,
    ],
    [
      'an unknown objective',
      ['--grid', 'emaPeriod=10,20', '--objective', 'profit'],
      /--objective "profit" is not one of net, sharpe, sortino, calmar, profitFactor/,
    ],
    [
      'odd --pbo-blocks',
      ['--grid', 'emaPeriod=10,20', '--pbo-blocks', '7'],
      /--pbo-blocks 7: give an even number from 2 to 20/,
    ],
    [
      '--workers 0',
      ['--grid', 'emaPeriod=10,20', '--workers', '0'],
      /--workers "0" is not a valid value: it must be a whole number ≥ 1/,
    ],
    [
      'an unknown strategy',
      ['--strategy', 'moon', '--grid', 'emaPeriod=10,20'],
      /--strategy "moon" is not a strategy the sweep knows: use one of v25, ema-cross, confluence/,
    ],
    [
      'a --param on a grid axis',
      ['--grid', 'emaPeriod=10,20', '--param', 'emaPeriod=5'],
      /--grid emaPeriod and --param emaPeriod both set emaPeriod/,
    ],
    [
      '--x that is not an axis',
      ['--grid', 'emaPeriod=10,20', '--x', 'chopMax', '--html', join(tmp, 'x.html')],
      /--x chopMax is not a --grid axis: use one of emaPeriod/,
    ],
    [
      'a variant the strategy refuses (entryStart after entryEnd)',
      ['--grid', 'entryStart=09:30,15:20'],
      new RegExp(
        [
          /--grid in the variant entryStart=15:20: strategy v25, /.source,
          /parameter entryStart: entryStart 15:20 is after entryEnd 15:15/.source,
        ].join(''),
      ),
    ],
    [
      'a parameter of another strategy',
      ['--strategy', 'ema-cross', '--grid', 'emaPeriod=10,20'],
      /--grid: ema-cross has no parameter "emaPeriod"; its parameters are .*fastPeriod/,
    ],
    ['a value listed twice', ['--grid', 'emaPeriod=10,10'], /the value 10 is listed twice/],
  ];
  it.each(cases)('%s', (_name, args, message) => {
    const extra = args.includes('--max-variants') ? [] : ['--max-variants', '10000'];
    const r = runCli(['sweep', '--index', small.i, '--options', small.o, ...args, ...extra]);
    expect(r.stderr, r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/^niftybox sweep: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(64);
    expect(r.stdout).toBe('');
  });
  it('a range whose TO lies on a step includes it, float-safe; one that does not stops before it', () => {
    const r = runCli([
      'sweep',
      '--index',
      small.i,
      '--options',
      small.o,
      '--grid',
      'slAtrMult=1:2:0.5',
      '--grid',
      'chopMax=0.1:0.3:0.1',
      '--grid',
      'emaPeriod=10:20:3',
      '--workers',
      '1',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).grid).toEqual({
      slAtrMult: [1, 1.5, 2],
      chopMax: [0.1, 0.2, 0.3],
      emaPeriod: [10, 13, 16, 19],
    });
  });
  it('a progress line on stderr only on a terminal (script(1) gives it one); none through a pipe', () => {
    const args = [
      'sweep',
      '--index',
      small.i,
      '--options',
      small.o,
      '--grid',
      'emaPeriod=10,20',
      '--workers',
      '1',
      '--json',
    ];
    const piped = runCli(args);
    expect(piped.code).toBe(0);
    expect(piped.stderr).not.toMatch(/variants\/s/);
    JSON.parse(piped.stdout); // stdout: the JSON and nothing else
    const quoted = [process.execPath, builtCli, ...args].map((a) => `'${a}'`).join(' ');
    const tty = spawnSync('script', ['-qec', quoted, '/dev/null'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(tty.status, tty.stderr).toBe(0);
    expect(tty.stdout).toMatch(/\rsweep: 3\/3 variants, [\d.]+\/s, ETA 0 s/);
  });
  it('--random N --seed S: the same N variants for the same seed, in grid order', () => {
    const run = (seed: string) =>
      JSON.parse(
        runCli([
          'sweep',
          '--index',
          small.i,
          '--options',
          small.o,
          '--grid',
          'emaPeriod=2:40:1',
          '--random',
          '4',
          '--seed',
          seed,
          '--json',
        ]).stdout,
      );
    const a = run('7');
    const picked = a.variants.filter((v: any) => !v.isDefault).map((v: any) => v.params.emaPeriod);
    expect(picked).toHaveLength(4);
    expect([...picked].sort((x: number, y: number) => x - y)).toEqual(picked);
    expect(run('7').variants).toEqual(a.variants);
  });
});
