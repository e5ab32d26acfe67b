/**
 * What a strategy is (strategies.md): a name, one declaration of its parameters (a zod schema with
 * defaults and ranges, the shared ones merged in), the index candles it needs before its first
 * decision, and — per run — the indicators it owns and its two decisions at each index close: the
 * entry side (used only when flat, nothing pending, inside the entry window) and whether the open
 * position reverses. Everything else (fills, SL/TP1/lock, EOD, the tick floor, money) is shared: the
 * engine runs it with `TradeRules` (trade-rules.ts) on the shared parameters, whatever the strategy.
 */
import { z } from 'zod';
import type { Candle, Side } from '../types.js';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time "HH:MM" (IST)');
const sidePoints = (min: number, max: number) =>
  z.object({ CE: z.number().min(min).max(max), PE: z.number().min(min).max(max) }).strict();
const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** The parameters every strategy has, with V25's defaults (strategies.md). */
export const sharedParamsShape = {
  /** The signal candle's start must lie in [entryStart, entryEnd], both inclusive. */
  entryStart: hhmm.default('09:30'),
  entryEnd: hhmm.default('15:15'),
  /** A candle of the held contract that starts at or after this exits at its open (EOD). */
  eodExit: hhmm.default('15:25'),
  /** Initial stop = fill − slAtrMult × option ATR(atrPeriod), ATR as of the signal candle. */
  slAtrMult: z.number().positive().max(20).default(1.5),
  atrPeriod: int(1, 75).default(7),
  /** TP1 = fill + tp1Points[side]; once reached the stop moves to fill + lockPoints[side]. */
  tp1Points: sidePoints(0, 1000).default({ CE: 15, PE: 10 }),
  lockPoints: sidePoints(0, 1000).default({ CE: 13, PE: 8 }),
  /** Added to every buy, taken from every sale (the fill model applies it). */
  slippagePoints: z.number().min(0).max(50).default(0.5),
  /** Quantity = lots × the contract's lot size. */
  lots: int(1, 27).default(1),
};

export const sharedParamNames = Object.keys(sharedParamsShape) as readonly (keyof typeof sharedParamsShape)[];

export interface SharedParams {
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

/**
 * A strategy's whole schema: the shared parameters and its own, strict (an unknown name is an error),
 * with the shared cross-checks of the entry window ("HH:MM" strings compare in time order).
 */
export function strategySchema<S extends z.ZodRawShape>(own: S) {
  return z
    .object({ ...sharedParamsShape, ...own })
    .strict()
    .superRefine((parsed, ctx) => {
      const s = parsed as unknown as SharedParams;
      if (s.entryStart > s.entryEnd)
        ctx.addIssue({
          code: 'custom',
          path: ['entryStart'],
          message: `entryStart ${s.entryStart} is after entryEnd ${s.entryEnd}: no entry could ever be decided`,
        });
      if (s.entryEnd >= s.eodExit)
        ctx.addIssue({
          code: 'custom',
          path: ['entryEnd'],
          message:
            `entryEnd ${s.entryEnd} must be before eodExit ${s.eodExit}: an entry ` +
            `decided then would be sold at once`,
        });
    });
}

/** One strategy's indicators and decisions for one run, fed the continuous history of index candles. */
export interface StrategyRun {
  /** An index candle closed: every indicator the strategy owns takes it (no reset at day boundaries). */
  update(c: Candle): void;
  /** True once every reading the strategy decides on is defined (the box's "indicators warm"). */
  readonly warm: boolean;
  /** The entry side at the close of the candle just updated, or null (also while any input is undefined). */
  entrySide(): Side | null;
  /** Whether the open position (its side; TP1 reached or not) exits at the next candle's open (REVERSAL). */
  reverses(side: Side, tp1Hit: boolean): boolean;
  /** The readings of the candle just updated, by name (undefined ones left out): events, ledger, MQTT, page, OLED. */
  readings(): Record<string, number>;
}

/** How the page draws a reading: on the index candles' pane, or a pane of its own under them. */
export interface ReadingPlot {
  reading: string;
  pane: 'price' | 'lower';
  kind: 'line' | 'histogram';
  /** A level drawn across its pane (e.g. CHOP's chopMax), named by the parameter that holds it. */
  levelParam?: string;
}

export interface Strategy<P extends SharedParams = SharedParams> {
  readonly name: string;
  /** One line: what it trades on. */
  readonly summary: string;
  /** Every parameter, shared and own, with defaults and ranges; strict. */
  readonly schema: z.ZodObject & z.ZodType<P, unknown>;
  /** Its own parameters' names (the shared ones are `sharedParamNames`), in the order strategies.md lists them. */
  readonly ownParams: readonly string[];
  readonly defaults: P;
  /** Index candles needed before the first defined decision (the decision is at the close of the last of them). */
  warmupCandles(params: P): number;
  create(params: P): StrategyRun;
  /** What the page draws of its readings. */
  readonly plots: readonly ReadingPlot[];
}

/** A strategy with the full parameters a run trades with: a run's identity (strategies.md). */
export interface StrategyChoice<P extends SharedParams = SharedParams> {
  strategy: Strategy<P>;
  params: P;
}

/**
 * Parameters as one JSON text with keys in a fixed order (each object's keys sorted), so that the
 * same parameters always give the same text and hash, however they were written.
 */
export function canonicalParamsJson(params: object): string {
  const sort = (v: unknown): unknown =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v as object)
            .sort()
            .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
        )
      : v;
  return JSON.stringify(sort(params));
}
