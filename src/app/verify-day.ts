/**
 * Proof for a live day: re-runs the backtest on the box's own candles of that day (Upstox's official
 * ones where the box fetched them, else the ones it built from ticks) with the same parameters, and
 * holds its trades against the ledger's live trades within the fill tolerance. A difference that live
 * ticks must make is explained by its rule, checked on the data (tick-fills.ts); for one that stays
 * unexplained, the causes the ledger shows — a gap, a partly seen candle, a late tick, a halt — are named.
 */
import { runBacktest, type BacktestDay } from '../core/backtest.js';
import type { MarketCalendar } from '../core/calendar.js';
import { contractName } from '../core/contracts.js';
import type { RiskParams } from '../core/params.js';
import { chooseStrategy, type StrategyChoice } from '../core/strategies/index.js';
import { BUCKET_MS, istDate, istIso } from '../core/time.js';
import {
  NIFTY_INDEX_KEY,
  type Candle,
  type ClosedTrade,
  type DayContracts,
  type OptionContract,
  type Side,
} from '../core/types.js';
import { inr } from '../report/format.js';
import type { Ledger } from '../store/ledger.js';
import { bucket, explainTickFills, type BacktestLevels, type PairedRow, type TickFillContext } from './tick-fills.js';

/**
 * The fill tolerance: live and backtest agree on a trade when side, entry candle, exit candle and exit
 * reason are the same, the entry prices are within one tick (0.05), stop exits (SL, LOCK_SL) within
 * 0.25 (a live stop fills at the first trade through it, a backtest at the level), other exits within a tick.
 */
export const FILL_TOLERANCE = { entry: 0.05, stopExit: 0.25, otherExit: 0.05 } as const;
const EPS = 1e-9;

/**
 * agrees: every trade within the tolerance. tick-fills: trades differ, and every difference is one that
 * live ticks must make (v25.md "Candles as ticks, and live ticks"), checked against the day's candles.
 * differs: at least one difference has no such explanation.
 */
export type VerdictKind = 'agrees' | 'tick-fills' | 'differs';

/** What of a trade differs: each must be accounted for by an explanation. */
export type DiffField = 'side' | 'entryPrice' | 'exitTime' | 'reason' | 'exitPrice' | 'presence';

export interface Difference {
  field: DiffField;
  text: string;
}

/** A reason from the rules, checked against the candles, for some of a row's differences. */
export interface Explanation {
  kind: 'stop-fill' | 'exit-inside-candle' | 'first-trade-fill' | 'earlier-exit-entry' | 'held-in-other';
  accounts: DiffField[];
  text: string;
}

export interface VerifyRow {
  live: ClosedTrade | null;
  backtest: ClosedTrade | null;
  /** What differs beyond the tolerance (empty = agrees). */
  differences: string[];
  /** Explanations from the rules that hold on the day's data, and causes the ledger shows. */
  why: string[];
  /** The differences no explanation accounts for (empty when the row agrees or is explained). */
  unexplained: string[];
  /** Net P&L of the live trade minus the backtest's (₹; a missing trade counts 0). */
  effect: number;
}

export interface VerifyReport {
  day: string;
  verdict: VerdictKind;
  /** verdict === 'agrees' (kept for older readers). */
  agreed: boolean;
  rows: VerifyRow[];
  /** Candles the backtest ran on: Upstox's official ones vs the box's tick-built ones (day only). */
  candles: { official: number; tickBuilt: number };
  notes: string[];
}

/** The verdict the daily report, the MQTT state, the page and `verify --json` carry. */
export interface VerifyVerdict {
  day: string;
  verdict: VerdictKind;
  agreed: boolean;
  liveTrades: number;
  backtestTrades: number;
  /** Rows (trades, live or backtest) that differ beyond the tolerance. */
  differences: number;
  /** Of those, explained by tick fills. */
  explained: number;
  unexplained: number;
  /** Sum of the explained rows' effect on net P&L (live − backtest, ₹). */
  tickFillEffect: number;
  summary: string;
}

export interface VerifyInput {
  ledger: Ledger;
  day: string;
  calendar: MarketCalendar;
  strategy: StrategyChoice;
  risk: RiskParams;
}

export class VerifyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VerifyError';
  }
}

/** One instrument's candles, Upstox's official candle where the ledger has it, else the tick-built one. */
export function bestCandles(
  ledger: Ledger,
  key: string,
  fromTs: number,
  toTs: number,
): { candles: Candle[]; official: number; tickBuilt: number } {
  const byTs = new Map<number, Candle>();
  for (const c of ledger.candles(key, fromTs, toTs)) byTs.set(c.ts, c);
  let official = 0;
  for (const c of ledger.officialCandles(key, fromTs, toTs)) {
    byTs.set(c.ts, c);
    official++;
  }
  const candles = [...byTs.values()].sort((a, b) => a.ts - b.ts);
  return { candles, official, tickBuilt: candles.length - official };
}
/** The day's CE and PE as the ledger knows them: from its trades and checkpoint, else from its option candles. */
export function dayPair(ledger: Ledger, day: string, calendar: MarketCalendar): DayContracts | null {
  const s = calendar.session(day);
  if (!s) return null;
  const known = new Map<string, OptionContract>();
  for (const t of ledger.trades({ from: day, to: day })) {
    known.set(t.instrumentKey, {
      instrumentKey: t.instrumentKey,
      side: t.side,
      strike: t.strike,
      expiry: t.expiry,
      lotSize: 0,
    });
  }
  const cp = ledger.loadCheckpoint();
  const cpContracts = (cp?.data as { contracts?: DayContracts | null } | undefined)?.contracts;
  if (cpContracts && cpContracts.day === day)
    for (const side of ['CE', 'PE'] as const) known.set(cpContracts[side].instrumentKey, cpContracts[side]);
  const keys = ledger.candleKeys(s.openTs, s.closeTs).filter((k) => k !== NIFTY_INDEX_KEY);
  const pair: Partial<Record<Side, OptionContract>> = {};
  for (const k of keys) {
    const c = known.get(k);
    if (c) pair[c.side] = c;
  }
  // Two option keys that day and one side known: the other is the other side (same strike and expiry).
  if (keys.length === 2 && (pair.CE ? 1 : 0) + (pair.PE ? 1 : 0) === 1) {
    const have = (pair.CE ?? pair.PE)!;
    const other = keys.find((k) => k !== have.instrumentKey)!;
    const side: Side = have.side === 'CE' ? 'PE' : 'CE';
    pair[side] = { ...have, instrumentKey: other, side };
  }
  return pair.CE && pair.PE ? { day, CE: pair.CE, PE: pair.PE } : null;
}

export function verifyDay(input: VerifyInput): VerifyReport {
  const { ledger, day, calendar } = input;
  const session = calendar.session(day);
  if (!session) throw new VerifyError(`${day} is not a trading day`);
  const live = ledger.trades({ from: day, to: day });
  const notes: string[] = [];
  const pair = dayPair(ledger, day, calendar);
  const dayIndex = bestCandles(ledger, NIFTY_INDEX_KEY, session.openTs, session.closeTs);
  if (dayIndex.candles.length === 0)
    throw new VerifyError(`the ledger has no NIFTY candles of ${day}: the box did not run that day`);
  if (!pair)
    throw new VerifyError(
      `the ledger does not say which CE and PE the box traded on ${day} (no option candles of that day)`,
    );

  // Warm-up as the box had it: the earlier candles in the ledger (official history first), 15 days back.
  const warm = bestCandles(ledger, NIFTY_INDEX_KEY, session.openTs - 15 * 86_400_000, session.openTs - 1);
  const opt = {
    CE: bestCandles(ledger, pair.CE.instrumentKey, session.openTs, session.closeTs),
    PE: bestCandles(ledger, pair.PE.instrumentKey, session.openTs, session.closeTs),
  };
  const official = dayIndex.official + opt.CE.official + opt.PE.official;
  const total = dayIndex.candles.length + opt.CE.candles.length + opt.PE.candles.length;
  if (official === 0)
    notes.push(
      'no official Upstox candles of this day in the ledger (the after-close ' +
        "check did not run): the backtest ran on the box's tick-built candles",
    );
  const lotted = (c: OptionContract) => ({ ...c, lotSize: c.lotSize > 0 ? c.lotSize : calendar.lotSize(c.expiry) });
  const bt: BacktestDay = {
    contracts: { day, CE: lotted(pair.CE), PE: lotted(pair.PE) },
    candles: { CE: opt.CE.candles, PE: opt.PE.candles },
  };
  const levels = new Map<number, BacktestLevels>();
  const rerun = dayStrategy(live, input.strategy);
  const result = runBacktest({
    index: [...warm.candles.filter((c) => istDate(c.ts) < day), ...dayIndex.candles],
    options: new Map([[day, bt]]),
    from: day,
    to: day,
    ...rerun,
    risk: input.risk,
    calendar,
    onEvent: (e) => {
      if (e.type === 'entry') levels.set(e.position.tradeId, { sl: e.position.sl, tp1: e.position.tp1 });
      else if (e.type === 'position' && e.change === 'TP1') {
        const l = levels.get(e.position.tradeId);
        if (l) Object.assign(l, { lock: e.position.sl, tp1Bucket: bucket(e.ts) });
      }
    },
  });

  const btCandles = new Map<string, Candle>();
  for (const c of dayIndex.candles) btCandles.set(`${NIFTY_INDEX_KEY}@${c.ts}`, c);
  for (const side of ['CE', 'PE'] as const)
    for (const c of opt[side].candles) btCandles.set(`${pair[side].instrumentKey}@${c.ts}`, c);
  const signals = ledger.signals(session.openTs, session.closeTs);
  const ctx: TickFillContext = {
    params: chooseStrategy(rerun.strategy, rerun.params).params,
    boxCandle: (key, ts) => ledger.candles(key, ts, ts)[0],
    boxCandles: (key, toTs) => ledger.candles(key, session.openTs, toTs),
    backtestCandle: (key, ts) => btCandles.get(`${key}@${ts}`),
    levels: (t) => levels.get(t.tradeId),
    liveEntrySignals: (candleTs) => signals.filter((x) => x.kind === 'entry' && x.candleTs === candleTs),
  };
  const paired: PairedRow[] = pairTrades(live, result.trades).map((r) => ({
    ...r,
    diffs: differences(r.live, r.backtest),
    explanations: [],
  }));
  explainTickFills(paired, ctx);
  const rows: VerifyRow[] = paired.map((r) => {
    const unexplained = r.diffs
      .filter((d) => !r.explanations.some((e) => e.accounts.includes(d.field)))
      .map((d) => d.text);
    const causes = unexplained.length ? explain(ledger, r, pair) : [];
    return {
      live: r.live,
      backtest: r.backtest,
      differences: r.diffs.map((d) => d.text),
      why: [...r.explanations.map((e) => e.text), ...causes],
      unexplained,
      effect: (r.live?.netPnl ?? 0) - (r.backtest?.netPnl ?? 0),
    };
  });
  const verdict: VerdictKind = rows.every((r) => r.differences.length === 0)
    ? 'agrees'
    : rows.every((r) => r.unexplained.length === 0)
      ? 'tick-fills'
      : 'differs';
  return {
    day,
    verdict,
    agreed: verdict === 'agrees',
    rows,
    candles: { official, tickBuilt: total - official },
    notes,
  };
}

function pairTrades(
  live: ClosedTrade[],
  bt: ClosedTrade[],
): { live: ClosedTrade | null; backtest: ClosedTrade | null }[] {
  const out: { live: ClosedTrade | null; backtest: ClosedTrade | null }[] = [];
  let i = 0;
  let j = 0;
  while (i < live.length || j < bt.length) {
    const a = live[i];
    const b = bt[j];
    if (a && b && bucket(a.entryTime) === bucket(b.entryTime)) out.push({ live: a, backtest: b }), i++, j++;
    else if (a && (!b || bucket(a.entryTime) < bucket(b.entryTime))) out.push({ live: a, backtest: null }), i++;
    else out.push({ live: null, backtest: b! }), j++;
  }
  return out;
}

function differences(a: ClosedTrade | null, b: ClosedTrade | null): Difference[] {
  if (!a) return [{ field: 'presence', text: 'the backtest trades here, the box did not' }];
  if (!b) return [{ field: 'presence', text: 'the box traded here, the backtest did not' }];
  const d: Difference[] = [];
  if (a.side !== b.side) d.push({ field: 'side', text: `side ${a.side} vs ${b.side}` });
  if (Math.abs(a.entryPrice - b.entryPrice) > FILL_TOLERANCE.entry + EPS)
    d.push({ field: 'entryPrice', text: `entry price ${a.entryPrice.toFixed(2)} vs ${b.entryPrice.toFixed(2)}` });
  if (bucket(a.exitTime) !== bucket(b.exitTime))
    d.push({ field: 'exitTime', text: `exit time ${hhmm(a.exitTime)} vs ${hhmm(b.exitTime)}` });
  if (a.reason !== b.reason) d.push({ field: 'reason', text: `reason ${a.reason} vs ${b.reason}` });
  const tol = a.reason === 'SL' || a.reason === 'LOCK_SL' ? FILL_TOLERANCE.stopExit : FILL_TOLERANCE.otherExit;
  if (Math.abs(a.exitPrice - b.exitPrice) > tol + EPS)
    d.push({ field: 'exitPrice', text: `exit price ${a.exitPrice.toFixed(2)} vs ${b.exitPrice.toFixed(2)}` });
  return d;
}

/**
 * Causes the ledger shows around a difference no rule explains — the signal candle, the entry candle, the
 * exit candle: a gap, a partly seen candle, a late first tick, a halt. Named so a reader can look, but they
 * do not make the day "differ only as tick fills must".
 */
function explain(
  ledger: Ledger,
  r: { live: ClosedTrade | null; backtest: ClosedTrade | null },
  pair: DayContracts,
): string[] {
  const why = new Set<string>();
  const t = (r.live ?? r.backtest)!;
  if (r.live?.reason === 'HALT') {
    const halted = ledger
      .haltHistory()
      .some((h) => h.type === 'halt' && h.ts >= r.live!.entryTime && h.ts <= r.live!.exitTime);
    why.add(
      halted
        ? 'a halt: the box was halted (kill switch or command) while it held this trade; a backtest has no halts'
        : 'a halt exit, but the ledger records no halt while the trade was open',
    );
  }
  const optionKey = pair[t.side].instrumentKey;
  const checks: [string, number][] = [
    [NIFTY_INDEX_KEY, bucket(t.entryTime) - BUCKET_MS],
    [optionKey, bucket(t.entryTime)],
    [NIFTY_INDEX_KEY, bucket(t.exitTime) - BUCKET_MS],
    [optionKey, bucket(t.exitTime)],
  ];
  for (const o of [r.live, r.backtest])
    if (o && o !== t) checks.push([NIFTY_INDEX_KEY, bucket(o.exitTime) - BUCKET_MS], [optionKey, bucket(o.exitTime)]);
  const name = (k: string) =>
    k === NIFTY_INDEX_KEY ? 'NIFTY' : contractName(pair[pair.CE.instrumentKey === k ? 'CE' : 'PE']);
  for (const [key, ts] of checks) {
    const off = ledger.officialCandles(key, ts, ts)[0];
    const mine = ledger.candles(key, ts, ts)[0];
    if (off && !mine) why.add(`a gap: the box saw no trade of ${name(key)} in the ${hhmm(ts)} candle (Upstox has it)`);
    else if (off && mine && (['open', 'high', 'low', 'close'] as const).some((f) => Math.abs(off[f] - mine[f]) > EPS)) {
      why.add(`a partly seen candle: ${name(key)} ${hhmm(ts)} was ${ohlc(mine)} on the box, ${ohlc(off)} at Upstox`);
    }
  }
  // An entry fills at the first trade after the signal candle closed; a backtest at the next candle's open.
  const entry = r.live?.entryTime;
  if (entry !== undefined && entry - bucket(entry) > 10_000) {
    why.add(
      `a late tick: the box's first trade of the ${hhmm(bucket(entry))} candle ` +
        `came at ${istIso(entry).slice(11, 19)}, the backtest fills at the ` +
        `candle's open`,
    );
  }
  return [...why];
}

const hhmm = (ts: number) => istIso(ts).slice(11, 16);
const ohlc = (c: Candle) => `${c.open}/${c.high}/${c.low}/${c.close}`;
const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

export function verdictOf(r: VerifyReport): VerifyVerdict {
  const live = r.rows.filter((x) => x.live).length;
  const bt = r.rows.filter((x) => x.backtest).length;
  const differing = r.rows.filter((x) => x.differences.length);
  const unexplained = differing.filter((x) => x.unexplained.length);
  const explained = differing.length - unexplained.length;
  const tickFillEffect =
    Math.round(differing.filter((x) => !x.unexplained.length).reduce((a, x) => a + x.effect, 0) * 100) / 100;
  const of = `${differing.length} of ${plural(r.rows.length, 'trade')} (${live} live, ${bt} backtest)`;
  let summary: string;
  if (r.verdict === 'agrees')
    summary = `agrees: ${plural(live, 'live trade')} = the backtest of the day's candles, within the fill tolerance`;
  else if (r.verdict === 'tick-fills')
    summary =
      `differs only as tick fills must: ${of}, every difference explained by ` +
      `the live-tick rules; their effect on net P&L ${inr(tickFillEffect)}`;
  else {
    const first = unexplained[0]!;
    const n = r.rows.indexOf(first) + 1;
    const cause = first.why.find(
      (w) => !w.startsWith('a stop filled') && !w.startsWith('an exit inside') && !w.startsWith('an entry'),
    );
    summary =
      `differs: ${unexplained.length} of ${plural(r.rows.length, 'trade')} ` +
      `unexplained (${live} live, ${bt} backtest) — #${n}: ${first.unexplained.join(', ')}` +
      (cause ? ` (${cause})` : '') +
      (explained ? `; ${explained} more explained by tick fills` : '');
  }
  return {
    day: r.day,
    verdict: r.verdict,
    agreed: r.agreed,
    liveTrades: live,
    backtestTrades: bt,
    differences: differing.length,
    explained,
    unexplained: unexplained.length,
    tickFillEffect,
    summary,
  };
}

/**
 * The table `niftybox verify` prints: live beside backtest, then the differences and their explanations, unexplained
 * rows first.
 */
export function verifyText(r: VerifyReport): string {
  const cell = (t: ClosedTrade | null) =>
    t
      ? `${t.side} ${hhmm(t.entryTime)} @ ${t.entryPrice.toFixed(2)} → ${hhmm(t.exitTime)} ` +
        `@ ${t.exitPrice.toFixed(2)} ${t.reason}`
      : '—';
  const lines = [
    `Verify ${r.day}: the box's live trades beside the backtest of its ` +
      `candles (${r.candles.official} official Upstox candles, ${r.candles.tickBuilt} ` +
      `built from ticks)`,
    '',
  ];
  const w = Math.max(4, ...r.rows.map((x) => cell(x.live).length));
  lines.push(`  #  ${'live'.padEnd(w)}   backtest`);
  r.rows.forEach((x, i) => {
    const mark = x.differences.length === 0 ? '✓' : x.unexplained.length ? '✗' : '≈';
    lines.push(`${String(i + 1).padStart(3)}  ${cell(x.live).padEnd(w)}   ${cell(x.backtest)}   ${mark}`);
    for (const d of x.differences) lines.push(`       differs: ${d}`);
    for (const y of x.why) lines.push(`       why: ${y}`);
    if (x.differences.length)
      lines.push(
        `       effect on net P&L: ${inr(x.effect)}` +
          (x.unexplained.length ? `; unexplained: ${x.unexplained.join(', ')}` : ''),
      );
  });
  if (r.rows.length === 0) lines.push('     (no trades, live or in the backtest)');
  for (const n of r.notes) lines.push('', `note: ${n}`);
  const v = verdictOf(r);
  const tolerance =
    `entries within ${FILL_TOLERANCE.entry}, stop exits within ${FILL_TOLERANCE.stopExit},` +
    ` other exits within ${FILL_TOLERANCE.otherExit}, same candles and ` +
    `reasons`;
  lines.push('');
  if (r.verdict === 'agrees') lines.push(`AGREES: ${v.summary.replace(/^agrees: /, '')} (${tolerance})`);
  else if (r.verdict === 'tick-fills')
    lines.push(`DIFFERS ONLY AS TICK FILLS MUST: ${v.summary.replace(/^differs only as tick fills must: /, '')}`);
  else {
    lines.push(`DIFFERS: ${v.summary.replace(/^differs: /, '')}`);
    for (const x of r.rows)
      if (x.unexplained.length) lines.push(`  unexplained #${r.rows.indexOf(x) + 1}: ${x.unexplained.join(', ')}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * The strategy the day is re-run with: the one its first trade recorded (name and every parameter),
 * else the configured one (a day without trades, or trades from before strategies were recorded).
 */
function dayStrategy(
  live: readonly ClosedTrade[],
  configured: StrategyChoice,
): { strategy: string; params: Record<string, unknown> } {
  const recorded = live.find((t) => t.strategy?.params)?.strategy;
  if (recorded) return { strategy: recorded.name, params: recorded.params! };
  return { strategy: configured.strategy.name, params: configured.params as unknown as Record<string, unknown> };
}
