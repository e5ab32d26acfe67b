/**
 * The V25 trading engine: ticks, clock and commands in, events out. Pure — it never reads the
 * clock or sets a timer; every input carries its time. The backtest, the replay and the live
 * appliance all drive this same class, which is what makes their trades identical.
 *
 * Per 5-minute bucket (v25.md): pending entry fill → pending exit fill → EOD → intrabar path
 * (all on the held contract's ticks), then at the bucket's close: option ATR update → index
 * indicators → reversal decision → entry decision.
 */
import type { MarketCalendar } from './calendar.js';
import { roundTripCharges } from './charges.js';
import type { AlertLevel, EngineEvent, HaltSource } from './events.js';
import { ChopIndicator, DayAtr, EmaIndicator, MacdHistogram } from './indicators.js';
import type { RiskParams, V25Params } from './params.js';
import { BUCKET_MS, MINUTE_MS, istDate, istMinuteOfDay, parseHhmm } from './time.js';
import type { Candle, ClosedTrade, DayContracts, ExitReason, OpenPosition, OptionContract, Side, Tick } from './types.js';
import { NIFTY_INDEX_KEY } from './types.js';

export interface EngineOptions {
  params: V25Params;
  risk: RiskParams;
  calendar: MarketCalendar;
  indexKey?: string;
  /** Live: how long after a boundary late trades may still join the closing candle. 0 in backtest. */
  candleGraceMs?: number;
  /** Emit `candle` events (the ledger stores them); the backtest turns this off. */
  emitCandles?: boolean;
}

interface CandleBuilder extends Candle {
  filled: boolean;
}

interface PendingEntry {
  side: Side;
  /** Index candle whose close decided it; the order may fill only in the next bucket. */
  candleTs: number;
  atr: number;
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

export interface DayStats {
  entries: number;
  trades: number;
  wins: number;
  realized: number;
  charges: number;
  cancelledNoNextCandle: number;
}

const emptyDayStats = (): DayStats => ({ entries: 0, trades: 0, wins: 0, realized: 0, charges: 0, cancelledNoNextCandle: 0 });

export class Engine {
  private readonly p: V25Params;
  private readonly risk: RiskParams;
  private readonly indexKey: string;
  private readonly graceMs: number;
  private readonly emitCandles: boolean;
  private readonly entryStartMin: number;
  private readonly entryEndMin: number;
  private readonly eodMin: number;

  private ema: EmaIndicator;
  private macd: MacdHistogram;
  private chop: ChopIndicator;
  // hist(t−1) and hist(t−2); NaN while unknown (a histogram value is never NaN).
  private hist1 = NaN;
  private hist2 = NaN;
  private atr: Record<Side, DayAtr>;

  private out: EngineEvent[] = [];
  // Bucket starts and the spot as plain numbers, NaN for none (a number | null field boxes every
  // new value: three allocations per bucket in a backtest); view() and checkpoint() say null.
  /** Start of the bucket being built. */
  private curBucket = NaN;
  /** [bucketFrom, bucketTo) of the open bucket; both −∞ when none is open. */
  private bucketFrom = -Infinity;
  private bucketTo = -Infinity;
  /** Epoch ms of the EOD exit time on the open bucket's day: a tick at or after it is past EOD. */
  private eodTs = -Infinity;
  // Candle builders are reused bucket after bucket (`filled` false = no trade yet): a backtest
  // builds ~55,000 candles and they need not be garbage.
  private readonly indexBar: CandleBuilder = emptyBar();
  private readonly optionBars: Record<Side, CandleBuilder> = { CE: emptyBar(), PE: emptyBar() };

  private day: string | null = null;
  private contracts: DayContracts | null = null;
  private ceKey: string | null = null;
  private peKey: string | null = null;
  private position: OpenPosition | null = null;
  private positionContract: OptionContract | null = null;
  private pendingEntry: PendingEntry | null = null;
  private pendingExit: ExitReason | null = null;
  private halted = false;
  private haltReason: string | null = null;
  private guards = new Map<string, string>();
  private nextTradeId = 1;
  private lastClosedBucket = NaN;
  private stats: DayStats = emptyDayStats();
  private spot = NaN;
  private lateTicks = 0;

  /** The strategy and risk parameters this engine trades with (verify re-runs the day with the same). */
  get parameters(): { params: V25Params; risk: RiskParams } {
    return { params: this.p, risk: this.risk };
  }

  constructor(private readonly opts: EngineOptions) {
    this.p = opts.params;
    this.risk = opts.risk;
    this.indexKey = opts.indexKey ?? NIFTY_INDEX_KEY;
    this.graceMs = opts.candleGraceMs ?? 0;
    this.emitCandles = opts.emitCandles ?? true;
    this.entryStartMin = parseHhmm(this.p.entryStart);
    this.entryEndMin = parseHhmm(this.p.entryEnd);
    this.eodMin = parseHhmm(this.p.eodExit);
    this.ema = new EmaIndicator(this.p.emaPeriod);
    this.macd = new MacdHistogram(this.p.macdFast, this.p.macdSlow, this.p.macdSignal);
    this.chop = new ChopIndicator(this.p.chopPeriod);
    this.atr = { CE: new DayAtr(this.p.atrPeriod), PE: new DayAtr(this.p.atrPeriod) };
  }

  // ---------------------------------------------------------------- inputs

  /** Feeds a historical index candle to the indicators only (warm-up, recovery). No decisions. */
  warmIndexCandle(c: Candle): void {
    this.updateIndexIndicators(c);
  }

  /** Feeds today's earlier candle of a contract to its day ATR (recovery, mid-day start). */
  warmOptionCandle(side: Side, c: Candle): void {
    this.atr[side].next(c);
  }

  /** Forgets the index indicators, so that a late warm-up can replay the whole history in order. */
  resetIndexIndicators(): void {
    this.ema = new EmaIndicator(this.p.emaPeriod);
    this.macd = new MacdHistogram(this.p.macdFast, this.p.macdSlow, this.p.macdSignal);
    this.chop = new ChopIndicator(this.p.chopPeriod);
    this.hist1 = this.hist2 = NaN;
  }

  /** True once every indicator V25 reads has a value. */
  indicatorsWarm(): boolean {
    return this.ema.value !== undefined && this.macd.value !== undefined && !Number.isNaN(this.hist1) && !Number.isNaN(this.hist2) && this.chop.value !== undefined;
  }

  /** Sets the day's CE/PE pair (picked once per day). Starts the day if it is a new one. */
  setContracts(contracts: DayContracts, ts: number): readonly EngineEvent[] {
    this.rollDay(contracts.day, ts);
    if (this.contracts && this.contracts.day === contracts.day && this.contracts.CE.instrumentKey === contracts.CE.instrumentKey && this.contracts.PE.instrumentKey === contracts.PE.instrumentKey) return this.drain();
    this.contracts = contracts;
    this.ceKey = contracts.CE.instrumentKey;
    this.peKey = contracts.PE.instrumentKey;
    this.atr = { CE: new DayAtr(this.p.atrPeriod), PE: new DayAtr(this.p.atrPeriod) };
    this.optionBars.CE.filled = this.optionBars.PE.filled = false;
    return this.drain();
  }

  onTick(tick: Tick): readonly EngineEvent[] {
    const ts = tick.ts;
    if (ts < this.bucketFrom || ts >= this.bucketTo) {
      const bucket = ts - (ts % BUCKET_MS);
      if (bucket <= this.lastClosedBucket) {
        this.lateTicks++; // a trade from a candle already closed: too late to count
        return this.drain();
      }
      if (!Number.isNaN(this.curBucket)) this.closeBucket(ts);
      this.openBucket(bucket, ts);
    }
    const bucket = this.bucketFrom;
    if (tick.instrumentKey === this.indexKey) {
      extend(this.indexBar, bucket, tick);
      this.spot = tick.ltp;
      return this.drain();
    }
    const side = this.sideOf(tick.instrumentKey);
    if (!side) return this.drain();
    extend(this.optionBars[side], bucket, tick);
    this.onOptionTick(side, tick);
    return this.drain();
  }

  /**
   * A recorded candle as the four ticks a replay feeds (`candleTicks`: the open, then the low, high and
   * close as path ticks, all at the candle's start; the close carries the volume). Exactly four onTick
   * calls, in one: where those ticks could do no more than extend the candle (the index; a contract
   * without a position or a pending entry on it) they are folded into the candle at once.
   */
  onCandle(instrumentKey: string, c: Candle): readonly EngineEvent[] {
    const ts = c.ts;
    if (ts < this.bucketFrom || ts >= this.bucketTo) {
      const bucket = ts - (ts % BUCKET_MS);
      if (bucket <= this.lastClosedBucket) {
        this.lateTicks += 4;
        return this.drain();
      }
      if (!Number.isNaN(this.curBucket)) this.closeBucket(ts);
      this.openBucket(bucket, ts);
    }
    const bucket = this.bucketFrom;
    if (instrumentKey === this.indexKey) {
      extendByCandle(this.indexBar, bucket, c);
      this.spot = c.close;
      return this.drain();
    }
    const side = this.sideOf(instrumentKey);
    if (!side) return this.drain();
    const bar = this.optionBars[side];
    const pos = this.position;
    const pe = this.pendingEntry;
    if (pos === null ? pe === null || pe.side !== side : pos.side !== side) {
      extendByCandle(bar, bucket, c);
      return this.drain();
    }
    const tick = candleTick;
    tick.instrumentKey = instrumentKey;
    tick.ts = ts;
    tick.ltp = c.open;
    tick.path = false;
    tick.volume = 0;
    extend(bar, bucket, tick);
    this.onOptionTick(side, tick);
    tick.path = true;
    tick.ltp = c.low;
    extend(bar, bucket, tick);
    this.onOptionTick(side, tick);
    tick.ltp = c.high;
    extend(bar, bucket, tick);
    this.onOptionTick(side, tick);
    tick.ltp = c.close;
    tick.volume = c.volume;
    extend(bar, bucket, tick);
    this.onOptionTick(side, tick);
    return this.drain();
  }

  /**
   * Upstox's official candle of the open bucket replaces the one built from the ticks this box saw (it
   * started, reconnected or subscribed inside the candle), so the ATR, the indicators, the ledger and the
   * decision at its close all see the whole candle. What the seen ticks already did (a stop, a fill) stands.
   */
  completeCandle(instrumentKey: string, c: Candle): void {
    if (c.ts !== this.curBucket) return;
    const side = instrumentKey === this.indexKey ? null : this.sideOf(instrumentKey);
    const bar = instrumentKey === this.indexKey ? this.indexBar : side ? this.optionBars[side] : null;
    if (!bar) return;
    bar.filled = true;
    bar.ts = c.ts;
    bar.open = c.open;
    bar.high = c.high;
    bar.low = c.low;
    bar.close = c.close;
    bar.volume = c.volume;
  }

  /** Time passes: closes the current candle once its end (plus grace) is reached. */
  onClock(ts: number): readonly EngineEvent[] {
    if (ts >= this.curBucket + BUCKET_MS + this.graceMs) this.closeBucket(ts); // false while none is open (NaN)
    return this.drain();
  }

  /**
   * The day's data or session has ended: close the last candle, cancel pending orders, and exit an
   * open position at the contract's last price (SESSION_END). Safe to call twice.
   */
  endSession(ts: number): readonly EngineEvent[] {
    if (!Number.isNaN(this.curBucket)) this.closeBucket(ts);
    this.cancelPendingEntry(ts, 'SESSION_END');
    if (this.position) this.exit(this.position.ltp, this.position.ltpTs ?? ts, 'SESSION_END');
    this.pendingExit = null;
    return this.drain();
  }

  /** Kill switch: no new entries; an open position exits at the next price. Latched until resume. */
  halt(ts: number, reason: string, source: HaltSource): readonly EngineEvent[] {
    this.doHalt(ts, reason, source);
    return this.drain();
  }

  resume(ts: number, source: HaltSource): readonly EngineEvent[] {
    if (this.halted) {
      this.halted = false;
      this.haltReason = null;
      this.emit({ type: 'resume', ts, source });
    }
    return this.drain();
  }

  /** A guard (stale feed, clock, token …) blocks new entries while set. Alerts on change. */
  setGuard(code: string, active: boolean, ts: number, message: string, level: AlertLevel = 'warn'): readonly EngineEvent[] {
    if (active && this.guards.get(code) !== message) {
      const isNew = !this.guards.has(code);
      this.guards.set(code, message);
      if (isNew) this.emit({ type: 'alert', ts, level, code, message });
    } else if (!active && this.guards.has(code)) {
      this.guards.delete(code);
      this.emit({ type: 'alert', ts, level: 'info', code: `${code}_CLEARED`, message: `${message} (cleared)` });
    }
    return this.drain();
  }

  /** An alert from outside the core (feed, display, MQTT) so it is persisted and announced in order. */
  alert(ts: number, level: AlertLevel, code: string, message: string): readonly EngineEvent[] {
    this.emit({ type: 'alert', ts, level, code, message });
    return this.drain();
  }

  // ---------------------------------------------------------------- views

  view() {
    return {
      day: this.day,
      contracts: this.contracts,
      position: this.position,
      pendingEntry: this.pendingEntry,
      pendingExit: this.pendingExit,
      halted: this.halted,
      haltReason: this.haltReason,
      guards: Object.fromEntries(this.guards),
      stats: { ...this.stats },
      spot: nullIfNaN(this.spot),
      lateTicks: this.lateTicks,
      /** Start of the bucket being built (null between buckets). */
      openBucket: nullIfNaN(this.curBucket),
      indicators: { ema: this.ema.value, hist: this.macd.value, chop: this.chop.value, warm: this.indicatorsWarm() },
    };
  }

  checkpoint(): EngineCheckpoint {
    return {
      version: 1,
      day: this.day,
      contracts: this.contracts,
      position: this.position ? { ...this.position } : null,
      pendingEntry: this.pendingEntry,
      pendingExit: this.pendingExit,
      halted: this.halted,
      haltReason: this.haltReason,
      guards: Object.fromEntries(this.guards),
      nextTradeId: this.nextTradeId,
      lastClosedBucket: nullIfNaN(this.lastClosedBucket),
      dayStats: { ...this.stats },
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
    this.day = cp.day;
    this.contracts = cp.contracts;
    this.ceKey = cp.contracts?.CE.instrumentKey ?? null;
    this.peKey = cp.contracts?.PE.instrumentKey ?? null;
    this.position = cp.position ? { ...cp.position } : null;
    this.positionContract = cp.position && cp.contracts ? cp.contracts[cp.position.side] : null;
    this.pendingEntry = cp.pendingEntry;
    this.pendingExit = cp.pendingExit;
    this.halted = cp.halted;
    this.haltReason = cp.haltReason;
    this.guards = new Map();
    this.nextTradeId = cp.nextTradeId;
    this.lastClosedBucket = cp.lastClosedBucket ?? NaN;
    this.curBucket = NaN;
    this.bucketFrom = this.bucketTo = -Infinity;
    this.stats = { ...cp.dayStats };
    this.spot = cp.spot ?? NaN;
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
    if (this.day !== null) {
      // The previous day ended without endSession (a crash across midnight): settle it now.
      this.cancelPendingEntry(ts, 'SESSION_END');
      if (this.position) this.exit(this.position.ltp, this.position.ltpTs ?? ts, 'SESSION_END');
      this.pendingExit = null;
    }
    this.day = day;
    this.stats = emptyDayStats();
  }

  private openBucket(bucket: number, ts: number): void {
    this.curBucket = bucket;
    this.bucketFrom = bucket;
    this.bucketTo = bucket + BUCKET_MS;
    this.eodTs = bucket - istMinuteOfDay(bucket) * MINUTE_MS + this.eodMin * MINUTE_MS;
    this.indexBar.filled = this.optionBars.CE.filled = this.optionBars.PE.filled = false;
    const day = istDate(bucket);
    if (day !== this.day) this.rollDay(day, ts);
  }

  private onOptionTick(side: Side, tick: Tick): void {
    const pos = this.position;
    if (pos === null) {
      const pe = this.pendingEntry;
      if (pe !== null && pe.side === side && tick.ts >= pe.candleTs + BUCKET_MS && tick.ts < this.eodTs) this.fillEntry(side, tick, pe);
      return;
    }
    if (pos.side !== side) return;
    pos.ltp = tick.ltp;
    pos.ltpTs = tick.ts;
    const sellPrice = tick.path ? tick.ltp : (tick.bid ?? tick.ltp);
    if (this.pendingExit) return this.exit(sellPrice, tick.ts, this.pendingExit);
    if (tick.ts >= this.eodTs) return this.exit(sellPrice, tick.ts, 'EOD');
    if (tick.ltp <= pos.sl) {
      // A path tick reached the stop continuously: it fills at the stop. A gap (an open, a live trade) fills at the trade.
      return this.exit(tick.path ? pos.sl : sellPrice, tick.ts, pos.tp1Hit ? 'LOCK_SL' : 'SL');
    }
    if (!pos.tp1Hit && tick.ltp >= pos.tp1) {
      pos.tp1Hit = true;
      pos.sl = pos.entryPrice + this.p.lockPoints[side];
      this.emit({ type: 'position', ts: tick.ts, position: { ...pos }, change: 'TP1' });
    }
    if (this.risk.dailyLossLimit > 0) this.checkDailyLoss(tick.ts);
  }

  private fillEntry(side: Side, tick: Tick, pe: PendingEntry): void {
    const contract = this.contracts![side];
    const price = (tick.path ? tick.ltp : (tick.ask ?? tick.ltp)) + this.p.slippagePoints;
    const quantity = this.p.lots * contract.lotSize;
    this.pendingEntry = null;
    this.positionContract = contract;
    this.position = {
      tradeId: this.nextTradeId++,
      side,
      instrumentKey: contract.instrumentKey,
      quantity,
      entryTime: tick.ts,
      entryPrice: price,
      sl: price - this.p.slAtrMult * pe.atr,
      tp1: price + this.p.tp1Points[side],
      tp1Hit: false,
      ltp: tick.ltp,
      ltpTs: tick.ts,
      signalCandleTs: pe.candleTs,
    };
    this.stats.entries++;
    this.emit({ type: 'entry', ts: tick.ts, position: { ...this.position } });
  }

  /** Closes the position: a sell at `price` less slippage, never below one tick (v25.md "Exits"). */
  private exit(price: number, ts: number, reason: ExitReason): void {
    const pos = this.position!;
    const contract = this.positionContract!;
    const exitPrice = sellFill(price, this.p.slippagePoints);
    const points = exitPrice - pos.entryPrice;
    const grossPnl = points * pos.quantity;
    const day = istDate(pos.entryTime);
    const breakdown = roundTripCharges(day, pos.entryPrice * pos.quantity, exitPrice * pos.quantity);
    const trade: ClosedTrade = {
      tradeId: pos.tradeId,
      day,
      side: pos.side,
      instrumentKey: pos.instrumentKey,
      strike: contract.strike,
      expiry: contract.expiry,
      quantity: pos.quantity,
      entryTime: pos.entryTime,
      entryPrice: pos.entryPrice,
      exitTime: ts,
      exitPrice,
      reason,
      points,
      grossPnl,
      charges: breakdown.total,
      netPnl: grossPnl - breakdown.total,
      chargeBreakdown: breakdown,
      // The sale's slippage is what the floor left of it: against the fill at zero slippage.
      slippageCost: (this.p.slippagePoints + sellFill(price, 0) - exitPrice) * pos.quantity,
    };
    this.position = null;
    this.positionContract = null;
    this.pendingExit = null;
    this.stats.trades++;
    if (trade.netPnl > 0) this.stats.wins++;
    this.stats.realized += grossPnl;
    this.stats.charges += breakdown.total;
    this.emit({ type: 'exit', ts, trade });
    if (this.risk.dailyLossLimit > 0) this.checkDailyLoss(ts);
  }

  private checkDailyLoss(ts: number): void {
    if (this.halted) return;
    const pos = this.position;
    const unrealized = pos ? (pos.ltp - pos.entryPrice) * pos.quantity : 0;
    const net = this.stats.realized - this.stats.charges + unrealized;
    if (net <= -this.risk.dailyLossLimit) {
      this.emit({ type: 'alert', ts, level: 'error', code: 'DAILY_LOSS_LIMIT', message: `Daily loss limit ₹${this.risk.dailyLossLimit} reached (net ₹${net.toFixed(2)}): trading halted` });
      this.doHalt(ts, 'daily loss limit', 'guard');
    }
  }

  private doHalt(ts: number, reason: string, source: HaltSource): void {
    if (!this.halted) {
      this.halted = true;
      this.haltReason = reason;
      this.emit({ type: 'halt', ts, reason, source });
    }
    this.cancelPendingEntry(ts, 'HALT');
    if (this.position && this.pendingExit === null) this.pendingExit = 'HALT';
  }

  private cancelPendingEntry(ts: number, reason: 'NO_NEXT_CANDLE' | 'SESSION_END' | 'HALT'): void {
    if (!this.pendingEntry) return;
    if (reason === 'NO_NEXT_CANDLE') this.stats.cancelledNoNextCandle++;
    this.emit({ type: 'order_cancelled', ts, side: this.pendingEntry.side, kind: 'entry', reason });
    this.pendingEntry = null;
  }

  private updateIndexIndicators(c: Candle): void {
    this.hist2 = this.hist1;
    this.hist1 = this.macd.value ?? NaN;
    this.ema.next(c.close);
    this.macd.next(c.close);
    this.chop.next(c);
  }

  private closeBucket(ts: number): void {
    const t = this.curBucket;
    this.curBucket = NaN;
    this.bucketFrom = this.bucketTo = -Infinity;
    if (t <= this.lastClosedBucket) return; // already decided (restart); false while none closed (NaN)
    this.lastClosedBucket = t;
    const closeTs = t + BUCKET_MS;

    for (const side of SIDES) {
      const bar = this.optionBars[side];
      if (!bar.filled) continue;
      this.atr[side].next(bar);
      if (this.emitCandles) this.emit({ type: 'candle', ts: closeTs, instrumentKey: this.contracts![side].instrumentKey, candle: candleOf(bar) });
    }
    // An entry decided at an earlier close whose next candle never traded is cancelled.
    if (this.pendingEntry && this.pendingEntry.candleTs < t) this.cancelPendingEntry(closeTs, 'NO_NEXT_CANDLE');

    const bar = this.indexBar;
    if (!bar.filled) return;
    if (this.emitCandles) this.emit({ type: 'candle', ts: closeTs, instrumentKey: this.indexKey, candle: candleOf(bar) });
    this.updateIndexIndicators(bar);
    if (!this.indicatorsWarm()) return;
    const ema = this.ema.value!;
    const hist = this.macd.value!;
    const chop = this.chop.value!;

    const pos = this.position;
    if (pos && pos.tp1Hit && this.pendingExit === null) {
      const reverse = pos.side === 'CE' ? bar.close < ema || hist < 0 : bar.close > ema || hist > 0;
      if (reverse) {
        this.pendingExit = 'REVERSAL';
        this.emit({ type: 'signal', ts: closeTs, candleTs: t, kind: 'reversal', side: pos.side, action: 'taken', close: bar.close, ema, hist, chop });
      }
    }
    if (this.position || this.pendingEntry || !this.contracts) return;
    const minute = istMinuteOfDay(t);
    if (minute < this.entryStartMin || minute > this.entryEndMin || !(chop < this.p.chopMax)) return;
    let side: Side | null = null;
    if (hist > this.hist1 && this.hist1 > this.hist2 && bar.close > ema) side = 'CE';
    else if (hist < this.hist1 && this.hist1 < this.hist2 && bar.close < ema) side = 'PE';
    if (!side) return;

    const blockedBy = this.entryBlockers();
    const signal = { type: 'signal', ts: closeTs, candleTs: t, kind: 'entry', side, close: bar.close, ema, hist, chop } as const;
    if (blockedBy.length) {
      this.emit({ ...signal, action: 'blocked', blockedBy });
      return;
    }
    this.emit({ ...signal, action: 'taken' });
    this.pendingEntry = { side, candleTs: t, atr: this.atr[side].value ?? NaN };
    if (!(this.pendingEntry.atr >= 0)) this.cancelPendingEntry(closeTs, 'NO_NEXT_CANDLE'); // no option candle yet: no ATR, no stop
  }

  private entryBlockers(): string[] {
    const out: string[] = [];
    if (this.halted) out.push('HALTED');
    for (const code of this.guards.keys()) out.push(code);
    if (this.risk.maxTradesPerDay > 0 && this.stats.entries >= this.risk.maxTradesPerDay) out.push('MAX_TRADES');
    return out;
  }
}

/** The NSE tick for NIFTY options: no sale fills below it. */
export const MIN_SALE_PRICE = 0.05;

/** A sale at `price` less slippage, floored at one tick. A stop's level stays exact (off the 0.05 grid is fine). */
export function sellFill(price: number, slippagePoints: number): number {
  return Math.max(MIN_SALE_PRICE, price - slippagePoints);
}

const SIDES = ['CE', 'PE'] as const;
/** onCandle's ticks, one object reused: the engine copies the fields it keeps. */
const candleTick: Tick = { instrumentKey: '', ts: 0, ltp: 0, path: false, volume: 0 };
const EMPTY: readonly EngineEvent[] = Object.freeze([]);

function nullIfNaN(x: number): number | null {
  return Number.isNaN(x) ? null : x;
}

function candleOf(b: CandleBuilder): Candle {
  return { ts: b.ts, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume };
}

function emptyBar(): CandleBuilder {
  return { ts: 0, open: 0, high: 0, low: 0, close: 0, volume: 0, filled: false };
}

/** `extend` by the ticks open, low, high, close (volume 0, 0, 0, the candle's): the same comparisons in the same order. */
function extendByCandle(bar: CandleBuilder, bucket: number, c: Candle): void {
  let high: number;
  let low: number;
  let volume: number;
  if (!bar.filled) {
    bar.filled = true;
    bar.ts = bucket;
    bar.open = high = low = c.open;
    volume = 0;
  } else {
    high = bar.high;
    low = bar.low;
    volume = bar.volume;
    if (c.open > high) high = c.open;
    if (c.open < low) low = c.open;
  }
  if (c.low > high) high = c.low;
  if (c.low < low) low = c.low;
  if (c.high > high) high = c.high;
  if (c.high < low) low = c.high;
  if (c.close > high) high = c.close;
  if (c.close < low) low = c.close;
  bar.high = high;
  bar.low = low;
  bar.close = c.close;
  bar.volume = volume + c.volume;
}

function extend(bar: CandleBuilder, bucket: number, tick: Tick): void {
  const px = tick.ltp;
  const vol = tick.volume ?? 0;
  if (!bar.filled) {
    bar.filled = true;
    bar.ts = bucket;
    bar.open = bar.high = bar.low = bar.close = px;
    bar.volume = vol;
    return;
  }
  if (px > bar.high) bar.high = px;
  if (px < bar.low) bar.low = px;
  bar.close = px;
  bar.volume += vol;
}
