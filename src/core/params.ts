/** The parameters a run trades with: V25's (strategies/v25.ts) and the risk limits on top (risk-gate.ts). */
export { DEFAULT_V25, type V25Params } from './strategies/v25.js';
export { DEFAULT_RISK, type RiskParams } from './risk-gate.js';
