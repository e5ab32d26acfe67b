/**
 * Strategy V25 (`../shared/design/v25.md` is the authority): MACD histogram rising (falling) for two
 * candles, the close above (below) the EMA, and a trending market (CHOP below chopMax) → buy the CE
 * (PE); after TP1, a close back through the EMA or a histogram of the other sign reverses the position.
 *
 * To change V25: edit a default below (the config's `strategy:` and `niftybox backtest --param`
 * override them per run), or a rule in `V25Run`. The backtest on the shared data
 * (`npx vitest run test/core/backtest-expected.test.ts`) shows what the change does to the trades.
 */
import { z } from 'zod';
import { ChopIndicator, EmaIndicator, MacdHistogram } from '../indicators.js';
import type { Candle, Side } from '../types.js';
import { type Strategy, type StrategyRun, strategySchema } from './contract.js';

const period = z.number().int().min(2).max(500);

export const v25Schema = strategySchema({
  /** EMA of the index close. */
  emaPeriod: period.default(21),
  /** MACD fast / slow / signal, all exponential. */
  macdFast: period.default(12),
  macdSlow: period.default(26),
  macdSignal: period.default(9),
  /** Choppiness Index period; entries only while CHOP < chopMax (a trending market). */
  chopPeriod: period.default(14),
  chopMax: z.number().positive().max(100).default(57),
});

export type V25Params = z.output<typeof v25Schema>;

export const DEFAULT_V25: V25Params = v25Schema.parse({});

/**
 * V25's indicators over the continuous index history, and its decisions at each close. One position
 * at a time: the engine asks for an entry only when flat with no order pending.
 */
export class V25Run implements StrategyRun {
  readonly ema: EmaIndicator;
  readonly macd: MacdHistogram;
  readonly chop: ChopIndicator;
  // hist(t−1) and hist(t−2); NaN while unknown (a histogram value is never NaN).
  private hist1 = NaN;
  private hist2 = NaN;
  private close = NaN;

  constructor(private readonly p: V25Params) {
    this.ema = new EmaIndicator(p.emaPeriod);
    this.macd = new MacdHistogram(p.macdFast, p.macdSlow, p.macdSignal);
    this.chop = new ChopIndicator(p.chopPeriod);
  }

  update(c: Candle): void {
    this.hist2 = this.hist1;
    this.hist1 = this.macd.value ?? NaN;
    this.ema.update(c.close);
    this.macd.update(c.close);
    this.chop.update(c);
    this.close = c.close;
  }

  /** Every index indicator V25 reads has a value. Cold indicators mean no decision at all. */
  get warm(): boolean {
    return (
      this.ema.ready && this.macd.ready && !Number.isNaN(this.hist1) && !Number.isNaN(this.hist2) && this.chop.ready
    );
  }

  /** The MACD histogram rising (falling) for two candles and the close above (below) the EMA, CHOP below chopMax. */
  entrySide(): Side | null {
    if (!this.warm) return null;
    const hist = this.macd.value!;
    const ema = this.ema.value!;
    const close = this.close;
    let side: Side | null = null;
    if (hist > this.hist1 && this.hist1 > this.hist2 && close > ema) side = 'CE';
    else if (hist < this.hist1 && this.hist1 < this.hist2 && close < ema) side = 'PE';
    // CHOP is asked last: of the three it alone costs a sum and a logarithm to read.
    return side !== null && this.chop.value! < this.p.chopMax ? side : null;
  }

  /** Only once TP1 was reached: the trend the entry rode has turned. */
  reverses(side: Side, tp1Hit: boolean): boolean {
    if (!tp1Hit || !this.warm) return false;
    const ema = this.ema.value!;
    const hist = this.macd.value!;
    return side === 'CE' ? this.close < ema || hist < 0 : this.close > ema || hist > 0;
  }

  readings(): Record<string, number> {
    const r: Record<string, number> = {};
    if (!Number.isNaN(this.close)) r.close = this.close;
    const ema = this.ema.value;
    const hist = this.macd.value;
    const chop = this.chop.value;
    if (ema !== undefined) r.ema = ema;
    if (hist !== undefined) r.hist = hist;
    if (chop !== undefined) r.chop = chop;
    return r;
  }
}

export const v25: Strategy<V25Params> = {
  name: 'v25',
  summary: 'MACD histogram rising/falling two candles, close beyond EMA, CHOP below chopMax; reversal after TP1 only',
  schema: v25Schema,
  ownParams: ['emaPeriod', 'macdFast', 'macdSlow', 'macdSignal', 'chopPeriod', 'chopMax'],
  defaults: DEFAULT_V25,
  // The histogram is first defined at max(fast, slow) + signal − 1 closes; two earlier values are needed.
  warmupCandles: (p) => Math.max(p.emaPeriod, Math.max(p.macdFast, p.macdSlow) + p.macdSignal + 1, p.chopPeriod),
  create: (p) => new V25Run(p),
  plots: [
    { reading: 'ema', pane: 'price', kind: 'line' },
    { reading: 'hist', pane: 'lower', kind: 'histogram' },
    { reading: 'chop', pane: 'lower', kind: 'line', levelParam: 'chopMax' },
  ],
};
