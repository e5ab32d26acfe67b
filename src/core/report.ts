/**
 * Trade statistics for the backtest and the paper ledger: one summary shape for both, so a replayed
 * ledger and a backtest can be compared mechanically. The money of every total (gross, charges and each
 * kind of charge, net) is the sum of its trades' own figures to the paisa — what each trade's CSV row
 * shows — so that a user who adds the CSV's columns gets the report's figures; the rest is unrounded.
 */
import { chargesByKindInPaise, emptyChargesByKind, paise, CHARGE_KINDS, type ChargesByKind } from './charges.js';
import { isoWeek } from './time.js';
import type { ClosedTrade } from './types.js';

export interface Bucket {
  trades: number;
  wins: number;
  losses: number;
  winRate: number;
  /** Sums of the trades' own figures to the paisa; charges is the sum of chargesByKind. */
  grossPnl: number;
  charges: number;
  netPnl: number;
  /** The sum of each trade's own charges by kind, to the paisa. */
  chargesByKind: ChargesByKind;
}

/** A total to the paisa plus one trade's figure to the paisa, added in whole paise (892 additions do not drift). */
const plusPaise = (total: number, x: number) => Math.round(total * 100 + paise(x) * 100) / 100;

function addPaise(total: ChargesByKind, own: ChargesByKind): void {
  for (const k of CHARGE_KINDS) total[k] = Math.round(total[k] * 100 + own[k] * 100) / 100;
}

const paiseSum = (k: ChargesByKind) => CHARGE_KINDS.reduce((a, kind) => a + Math.round(k[kind] * 100), 0) / 100;

export interface Summary extends Bucket {
  profitFactor: number | null;
  maxDrawdown: number;
  avgPnlPerTrade: number;
  avgWin: number;
  avgLoss: number;
  points: number;
  slippageCost: number;
  firstDay: string | null;
  lastDay: string | null;
  bySide: Record<string, Bucket>;
  byDay: Record<string, Bucket>;
  byWeek: Record<string, Bucket>;
  byMonth: Record<string, Bucket>;
  byReason: Record<string, Bucket>;
  /** By strategy run (strategyKey): only trades that carry their strategy (the ledger's). */
  byStrategy: Record<string, Bucket>;
}

/**
 * A recorded trade's strategy run as one key: the name, and the first 8 hex digits of its parameters'
 * hash when the ledger has them (`confluence #daf2720b`; `v25` for trades from before strategies were recorded).
 */
export function strategyKey(t: Pick<ClosedTrade, 'strategy'>): string | null {
  if (!t.strategy) return null;
  return t.strategy.hash ? `${t.strategy.name} #${t.strategy.hash.slice(0, 8)}` : t.strategy.name;
}

function emptyBucket(): Bucket {
  return {
    trades: 0,
    wins: 0,
    losses: 0,
    winRate: 0,
    grossPnl: 0,
    charges: 0,
    netPnl: 0,
    chargesByKind: emptyChargesByKind(),
  };
}

function add(b: Bucket, t: ClosedTrade, own: ChargesByKind): void {
  b.trades++;
  if (t.netPnl > 0) b.wins++;
  else b.losses++;
  b.grossPnl = plusPaise(b.grossPnl, t.grossPnl);
  addPaise(b.chargesByKind, own);
  b.charges = paiseSum(b.chargesByKind);
  b.netPnl = plusPaise(b.netPnl, t.netPnl);
  b.winRate = b.wins / b.trades;
}

function addTo(map: Record<string, Bucket>, key: string, t: ClosedTrade, own: ChargesByKind): void {
  add((map[key] ??= emptyBucket()), t, own);
}

/** A trade's own charges by kind to the paisa, summing to its charges to the paisa (its CSV row). */
export function tradeChargesByKind(t: ClosedTrade): ChargesByKind {
  return chargesByKindInPaise(t.chargeBreakdown, t.charges);
}

/** A win is a trade whose net P&L (after all charges) is positive. */
export function summarize(trades: readonly ClosedTrade[]): Summary {
  const total = emptyBucket();
  const bySide: Record<string, Bucket> = {};
  const byDay: Record<string, Bucket> = {};
  const byWeek: Record<string, Bucket> = {};
  const byMonth: Record<string, Bucket> = {};
  const byReason: Record<string, Bucket> = {};
  const byStrategy: Record<string, Bucket> = {};
  let winSum = 0;
  let lossSum = 0;
  let equity = 0;
  let peak = 0;
  let maxDrawdown = 0;
  let points = 0;
  let slippageCost = 0;
  for (const t of trades) {
    const own = tradeChargesByKind(t);
    add(total, t, own);
    addTo(bySide, t.side, t, own);
    addTo(byDay, t.day, t, own);
    addTo(byWeek, isoWeek(t.day), t, own);
    addTo(byMonth, t.day.slice(0, 7), t, own);
    addTo(byReason, t.reason, t, own);
    const sk = t.strategy ? strategyKey(t) : null;
    if (sk !== null) addTo(byStrategy, sk, t, own);
    // Drawdown and profit factor from the trades' rows as the CSV has them (net to the paisa).
    const net = paise(t.netPnl);
    if (net > 0) winSum += net;
    else lossSum -= net;
    equity += net;
    if (equity > peak) peak = equity;
    if (peak - equity > maxDrawdown) maxDrawdown = peak - equity;
    points += t.points;
    slippageCost += t.slippageCost;
  }
  return {
    ...total,
    profitFactor: lossSum > 0 ? winSum / lossSum : winSum > 0 ? null : 0,
    maxDrawdown: paise(maxDrawdown),
    avgPnlPerTrade: total.trades ? total.netPnl / total.trades : 0,
    avgWin: total.wins ? winSum / total.wins : 0,
    avgLoss: total.losses ? -lossSum / total.losses : 0,
    points,
    slippageCost,
    firstDay: trades[0]?.day ?? null,
    lastDay: trades.at(-1)?.day ?? null,
    bySide,
    byDay,
    byWeek,
    byMonth,
    byReason,
    byStrategy,
  };
}
