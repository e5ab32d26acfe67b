/**
 * Contract picker: the day's ATM CE/PE pair from the day's first index trade at or after the open (the
 * tick itself when the feed was up before the open, else the open of the day's first intraday candle —
 * a mid-day start), subscribed, with the pair's earlier candles of the day warming its day ATR. A
 * restart keeps the pair picked at the open (it is in the checkpoint).
 */
import { bucketOf } from '../../core/candle-builder.js';
import { candleTicks } from '../../core/candle-ticks.js';
import { pickAtmPair } from '../../core/contracts.js';
import { istDate } from '../../core/time.js';
import { NIFTY_INDEX_KEY, type DayContracts } from '../../core/types.js';
import { TokenExpired } from '../../feed/upstox/index.js';
import type { LiveSession } from '../live-session.js';
import type { Component, ComponentContext } from './component.js';

/** A failed pick is tried again on a later index tick, at most this often. */
const RETRY_MS = 30_000;

export class ContractPicker implements Component {
  readonly name = 'contract-picker';
  private contractsDay: string | null = null;
  private lastPickAttempt = 0;
  /** When the feed last connected (market time), and the day it was up before the open of. */
  private connectedAt: number | null = null;
  private sawOpenDay: string | null = null;

  constructor(private readonly s: LiveSession) {}

  start(ctx: ComponentContext): void {
    const restored = this.s.loop.engine.view().contracts;
    if (restored && restored.day === istDate(this.s.now())) {
      this.contractsDay = restored.day; // restarted mid-day: keep the pair picked at the open (it is in the checkpoint)
      this.s.o.stream.subscribe([restored.CE.instrumentKey, restored.PE.instrumentKey], 'full');
    }
    ctx.on('feedConnected', (ts) => (this.connectedAt = ts));
    ctx.on('indexTick', (t) => {
      this.noteOpen(t.ts);
      this.maybePick(ctx, t.ltp, t.ts);
    });
  }

  /** An index trade in session while the feed has been up since before the open: the day's first trade was seen. */
  private noteOpen(ts: number): void {
    if (!this.s.inSessionAt(ts)) return;
    const day = istDate(ts);
    const upBeforeOpen = this.connectedAt !== null && this.connectedAt <= this.s.o.calendar.session(day)!.openTs;
    if (this.sawOpenDay !== day && upBeforeOpen) this.sawOpenDay = day;
  }

  private maybePick(ctx: ComponentContext, spot: number, ts: number): void {
    const s = this.s;
    const day = istDate(ts);
    const session = s.o.calendar.session(day);
    if (!session || ts < session.openTs || ts >= session.closeTs) return;
    if (this.contractsDay === day) return;
    const existing = s.loop.engine.view().contracts;
    if (existing && existing.day === day) {
      // Restarted mid-day: keep the pair picked at the open (it is in the checkpoint).
      this.contractsDay = day;
      s.o.stream.subscribe([existing.CE.instrumentKey, existing.PE.instrumentKey], 'full');
      return;
    }
    if (s.now() - this.lastPickAttempt < RETRY_MS) return;
    this.lastPickAttempt = s.now();
    const firstTrade = this.sawOpenDay === day && bucketOf(ts) === session.openTs ? spot : null;
    void s.gate.hold(() => this.pick(ctx, day, firstTrade, ts));
  }

  private async pick(ctx: ComponentContext, day: string, firstTrade: number | null, ts: number): Promise<void> {
    const s = this.s;
    const { loop, o } = s;
    try {
      let spot = firstTrade;
      if (spot === null) {
        const session = o.calendar.session(day)!;
        const first = (await o.rest.intradayCandles(NIFTY_INDEX_KEY, 'minutes', 5))
          .filter((c) => istDate(c.ts) === day && c.ts >= session.openTs)
          .sort((a, b) => a.ts - b.ts)[0];
        if (!first) throw new Error(`Upstox has no intraday index candle of ${day} yet`);
        spot = first.open;
      }
      const expiry = o.calendar.weeklyExpiry(day);
      const listed = await o.rest.optionContracts(NIFTY_INDEX_KEY, expiry);
      const pair = pickAtmPair(listed, spot, expiry);
      if (!pair) {
        loop.alert('warn', 'ATM_PICK', `no ATM CE/PE listed for spot ${spot} expiry ${expiry}: staying flat, retrying`);
        return;
      }
      const contracts: DayContracts = { day, CE: pair.CE, PE: pair.PE };
      loop.setContracts(contracts, ts);
      this.contractsDay = day;
      o.stream.subscribe([pair.CE.instrumentKey, pair.PE.instrumentKey], 'full');
      o.log.info('ATM pair picked', {
        day,
        spot,
        firstTrade: firstTrade !== null,
        CE: pair.CE.instrumentKey,
        PE: pair.PE.instrumentKey,
        strike: pair.CE.strike,
        expiry,
      });
      // The pair's earlier candles of the day feed its day ATR (official, closed); the candle in progress was
      // not seen from its first second (the subscription starts now): it is completed at its close.
      const current = loop.engine.view().openBucket ?? bucketOf(s.now());
      for (const side of ['CE', 'PE'] as const) {
        const candles = await s.todaysCandles(pair[side].instrumentKey, day);
        for (const c of candles) {
          if (c.ts < current) loop.engine.warmOptionCandle(side, c);
          else if (c.ts === current) for (const t of candleTicks(pair[side].instrumentKey, c)) loop.tick(t);
        }
      }
      ctx.bus.emit('partialCandle', current);
    } catch (err) {
      if (err instanceof TokenExpired) ctx.bus.emit('tokenExpired', err);
      else loop.alert('warn', 'ATM_PICK', `could not pick the ATM pair: ${(err as Error).message}; retrying`);
    }
  }
}
