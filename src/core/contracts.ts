/** Contract naming and the ATM pick, pure. */
import { NIFTY_STRIKE_STEP } from './market-data.js';
import type { OptionContract, Side } from './types.js';

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** Human contract name as on a broker's chart: `NIFTY 05 JUN 25 24550 CE`. */
export function contractName(c: Pick<OptionContract, 'expiry' | 'strike' | 'side'>): string {
  const [y, m, d] = c.expiry.split('-');
  return `NIFTY ${d} ${MONTHS[Number(m) - 1]} ${y!.slice(2)} ${c.strike} ${c.side}`;
}

/** ATM strike: the index price rounded to the nearest strike step (ties round up). */
export function atmStrike(spot: number, step = NIFTY_STRIKE_STEP): number {
  return Math.round(spot / step) * step;
}

/**
 * The day's ATM pair: nearest listed expiry on or after `expiry`, strike = atmStrike(spot).
 * Returns null when the listing lacks either leg (the caller alerts and stays flat).
 */
export function pickAtmPair(
  contracts: readonly OptionContract[],
  spot: number,
  expiry: string,
): { CE: OptionContract; PE: OptionContract } | null {
  const strike = atmStrike(spot);
  const find = (side: Side) => contracts.find((c) => c.side === side && c.strike === strike && c.expiry === expiry);
  const CE = find('CE');
  const PE = find('PE');
  return CE && PE ? { CE, PE } : null;
}
