/**
 * The heart of the appliance: every input goes to the one Engine, every event batch is committed
 * to the ledger in one transaction, and only then do the outputs (OLED, buzzer, MQTT, console)
 * hear of it. Nothing here waits on a peripheral.
 */
import { type AlertCode, type GuardCode, alertCodesWhere } from '../core/alerts.js';
import type { MarketCalendar } from '../core/calendar.js';
import { paise } from '../core/charges.js';
import { contractName } from '../core/contracts.js';
import { greeksOf, tradingYearsToExpiry, type Greeks } from '../core/greeks.js';
import type { Engine, EngineCheckpoint } from '../core/engine.js';
import type { EngineEvent, HaltSource } from '../core/events.js';
import type { ApplianceMode, ApplianceState, SessionPhase } from '../core/state.js';
import type { DayContracts, Tick } from '../core/types.js';
import type { Logger } from '../log.js';
import type { ControlPort, Output } from '../output.js';
import { LedgerWriteError, type Ledger } from '../store/ledger.js';
import type { VerifyVerdict } from './verify-day.js';

/** What the engine does not know: feed, clock and session status, kept current by the app. */
export interface LinkStatus {
  feedConnected: boolean;
  lastTickTs: number | null;
  clockSynced: boolean;
  clockSkewMs: number | null;
  session: SessionPhase;
  loginUrl: string | null;
  /** The last daily report's verify verdict (live trades vs the backtest of the day's candles). */
  verify?: VerifyVerdict | null;
  /** Whether a working kill switch exists (the device tells; 'ok' until it does). */
  killSwitch: 'ok' | 'no kill switch' | 'not working';
  /**
   * The last IV and Greeks Upstox's feed sent per option instrument (its `full` and `option_greeks` modes carry them).
   */
  feedGreeks?: Map<string, Greeks>;
}

type PositionGreeks = (Greeks & { source: 'upstox' | 'black76' }) | null;
const roundGreeks = (g: Greeks): Greeks => ({
  iv: paise(g.iv),
  delta: Math.round(g.delta * 1e4) / 1e4,
  gamma: Math.round(g.gamma * 1e6) / 1e6,
  theta: paise(g.theta),
  vega: paise(g.vega),
});

/** Guards listed in the state's alarms (MQTT, page, OLED, buzzer): the table in core/alerts.ts says which. */
const ALARM_CODES: ReadonlySet<string> = alertCodesWhere((a) => a.guard && a.stateAlarm);

export class TradingLoop implements ControlPort {
  readonly status: LinkStatus = {
    feedConnected: false,
    lastTickTs: null,
    clockSynced: true,
    clockSkewMs: null,
    session: 'closed',
    loginUrl: null,
    killSwitch: 'ok',
  };
  private readonly outputs: Output[] = [];
  /** Batches the ledger could not take (disk full): retried ahead of the next commit. */
  private unpersisted: EngineEvent[] = [];
  private lastStateKey = '';
  commits = 0;
  /** Monotonic ms of the last tick, clock step or source heartbeat, and since when a batch waits for the disk. */
  private lastInputAt = performance.now();
  private unpersistedSince: number | null = null;
  private readonly sessionEndListeners = new Set<(closeTs: number) => void>();
  /** At most this many events wait for a failing disk; older ones (candles first) go, with an error. */
  static readonly MAX_UNPERSISTED = 10_000;

  constructor(
    readonly engine: Engine,
    private readonly ledger: Ledger,
    private readonly log: Logger,
    private readonly now: () => number,
    readonly deviceId: string,
    readonly mode: ApplianceMode,
  ) {}

  private greeksModel: { calendar: MarketCalendar; riskFreeRate: number } | null = null;

  /** Computes the held option's Greeks (Black-76) when the feed does not send them. */
  setGreeksModel(m: { calendar: MarketCalendar; riskFreeRate: number }): void {
    this.greeksModel = m;
  }

  private heldGreeks(
    contract: { side: 'CE' | 'PE'; strike: number; expiry: string; instrumentKey: string },
    ltp: number,
    spot: number | null,
    now: number,
  ): PositionGreeks {
    const fed = this.status.feedGreeks?.get(contract.instrumentKey);
    if (fed) return { ...fed, source: 'upstox' };
    if (!this.greeksModel || spot === null) return null;
    const years = tradingYearsToExpiry(this.greeksModel.calendar, now, contract.expiry);
    const g = greeksOf({
      isCall: contract.side === 'CE',
      price: ltp,
      spot,
      strike: contract.strike,
      years,
      rate: this.greeksModel.riskFreeRate,
    });
    return g ? { ...roundGreeks(g), source: 'black76' } : null;
  }

  addOutput(o: Output): void {
    this.outputs.push(o);
  }

  /** Takes an output off the loop (it is closing): nothing more reaches it. */
  removeOutput(o: Output): void {
    const i = this.outputs.indexOf(o);
    if (i >= 0) this.outputs.splice(i, 1);
  }

  // ------------------------------------------------------------- inputs

  tick(t: Tick): void {
    this.status.lastTickTs = t.ts;
    this.lastInputAt = performance.now();
    this.apply(this.engine.onTick(t));
  }

  clock(ts: number): void {
    this.lastInputAt = performance.now();
    this.apply(this.engine.onClock(ts));
  }

  /** The source's timer turned with nothing held up (the feed may be quiet): the pipeline is alive. */
  heartbeat(): void {
    this.lastInputAt = performance.now();
  }

  /**
   * For the systemd watchdog: why the pipeline is stuck, or null. During the session ticks, clock steps or
   * source heartbeats must reach the loop, and a batch must not wait for the disk, for longer than `stallMs`.
   */
  unhealthy(stallMs: number, now = performance.now()): string | null {
    if (this.status.session === 'open' && now - this.lastInputAt > stallMs)
      return `no tick or clock step reached the engine for ${Math.round((now - this.lastInputAt) / 1000)} s`;
    if (this.unpersistedSince !== null && now - this.unpersistedSince > stallMs)
      return `the ledger has not committed for ${Math.round((now - this.unpersistedSince) / 1000)} s`;
    return null;
  }

  setContracts(c: DayContracts, ts: number): void {
    this.apply(this.engine.setContracts(c, ts));
  }

  /** Ends the trading session at `ts` (the close); then those listening (the ledger backups) hear of it. */
  endSession(ts: number): void {
    this.apply(this.engine.endSession(ts));
    for (const fn of [...this.sessionEndListeners]) {
      try {
        fn(ts);
      } catch (err) {
        this.log.error('a session-end listener threw', { error: (err as Error).message });
      }
    }
  }

  /** Calls `fn` after each session's end; returns the unsubscribe. */
  onSessionEnd(fn: (closeTs: number) => void): () => void {
    this.sessionEndListeners.add(fn);
    return () => this.sessionEndListeners.delete(fn);
  }

  setGuard(code: GuardCode, active: boolean, message: string, level: 'warn' | 'error' = 'warn'): void {
    this.apply(this.engine.setGuard(code, active, this.now(), message, level));
  }

  /**
   * The device's word on the kill switch. Without a working one the box takes no new entries (the
   * BUTTON_UNAVAILABLE guard: alarm screen and buzzer) unless device.button.required is false; then it
   * trades and every output says "no kill switch" for as long as it lasts. Halt by CLI/MQTT/HA still works.
   */
  setKillSwitch(k: { working: boolean; required: boolean; detail: string }): void {
    this.status.killSwitch = k.working ? 'ok' : k.required ? 'not working' : 'no kill switch';
    this.setGuard('BUTTON_UNAVAILABLE', !k.working && k.required, `no working kill switch: ${k.detail}`, 'error');
    if (!k.working && !k.required)
      this.alert(
        'warn',
        'NO_KILL_SWITCH',
        `trading WITHOUT a kill switch (device.button.required: false): ${k.detail}`,
      );
  }

  alert(level: 'info' | 'warn' | 'error', code: AlertCode, message: string): void {
    this.apply(this.engine.alert(this.now(), level, code, message));
  }

  halt(reason: string, source: HaltSource): void {
    this.log.warn('halt', { reason, source });
    this.apply(this.engine.halt(this.now(), reason, source));
  }

  resume(source: HaltSource): void {
    this.log.info('resume', { source });
    this.apply(this.engine.resume(this.now(), source));
  }

  /**
   * Persist first, then announce. When the ledger cannot write (disk full, I/O), the batch is held
   * and retried ahead of the next one, new entries are blocked, and nothing of it is announced until
   * it is on disk; positions are still managed. A batch the ledger rejects as invalid is dropped
   * with an error rather than jamming every later commit.
   */
  apply(events: readonly EngineEvent[]): void {
    if (events.length === 0) return;
    const batch = this.unpersisted.length ? [...this.unpersisted, ...events] : events;
    try {
      this.ledger.commit(batch, { ts: this.now(), data: this.engine.checkpoint() satisfies EngineCheckpoint });
      this.commits++;
    } catch (err) {
      const failure = err instanceof LedgerWriteError ? err.failure : 'unexpected';
      if (failure === 'invalid_data') {
        this.unpersisted = [];
        this.log.error('ledger: a batch was rejected as invalid and is dropped (this is a bug: report it)', {
          error: (err as Error).message,
          events: batch.map((e) => e.type),
        });
        return;
      }
      this.unpersisted = capUnpersisted([...batch], TradingLoop.MAX_UNPERSISTED, (n) =>
        this.log.error(`ledger: ${n} held events dropped (disk still failing); the trades and halts are kept`),
      );
      this.unpersistedSince ??= performance.now();
      this.log.error('ledger: commit failed; holding the batch, new entries blocked until it recovers', {
        error: (err as Error).message,
        failure,
        pending: batch.length,
      });
      if (!this.engine.view().guards.DISK) {
        const guard = this.engine.setGuard(
          'DISK',
          true,
          this.now(),
          `ledger cannot write (${failure}): no new entries until it can`,
          'error',
        );
        this.unpersisted.push(...guard);
        this.announce(guard); // the one thing said before it is on disk: that the disk is failing
      }
      return;
    }
    const recovered = this.unpersisted.length > 0;
    this.unpersisted = [];
    this.unpersistedSince = null;
    this.announce(batch);
    if (recovered) this.apply(this.engine.setGuard('DISK', false, this.now(), 'ledger cannot write'));
  }

  private announce(events: readonly EngineEvent[]): void {
    const state = this.state();
    for (const o of this.outputs) {
      try {
        o.onEvents(events, state);
      } catch (err) {
        this.log.error(`output ${o.name} threw on events`, { error: (err as Error).message });
      }
    }
    this.lastStateKey = '';
  }

  /** Sends the state to outputs when it changed since the last call (the app calls this on a timer). */
  publishState(force = false): void {
    const state = this.state();
    const key = JSON.stringify({
      ...state,
      ts: 0,
      feed: {
        ...state.feed,
        lastTickAgeMs: state.feed.lastTickAgeMs === null ? null : Math.round(state.feed.lastTickAgeMs / 1000),
      },
    });
    if (!force && key === this.lastStateKey) return;
    this.lastStateKey = key;
    for (const o of this.outputs) {
      try {
        o.onState(state);
      } catch (err) {
        this.log.error(`output ${o.name} threw on state`, { error: (err as Error).message });
      }
    }
  }

  state(): ApplianceState {
    const v = this.engine.view();
    const now = this.now();
    const pos = v.position;
    const contract = pos && v.contracts ? v.contracts[pos.side] : null;
    const unrealized = pos ? (pos.ltp - pos.entryPrice) * pos.quantity : 0;
    const alarms = Object.entries(v.guards)
      .filter(([code]) => ALARM_CODES.has(code))
      .map(([code, message]) => ({ code, message }));
    return {
      deviceId: this.deviceId,
      mode: this.mode,
      session: this.status.session,
      day: v.day ?? '',
      trading: v.halted ? 'halted' : 'active',
      haltReason: v.haltReason,
      strategy: v.strategy,
      feed: {
        connected: this.status.feedConnected,
        lastTickAgeMs: this.status.lastTickTs === null ? null : Math.max(0, now - this.status.lastTickTs),
      },
      spot: v.spot,
      position:
        pos && contract
          ? {
              side: pos.side,
              instrumentKey: pos.instrumentKey,
              symbol: contractName(contract),
              strike: contract.strike,
              quantity: pos.quantity,
              entryPrice: paise(pos.entryPrice),
              ltp: pos.ltp,
              sl: paise(pos.sl),
              tp1: paise(pos.tp1),
              tp1Hit: pos.tp1Hit,
              unrealizedPnl: paise(unrealized),
              greeks: this.heldGreeks(contract, pos.ltp, v.spot, now),
              ...(pos.strategy ? { strategy: pos.strategy.name } : {}),
            }
          : null,
      pnl: {
        realized: paise(v.stats.realized),
        unrealized: paise(unrealized),
        charges: paise(v.stats.charges),
        net: paise(v.stats.realized + unrealized - v.stats.charges),
        trades: v.stats.trades,
        wins: v.stats.wins,
      },
      clock: { synced: this.status.clockSynced, skewMs: this.status.clockSkewMs },
      alarms,
      loginUrl: this.status.loginUrl,
      verify: this.status.verify ?? null,
      killSwitch: this.status.killSwitch,
      ts: now,
    };
  }
}

/**
 * Bounds the batch held during a disk outage. What a later restart cannot rebuild is kept (entries, exits,
 * halts, resumes, cancelled orders); candles (refetched from Upstox), then signals and alerts, go first,
 * oldest first.
 */
export function capUnpersisted(events: EngineEvent[], max: number, onDrop: (n: number) => void): EngineEvent[] {
  if (events.length <= max) return events;
  let excess = events.length - max;
  const dropped = new Set<number>();
  for (const kind of ['candle', 'signal', 'alert', 'position'] as const) {
    for (let i = 0; i < events.length && excess > 0; i++) {
      if (events[i]!.type === kind && !dropped.has(i)) {
        dropped.add(i);
        excess--;
      }
    }
  }
  onDrop(dropped.size);
  return events.filter((_, i) => !dropped.has(i));
}
