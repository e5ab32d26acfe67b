/**
 * The check of a day's tick-built candles in the ledger against Upstox's official ones (the daily report,
 * the page's reconcile): the largest deviation and where; the official candles are kept beside ours.
 */
import type { MarketCalendar } from '../core/calendar.js';
import { istDate, istIso } from '../core/time.js';
import type { Candle } from '../core/types.js';
import { realClock } from '../lib/clock.js';
import type { Ledger } from './ledger.js';

export interface CandleCheck {
  compared: number;
  maxDev: number;
  where: string;
}

/** A day's candles in the ledger and Upstox's own for the same instruments. */
export interface DayCandles {
  day: string;
  ledger: Ledger;
  keys: readonly string[];
  calendar: MarketCalendar;
  official: (key: string) => Promise<Candle[]>;
  /** When the official candles are stored (the appliance's clock). */
  recordedAt?: number;
}

export async function reconcileCandles({
  day,
  ledger,
  keys,
  calendar,
  official,
  recordedAt = realClock.now(),
}: DayCandles): Promise<CandleCheck> {
  const session = calendar.session(day);
  const out: CandleCheck = { compared: 0, maxDev: 0, where: '-' };
  if (!session) return out;
  for (const k of keys) {
    const ours = new Map(ledger.candles(k, session.openTs, session.closeTs).map((x) => [x.ts, x]));
    const offs = (await official(k)).filter((x) => istDate(x.ts) === day);
    // Kept beside the tick-built candles: export and verify prefer Upstox's own.
    if (!ledger.readonly && offs.length)
      ledger.recordOfficialCandles(
        k,
        offs.filter((x) => x.ts + 300_000 <= session.closeTs),
        recordedAt,
      );
    for (const off of offs) {
      const mine = ours.get(off.ts);
      if (!mine) continue;
      out.compared++;
      for (const f of ['open', 'high', 'low', 'close'] as const) {
        const d = Math.abs(mine[f] - off[f]);
        if (d > out.maxDev) {
          out.maxDev = d;
          out.where = `${k} ${istIso(off.ts).slice(11, 16)} ${f}`;
        }
      }
    }
  }
  return out;
}
