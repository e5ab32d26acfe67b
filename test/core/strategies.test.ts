/**
 * The strategies behind the contract (strategies.md): the registry and parameter checks, each
 * strategy's warm-up need, ema-cross's decisions worked by hand, both new strategies' decisions against
 * the spec's rules applied to separately computed indicators on every shared candle, and their
 * backtests on all shared data: every entry and every REVERSAL where the rules say, at default and
 * other parameters.
 */
import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../src/core/backtest.js';
import { MarketCalendar } from '../../src/core/calendar.js';
import { EmaIndicator, MacdHistogram, RsiIndicator, Supertrend } from '../../src/core/indicators.js';
import { DEFAULT_RISK } from '../../src/core/params.js';
import {
  StrategyChoiceError,
  chooseStrategy,
  chooseWithAssignments,
  strategies,
  strategyByName,
  type ConfluenceParams,
  type EmaCrossParams,
} from '../../src/core/strategies/index.js';
import type { Candle, Side } from '../../src/core/types.js';
import { parseIndexCsv, parseOptionsCsv } from '../../src/feed/csv.js';
import { hasSharedData, indexCsv, noSharedDataReason, optionsCsv, readShared } from '../support/shared-data.js';

const SHARED = {
  entryStart: '09:30',
  entryEnd: '15:15',
  eodExit: '15:25',
  slAtrMult: 1.5,
  atrPeriod: 7,
  tp1Points: { CE: 15, PE: 10 },
  lockPoints: { CE: 13, PE: 8 },
  slippagePoints: 0.5,
  lots: 1,
};

function walk(seed: number, n: number): Candle[] {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 4294967296);
  const out: Candle[] = [];
  let close = 24000;
  for (let i = 0; i < n; i++) {
    const open = close;
    close = Math.round((open + (rnd() - 0.5) * 40) * 20) / 20;
    out.push({
      ts: i * 300_000,
      open,
      high: Math.max(open, close) + rnd() * 8,
      low: Math.min(open, close) - rnd() * 8,
      close,
      volume: 0,
    });
  }
  return out;
}

describe('the registry', () => {
  it('has v25, ema-cross and confluence with the defaults of strategies.md', () => {
    expect(strategies.map((s) => s.name)).toEqual(['v25', 'ema-cross', 'confluence']);
    expect(strategyByName('v25')!.defaults).toEqual({
      ...SHARED,
      emaPeriod: 21,
      macdFast: 12,
      macdSlow: 26,
      macdSignal: 9,
      chopPeriod: 14,
      chopMax: 57,
    });
    expect(strategyByName('ema-cross')!.defaults).toEqual({ ...SHARED, fastPeriod: 9, slowPeriod: 21 });
    expect(strategyByName('confluence')!.defaults).toEqual({
      ...SHARED,
      rsiPeriod: 14,
      rsiBuy: 55,
      rsiSell: 45,
      macdFast: 12,
      macdSlow: 26,
      macdSignal: 9,
      stPeriod: 10,
      stMult: 3,
      trendEmaPeriod: 200,
    });
  });

  it('names an unknown strategy, an unknown parameter and a bad value, with the strategy', () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(StrategyChoiceError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(err(() => chooseStrategy('macd'))).toBe('unknown strategy "macd" (one of: v25, ema-cross, confluence)');
    expect(err(() => chooseStrategy('ema-cross', { chopMax: 50 }))).toMatch(
      /^unknown parameter "chopMax" for strategy ema-cross \(its parameters: .*fastPeriod, slowPeriod\)$/,
    );
    expect(err(() => chooseStrategy('confluence', { stMult: -1 }))).toMatch(/^strategy confluence, parameter stMult: /);
    expect(err(() => chooseWithAssignments('v25', {}, ['tp1Points.XX=3']))).toMatch(
      /^unknown parameter "tp1Points.XX" for strategy v25/,
    );
    expect(err(() => chooseWithAssignments('v25', {}, ['emaPeriod=abc']))).toMatch(
      /^strategy v25, parameter emaPeriod: /,
    );
    expect(err(() => chooseWithAssignments('v25', {}, ['emaPeriod']))).toMatch(/not NAME=VALUE/);
  });

  it('takes --param assignments on top of a base, per side as tp1Points.CE', () => {
    const c = chooseWithAssignments('v25', { emaPeriod: 30 }, ['tp1Points.CE=20', 'entryStart=09:45', 'chopMax=50.5']);
    expect(c.params).toMatchObject({
      emaPeriod: 30,
      tp1Points: { CE: 20, PE: 10 },
      entryStart: '09:45',
      chopMax: 50.5,
    });
  });
});

describe('warm-up: the first defined decision comes at the close of the warmupCandles-th index candle', () => {
  const candles = walk(11, 400);
  it.each([
    ['v25', {}, 36],
    ['v25', { macdSlow: 10, macdFast: 30, macdSignal: 5, emaPeriod: 50 }, 50],
    ['ema-cross', {}, 22],
    ['ema-cross', { fastPeriod: 30, slowPeriod: 5 }, 31],
    ['confluence', {}, 201],
    ['confluence', { trendEmaPeriod: 20 }, 35],
  ] as const)('%s %j: %i', (name, params, n) => {
    const { strategy, params: p } = chooseStrategy(name, params);
    expect(strategy.warmupCandles(p)).toBe(n);
    const run = strategy.create(p);
    const warmAt = candles.findIndex((c) => (run.update(c), run.warm)) + 1;
    expect(warmAt).toBe(n);
  });
});

describe('ema-cross, worked by hand (fast 2, slow 3)', () => {
  it('enters on the crosses, reverses on the fast EMA beyond the slow one', () => {
    const { strategy, params } = chooseStrategy('ema-cross', { fastPeriod: 2, slowPeriod: 3 });
    const run = strategy.create(params);
    const seen = [10, 10, 10, 13, 7, 7].map((close) => {
      run.update({ ts: 0, open: close, high: close, low: close, close, volume: 0 });
      return {
        entry: run.entrySide(),
        revCE: run.reverses('CE', false),
        revPE: run.reverses('PE', true),
        r: run.readings(),
      };
    });
    // fast EMA2: 10 (seed at t2), 10, 12, 8.667, 7.556; slow EMA3: 10 (seed at t3), 11.5, 9.25, 8.125
    expect(seen[2]!.entry).toBeNull(); // slow(t−1) undefined
    expect(seen[3]!.r.fast).toBeCloseTo(12, 12);
    expect(seen[3]!.r.slow).toBeCloseTo(11.5, 12);
    expect(seen[3]!.entry).toBe('CE'); // 12 > 11.5, and 10 ≤ 10 before
    expect(seen[3]!.revCE).toBe(false);
    expect(seen[3]!.revPE).toBe(true); // whether or not TP1 was reached
    expect(seen[4]!.entry).toBe('PE'); // 8.667 < 9.25, and 12 ≥ 11.5 before
    expect(seen[4]!.revCE).toBe(true);
    expect(seen[5]!.entry).toBeNull(); // still below: no new cross
    expect(seen[5]!.r.fast).toBeCloseTo(68 / 9, 12);
    expect(seen[5]!.r.slow).toBeCloseTo(8.125, 12);
  });
});

// ---------------------------------------------------------------- the spec's rules on separate indicators

type Decision = { entry: Side | null; rev: Record<Side, boolean> };

function emaCrossRef(index: readonly Candle[], p: Pick<EmaCrossParams, 'fastPeriod' | 'slowPeriod'>): Decision[] {
  const fast = new EmaIndicator(p.fastPeriod);
  const slow = new EmaIndicator(p.slowPeriod);
  let f1: number | undefined;
  let s1: number | undefined;
  return index.map((c) => {
    const f = fast.next(c.close);
    const s = slow.next(c.close);
    let entry: Side | null = null;
    if (f !== undefined && s !== undefined && f1 !== undefined && s1 !== undefined) {
      if (f > s && f1 <= s1) entry = 'CE';
      else if (f < s && f1 >= s1) entry = 'PE';
    }
    const def = f !== undefined && s !== undefined;
    const d = { entry, rev: { CE: def && f! < s!, PE: def && f! > s! } };
    f1 = f;
    s1 = s;
    return d;
  });
}

function confluenceRef(index: readonly Candle[], p: ConfluenceParams): Decision[] {
  const rsi = new RsiIndicator(p.rsiPeriod);
  const macd = new MacdHistogram(p.macdFast, p.macdSlow, p.macdSignal);
  const st = new Supertrend(p.stPeriod, p.stMult);
  const ema = new EmaIndicator(p.trendEmaPeriod);
  let state1: string | undefined;
  return index.map((c) => {
    const r = rsi.next(c.close);
    const h = macd.next(c.close);
    st.update(c);
    const e = ema.next(c.close);
    const trend = st.trend;
    let state: string | undefined;
    if (r !== undefined && h !== undefined && trend !== undefined && e !== undefined) {
      if (r > p.rsiBuy && h > 0 && trend === 'up' && c.close > e) state = 'CE';
      else if (r < p.rsiSell && h < 0 && trend === 'down' && c.close < e) state = 'PE';
      else state = 'none';
    }
    const entry = state1 !== undefined && state !== state1 && (state === 'CE' || state === 'PE') ? state : null;
    state1 = state;
    return { entry, rev: { CE: trend === 'down', PE: trend === 'up' } };
  });
}

function runDecisions(name: string, params: Record<string, unknown>, index: readonly Candle[]): Decision[] {
  const { strategy, params: p } = chooseStrategy(name, params);
  const run = strategy.create(p);
  return index.map((c) => {
    run.update(c);
    return { entry: run.entrySide(), rev: { CE: run.reverses('CE', false), PE: run.reverses('PE', false) } };
  });
}

const CASES = [
  ['ema-cross', {}],
  ['ema-cross', { fastPeriod: 5, slowPeriod: 34, tp1Points: { CE: 20, PE: 12 } }],
  ['confluence', {}],
  ['confluence', { rsiPeriod: 9, rsiBuy: 60, rsiSell: 40, stPeriod: 7, stMult: 2, trendEmaPeriod: 100, slAtrMult: 2 }],
] as const;

const refOf = (name: string, params: Record<string, unknown>, index: readonly Candle[]) =>
  name === 'ema-cross'
    ? emaCrossRef(index, chooseStrategy(name, params).params as EmaCrossParams)
    : confluenceRef(index, chooseStrategy(name, params).params as ConfluenceParams);

describe('decisions equal the rules of strategies.md on random walks', () => {
  it.each(CASES)('%s %j', (name, params) => {
    const index = walk(21, 5000);
    const got = runDecisions(name, params, index);
    const want = refOf(name, params, index);
    expect(got).toEqual(want);
    expect(want.filter((d) => d.entry === 'CE').length).toBeGreaterThan(5);
    expect(want.filter((d) => d.entry === 'PE').length).toBeGreaterThan(5);
  });
});

describe.skipIf(!hasSharedData)(`on all shared data (${hasSharedData ? 'present' : noSharedDataReason})`, () => {
  const index = hasSharedData ? parseIndexCsv(readShared(indexCsv), indexCsv) : [];
  const options = hasSharedData ? parseOptionsCsv(readShared(optionsCsv), optionsCsv) : new Map();

  it.each(CASES)(
    '%s %j: decisions at every index candle, and every backtest entry and REVERSAL where the rules say',
    (name, params) => {
      const want = refOf(name, params, index);
      expect(runDecisions(name, params, index)).toEqual(want);
      const at = new Map(index.map((c, i) => [c.ts, want[i]!]));
      const result = runBacktest({
        index,
        options,
        strategy: name,
        params: params as Record<string, unknown>,
        risk: DEFAULT_RISK,
        calendar: new MarketCalendar(),
      });
      expect(result.trades.length).toBeGreaterThan(100);
      // An entry fills at the open of the candle after its signal candle; a REVERSAL at the open of the candle after
      // the deciding one.
      for (const t of result.trades) {
        expect(at.get(t.entryTime - 300_000)?.entry, `${name} entry ${new Date(t.entryTime).toISOString()}`).toBe(
          t.side,
        );
        if (t.reason === 'REVERSAL') expect(at.get(t.exitTime - 300_000)?.rev[t.side]).toBe(true);
      }
      expect(result.trades.some((t) => t.reason === 'REVERSAL')).toBe(true);
    },
  );
});
