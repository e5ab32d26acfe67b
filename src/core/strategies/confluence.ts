/**
 * confluence (strategies.md; seed 004's RSI + MACD + Supertrend + EMA200): the state is CE when RSI is
 * above rsiBuy, the MACD histogram positive, the Supertrend up and the close above the trend EMA; PE
 * the mirror; an entry on the candle where the state becomes a side. The open position reverses (TP1
 * reached or not) when the Supertrend turns against it.
 */
import { z } from 'zod';
import { EmaIndicator, MacdHistogram, RsiIndicator, Supertrend } from '../indicators.js';
import type { Candle, Side } from '../types.js';
import { type Strategy, type StrategyRun, strategySchema } from './contract.js';

const period = z.number().int().min(1).max(500);
const level = z.number().min(0).max(100);

export const confluenceSchema = strategySchema({
  rsiPeriod: period.default(14),
  rsiBuy: level.default(55),
  rsiSell: level.default(45),
  macdFast: period.default(12),
  macdSlow: period.default(26),
  macdSignal: period.default(9),
  stPeriod: period.default(10),
  stMult: z.number().positive().max(20).default(3),
  trendEmaPeriod: period.default(200),
});

export type ConfluenceParams = z.output<typeof confluenceSchema>;

/** The state at a close: undefined (an input undefined), none, or a side. */
const UNDEFINED = 0;
const NONE = 1;
const CE = 2;
const PE = 3;

export class ConfluenceRun implements StrategyRun {
  readonly rsi: RsiIndicator;
  readonly macd: MacdHistogram;
  readonly supertrend: Supertrend;
  readonly ema: EmaIndicator;
  private state = UNDEFINED;
  private state1 = UNDEFINED;
  private close = NaN;

  constructor(private readonly p: ConfluenceParams) {
    this.rsi = new RsiIndicator(p.rsiPeriod);
    this.macd = new MacdHistogram(p.macdFast, p.macdSlow, p.macdSignal);
    this.supertrend = new Supertrend(p.stPeriod, p.stMult);
    this.ema = new EmaIndicator(p.trendEmaPeriod);
  }

  update(c: Candle): void {
    this.rsi.update(c.close);
    this.macd.update(c.close);
    this.supertrend.update(c);
    this.ema.update(c.close);
    this.close = c.close;
    this.state1 = this.state;
    this.state = this.stateNow();
  }

  private stateNow(): number {
    const rsi = this.rsi.value;
    const hist = this.macd.value;
    const trend = this.supertrend.trend;
    const ema = this.ema.value;
    if (rsi === undefined || hist === undefined || trend === undefined || ema === undefined) return UNDEFINED;
    const close = this.close;
    if (rsi > this.p.rsiBuy && hist > 0 && trend === 'up' && close > ema) return CE;
    if (rsi < this.p.rsiSell && hist < 0 && trend === 'down' && close < ema) return PE;
    return NONE;
  }

  get warm(): boolean {
    return this.state !== UNDEFINED && this.state1 !== UNDEFINED;
  }

  entrySide(): Side | null {
    if (this.state1 === UNDEFINED || this.state === this.state1) return null;
    return this.state === CE ? 'CE' : this.state === PE ? 'PE' : null;
  }

  reverses(side: Side): boolean {
    const trend = this.supertrend.trend;
    if (trend === undefined) return false;
    return side === 'CE' ? trend === 'down' : trend === 'up';
  }

  readings(): Record<string, number> {
    const r: Record<string, number> = {};
    if (!Number.isNaN(this.close)) r.close = this.close;
    const rsi = this.rsi.value;
    const hist = this.macd.value;
    const st = this.supertrend.line;
    const dir = this.supertrend.direction;
    const ema = this.ema.value;
    if (rsi !== undefined) r.rsi = rsi;
    if (hist !== undefined) r.hist = hist;
    if (st !== undefined) r.supertrend = st;
    if (dir !== undefined) r.trend = dir;
    if (ema !== undefined) r.ema = ema;
    return r;
  }
}

export const confluence: Strategy<ConfluenceParams> = {
  name: 'confluence',
  summary:
    'RSI beyond rsiBuy/rsiSell, MACD histogram sign, Supertrend direction and ' +
    'close beyond EMA200 agree; reversal when the Supertrend turns',
  schema: confluenceSchema,
  ownParams: [
    'rsiPeriod',
    'rsiBuy',
    'rsiSell',
    'macdFast',
    'macdSlow',
    'macdSignal',
    'stPeriod',
    'stMult',
    'trendEmaPeriod',
  ],
  defaults: confluenceSchema.parse({}),
  // The state needs every input; an entry also needs the state of the candle before.
  warmupCandles: (p) =>
    Math.max(p.rsiPeriod + 1, Math.max(p.macdFast, p.macdSlow) + p.macdSignal - 1, p.stPeriod, p.trendEmaPeriod) + 1,
  create: (p) => new ConfluenceRun(p),
  plots: [
    { reading: 'supertrend', pane: 'price', kind: 'line' },
    { reading: 'ema', pane: 'price', kind: 'line' },
    { reading: 'rsi', pane: 'lower', kind: 'line', levelParam: 'rsiBuy' },
  ],
};
