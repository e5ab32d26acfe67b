import type { Side } from './types.js';

/** Strategy V25 parameters (defaults from v25.md). Times are IST "HH:MM". */
export interface V25Params {
  emaPeriod: number;
  macdFast: number;
  macdSlow: number;
  macdSignal: number;
  chopPeriod: number;
  chopMax: number;
  entryStart: string;
  entryEnd: string;
  eodExit: string;
  slAtrMult: number;
  atrPeriod: number;
  tp1Points: Record<Side, number>;
  lockPoints: Record<Side, number>;
  slippagePoints: number;
  lots: number;
}

export const DEFAULT_V25: V25Params = {
  emaPeriod: 21,
  macdFast: 12,
  macdSlow: 26,
  macdSignal: 9,
  chopPeriod: 14,
  chopMax: 57,
  entryStart: '09:30',
  entryEnd: '15:15',
  eodExit: '15:25',
  slAtrMult: 1.5,
  atrPeriod: 7,
  tp1Points: { CE: 15, PE: 10 },
  lockPoints: { CE: 13, PE: 8 },
  slippagePoints: 0.5,
  lots: 1,
};

/** Risk limits the engine enforces on top of V25 (appliance config). */
export interface RiskParams {
  /** Halt automatically once the day's net P&L (realized − charges + unrealized) is ≤ −limit. 0 = off. */
  dailyLossLimit: number;
  /** No new entries after this many entries in a day. 0 = unlimited. */
  maxTradesPerDay: number;
}

export const DEFAULT_RISK: RiskParams = { dailyLossLimit: 0, maxTradesPerDay: 0 };
