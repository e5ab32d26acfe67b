/**
 * Strategy V25 — the rules, and nothing else: candles and indicator values in, decisions out.
 * `../shared/design/v25.md` is the authority; this file is where a trader changes V25. It reads no
 * clock, talks to no hardware or network, and keeps no positions: the engine (engine.ts) feeds it
 * in v25.md's order of work, the paper broker (paper-broker.ts, fill-model.ts) turns its decisions
 * into fills, and the risk gate (risk-gate.ts) may still block an entry it wants.
 *
 * One position at a time, across CE and PE: the engine asks for an entry only when flat with no order
 * pending.
 *
 * To change V25: edit a default below (the appliance config and `niftybox backtest` flags may
 * override them per run), or a rule in the `V25` class. The backtest on the shared data
 * (`npx vitest run test/core/backtest-expected.test.ts`) shows what the change does to the trades.
 */
import { ChopIndicator, DayAtr, EmaIndicator, MacdHistogram } from './indicators.js';
import { BUCKET_MS, MINUTE_MS, istMinuteOfDay, parseHhmm } from './time.js';
import type { Candle, OpenPosition, Side } from './types.js';

// ---------------------------------------------------------------- parameters

/** Strategy V25 parameters (defaults from v25.md). Times are IST "HH:MM". */
export interface V25Params {
  emaPeriod: number;
  macdFast: number;
  macdSlow: number;
  macdSignal: number;
  chopPeriod: number;
  chopMax: number;
  entryStart: string;
  entryEnd: string;
  eodExit: string;
  slAtrMult: number;
  atrPeriod: number;
  tp1Points: Record<Side, number>;
  lockPoints: Record<Side, number>;
  slippagePoints: number;
  lots: number;
}

export const DEFAULT_V25: V25Params = {
  /** EMA of the index close. */
  emaPeriod: 21,
  /** MACD fast / slow / signal, all exponential. */
  macdFast: 12,
  macdSlow: 26,
  macdSignal: 9,
  /** Choppiness Index period; entries only while CHOP < chopMax (a trending market). */
  chopPeriod: 14,
  chopMax: 57,
  /** The signal candle's start must lie in [entryStart, entryEnd], both inclusive. */
  entryStart: '09:30',
  entryEnd: '15:15',
  /** A candle of the held contract that starts at or after this exits at its open (EOD). */
  eodExit: '15:25',
  /** Initial stop = fill − slAtrMult × option ATR (ATR as of the signal candle). */
  slAtrMult: 1.5,
  atrPeriod: 7,
  /** TP1 = fill + tp1Points; once reached the stop moves to fill + lockPoints. */
  tp1Points: { CE: 15, PE: 10 },
  lockPoints: { CE: 13, PE: 8 },
  /** Added to every buy, taken from every sale (the fill model applies it). */
  slippagePoints: 0.5,
  /** Quantity = lots × the contract's lot size. */
  lots: 1,
};

// ---------------------------------------------------------------- indicators

/**
 * The indicators V25 reads. Index ones run over the whole continuous history of 5-minute index
 * candles (no reset at day boundaries); the option ATR covers one contract's candles of the
 * current day (reset when the day's pair is set).
 */
export class V25Indicators {
  ema: EmaIndicator;
  macd: MacdHistogram;
  chop: ChopIndicator;
  // hist(t−1) and hist(t−2); NaN while unknown (a histogram value is never NaN).
  hist1 = NaN;
  hist2 = NaN;
  atr: Record<Side, DayAtr>;

  constructor(private readonly p: V25Params) {
    this.ema = new EmaIndicator(p.emaPeriod);
    this.macd = new MacdHistogram(p.macdFast, p.macdSlow, p.macdSignal);
    this.chop = new ChopIndicator(p.chopPeriod);
    this.atr = { CE: new DayAtr(p.atrPeriod), PE: new DayAtr(p.atrPeriod) };
  }

  /** An index candle closed. */
  updateIndex(c: Candle): void {
    this.hist2 = this.hist1;
    this.hist1 = this.macd.value ?? NaN;
    this.ema.update(c.close);
    this.macd.update(c.close);
    this.chop.update(c);
  }

  /** Forgets the index indicators, so that a late warm-up can replay the whole history in order. */
  resetIndex(): void {
    this.ema = new EmaIndicator(this.p.emaPeriod);
    this.macd = new MacdHistogram(this.p.macdFast, this.p.macdSlow, this.p.macdSignal);
    this.chop = new ChopIndicator(this.p.chopPeriod);
    this.hist1 = this.hist2 = NaN;
  }

  /** A new day's contract pair: its ATR starts from nothing. */
  resetOptionAtr(): void {
    this.atr = { CE: new DayAtr(this.p.atrPeriod), PE: new DayAtr(this.p.atrPeriod) };
  }

  /** True once every index indicator V25 reads has a value. Cold indicators mean no decision at all. */
  get warm(): boolean {
    return this.ema.ready && this.macd.ready && !Number.isNaN(this.hist1) && !Number.isNaN(this.hist2) && this.chop.ready;
  }
}

// ---------------------------------------------------------------- rules

/** What the held position does on a trade of its contract; null: nothing. */
export type HeldTradeDecision = 'EOD' | 'SL' | 'LOCK_SL' | 'TP1' | null;

export class V25 {
  private readonly entryStartMin: number;
  private readonly entryEndMin: number;
  private readonly eodMin: number;

  constructor(readonly params: V25Params) {
    this.entryStartMin = parseHhmm(params.entryStart);
    this.entryEndMin = parseHhmm(params.entryEnd);
    this.eodMin = parseHhmm(params.eodExit);
  }

  /** Epoch ms of the EOD exit time on the day of `bucket`: a trade at or after it is past EOD. */
  eodTs(bucket: number): number {
    return bucket - istMinuteOfDay(bucket) * MINUTE_MS + this.eodMin * MINUTE_MS;
  }

  /**
   * Entry, at the close of index candle t (start `t`), asked only when flat with no order pending:
   * inside the entry window, CHOP below chopMax, the MACD histogram rising (falling) for two candles
   * and the close above (below) the EMA → buy the CE (PE).
   */
  entrySide(t: number, close: number, ind: V25Indicators): Side | null {
    const minute = istMinuteOfDay(t);
    if (minute < this.entryStartMin || minute > this.entryEndMin) return null;
    const hist = ind.macd.value!;
    const ema = ind.ema.value!;
    let side: Side | null = null;
    if (hist > ind.hist1 && ind.hist1 > ind.hist2 && close > ema) side = 'CE';
    else if (hist < ind.hist1 && ind.hist1 < ind.hist2 && close < ema) side = 'PE';
    // CHOP is asked last: of the three it alone costs a sum and a logarithm to read.
    return side !== null && ind.chop.value! < this.params.chopMax ? side : null;
  }

  /** Reversal exit, at an index close once TP1 was reached: the trend the entry rode has turned. */
  reverses(side: Side, close: number, ind: V25Indicators): boolean {
    const ema = ind.ema.value!;
    const hist = ind.macd.value!;
    return side === 'CE' ? close < ema || hist < 0 : close > ema || hist > 0;
  }

  /** An entry decided at the close of candle `signalTs` fills on the first trade of the next candle, before EOD. */
  entryMayFill(signalTs: number, ts: number, eodTs: number): boolean {
    return ts >= signalTs + BUCKET_MS && ts < eodTs;
  }

  /** Stop and target at the fill: SL = fill − slAtrMult × ATR(signal candle), TP1 = fill + tp1Points. */
  initialStop(fill: number, atr: number): number {
    return fill - this.params.slAtrMult * atr;
  }

  target(side: Side, fill: number): number {
    return fill + this.params.tp1Points[side];
  }

  /** After TP1 the stop locks in profit. */
  lockedStop(side: Side, entryPrice: number): number {
    return entryPrice + this.params.lockPoints[side];
  }

  /**
   * The held position meets a trade at `price` (v25.md "Exits" 1–4, one trade at a time; a recorded
   * candle arrives as its open, low, high and close): past EOD it exits; at or below the stop it
   * exits (LOCK_SL once TP1 was reached); at or above TP1 the target is reached. Rule 4 (TP1 reached
   * in a candle whose close is at or below the locked stop) needs no code of its own: the close is the
   * next trade, and it meets the locked stop. Which price an exit fills at is the fill model's business.
   */
  onHeldTrade(pos: OpenPosition, price: number, ts: number, eodTs: number): HeldTradeDecision {
    if (ts >= eodTs) return 'EOD';
    if (price <= pos.sl) return pos.tp1Hit ? 'LOCK_SL' : 'SL';
    if (!pos.tp1Hit && price >= pos.tp1) return 'TP1';
    return null;
  }
}
