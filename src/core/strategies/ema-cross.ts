/**
 * ema-cross (strategies.md; seed 001's EMA crossover): the fast EMA of the index close crossing above
 * the slow one buys the CE, crossing below buys the PE; the open position reverses (TP1 reached or
 * not) once the fast EMA is on the other side of the slow one.
 */
import { z } from 'zod';
import { EmaIndicator } from '../indicators.js';
import type { Candle, Side } from '../types.js';
import { type Strategy, type StrategyRun, strategySchema } from './contract.js';

const period = z.number().int().min(1).max(500);

export const emaCrossSchema = strategySchema({
  fastPeriod: period.default(9),
  slowPeriod: period.default(21),
});

export type EmaCrossParams = z.output<typeof emaCrossSchema>;

export class EmaCrossRun implements StrategyRun {
  readonly fast: EmaIndicator;
  readonly slow: EmaIndicator;
  // fast(t−1), slow(t−1); NaN while undefined.
  private fast1 = NaN;
  private slow1 = NaN;
  private close = NaN;

  constructor(p: EmaCrossParams) {
    this.fast = new EmaIndicator(p.fastPeriod);
    this.slow = new EmaIndicator(p.slowPeriod);
  }

  update(c: Candle): void {
    this.fast1 = this.fast.value ?? NaN;
    this.slow1 = this.slow.value ?? NaN;
    this.fast.update(c.close);
    this.slow.update(c.close);
    this.close = c.close;
  }

  get warm(): boolean {
    return this.fast.ready && this.slow.ready && !Number.isNaN(this.fast1) && !Number.isNaN(this.slow1);
  }

  entrySide(): Side | null {
    if (!this.warm) return null;
    const f = this.fast.value!;
    const s = this.slow.value!;
    if (f > s && this.fast1 <= this.slow1) return 'CE';
    if (f < s && this.fast1 >= this.slow1) return 'PE';
    return null;
  }

  reverses(side: Side): boolean {
    if (!this.fast.ready || !this.slow.ready) return false;
    const f = this.fast.value!;
    const s = this.slow.value!;
    return side === 'CE' ? f < s : f > s;
  }

  readings(): Record<string, number> {
    const r: Record<string, number> = {};
    if (!Number.isNaN(this.close)) r.close = this.close;
    const f = this.fast.value;
    const s = this.slow.value;
    if (f !== undefined) r.fast = f;
    if (s !== undefined) r.slow = s;
    return r;
  }
}

export const emaCross: Strategy<EmaCrossParams> = {
  name: 'ema-cross',
  summary: 'fast EMA crossing the slow EMA of the index close; reversal when they cross back',
  schema: emaCrossSchema,
  ownParams: ['fastPeriod', 'slowPeriod'],
  defaults: emaCrossSchema.parse({}),
  warmupCandles: (p) => Math.max(p.fastPeriod, p.slowPeriod) + 1,
  create: (p) => new EmaCrossRun(p),
  plots: [
    { reading: 'fast', pane: 'price', kind: 'line' },
    { reading: 'slow', pane: 'price', kind: 'line' },
  ],
};
