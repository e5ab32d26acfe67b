/**
 * Proof for a live day: re-runs the backtest on the box's own candles of that day (Upstox's official
 * ones where the box fetched them, else the ones it built from ticks) with the same parameters, and
 * holds its trades against the ledger's live trades within the fill tolerance. Where a difference has a
 * visible cause in the ledger — a gap, a partly seen candle, a late tick, a halt — it is named.
 */
import { runBacktest, type BacktestDay } from '../core/backtest.js';
import type { MarketCalendar } from '../core/calendar.js';
import { contractName } from '../core/contracts.js';
import type { RiskParams } from '../core/params.js';
import type { StrategyChoice } from '../core/strategies/index.js';
import { BUCKET_MS, istDate, istIso } from '../core/time.js';
import { NIFTY_INDEX_KEY, type Candle, type ClosedTrade, type DayContracts, type OptionContract, type Side } from '../core/types.js';
import type { Ledger } from '../store/ledger.js';

/**
 * The fill tolerance: live and backtest agree on a trade when side, entry candle, exit candle and exit
 * reason are the same, the entry prices are within one tick (0.05), stop exits (SL, LOCK_SL) within
 * 0.25 (a live stop fills at the first trade through it, a backtest at the level), other exits within a tick.
 */
export const FILL_TOLERANCE = { entry: 0.05, stopExit: 0.25, otherExit: 0.05 } as const;
const EPS = 1e-9;

export interface VerifyRow {
  live: ClosedTrade | null;
  backtest: ClosedTrade | null;
  /** What differs beyond the tolerance (empty = agrees). */
  differences: string[];
  /** Causes the ledger shows, when it shows any. */
  why: string[];
}

export interface VerifyReport {
  day: string;
  agreed: boolean;
  rows: VerifyRow[];
  /** Candles the backtest ran on: Upstox's official ones vs the box's tick-built ones (day only). */
  candles: { official: number; tickBuilt: number };
  notes: string[];
}

/** The verdict the daily report and the MQTT state carry. */
export interface VerifyVerdict {
  day: string;
  agreed: boolean;
  liveTrades: number;
  backtestTrades: number;
  differences: number;
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
export function bestCandles(ledger: Ledger, key: string, fromTs: number, toTs: number): { candles: Candle[]; official: number; tickBuilt: number } {
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
    known.set(t.instrumentKey, { instrumentKey: t.instrumentKey, side: t.side, strike: t.strike, expiry: t.expiry, lotSize: 0 });
  }
  const cp = ledger.loadCheckpoint();
  const cpContracts = (cp?.data as { contracts?: DayContracts | null } | undefined)?.contracts;
  if (cpContracts && cpContracts.day === day) for (const side of ['CE', 'PE'] as const) known.set(cpContracts[side].instrumentKey, cpContracts[side]);
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
  if (dayIndex.candles.length === 0) throw new VerifyError(`the ledger has no NIFTY candles of ${day}: the box did not run that day`);
  if (!pair) throw new VerifyError(`the ledger does not say which CE and PE the box traded on ${day} (no option candles of that day)`);

  // Warm-up as the box had it: the earlier candles in the ledger (official history first), 15 days back.
  const warm = bestCandles(ledger, NIFTY_INDEX_KEY, session.openTs - 15 * 86_400_000, session.openTs - 1);
  const opt = { CE: bestCandles(ledger, pair.CE.instrumentKey, session.openTs, session.closeTs), PE: bestCandles(ledger, pair.PE.instrumentKey, session.openTs, session.closeTs) };
  const official = dayIndex.official + opt.CE.official + opt.PE.official;
  const total = dayIndex.candles.length + opt.CE.candles.length + opt.PE.candles.length;
  if (official === 0) notes.push("no official Upstox candles of this day in the ledger (the after-close check did not run): the backtest ran on the box's tick-built candles");
  const lotted = (c: OptionContract) => ({ ...c, lotSize: c.lotSize > 0 ? c.lotSize : calendar.lotSize(c.expiry) });
  const bt: BacktestDay = { contracts: { day, CE: lotted(pair.CE), PE: lotted(pair.PE) }, candles: { CE: opt.CE.candles, PE: opt.PE.candles } };
  const result = runBacktest({
    index: [...warm.candles.filter((c) => istDate(c.ts) < day), ...dayIndex.candles],
    options: new Map([[day, bt]]),
    from: day,
    to: day,
    ...dayStrategy(live, input.strategy),
    risk: input.risk,
    calendar,
  });

  const rows = pairTrades(live, result.trades).map((r) => ({ ...r, differences: differences(r.live, r.backtest), why: [] as string[] }));
  for (const r of rows) if (r.differences.length) r.why = explain(ledger, r, pair);
  return { day, agreed: rows.every((r) => r.differences.length === 0), rows, candles: { official, tickBuilt: total - official }, notes };
}

const bucket = (ts: number) => ts - (ts % BUCKET_MS);

function pairTrades(live: ClosedTrade[], bt: ClosedTrade[]): { live: ClosedTrade | null; backtest: ClosedTrade | null }[] {
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

function differences(a: ClosedTrade | null, b: ClosedTrade | null): string[] {
  if (!a) return ['the backtest trades here, the box did not'];
  if (!b) return ['the box traded here, the backtest did not'];
  const d: string[] = [];
  if (a.side !== b.side) d.push(`side ${a.side} vs ${b.side}`);
  if (Math.abs(a.entryPrice - b.entryPrice) > FILL_TOLERANCE.entry + EPS) d.push(`entry price ${a.entryPrice.toFixed(2)} vs ${b.entryPrice.toFixed(2)}`);
  if (bucket(a.exitTime) !== bucket(b.exitTime)) d.push(`exit time ${hhmm(a.exitTime)} vs ${hhmm(b.exitTime)}`);
  if (a.reason !== b.reason) d.push(`reason ${a.reason} vs ${b.reason}`);
  const tol = a.reason === 'SL' || a.reason === 'LOCK_SL' ? FILL_TOLERANCE.stopExit : FILL_TOLERANCE.otherExit;
  if (Math.abs(a.exitPrice - b.exitPrice) > tol + EPS) d.push(`exit price ${a.exitPrice.toFixed(2)} vs ${b.exitPrice.toFixed(2)}`);
  return d;
}

/** What the ledger shows around the trade's candles: the signal candle, the entry candle, the exit candle. */
function explain(ledger: Ledger, r: { live: ClosedTrade | null; backtest: ClosedTrade | null }, pair: DayContracts): string[] {
  const why = new Set<string>();
  const t = (r.live ?? r.backtest)!;
  if (r.live?.reason === 'HALT') why.add('a halt: the box was halted (kill switch or command); a backtest has no halts');
  const optionKey = pair[t.side].instrumentKey;
  const checks: [string, number][] = [
    [NIFTY_INDEX_KEY, bucket(t.entryTime) - BUCKET_MS],
    [optionKey, bucket(t.entryTime)],
    [NIFTY_INDEX_KEY, bucket(t.exitTime) - BUCKET_MS],
    [optionKey, bucket(t.exitTime)],
  ];
  for (const o of [r.live, r.backtest]) if (o && o !== t) checks.push([NIFTY_INDEX_KEY, bucket(o.exitTime) - BUCKET_MS], [optionKey, bucket(o.exitTime)]);
  const name = (k: string) => (k === NIFTY_INDEX_KEY ? 'NIFTY' : contractName(pair[pair.CE.instrumentKey === k ? 'CE' : 'PE']));
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
    why.add(`a late tick: the box's first trade of the ${hhmm(bucket(entry))} candle came at ${istIso(entry).slice(11, 19)}, the backtest fills at the candle's open`);
  }
  return [...why];
}

const hhmm = (ts: number) => istIso(ts).slice(11, 16);
const ohlc = (c: Candle) => `${c.open}/${c.high}/${c.low}/${c.close}`;

export function verdictOf(r: VerifyReport): VerifyVerdict {
  const live = r.rows.filter((x) => x.live).length;
  const bt = r.rows.filter((x) => x.backtest).length;
  const diffs = r.rows.filter((x) => x.differences.length).length;
  const summary = r.agreed
    ? `agrees: ${live} live trade${live === 1 ? '' : 's'} = the backtest of the day's candles, within the fill tolerance`
    : `differs: ${diffs} of ${r.rows.length} trade${r.rows.length === 1 ? '' : 's'} (${live} live, ${bt} backtest)${r.rows.flatMap((x) => x.why).length ? ` — ${r.rows.flatMap((x) => x.why)[0]}` : ''}`;
  return { day: r.day, agreed: r.agreed, liveTrades: live, backtestTrades: bt, differences: diffs, summary };
}

/** The table `niftybox verify` prints: live beside backtest, then the differences and their causes. */
export function verifyText(r: VerifyReport): string {
  const cell = (t: ClosedTrade | null) =>
    t ? `${t.side} ${hhmm(t.entryTime)} @ ${t.entryPrice.toFixed(2)} → ${hhmm(t.exitTime)} @ ${t.exitPrice.toFixed(2)} ${t.reason}` : '—';
  const lines = [`Verify ${r.day}: the box's live trades beside the backtest of its candles (${r.candles.official} official Upstox candles, ${r.candles.tickBuilt} built from ticks)`, ''];
  const w = Math.max(4, ...r.rows.map((x) => cell(x.live).length));
  lines.push(`  #  ${'live'.padEnd(w)}   backtest`);
  r.rows.forEach((x, i) => {
    lines.push(`${String(i + 1).padStart(3)}  ${cell(x.live).padEnd(w)}   ${cell(x.backtest)}${x.differences.length ? '   ✗' : '   ✓'}`);
    for (const d of x.differences) lines.push(`       differs: ${d}`);
    for (const y of x.why) lines.push(`       why: ${y}`);
  });
  if (r.rows.length === 0) lines.push('     (no trades, live or in the backtest)');
  for (const n of r.notes) lines.push('', `note: ${n}`);
  lines.push(
    '',
    r.agreed
      ? `AGREES: ${verdictOf(r).summary.replace(/^agrees: /, '')} (entries within ${FILL_TOLERANCE.entry}, stop exits within ${FILL_TOLERANCE.stopExit}, other exits within ${FILL_TOLERANCE.otherExit}, same candles and reasons)`
      : `DIFFERS: ${verdictOf(r).summary.replace(/^differs: /, '')}`,
  );
  return lines.join('\n') + '\n';
}

/**
 * The strategy the day is re-run with: the one its first trade recorded (name and every parameter),
 * else the configured one (a day without trades, or trades from before strategies were recorded).
 */
function dayStrategy(live: readonly ClosedTrade[], configured: StrategyChoice): { strategy: string; params: Record<string, unknown> } {
  const recorded = live.find((t) => t.strategy?.params)?.strategy;
  if (recorded) return { strategy: recorded.name, params: recorded.params! };
  return { strategy: configured.strategy.name, params: configured.params as unknown as Record<string, unknown> };
}
