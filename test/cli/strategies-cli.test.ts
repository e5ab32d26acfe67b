/**
 * Choosing a strategy through the built CLI: `niftybox strategies [--json]`, `backtest --strategy
 * --param` (a bad name or value exits 64 naming it), the config's `strategy: {name, …}` (an unknown
 * parameter for the chosen strategy exits 78 naming it and the strategy), and the backtest on all shared
 * data for each strategy equal to runBacktest with the same choice.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../src/core/backtest.js';
import { MarketCalendar } from '../../src/core/calendar.js';
import { DEFAULT_RISK } from '../../src/core/params.js';
import { parseIndexCsv, parseOptionsCsv } from '../../src/feed/csv.js';
import { runCli } from '../support/cli.js';
import { hasSharedData, indexCsv, noSharedDataReason, optionsCsv, readShared } from '../support/shared-data.js';

const tmp = mkdtempSync(join(tmpdir(), 'niftybox-strategies-'));
const home = join(tmp, 'home');
mkdirSync(home);
const env = { ...process.env, HOME: home, NIFTYBOX_CONFIG: '', NIFTYBOX_DB: '', NIFTYBOX_UPSTOX_TOKEN: '' };
const cli = (args: string[]) => runCli(args, { env });
const noTrace = /\n\s+at .*\(.*:\d+:\d+\)/;

describe('niftybox strategies', () => {
  it('--json lists every strategy with its parameters, defaults, ranges and warm-up need', () => {
    const r = cli(['strategies', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as {
      strategies: {
        name: string;
        warmupCandles: number;
        params: { name: string; default: unknown; min?: number; max?: number; shared: boolean }[];
      }[];
    };
    expect(j.strategies.map((s) => [s.name, s.warmupCandles])).toEqual([
      ['v25', 36],
      ['ema-cross', 22],
      ['confluence', 201],
    ]);
    const confluence = j.strategies[2]!;
    expect(confluence.params.find((p) => p.name === 'trendEmaPeriod')).toEqual({
      name: 'trendEmaPeriod',
      shared: false,
      type: 'integer',
      default: 200,
      min: 1,
      max: 500,
    });
    expect(confluence.params.find((p) => p.name === 'tp1Points.PE')).toMatchObject({ shared: true, default: 10 });
  });
  it('prints them as text', () => {
    const r = cli(['strategies']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^confluence — /m);
    expect(r.stdout).toMatch(/fastPeriod\s+9/);
  });
});

describe('backtest --strategy / --param: bad ones exit 64 naming them', () => {
  const data = ['--index', indexCsv, '--options', optionsCsv];
  it.each([
    [['--strategy', 'macd'], /--strategy: unknown strategy "macd" \(one of: v25, ema-cross, confluence\)/],
    [
      ['--strategy', 'ema-cross', '--param', 'chopMax=40'],
      /--param: unknown parameter "chopMax" for strategy ema-cross/,
    ],
    [['--param', 'tp1Points.CE=abc'], /--param: strategy v25, parameter tp1Points\.CE: /],
    [['--strategy', 'confluence', '--param', 'rsiPeriod=0'], /--param: strategy confluence, parameter rsiPeriod: /],
    [['--param', 'emaPeriod'], /--param: parameter "emaPeriod" is not NAME=VALUE/],
  ])('%j', (args, pattern) => {
    const r = cli(['backtest', ...data, ...args]);
    expect(r.stderr).toMatch(pattern);
    expect(r.code, r.stderr).toBe(64);
    expect(r.stderr).not.toMatch(noTrace);
  });
});

describe('the config names the strategy', () => {
  const config = (name: string, text: string) => {
    const f = join(tmp, `${name}.yaml`);
    writeFileSync(f, text);
    return f;
  };
  it('an unknown parameter for the chosen strategy exits 78 naming it and the strategy', () => {
    const f = config('bad-param', 'strategy:\n  name: ema-cross\n  chopMax: 50\n');
    const r = cli(['backtest', '--index', indexCsv, '--options', optionsCsv, '--config', f]);
    expect(r.stderr).toMatch(/config key strategy\.chopMax: unknown parameter "chopMax" for strategy ema-cross/);
    expect(r.code, r.stderr).toBe(78);
    expect(r.stderr).not.toMatch(noTrace);
  });
  it('an unknown strategy exits 78 naming it', () => {
    const r = cli(['strategies', '--json']); // sanity: the command itself reads no config
    expect(r.code).toBe(0);
    const f = config('bad-name', 'strategy:\n  name: rsi2\n');
    const b = cli(['report', '--config', f, '--db', join(tmp, 'none.db')]);
    expect(b.stderr).toMatch(/config key strategy\.name: unknown strategy "rsi2"/);
    expect(b.code).toBe(78);
  });
});

describe.skipIf(!hasSharedData)(
  `backtest --strategy on all shared data (${hasSharedData ? 'present' : noSharedDataReason})`,
  () => {
    const index = hasSharedData ? parseIndexCsv(readShared(indexCsv), indexCsv) : [];
    const options = hasSharedData ? parseOptionsCsv(readShared(optionsCsv), optionsCsv) : new Map();
    it.each([
      ['ema-cross', [] as string[], {}],
      ['confluence', [] as string[], {}],
      [
        'ema-cross',
        ['--param', 'fastPeriod=5', '--param', 'tp1Points.CE=20'],
        { fastPeriod: 5, tp1Points: { CE: 20, PE: 10 } },
      ],
      [
        'confluence',
        ['--param', 'rsiBuy=60', '--param', 'stMult=2', '--slippage', '1'],
        { rsiBuy: 60, stMult: 2, slippagePoints: 1 },
      ],
    ] as const)(
      '%s %j: the trades of runBacktest with the same choice, and the choice in the JSON',
      (name, args, params) => {
        const r = cli([
          'backtest',
          '--index',
          indexCsv,
          '--options',
          optionsCsv,
          '--strategy',
          name,
          ...args,
          '--json',
        ]);
        expect(r.code, r.stderr).toBe(0);
        const j = JSON.parse(r.stdout) as {
          trades: { entryTime: string; reason: string }[];
          summary: { trades: number; strategy: { name: string; params: Record<string, unknown> } };
        };
        const want = runBacktest({
          index,
          options,
          strategy: name,
          params,
          risk: DEFAULT_RISK,
          calendar: new MarketCalendar(),
        });
        expect(j.summary.trades).toBe(want.trades.length);
        expect(j.trades.map((t) => t.reason)).toEqual(want.trades.map((t) => t.reason));
        expect(j.summary.strategy.name).toBe(name);
        expect(j.summary.strategy.params).toMatchObject(params);
      },
    );
  },
);
