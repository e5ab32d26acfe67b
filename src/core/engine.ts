/**
 * The engine: ticks, clock and commands in, events out. Pure — it never reads the clock or sets
 * a timer; every input carries its time. The backtest, the replay and the live appliance all drive
 * this same class, which is what makes their trades identical.
 *
 * It owns no rule: it runs the named parts in v25.md's order of work per 5-minute bucket —
 *   on each trade of the held contract: pending entry fill → pending exit fill → EOD → intrabar path
 *     (the shared trade rules decide, the paper broker fills through its fill model, the risk gate
 *     watches the loss);
 *   at the bucket's close: option ATR update → index indicators → reversal decision → entry decision
 *     (the candle builder closes the bucket, the strategy decides, the risk gate may block the entry);
 * plus the halts, guards and the checkpoint the ledger stores. It knows no strategy: it is handed one
 * (strategies/contract.ts) with its parameters, and runs the open position's exits with the rules and
 * reversal of the strategy that opened it, even after a restart with another one configured.
 */
import type { GuardCode } from './alerts.js';
import type { MarketCalendar } from './calendar.js';
import {
  type CandleBar,
  CandleBuilder,
  bucketOf,
  candleOf,
  extend,
  extendByCandle,
  replaceBar,
} from './candle-builder.js';
import { forEachCandleTick } from './candle-ticks.js';
import type { AlertCode, AlertLevel, EngineEvent, HaltSource } from './events.js';
import { PaperFillModel } from './fill-model.js';
import { type CancelReason, type DayStats, PaperBroker, type PendingEntry } from './paper-broker.js';
import type { RiskParams } from './risk-gate.js';
import { RiskGate } from './risk-gate.js';
import { DayAtr } from './indicators.js';
import {
  type SharedParams,
  type StrategyChoice,
  type StrategyRun,
  canonicalParamsJson,
} from './strategies/contract.js';
import { TradeRules } from './trade-rules.js';
import { BUCKET_MS, DAY_MS, IST_OFFSET_MS, istDate, istDayNumber } from './time.js';
import type { Candle, DayContracts, ExitReason, OpenPosition, PositionStrategy, Side, Tick } from './types.js';
import { NIFTY_INDEX_KEY } from './types.js';

export interface EngineOptions {
  /** The strategy new entries are decided by, with every parameter (shared ones included). */
  strategy: StrategyChoice;
  risk: RiskParams;
  /** How orders fill; default the paper fill model at the strategy's slippagePoints. */
  fills?: PaperFillModel;
  /**
   * A restored position's strategy by name and parameters (the registry's chooseStrategy), so that it
   * keeps the exits of the strategy that opened it. Without it, or when it throws, the configured one.
   */
  strategyOf?: (name: string, params: Record<string, unknown>) => StrategyChoice;
  calendar: MarketCalendar;
  indexKey?: string;
  /** Live: how long after a boundary late trades may still join the closing candle. 0 in backtest. */
  candleGraceMs?: number;
  /** Emit `candle` events (the ledger stores them); the backtest turns this off. */
  emitCandles?: boolean;
  /**
   * Emit `signal` events (the ledger and MQTT announce them); the backtest, which reads only exits and cancels, turns
   * this off.
   */
  emitSignals?: boolean;
  /**
   * Emit `entry` and `position` (TP1) events (the ledger, MQTT and the page show the open position); the backtest turns
   * this off too.
   */
  emitPositions?: boolean;
}

/** The engine's trading state, serialisable: the ledger stores it as the checkpoint. */
export interface EngineCheckpoint {
  version: 1;
  day: string | null;
  contracts: DayContracts | null;
  position: OpenPosition | null;
  pendingEntry: PendingEntry | null;
  pendingExit: ExitReason | null;
  halted: boolean;
  haltReason: string | null;
  guards: Record<string, string>;
  nextTradeId: number;
  /** Last closed bucket (its start), so a restart does not decide twice on the same candle. */
  lastClosedBucket: number | null;
  dayStats: DayStats;
  spot: number | null;
}

/** A strategy as the engine runs it: its decisions on the index history, and the shared rules on its parameters. */
interface Running {
  choice: StrategyChoice;
  run: StrategyRun;
  rules: TradeRules;
  /** What an opened position records of it. */
  tag: PositionStrategy;
}

function running(choice: StrategyChoice): Running {
  return {
    choice,
    run: choice.strategy.create(choice.params),
    rules: new TradeRules(choice.params),
    tag: {
      name: choice.strategy.name,
      params: JSON.parse(canonicalParamsJson(choice.params)) as Record<string, unknown>,
    },
  };
}

function sameStrategy(a: PositionStrategy, b: PositionStrategy): boolean {
  return a.name === b.name && canonicalParamsJson(a.params) === canonicalParamsJson(b.params);
}

export class Engine {
  /** The configured strategy: it decides entries. */
  private cur: Running;
  /** The strategy that opened the open position, when it is not the configured one (a restart changed it). */
  private held: Running | null = null;
  private readonly strategyOf: EngineOptions['strategyOf'];
  private atr: Record<Side, DayAtr>;
  private readonly candles: CandleBuilder;
  private readonly broker: PaperBroker;
  private readonly gate: RiskGate;
  private readonly indexKey: string;
  private readonly emitCandles: boolean;
  private readonly emitSignals: boolean;
  private readonly emitPositions: boolean;

  private out: EngineEvent[] = [];
  /** Epoch ms of the EOD exit time on the open bucket's day: a trade at or after it is past EOD. */
  private eodTs = -Infinity;
  /** The IST day of the open bucket: its date, and its midnight in epoch ms (NaN before the first bucket). */
  private bucketDay = '';
  private bucketDayStart = NaN;
  private day: string | null = null;
  private contracts: DayContracts | null = null;
  private ceKey: string | null = null;
  private peKey: string | null = null;
  // The spot as a plain number, NaN for none (a number | null field boxes every new value); view() says null.
  private spot = NaN;

  /** The strategy and risk parameters this engine trades with (verify re-runs the day with the same). */
  get parameters(): { strategy: StrategyChoice; risk: RiskParams } {
    return { strategy: this.cur.choice, risk: this.gate.risk };
  }

  constructor(opts: EngineOptions) {
    const params: SharedParams = opts.strategy.params;
    this.cur = running(opts.strategy);
    this.strategyOf = opts.strategyOf;
    this.atr = { CE: new DayAtr(params.atrPeriod), PE: new DayAtr(params.atrPeriod) };
    this.candles = new CandleBuilder(opts.candleGraceMs ?? 0);
    this.broker = new PaperBroker(opts.fills ?? new PaperFillModel(params.slippagePoints), params.lots);
    this.gate = new RiskGate(opts.risk);
    this.indexKey = opts.indexKey ?? NIFTY_INDEX_KEY;
    this.emitCandles = opts.emitCandles ?? true;
    this.emitSignals = opts.emitSignals ?? true;
    this.emitPositions = opts.emitPositions ?? true;
  }

  // ---------------------------------------------------------------- inputs

  /** Feeds a historical index candle to the indicators only (warm-up, recovery). No decisions. */
  warmIndexCandle(c: Candle): void {
    this.cur.run.update(c);
    this.held?.run.update(c);
  }

  /** Feeds today's earlier candle of a contract to its day ATR (recovery, mid-day start). */
  warmOptionCandle(side: Side, c: Candle): void {
    this.atr[side].update(c);
  }

  /** Forgets the index indicators, so that a late warm-up can replay the whole history in order. */
  resetIndexIndicators(): void {
    this.cur.run = this.cur.choice.strategy.create(this.cur.choice.params);
    if (this.held) this.held.run = this.held.choice.strategy.create(this.held.choice.params);
  }

  /** True once every indicator the configured strategy decides on has a value. */
  indicatorsWarm(): boolean {
    return this.cur.run.warm;
  }

  /** Sets the day's CE/PE pair (picked once per day). Starts the day if it is a new one. */
  setContracts(contracts: DayContracts, ts: number): readonly EngineEvent[] {
    this.rollDay(contracts.day, ts);
    if (
      this.contracts &&
      this.contracts.day === contracts.day &&
      this.contracts.CE.instrumentKey === contracts.CE.instrumentKey &&
      this.contracts.PE.instrumentKey === contracts.PE.instrumentKey
    )
      return this.drain();
    this.contracts = contracts;
    this.ceKey = contracts.CE.instrumentKey;
    this.peKey = contracts.PE.instrumentKey;
    const n = this.cur.choice.params.atrPeriod;
    this.atr = { CE: new DayAtr(n), PE: new DayAtr(n) };
    this.candles.forgetOptions();
    return this.drain();
  }

  onTick(tick: Tick): readonly EngineEvent[] {
    const ts = tick.ts;
    const cb = this.candles;
    if (ts < cb.from || ts >= cb.to) {
      const bucket = bucketOf(ts);
      if (bucket <= cb.lastClosed) {
        cb.lateTicks++; // a trade from a candle already closed: too late to count
        return this.drain();
      }
      if (cb.isOpen) this.closeBucket(ts);
      this.openBucket(bucket, ts);
    }
    const bucket = cb.from;
    if (tick.instrumentKey === this.indexKey) {
      extend(cb.index, bucket, tick);
      this.spot = tick.ltp;
      return this.drain();
    }
    const side = this.sideOf(tick.instrumentKey);
    if (!side) return this.drain();
    extend(cb.optionBar(side), bucket, tick);
    this.onOptionTick(side, tick);
    return this.drain();
  }

  /**
   * A recorded candle as the four ticks a replay feeds (candle-ticks.ts: the open, then the low, high and
   * close as path ticks, all at the candle's start; the close carries the volume). Exactly four onTick
   * calls, in one: where those ticks could do no more than extend the candle (the index; a contract
   * without a position or a pending entry on it) they are folded into the candle at once.
   */
  onCandle(instrumentKey: string, c: Candle): readonly EngineEvent[] {
    const ts = c.ts;
    const cb = this.candles;
    if (ts < cb.from || ts >= cb.to) {
      const bucket = bucketOf(ts);
      if (bucket <= cb.lastClosed) {
        cb.lateTicks += 4;
        return this.drain();
      }
      if (cb.isOpen) this.closeBucket(ts);
      this.openBucket(bucket, ts);
    }
    const bucket = cb.from;
    if (instrumentKey === this.indexKey) {
      extendByCandle(cb.index, bucket, c);
      this.spot = c.close;
      return this.drain();
    }
    const side = this.sideOf(instrumentKey);
    if (!side) return this.drain();
    const bar = cb.optionBar(side);
    const pos = this.broker.position;
    const pe = this.broker.pendingEntry;
    if (pos === null ? pe === null || pe.side !== side : pos.side !== side) {
      extendByCandle(bar, bucket, c);
      return this.drain();
    }
    forEachCandleTick(
      instrumentKey,
      c,
      (tick) => {
        extend(bar, bucket, tick);
        this.onOptionTick(side, tick);
      },
      candleTick,
    );
    return this.drain();
  }

  /**
   * Upstox's official candle of the open bucket replaces the one built from the ticks this box saw (it
   * started, reconnected or subscribed inside the candle), so the ATR, the indicators, the ledger and the
   * decision at its close all see the whole candle. What the seen ticks already did (a stop, a fill) stands.
   */
  completeCandle(instrumentKey: string, c: Candle): void {
    const cb = this.candles;
    if (c.ts !== cb.current) return;
    const side = instrumentKey === this.indexKey ? null : this.sideOf(instrumentKey);
    const bar = instrumentKey === this.indexKey ? cb.index : side ? cb.optionBar(side) : null;
    if (bar) replaceBar(bar, c);
  }

  /** Time passes: closes the current candle once its end (plus grace) is reached. */
  onClock(ts: number): readonly EngineEvent[] {
    if (this.candles.due(ts)) this.closeBucket(ts);
    return this.drain();
  }

  /**
   * The day's data or session has ended: close the last candle, cancel pending orders, and exit an
   * open position at the contract's last price (SESSION_END). Safe to call twice.
   */
  endSession(ts: number): readonly EngineEvent[] {
    if (this.candles.isOpen) this.closeBucket(ts);
    this.settleDay(ts);
    return this.drain();
  }

  /** Kill switch: no new entries; an open position exits at the next price. Latched until resume. */
  halt(ts: number, reason: string, source: HaltSource): readonly EngineEvent[] {
    this.doHalt(ts, reason, source);
    return this.drain();
  }

  resume(ts: number, source: HaltSource): readonly EngineEvent[] {
    if (this.gate.resume()) this.emit({ type: 'resume', ts, source });
    return this.drain();
  }

  /** A guard (stale feed, clock, token …; see alerts.ts) blocks new entries while set. Alerts on change. */
  setGuard(
    code: GuardCode,
    active: boolean,
    ts: number,
    message: string,
    level: AlertLevel = 'warn',
  ): readonly EngineEvent[] {
    const change = this.gate.setGuard(code, active, message);
    if (change === 'raised') this.emit({ type: 'alert', ts, level, code, message });
    else if (change === 'cleared')
      this.emit({ type: 'alert', ts, level: 'info', code: `${code}_CLEARED`, message: `${message} (cleared)` });
    return this.drain();
  }

  /** An alert from outside the core (feed, display, MQTT) so it is persisted and announced in order. */
  alert(ts: number, level: AlertLevel, code: AlertCode, message: string): readonly EngineEvent[] {
    this.emit({ type: 'alert', ts, level, code, message });
    return this.drain();
  }

  // ---------------------------------------------------------------- views

  view() {
    const b = this.broker;
    const g = this.gate;
    return {
      day: this.day,
      contracts: this.contracts,
      position: b.position,
      pendingEntry: b.pendingEntry,
      pendingExit: b.pendingExit,
      halted: g.halted,
      haltReason: g.haltReason,
      guards: Object.fromEntries(g.guards) as Record<string, string>,
      stats: { ...b.stats },
      spot: nullIfNaN(this.spot),
      lateTicks: this.candles.lateTicks,
      /** Start of the bucket being built (null between buckets). */
      openBucket: nullIfNaN(this.candles.current),
      strategy: this.cur.tag,
      /** The strategy managing the open position, when a restart left one opened by another. */
      heldStrategy: this.held?.tag ?? null,
      indicators: { readings: this.cur.run.readings(), warm: this.cur.run.warm },
    };
  }

  checkpoint(): EngineCheckpoint {
    const b = this.broker;
    const g = this.gate;
    return {
      version: 1,
      day: this.day,
      contracts: this.contracts,
      position: b.position ? { ...b.position } : null,
      pendingEntry: b.pendingEntry,
      pendingExit: b.pendingExit,
      halted: g.halted,
      haltReason: g.haltReason,
      guards: Object.fromEntries(g.guards),
      nextTradeId: b.nextTradeId,
      lastClosedBucket: nullIfNaN(this.candles.lastClosed),
      dayStats: { ...b.stats },
      spot: nullIfNaN(this.spot),
    };
  }

  /**
   * Restores trading state from a checkpoint. Indicators are rebuilt separately by replaying stored
   * candles through warmIndexCandle / warmOptionCandle (they are a pure function of the candles).
   * Guards are facts about now (token, clock, feed, indicators, kill switch): they are not restored but
   * checked afresh by whoever owns them; only the halt, the position and pending orders carry over.
   */
  restore(cp: EngineCheckpoint): void {
    const b = this.broker;
    this.day = cp.day;
    this.contracts = cp.contracts;
    this.ceKey = cp.contracts?.CE.instrumentKey ?? null;
    this.peKey = cp.contracts?.PE.instrumentKey ?? null;
    b.position = cp.position ? { ...cp.position } : null;
    b.positionContract = cp.position && cp.contracts ? cp.contracts[cp.position.side] : null;
    b.pendingEntry = cp.pendingEntry;
    b.pendingExit = cp.pendingExit;
    b.nextTradeId = cp.nextTradeId;
    b.stats = { ...cp.dayStats };
    this.gate.halted = cp.halted;
    this.gate.haltReason = cp.haltReason;
    this.gate.guards = new Map();
    this.candles.reset(cp.lastClosedBucket ?? NaN);
    this.spot = cp.spot ?? NaN;
    this.held = cp.position?.strategy ? this.heldFor(cp.position.strategy) : null;
  }

  /** The strategy a restored position keeps; null when that is the configured one (or it cannot be had). */
  private heldFor(tag: PositionStrategy): Running | null {
    if (sameStrategy(tag, this.cur.tag) || !this.strategyOf) return null;
    try {
      return running(this.strategyOf(tag.name, tag.params));
    } catch {
      return null;
    }
  }

  // ---------------------------------------------------------------- internals

  private drain(): readonly EngineEvent[] {
    if (this.out.length === 0) return EMPTY;
    const batch = this.out;
    this.out = [];
    return batch;
  }

  private emit(e: EngineEvent): void {
    this.out.push(e);
  }

  private sideOf(key: string): Side | null {
    if (key === this.ceKey) return 'CE';
    if (key === this.peKey) return 'PE';
    return null;
  }

  private rollDay(day: string, ts: number): void {
    if (this.day === day) return;
    if (this.day !== null) this.settleDay(ts); // the previous day ended without endSession (a crash across midnight)
    this.day = day;
    this.broker.newDay();
  }

  /** Pending orders never carry over; a position still open exits at its contract's last price. */
  private settleDay(ts: number): void {
    this.cancelPendingEntry(ts, 'SESSION_END');
    const pos = this.broker.position;
    if (pos) this.exit(pos.ltp, pos.ltpTs ?? ts, 'SESSION_END');
    this.broker.pendingExit = null;
  }

  private openBucket(bucket: number, ts: number): void {
    this.candles.open(bucket);
    if (!(bucket >= this.bucketDayStart && bucket < this.bucketDayStart + DAY_MS)) {
      // The first bucket of another IST day: its date and EOD time, worked out once for the day's buckets.
      this.bucketDayStart = istDayNumber(bucket) * DAY_MS - IST_OFFSET_MS;
      this.bucketDay = istDate(bucket);
      this.eodTs = this.cur.rules.eodTs(bucket);
    }
    if (this.bucketDay !== this.day) this.rollDay(this.bucketDay, ts);
  }

  /** A trade of the CE or PE: pending entry fill → pending exit fill → EOD → intrabar path. */
  private onOptionTick(side: Side, tick: Tick): void {
    const b = this.broker;
    const pos = b.position;
    if (pos === null) {
      const pe = b.pendingEntry;
      if (pe !== null && pe.side === side && this.cur.rules.entryMayFill(pe.candleTs, tick.ts, this.eodTs)) {
        const opened = b.fillEntry(this.contracts![side], tick, pe, this.cur.rules, this.cur.tag);
        if (this.emitPositions) this.emit({ type: 'entry', ts: tick.ts, position: { ...opened } });
      }
      return;
    }
    if (pos.side !== side) return;
    pos.ltp = tick.ltp;
    pos.ltpTs = tick.ts;
    if (b.pendingExit) return this.exit(b.fills.marketSale(tick), tick.ts, b.pendingExit);
    const held = this.held;
    const rules = held === null ? this.cur.rules : held.rules;
    const decision = rules.onHeldTrade(
      pos,
      tick.ltp,
      tick.ts,
      held === null ? this.eodTs : held.rules.eodTs(this.candles.from),
    );
    if (decision === 'EOD') return this.exit(b.fills.marketSale(tick), tick.ts, 'EOD');
    if (decision === 'SL' || decision === 'LOCK_SL')
      return this.exit(b.fills.stopSale(tick, pos.sl), tick.ts, decision);
    if (decision === 'TP1') {
      pos.tp1Hit = true;
      pos.sl = rules.lockedStop(side, pos.entryPrice);
      if (this.emitPositions) this.emit({ type: 'position', ts: tick.ts, position: { ...pos }, change: 'TP1' });
    }
    if (this.gate.watchesDailyLoss) this.checkDailyLoss(tick.ts);
  }

  /** Sells the position at `price` (where the sale met the market; the broker's fill model takes slippage). */
  private exit(price: number, ts: number, reason: ExitReason): void {
    const strategy = this.broker.position!.strategy;
    const trade = this.broker.exit(price, ts, reason);
    this.held = null; // flat: the configured strategy decides from here on
    this.emit(strategy ? { type: 'exit', ts, trade, strategy } : { type: 'exit', ts, trade });
    if (this.gate.watchesDailyLoss) this.checkDailyLoss(ts);
  }

  private checkDailyLoss(ts: number): void {
    const s = this.broker.stats;
    const net = this.gate.dailyLossBreach(s.realized, s.charges, this.broker.position);
    if (Number.isNaN(net)) return;
    this.emit({
      type: 'alert',
      ts,
      level: 'error',
      code: 'DAILY_LOSS_LIMIT',
      message: `Daily loss limit ₹${this.gate.risk.dailyLossLimit} reached (net ₹${net.toFixed(2)}): trading halted`,
    });
    this.doHalt(ts, 'daily loss limit', 'guard');
  }

  private doHalt(ts: number, reason: string, source: HaltSource): void {
    if (this.gate.halt(reason)) this.emit({ type: 'halt', ts, reason, source });
    this.cancelPendingEntry(ts, 'HALT');
    const b = this.broker;
    if (b.position && b.pendingExit === null) b.pendingExit = 'HALT';
  }

  private cancelPendingEntry(ts: number, reason: CancelReason): void {
    const pe = this.broker.cancelEntry(reason);
    if (pe) this.emit({ type: 'order_cancelled', ts, side: pe.side, kind: 'entry', reason });
  }

  /** The bucket's close: option ATR update → index indicators → reversal decision → entry decision. */
  private closeBucket(ts: number): void {
    const cb = this.candles;
    const t = cb.close();
    if (Number.isNaN(t)) return; // already decided (restart)
    const closeTs = t + BUCKET_MS;
    const b = this.broker;

    // Each side named outright: a `[side]` lookup with two keys is a megamorphic keyed load on every bucket.
    this.closeOptionBar(cb.options.CE, this.atr.CE, 'CE', closeTs);
    this.closeOptionBar(cb.options.PE, this.atr.PE, 'PE', closeTs);
    // An entry decided at an earlier close whose next candle never traded is cancelled.
    if (b.pendingEntry && b.pendingEntry.candleTs < t) this.cancelPendingEntry(closeTs, 'NO_NEXT_CANDLE');

    const bar = cb.index;
    if (!bar.filled) return;
    if (this.emitCandles)
      this.emit({ type: 'candle', ts: closeTs, instrumentKey: this.indexKey, candle: candleOf(bar) });
    const cur = this.cur;
    cur.run.update(bar);
    const held = this.held;
    if (held !== null) held.run.update(bar);

    const pos = b.position;
    if (pos && b.pendingExit === null) {
      const decider = held === null ? cur : held;
      if (decider.run.reverses(pos.side, pos.tp1Hit)) {
        b.pendingExit = 'REVERSAL';
        if (this.emitSignals)
          this.emit({
            type: 'signal',
            ts: closeTs,
            candleTs: t,
            kind: 'reversal',
            side: pos.side,
            action: 'taken',
            close: bar.close,
            strategy: decider.tag.name,
            readings: decider.run.readings(),
          });
      }
    }
    if (b.position || b.pendingEntry || !this.contracts || !cur.rules.inEntryWindow(t)) return;
    const side = cur.run.entrySide();
    if (!side) return;

    const blockedBy = this.gate.entryBlockers(b.stats.entries);
    if (blockedBy.length) {
      if (this.emitSignals)
        this.emit({
          type: 'signal',
          ts: closeTs,
          candleTs: t,
          kind: 'entry',
          side,
          close: bar.close,
          strategy: cur.tag.name,
          readings: cur.run.readings(),
          action: 'blocked',
          blockedBy,
        });
      return;
    }
    if (this.emitSignals)
      this.emit({
        type: 'signal',
        ts: closeTs,
        candleTs: t,
        kind: 'entry',
        side,
        close: bar.close,
        strategy: cur.tag.name,
        readings: cur.run.readings(),
        action: 'taken',
      });
    b.pendingEntry = { side, candleTs: t, atr: this.atr[side].value ?? NaN };
    // no option candle yet: no ATR, no stop
    if (!(b.pendingEntry.atr >= 0)) this.cancelPendingEntry(closeTs, 'NO_NEXT_CANDLE');
  }

  /** The contract's candle of the closing bucket, if it traded: its day ATR, and the ledger's copy. */
  private closeOptionBar(bar: CandleBar, atr: DayAtr, side: Side, closeTs: number): void {
    if (!bar.filled) return;
    atr.update(bar);
    if (this.emitCandles)
      this.emit({
        type: 'candle',
        ts: closeTs,
        instrumentKey: this.contracts![side].instrumentKey,
        candle: candleOf(bar),
      });
  }
}

/** onCandle's ticks, one object reused: the engine copies the fields it keeps. */
const candleTick: Tick = { instrumentKey: '', ts: 0, ltp: 0, path: false, volume: 0 };
const EMPTY: readonly EngineEvent[] = Object.freeze([]);

function nullIfNaN(x: number): number | null {
  return Number.isNaN(x) ? null : x;
}
