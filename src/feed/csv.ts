/**
 * Parsers for the recorded-candle CSVs of ../shared/data (index and ATM options). Strict: a bad
 * row is an error naming the file, the line and the problem — nothing is silently skipped.
 */
import type { Candle, DayContracts, OptionContract, Side } from '../core/types.js';

export class CsvError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    problem: string,
  ) {
    super(`${file}:${line}: ${problem}`);
    this.name = 'CsvError';
  }
}

export interface OptionDay {
  contracts: DayContracts;
  candles: Record<Side, Candle[]>;
}

const INDEX_COLUMNS = ['datetime', 'open', 'high', 'low', 'close', 'volume'] as const;
const OPTION_COLUMNS = ['timestamp', 'open', 'high', 'low', 'close', 'volume', 'instrument_type', 'strike_price', 'expiry_date', 'instrument_key', 'trading_day'] as const;

function columnIndex<T extends string>(header: string, required: readonly T[], file: string): Record<T, number> {
  const cols = header.trim().split(',');
  const idx = {} as Record<T, number>;
  const missing: string[] = [];
  for (const name of required) {
    const i = cols.indexOf(name);
    if (i < 0) missing.push(name);
    idx[name] = i;
  }
  if (missing.length) throw new CsvError(file, 1, `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (expected header with ${required.join(',')})`);
  return idx;
}

/**
 * Parses "2025-06-02 09:15:00+05:30" or "2025-06-02T09:15:00+05:30" (any ±HH:MM offset) to epoch ms.
 * Returns NaN when malformed.
 */
export function parseTimestamp(s: string): number {
  if (s.length !== 25 || s[4] !== '-' || s[7] !== '-' || (s[10] !== ' ' && s[10] !== 'T') || s[13] !== ':' || s[16] !== ':' || s[22] !== ':') return NaN;
  const y = num(s, 0, 4), mo = num(s, 5, 7), d = num(s, 8, 10), h = num(s, 11, 13), mi = num(s, 14, 16), se = num(s, 17, 19);
  const oh = num(s, 20, 22), om = num(s, 23, 25);
  const sign = s[19] === '+' ? 1 : s[19] === '-' ? -1 : NaN;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) return NaN;
  return Date.UTC(y, mo - 1, d, h, mi, se) - sign * (oh * 60 + om) * 60_000;
}

function num(s: string, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return v;
}

function price(value: string | undefined, what: string, file: string, line: number): number {
  const v = value === undefined || value === '' ? NaN : Number(value);
  if (!Number.isFinite(v) || v < 0) throw new CsvError(file, line, `${what} "${value ?? ''}" is not a number`);
  return v;
}

function candleFrom(f: string[], ts: number, ix: { open: number; high: number; low: number; close: number; volume: number }, file: string, line: number): Candle {
  const open = price(f[ix.open], 'open', file, line);
  const high = price(f[ix.high], 'high', file, line);
  const low = price(f[ix.low], 'low', file, line);
  const close = price(f[ix.close], 'close', file, line);
  const volume = f[ix.volume] === '' ? 0 : price(f[ix.volume], 'volume', file, line);
  if (low > high || open > high || open < low || close > high || close < low) throw new CsvError(file, line, `inconsistent candle: open ${open}, high ${high}, low ${low}, close ${close}`);
  return { ts, open, high, low, close, volume };
}

function lines(text: string): string[] {
  const all = text.split('\n');
  if (all.length && all[all.length - 1] === '') all.pop();
  for (let i = 0; i < all.length; i++) if (all[i]!.endsWith('\r')) all[i] = all[i]!.slice(0, -1);
  return all;
}

/** The NIFTY index file: `datetime,open,high,low,close,volume`, strictly increasing timestamps. */
export function parseIndexCsv(text: string, file: string): Candle[] {
  const rows = lines(text);
  if (rows.length === 0) throw new CsvError(file, 1, 'the file is empty (expected a header line)');
  const ix = columnIndex(rows[0]!, INDEX_COLUMNS, file);
  const width = rows[0]!.split(',').length;
  const out: Candle[] = new Array(rows.length - 1);
  let prev = -Infinity;
  for (let i = 1; i < rows.length; i++) {
    const line = i + 1;
    const f = rows[i]!.split(',');
    if (f.length !== width) throw new CsvError(file, line, `expected ${width} fields, found ${f.length} (truncated or malformed row)`);
    const ts = parseTimestamp(f[ix.datetime]!);
    if (Number.isNaN(ts)) throw new CsvError(file, line, `datetime "${f[ix.datetime]}" is not a timestamp like 2025-06-02 09:15:00+05:30`);
    if (ts % 300_000 !== 0) throw new CsvError(file, line, `datetime ${f[ix.datetime]} is not on a 5-minute boundary`);
    if (ts === prev) throw new CsvError(file, line, `duplicate timestamp ${f[ix.datetime]}`);
    if (ts < prev) throw new CsvError(file, line, `timestamp ${f[ix.datetime]} is earlier than the row before: the file must be sorted by time`);
    prev = ts;
    out[i - 1] = candleFrom(f, ts, ix, file, line);
  }
  return out;
}

/**
 * The ATM options file: one CE and one PE contract per trading day, candles sorted per contract.
 * Returns the days in date order.
 */
export function parseOptionsCsv(text: string, file: string): Map<string, OptionDay> {
  const rows = lines(text);
  if (rows.length === 0) throw new CsvError(file, 1, 'the file is empty (expected a header line)');
  const ix = columnIndex(rows[0]!, OPTION_COLUMNS, file);
  const width = rows[0]!.split(',').length;
  const days = new Map<string, OptionDay>();
  const firstLine = new Map<string, number>();
  const lastTs: Record<string, number> = {};
  for (let i = 1; i < rows.length; i++) {
    const line = i + 1;
    const f = rows[i]!.split(',');
    if (f.length !== width) throw new CsvError(file, line, `expected ${width} fields, found ${f.length} (truncated or malformed row)`);
    const ts = parseTimestamp(f[ix.timestamp]!);
    if (Number.isNaN(ts)) throw new CsvError(file, line, `timestamp "${f[ix.timestamp]}" is not a timestamp like 2025-06-02T09:15:00+05:30`);
    const side = f[ix.instrument_type] as Side;
    if (side !== 'CE' && side !== 'PE') throw new CsvError(file, line, `instrument_type "${f[ix.instrument_type]}" must be CE or PE`);
    const day = f[ix.trading_day]!;
    if (!/^\d{4}-\d\d-\d\d$/.test(day)) throw new CsvError(file, line, `trading_day "${day}" is not a date YYYY-MM-DD`);
    const expiry = f[ix.expiry_date]!;
    if (!/^\d{4}-\d\d-\d\d$/.test(expiry)) throw new CsvError(file, line, `expiry_date "${expiry}" is not a date YYYY-MM-DD`);
    const strike = price(f[ix.strike_price], 'strike_price', file, line);
    const key = f[ix.instrument_key]!;
    if (!key.startsWith('NSE_FO|')) throw new CsvError(file, line, `instrument_key "${key}" is not an NSE_FO key`);
    let od = days.get(day);
    if (!od) {
      od = { contracts: { day } as DayContracts, candles: { CE: [], PE: [] } };
      days.set(day, od);
      firstLine.set(day, line);
    }
    const known = od.contracts[side];
    if (!known) {
      od.contracts[side] = { instrumentKey: key, side, strike, expiry, lotSize: 0 } satisfies OptionContract;
    } else if (known.instrumentKey !== key) {
      throw new CsvError(file, line, `trading day ${day} has a second ${side} contract ${key} (first was ${known.instrumentKey}): one CE and one PE per day`);
    }
    const seriesKey = `${day}|${side}`;
    const prev = lastTs[seriesKey] ?? -Infinity;
    if (ts === prev) throw new CsvError(file, line, `duplicate timestamp ${f[ix.timestamp]} for ${key}`);
    if (ts < prev) throw new CsvError(file, line, `timestamp ${f[ix.timestamp]} for ${key} is earlier than its previous row: sort the file by time`);
    lastTs[seriesKey] = ts;
    od.candles[side].push(candleFrom(f, ts, ix, file, line));
  }
  for (const [day, od] of days) {
    for (const side of ['CE', 'PE'] as const) {
      if (!od.contracts[side]) throw new CsvError(file, firstLine.get(day)!, `trading day ${day} has no ${side} contract: each day needs its CE/PE pair`);
    }
  }
  return new Map([...days.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}
