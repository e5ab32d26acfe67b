/**
 * The risk gate: what may stop V25 from taking an entry it wants, and the limits that halt trading.
 * A halt (kill switch, CLI, MQTT, the page, or the daily loss limit) is latched until resumed; a guard
 * (stale feed, clock, token, disk, cold indicators … see alerts.ts) blocks entries while set; the day's
 * entry count is capped; one position at a time is the engine's rule (an entry is only asked when flat).
 */
import type { GuardCode } from './alerts.js';
import type { OpenPosition } from './types.js';

/** Risk limits the engine enforces on top of V25 (appliance config). */
export interface RiskParams {
  /** Halt automatically once the day's net P&L (realized − charges + unrealized) is ≤ −limit. 0 = off. */
  dailyLossLimit: number;
  /** No new entries after this many entries in a day. 0 = unlimited. */
  maxTradesPerDay: number;
}

export const DEFAULT_RISK: RiskParams = { dailyLossLimit: 0, maxTradesPerDay: 0 };

/** What blocked an entry (a signal's blockedBy): the halt, a guard, or the day's entry cap. */
export type EntryBlocker = 'HALTED' | GuardCode | 'MAX_TRADES';

export class RiskGate {
  halted = false;
  haltReason: string | null = null;
  /** Active guards and their messages, in the order they were raised. */
  guards = new Map<GuardCode, string>();

  constructor(readonly risk: RiskParams) {}

  /** Whether the daily loss limit is on (checked on every trade of the held contract, so off costs nothing). */
  get watchesDailyLoss(): boolean {
    return this.risk.dailyLossLimit > 0;
  }

  /** The day's net P&L when it breaches the daily loss limit (and trading is not halted yet), else NaN. */
  dailyLossBreach(realized: number, charges: number, pos: OpenPosition | null): number {
    if (this.halted) return NaN;
    const unrealized = pos ? (pos.ltp - pos.entryPrice) * pos.quantity : 0;
    const net = realized - charges + unrealized;
    return net <= -this.risk.dailyLossLimit ? net : NaN;
  }

  /** Why an entry may not be taken now (empty: it may). */
  entryBlockers(entriesToday: number): EntryBlocker[] {
    const out: EntryBlocker[] = [];
    if (this.halted) out.push('HALTED');
    for (const code of this.guards.keys()) out.push(code);
    if (this.risk.maxTradesPerDay > 0 && entriesToday >= this.risk.maxTradesPerDay) out.push('MAX_TRADES');
    return out;
  }

  /** Latches the halt; true when it was not halted before. */
  halt(reason: string): boolean {
    if (this.halted) return false;
    this.halted = true;
    this.haltReason = reason;
    return true;
  }

  /** True when it was halted. */
  resume(): boolean {
    if (!this.halted) return false;
    this.halted = false;
    this.haltReason = null;
    return true;
  }

  /**
   * Sets or clears a guard: 'raised' when newly set, 'cleared' when newly cleared, null otherwise (a new message only).
   */
  setGuard(code: GuardCode, active: boolean, message: string): 'raised' | 'cleared' | null {
    if (active && this.guards.get(code) !== message) {
      const isNew = !this.guards.has(code);
      this.guards.set(code, message);
      return isNew ? 'raised' : null;
    }
    if (!active && this.guards.has(code)) {
      this.guards.delete(code);
      return 'cleared';
    }
    return null;
  }
}
