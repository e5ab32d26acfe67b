import { describe, expect, it } from 'vitest';
import { candleTicks } from '../../src/core/candle-ticks.js';
import { MarketCalendar } from '../../src/core/calendar.js';
import { Engine, type EngineCheckpoint } from '../../src/core/engine.js';
import type { EngineEvent, ExitEvent } from '../../src/core/events.js';
import { DEFAULT_RISK, DEFAULT_V25 } from '../../src/core/params.js';
import { istTime } from '../../src/core/time.js';
import type { Candle, DayContracts } from '../../src/core/types.js';
import { chooseStrategy } from '../../src/core/strategies/index.js';

const DAY = '2025-06-02';
const contracts: DayContracts = {
  day: DAY,
  CE: { instrumentKey: 'NSE_FO|1', side: 'CE', strike: 24550, expiry: '2025-06-05', lotSize: 75 },
  PE: { instrumentKey: 'NSE_FO|2', side: 'PE', strike: 24550, expiry: '2025-06-05', lotSize: 75 },
};
const at = (hhmm: string) => istTime(DAY, hhmm);
const bar = (hhmm: string, open: number, high: number, low: number, close: number): Candle => ({
  ts: at(hhmm),
  open,
  high,
  low,
  close,
  volume: 0,
});

/** An engine holding a PE bought at 100 with SL 90 and TP1 110 (lock 108), as after a restart. */
function holdingPut(extra: Partial<EngineCheckpoint> = {}, params = DEFAULT_V25, risk = DEFAULT_RISK) {
  const engine = new Engine({
    strategy: chooseStrategy('v25', params),
    risk,
    calendar: new MarketCalendar(),
    emitCandles: false,
  });
  engine.restore({
    version: 1,
    day: DAY,
    contracts,
    position: {
      tradeId: 7,
      side: 'PE',
      instrumentKey: 'NSE_FO|2',
      quantity: 75,
      entryTime: at('10:00'),
      entryPrice: 100,
      sl: 90,
      tp1: 110,
      tp1Hit: false,
      ltp: 100,
      signalCandleTs: at('09:55'),
    },
    pendingEntry: null,
    pendingExit: null,
    halted: false,
    haltReason: null,
    guards: {},
    nextTradeId: 8,
    lastClosedBucket: null,
    dayStats: { entries: 1, trades: 0, wins: 0, realized: 0, charges: 0, cancelledNoNextCandle: 0 },
    spot: null,
    ...extra,
  });
  return engine;
}

function replay(engine: Engine, key: string, c: Candle): EngineEvent[] {
  const out: EngineEvent[] = [];
  for (const t of candleTicks(key, c)) out.push(...engine.onTick(t));
  out.push(...engine.onClock(c.ts + 300_000));
  return out;
}
const exits = (ev: EngineEvent[]) => ev.filter((e): e is ExitEvent => e.type === 'exit').map((e) => e.trade);

describe('engine fills (a bought put is a long option: it profits when its premium rises)', () => {
  it('a stop crossed on the path fills at the stop, less slippage', () => {
    const [t] = exits(replay(holdingPut(), 'NSE_FO|2', bar('10:05', 95, 96, 85, 88)));
    expect(t).toMatchObject({ reason: 'SL', exitPrice: 89.5, points: -10.5, quantity: 75, side: 'PE' });
    expect(t!.grossPnl).toBeCloseTo(-787.5, 9);
    expect(t!.netPnl).toBeLessThan(t!.grossPnl); // charges are paid
  });

  it('an open that gaps through the stop fills at the open, not at the stop', () => {
    const [t] = exits(replay(holdingPut(), 'NSE_FO|2', bar('10:05', 80, 84, 78, 83)));
    expect(t).toMatchObject({ reason: 'SL', exitPrice: 79.5 });
  });

  it('TP1 locks the stop at entry + lock; a close back through it exits LOCK_SL in the same candle', () => {
    const [t] = exits(replay(holdingPut(), 'NSE_FO|2', bar('10:05', 101, 112, 99, 105)));
    expect(t).toMatchObject({ reason: 'LOCK_SL', exitPrice: 107.5, points: 7.5 });
  });

  it('TP1 without a close through the lock keeps the position with the locked stop', () => {
    const engine = holdingPut();
    const ev = replay(engine, 'NSE_FO|2', bar('10:05', 101, 112, 99, 111));
    expect(exits(ev)).toEqual([]);
    expect(engine.view().position).toMatchObject({ tp1Hit: true, sl: 108 });
    expect(ev.some((e) => e.type === 'position')).toBe(true);
  });

  it('exits at the open of the first candle at or after 15:25 (EOD)', () => {
    const [t] = exits(replay(holdingPut(), 'NSE_FO|2', bar('15:25', 104, 120, 95, 100)));
    expect(t).toMatchObject({ reason: 'EOD', exitPrice: 103.5 });
  });

  it('end of session data exits at the last close (SESSION_END)', () => {
    const engine = holdingPut();
    replay(engine, 'NSE_FO|2', bar('14:40', 101, 104, 99, 103));
    const [t] = exits([...engine.endSession(at('14:45'))]);
    expect(t).toMatchObject({ reason: 'SESSION_END', exitPrice: 102.5 });
  });
});

describe('halt and guards', () => {
  it('halt exits the open position at the next price and blocks entries until resumed', () => {
    const engine = holdingPut();
    const ev = [...engine.halt(at('10:03'), 'button pressed', 'button')];
    expect(ev).toEqual([{ type: 'halt', ts: at('10:03'), reason: 'button pressed', source: 'button' }]);
    const [t] = exits([...engine.onTick({ instrumentKey: 'NSE_FO|2', ts: at('10:03') + 500, ltp: 101.2, bid: 101 })]);
    expect(t).toMatchObject({ reason: 'HALT', exitPrice: 100.5 }); // the bid, less slippage
    expect(engine.view().halted).toBe(true);
    expect(engine.checkpoint().halted).toBe(true);
    expect([...engine.resume(at('10:10'), 'cli')]).toEqual([{ type: 'resume', ts: at('10:10'), source: 'cli' }]);
    expect(engine.view().halted).toBe(false);
  });

  it('a live stop triggers on the first trade through it and fills at that trade', () => {
    const [t] = exits([...holdingPut().onTick({ instrumentKey: 'NSE_FO|2', ts: at('10:06'), ltp: 87 })]);
    expect(t).toMatchObject({ reason: 'SL', exitPrice: 86.5 });
  });

  it('guards raise an alert once and clear with an info alert', () => {
    const engine = holdingPut();
    const on = [...engine.setGuard('CLOCK_UNSYNCED', true, 1, 'clock not synced')];
    expect(on).toMatchObject([{ type: 'alert', code: 'CLOCK_UNSYNCED', level: 'warn' }]);
    expect([...engine.setGuard('CLOCK_UNSYNCED', true, 2, 'clock not synced')]).toEqual([]);
    expect(engine.view().guards).toEqual({ CLOCK_UNSYNCED: 'clock not synced' });
    expect([...engine.setGuard('CLOCK_UNSYNCED', false, 3, 'clock not synced')]).toMatchObject([
      { code: 'CLOCK_UNSYNCED_CLEARED', level: 'info' },
    ]);
  });

  it('daily loss limit halts automatically', () => {
    const engine = holdingPut({}, DEFAULT_V25, { dailyLossLimit: 500, maxTradesPerDay: 0 });
    const ev = replay(engine, 'NSE_FO|2', bar('10:05', 95, 96, 85, 88));
    expect(ev.map((e) => e.type)).toEqual(['exit', 'alert', 'halt']);
    expect(ev[2]).toMatchObject({ source: 'guard', reason: 'daily loss limit' });
  });

  it('max trades per day blocks further entries with a logged, blocked decision', () => {
    // An uptrend warms the indicators; the CE signal that follows is blocked by MAX_TRADES.
    const engine = new Engine({
      strategy: chooseStrategy('v25'),
      risk: { dailyLossLimit: 0, maxTradesPerDay: 1 },
      calendar: new MarketCalendar(),
      emitCandles: false,
    });
    engine.restore({
      ...holdingPut().checkpoint(),
      position: null,
      dayStats: { entries: 1, trades: 1, wins: 0, realized: 0, charges: 0, cancelledNoNextCandle: 0 },
    });
    let px = 24000;
    const signals: EngineEvent[] = [];
    for (let i = 0; i < 60; i++) {
      const ts = at('09:15') - 60 * 300_000 + i * 300_000; // warm on the previous hours…
      engine.warmIndexCandle({
        ts,
        open: px,
        high: px + 3,
        low: px - 3,
        close: px + (i % 7 === 0 ? -2 : 1),
        volume: 0,
      });
      px += i % 7 === 0 ? -2 : 1;
    }
    for (let i = 0; i < 20 && signals.length === 0; i++) {
      const ts = at('09:30') + i * 300_000;
      const step = 2 + i * 1.5; // …then an accelerating rise: hist rising three in a row, close above EMA
      const ev: EngineEvent[] = [];
      for (const t of candleTicks('NSE_FO|1', { ts, open: 100, high: 101, low: 99, close: 100, volume: 0 }))
        ev.push(...engine.onTick(t));
      for (const t of candleTicks('NSE_INDEX|Nifty 50', {
        ts,
        open: px,
        high: px + step + 1,
        low: px - 1,
        close: px + step,
        volume: 0,
      }))
        ev.push(...engine.onTick(t));
      ev.push(...engine.onClock(ts + 300_000));
      px += step;
      signals.push(...ev.filter((e) => e.type === 'signal'));
    }
    expect(signals[0]).toMatchObject({
      type: 'signal',
      kind: 'entry',
      side: 'CE',
      action: 'blocked',
      blockedBy: ['MAX_TRADES'],
    });
    expect(engine.view().pendingEntry).toBeNull();
  });
});

describe('issue 10: guards are facts about now; candles completed from Upstox', () => {
  it('restore carries the halt, the position and pending orders, but no guard (each is checked afresh)', () => {
    const a = new Engine({ strategy: chooseStrategy('v25'), risk: DEFAULT_RISK, calendar: new MarketCalendar() });
    a.setContracts(contracts, at('09:15'));
    a.setGuard('TOKEN_EXPIRED', true, at('11:00'), 'Upstox token expired');
    a.setGuard('BUTTON_UNAVAILABLE', true, at('11:00'), 'no kill switch');
    a.halt(at('11:01'), 'pressed', 'button');
    const cp = a.checkpoint();
    expect(Object.keys(cp.guards)).toEqual(['TOKEN_EXPIRED', 'BUTTON_UNAVAILABLE']);
    const b = new Engine({ strategy: chooseStrategy('v25'), risk: DEFAULT_RISK, calendar: new MarketCalendar() });
    b.restore(cp);
    expect(b.view().guards).toEqual({});
    expect(b.view().halted).toBe(true);
    expect(b.view().contracts).toEqual(contracts);
  });

  it("completeCandle replaces the open bucket's built candle with the official one before its close uses it", () => {
    const e = new Engine({ strategy: chooseStrategy('v25'), risk: DEFAULT_RISK, calendar: new MarketCalendar() });
    e.setContracts(contracts, at('09:15'));
    // the box saw only the end of the 12:20 candle
    e.onTick({ instrumentKey: contracts.PE.instrumentKey, ts: at('12:22') + 30_000, ltp: 91.8 });
    e.onTick({ instrumentKey: contracts.PE.instrumentKey, ts: at('12:23'), ltp: 99 });
    e.onTick({ instrumentKey: contracts.PE.instrumentKey, ts: at('12:24'), ltp: 95.7 });
    expect(e.view().openBucket).toBe(at('12:20'));
    e.completeCandle(contracts.PE.instrumentKey, bar('12:20', 94.9, 99, 89.7, 95.7));
    e.completeCandle(contracts.PE.instrumentKey, bar('12:15', 1, 1, 1, 1)); // not the open bucket: ignored
    const events = e.onClock(at('12:25') + 1);
    const pe = events.find((x) => x.type === 'candle' && x.instrumentKey === contracts.PE.instrumentKey);
    expect(pe).toMatchObject({ candle: { open: 94.9, high: 99, low: 89.7, close: 95.7 } });
  });
});
