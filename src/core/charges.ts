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
  {
    from: '2024-10-01',
    brokeragePerOrder: 20,
    sttSell: 0.001,
    exchange: 0.0003503,
    ipft: 0.000005,
    sebi: 0.000001,
    stampBuy: 0.00003,
    gst: 0.18,
  },
  {
    from: '2026-03-01',
    brokeragePerOrder: 20,
    sttSell: 0.001,
    exchange: 0.0003552,
    ipft: 0.0000001,
    sebi: 0.000001,
    stampBuy: 0.00003,
    gst: 0.18,
  },
  {
    from: '2026-04-01',
    brokeragePerOrder: 20,
    sttSell: 0.0015,
    exchange: 0.0003552,
    ipft: 0.0000001,
    sebi: 0.000001,
    stampBuy: 0.00003,
    gst: 0.18,
  },
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

/** The kinds a contract note lists, in its order. `exchange` includes the IPFT charge. */
export const CHARGE_KINDS = ['brokerage', 'stt', 'exchange', 'sebi', 'stamp', 'gst'] as const;
export type ChargeKind = (typeof CHARGE_KINDS)[number];
export type ChargesByKind = Record<ChargeKind, number>;

export function emptyChargesByKind(): ChargesByKind {
  return { brokerage: 0, stt: 0, exchange: 0, sebi: 0, stamp: 0, gst: 0 };
}

/**
 * The kinds in rupees to the paisa, summing exactly to the paisa-rounded `total` (largest remainder:
 * each kind is cut down to whole paise, and the paise the cuts left over go one each to the kinds
 * that lost the most). Rounding each kind on its own could miss the total by up to 3 paise.
 */
export function chargesByKindInPaise(kinds: ChargesByKind, total: number): ChargesByKind {
  const exact = CHARGE_KINDS.map((k) => kinds[k] * 100);
  const cut = exact.map((x) => Math.floor(x + 1e-6));
  let left = Math.round(paise(total) * 100) - cut.reduce((a, b) => a + b, 0);
  // Remainders compared to 1e-6 paise, so a tie (two exact half paise) goes to the earlier kind, not to float noise.
  const rem = exact.map((x, i) => Math.round((x - cut[i]!) * 1e6));
  const order = CHARGE_KINDS.map((_, i) => i).sort((a, b) => rem[b]! - rem[a]!);
  for (let j = 0; left !== 0 && j < 2 * order.length; j++) {
    const i = left > 0 ? order[j % order.length]! : order[order.length - 1 - (j % order.length)]!;
    cut[i]! += Math.sign(left);
    left -= Math.sign(left);
  }
  const out = emptyChargesByKind();
  CHARGE_KINDS.forEach((k, i) => (out[k] = cut[i]! / 100));
  return out;
}
