/**
 * Charges of buying and selling NSE index options on Upstox, by trade date.
 * Rates and dates: ../shared/reference/market-facts.md §4. Components are kept unrounded;
 * only display rounds (the worked example's total of ₹63.86 comes out that way).
 */
import type { ChargeBreakdown } from './types.js';

interface ChargeRates {
  from: string;
  brokeragePerOrder: number;
  /** STT on the sell-side premium. */
  sttSell: number;
  /** NSE transaction charge on premium, each side. */
  exchange: number;
  /** NSE Investor Protection Fund Trust charge, each side. */
  ipft: number;
  sebi: number;
  /** Stamp duty on the buy side. */
  stampBuy: number;
  gst: number;
}

/** Latest `from` ≤ trade date wins. */
export const CHARGE_RATES: ChargeRates[] = [
  { from: '2024-10-01', brokeragePerOrder: 20, sttSell: 0.001, exchange: 0.0003503, ipft: 0.000005, sebi: 0.000001, stampBuy: 0.00003, gst: 0.18 },
  { from: '2026-03-01', brokeragePerOrder: 20, sttSell: 0.001, exchange: 0.0003552, ipft: 0.0000001, sebi: 0.000001, stampBuy: 0.00003, gst: 0.18 },
  { from: '2026-04-01', brokeragePerOrder: 20, sttSell: 0.0015, exchange: 0.0003552, ipft: 0.0000001, sebi: 0.000001, stampBuy: 0.00003, gst: 0.18 },
];

export function ratesOn(date: string): ChargeRates {
  let found: ChargeRates | undefined;
  for (const r of CHARGE_RATES) if (r.from <= date) found = r;
  if (!found) throw new Error(`no charge rates known for ${date}: the table starts ${CHARGE_RATES[0]!.from}`);
  return found;
}

/** Charges of one round trip: a buy of `buyValue` and a sell of `sellValue` rupees of premium. */
export function roundTripCharges(date: string, buyValue: number, sellValue: number): ChargeBreakdown {
  const r = ratesOn(date);
  const turnover = buyValue + sellValue;
  const brokerage = 2 * r.brokeragePerOrder;
  const stt = r.sttSell * sellValue;
  const exchange = (r.exchange + r.ipft) * turnover;
  const sebi = r.sebi * turnover;
  const stamp = r.stampBuy * buyValue;
  const gst = r.gst * (brokerage + exchange + sebi);
  return { brokerage, stt, exchange, sebi, stamp, gst, total: brokerage + stt + exchange + sebi + stamp + gst };
}

/** Rounds rupees to the paisa for display. */
export function paise(x: number): number {
  return Math.round((x + Number.EPSILON * Math.sign(x)) * 100) / 100;
}
