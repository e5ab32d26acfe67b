/**
 * How trades and summaries leave the program: the readable report, the `--json` shape of
 * interfaces.md, and the per-trade CSV a user checks against a broker's chart.
 */
import { CHARGE_KINDS, paise, type ChargesByKind } from '../core/charges.js';
import { contractName } from '../core/contracts.js';
import { tradeChargesByKind, type Bucket, type Summary } from '../core/report.js';
import { istIso } from '../core/time.js';
import { groupIndian } from './rupees.js';
import type { ClosedTrade } from '../core/types.js';

export interface SlippagePoint {
  slippage: number;
  trades: number;
  netPnl: number;
}

const r2 = paise;

/** The slippage sensitivity for --json and the page: net P&L to the paisa. */
export function sensitivityJson(points: readonly SlippagePoint[]): SlippagePoint[] {
  return points.map((p) => ({ ...p, netPnl: paise(p.netPnl) }));
}

export function tradeJson(t: ClosedTrade) {
  return {
    id: t.tradeId,
    day: t.day,
    side: t.side,
    instrumentKey: t.instrumentKey,
    symbol: contractName(t),
    strike: t.strike,
    expiry: t.expiry,
    entryTime: istIso(t.entryTime),
    entryPrice: r2(t.entryPrice),
    exitTime: istIso(t.exitTime),
    exitPrice: r2(t.exitPrice),
    reason: t.reason,
    points: r2(t.points),
    quantity: t.quantity,
    grossPnl: r2(t.grossPnl),
    charges: r2(t.charges),
    netPnl: r2(t.netPnl),
    chargesByKind: tradeChargesByKind(t),
  };
}

function roundBucket(b: Bucket) {
  return {
    ...b,
    winRate: Math.round(b.winRate * 10000) / 10000,
    grossPnl: r2(b.grossPnl),
    charges: r2(b.charges),
    netPnl: r2(b.netPnl),
  };
}

function roundMap(m: Record<string, Bucket>) {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, roundBucket(v)]));
}

export function summaryJson(s: Summary, extra: Record<string, unknown> = {}) {
  return {
    ...roundBucket(s),
    profitFactor: s.profitFactor === null ? null : Math.round(s.profitFactor * 1000) / 1000,
    maxDrawdown: r2(s.maxDrawdown),
    avgPnlPerTrade: r2(s.avgPnlPerTrade),
    avgWin: r2(s.avgWin),
    avgLoss: r2(s.avgLoss),
    points: r2(s.points),
    slippageCost: r2(s.slippageCost),
    chargesByKind: s.chargesByKind,
    firstDay: s.firstDay,
    lastDay: s.lastDay,
    ...extra,
    bySide: roundMap(s.bySide),
    byMonth: roundMap(s.byMonth),
    byWeek: roundMap(s.byWeek),
    byDay: roundMap(s.byDay),
    byReason: roundMap(s.byReason),
    ...(Object.keys(s.byStrategy).length ? { byStrategy: roundMap(s.byStrategy) } : {}),
  };
}

const CSV_HEADER = [
  'id',
  'day',
  'side',
  'instrument_key',
  'contract',
  'entry_time',
  'entry_price',
  'exit_time',
  'exit_price',
  'reason',
  'points',
  'quantity',
  'gross_pnl',
  'charges',
  'net_pnl',
  ...CHARGE_KINDS,
];

export function tradesCsv(trades: readonly ClosedTrade[]): string {
  const rows = [CSV_HEADER.join(',')];
  for (const t of trades) {
    const j = tradeJson(t);
    rows.push(
      [
        j.id,
        j.day,
        j.side,
        j.instrumentKey,
        j.symbol,
        j.entryTime,
        j.entryPrice.toFixed(2),
        j.exitTime,
        j.exitPrice.toFixed(2),
        j.reason,
        j.points.toFixed(2),
        j.quantity,
        j.grossPnl.toFixed(2),
        j.charges.toFixed(2),
        j.netPnl.toFixed(2),
        ...CHARGE_KINDS.map((k) => j.chargesByKind[k].toFixed(2)),
      ].join(','),
    );
  }
  return rows.join('\n') + '\n';
}

export const inr = (x: number) => {
  const v = r2(x);
  return (v < 0 ? '-' : '') + '₹' + groupIndian(v);
};
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function table(title: string, m: Record<string, Bucket>, keyWidth = 10): string[] {
  const out = [
    ``,
    title,
    `  ${'key'.padEnd(keyWidth)} ${'trades'.padStart(6)} ${'win%'.padStart(6)} ` +
      `${'gross'.padStart(13)} ${'charges'.padStart(12)} ${'net'.padStart(13)}`,
  ];
  for (const [k, b] of Object.entries(m)) {
    out.push(
      `  ${k.padEnd(keyWidth)} ${String(b.trades).padStart(6)} ${pct(b.winRate).padStart(6)} ` +
        `${inr(b.grossPnl).padStart(13)} ${inr(b.charges).padStart(12)} ${inr(b.netPnl).padStart(13)}`,
    );
  }
  return out;
}

const KIND_LABELS: Record<keyof ChargesByKind, string> = {
  brokerage: 'brokerage',
  stt: 'STT',
  exchange: 'exchange+IPFT',
  sebi: 'SEBI',
  stamp: 'stamp',
  gst: 'GST',
};

/** "brokerage ₹40.00 + STT ₹8.25 + …": the kinds in contract-note order, already to the paisa. */
export function chargesByKindText(k: ChargesByKind): string {
  return CHARGE_KINDS.map((kind) => `${KIND_LABELS[kind]} ${inr(k[kind])}`).join(' + ');
}

export interface TextReportOptions {
  title: string;
  sensitivity?: SlippagePoint[];
  notes?: string[];
  showDays?: boolean;
}

export function textReport(s: Summary, opts: TextReportOptions): string {
  const lines = [
    opts.title,
    `  period        ${s.firstDay ?? '-'} … ${s.lastDay ?? '-'}`,
    `  trades        ${s.trades}  (wins ${s.wins}, losses ${s.losses}, win ` +
      `rate ${pct(s.winRate)}; a win is net of charges)`,
    `  gross P&L     ${inr(s.grossPnl)}   (slippage inside it: ${inr(s.slippageCost)})`,
    `  charges       ${inr(s.charges)}   = ${chargesByKindText(s.chargesByKind)}`,
    `  net P&L       ${inr(s.netPnl)}`,
    `  profit factor ${s.profitFactor === null ? '∞ (no losing trade)' : s.profitFactor.toFixed(2)}`,
    `  max drawdown  ${inr(s.maxDrawdown)}`,
    `  avg per trade ${inr(s.avgPnlPerTrade)}   (avg win ${inr(s.avgWin)}, avg loss ${inr(s.avgLoss)})`,
  ];
  if (opts.sensitivity?.length) {
    lines.push(
      `  slippage      ` +
        opts.sensitivity.map((p) => `${p.slippage} pt → net ${inr(p.netPnl)} (${p.trades} trades)`).join(' | '),
    );
  }
  for (const n of opts.notes ?? []) lines.push(`  note          ${n}`);
  lines.push(...table('By side', s.bySide));
  const runs = Object.keys(s.byStrategy);
  if (runs.length > 1) lines.push(...table('By strategy', s.byStrategy, Math.max(10, ...runs.map((k) => k.length))));
  lines.push(...table('By exit reason', s.byReason, 12));
  lines.push(...table('By month', s.byMonth));
  lines.push(...table('By ISO week', s.byWeek));
  if (opts.showDays) lines.push(...table('By day', s.byDay, 10));
  return lines.join('\n') + '\n';
}
