/**
 * Writers for the two candle files `backtest` reads, in the exact layout of ../shared/data
 * (headers, column order, "2025-06-02 09:15:00+05:30" vs ISO timestamps, Python-style floats,
 * is_expired True on the contract's expiry day). The parsers are in csv.ts.
 */
import { istIso } from '../core/time.js';
import type { Candle, OptionContract, Side } from '../core/types.js';

export const INDEX_FILE = 'nifty50-5min.csv';
export const OPTIONS_FILE = 'nifty-atm-options-5min.csv';

const INDEX_HEADER = 'datetime,open,high,low,close,volume';
const OPTIONS_HEADER =
  'timestamp,open,high,low,close,volume,oi,datetime,date,instrument_type,' +
  'strike_price,expiry_date,instrument_key,trading_day,is_expired';

/** One trading day's ATM pair with its candles (oi when the source has it). */
export interface OptionDayRows {
  day: string;
  contracts: Record<Side, Pick<OptionContract, 'instrumentKey' | 'strike' | 'expiry'>>;
  candles: Record<Side, (Candle & { oi?: number })[]>;
}

/** 71 → "71.0", 280.7 → "280.7": the float spelling of the recorded files. */
function float(v: number): string {
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

function int(v: number): string {
  return String(Math.round(v));
}

const spaced = (ts: number) => istIso(ts).replace('T', ' ');

export function indexCsv(candles: readonly Candle[]): string {
  const out = [INDEX_HEADER];
  for (const c of [...candles].sort((a, b) => a.ts - b.ts)) {
    out.push(`${spaced(c.ts)},${float(c.open)},${float(c.high)},${float(c.low)},${float(c.close)},${int(c.volume)}`);
  }
  return out.join('\n') + '\n';
}

/** Rows by day, then time, CE before PE at the same time (as in the recorded file). */
export function optionsCsv(days: readonly OptionDayRows[]): string {
  const out = [OPTIONS_HEADER];
  for (const d of [...days].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0))) {
    const rows: { ts: number; side: Side; line: string }[] = [];
    for (const side of ['CE', 'PE'] as const) {
      const k = d.contracts[side];
      const expired = d.day === k.expiry ? 'True' : 'False';
      for (const c of d.candles[side]) {
        const iso = istIso(c.ts);
        rows.push({
          ts: c.ts,
          side,
          line:
            `${iso},${float(c.open)},${float(c.high)},${float(c.low)},${float(c.close)},` +
            `${int(c.volume)},${int(c.oi ?? 0)},` +
            (`${spaced(c.ts)},${iso.slice(0, 10)},${side},${int(k.strike)},${k.expiry},` +
              `${k.instrumentKey},${d.day},${expired}`),
        });
      }
    }
    rows.sort((a, b) => a.ts - b.ts || (a.side < b.side ? -1 : a.side > b.side ? 1 : 0));
    for (const r of rows) out.push(r.line);
  }
  return out.join('\n') + '\n';
}
