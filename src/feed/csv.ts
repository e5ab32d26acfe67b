/**
 * Parsers for the recorded-candle CSVs of ../shared/data (index and ATM options). Strict: a bad
 * row is an error naming the file, the line and the problem — nothing is silently skipped.
 *
 * They scan the file's bytes in place (no split, no per-field strings; prices parsed digit by digit),
 * which parses the two shared files (3.7 MB) several times faster than split + Number did.
 */
import type { MarketCalendar } from '../core/calendar.js';
import { addDays, istDate, istDayNumber } from '../core/time.js';
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
const OPTION_COLUMNS = [
  'timestamp',
  'open',
  'high',
  'low',
  'close',
  'volume',
  'instrument_type',
  'strike_price',
  'expiry_date',
  'instrument_key',
  'trading_day',
] as const;
/** Columns only the other file has: a header with them is that file, given in the wrong place. */
const OPTION_ONLY = ['instrument_key', 'instrument_type', 'strike_price', 'expiry_date', 'trading_day'];
const BUCKET_MS = 300_000;

function columnIndex<T extends string>(
  cols: string[],
  required: readonly T[],
  file: string,
  swapped: (cols: string[]) => string | null,
): Record<T, number> {
  const other = swapped(cols);
  if (other) throw new CsvError(file, 1, other);
  const idx = {} as Record<T, number>;
  const missing: string[] = [];
  for (const name of required) {
    const i = cols.indexOf(name);
    if (i < 0) missing.push(name);
    idx[name] = i;
  }
  if (missing.length) {
    throw new CsvError(
      file,
      1,
      `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ` +
        `(expected header with ${required.join(',')})`,
    );
  }
  return idx;
}

function looksLikeOptionsFile(cols: string[]): string | null {
  const has = OPTION_ONLY.filter((c) => cols.includes(c));
  return has.length >= 2
    ? `this looks like the options file (it has the columns ${has.join(', ')}), ` +
        `not the index file: are the index and options files swapped?`
    : null;
}

function looksLikeIndexFile(cols: string[]): string | null {
  const isIndex = cols.includes('datetime') && !OPTION_ONLY.some((c) => cols.includes(c));
  return isIndex
    ? `this looks like the index file (columns ${cols.join(',')}, no ` +
        `instrument_key or strike_price), not the options file: are the index and ` +
        `options files swapped?`
    : null;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysIn = (y: number, m: number) =>
  m === 2 && ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0) ? 29 : DAYS_IN_MONTH[m - 1]!;

/**
 * Parses "2025-06-02 09:15:00+05:30" or "2025-06-02T09:15:00+05:30" (any ±HH:MM offset) to epoch ms.
 * Returns NaN when malformed or not a real date.
 */
export function parseTimestamp(s: string): number {
  return s.length === 25 ? timestampAt(Buffer.from(s, 'latin1'), 0) : NaN;
}

function timestampAt(s: Uint8Array, p: number): number {
  if (s[p + 4] !== 45 || s[p + 7] !== 45 || s[p + 13] !== 58 || s[p + 16] !== 58 || s[p + 22] !== 58) return NaN;
  const sep = s[p + 10];
  if (sep !== 32 && sep !== 84) return NaN; // ' ' or 'T'
  const y = d4(s, p),
    mo = d2(s, p + 5),
    d = d2(s, p + 8);
  const h = d2(s, p + 11),
    mi = d2(s, p + 14),
    se = d2(s, p + 17);
  const oh = d2(s, p + 20),
    om = d2(s, p + 23);
  const signChar = s[p + 19];
  const sign = signChar === 43 ? 1 : signChar === 45 ? -1 : NaN;
  // NaN (a non-digit) fails every comparison below.
  if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= daysIn(y, mo) && h <= 23 && mi <= 59 && se <= 59 && oh >= 0 && om >= 0))
    return NaN;
  return dayEpoch(y, mo, d) + ((h * 60 + mi) * 60 + se) * 1000 - sign * (oh * 60 + om) * 60_000;
}

/** Two ASCII digits at p as a number; NaN if either is not a digit. */
function d2(s: Uint8Array, p: number): number {
  const a = s[p]! - 48;
  const b = s[p + 1]! - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : NaN;
}

function d4(s: Uint8Array, p: number): number {
  const a = d2(s, p);
  const b = d2(s, p + 2);
  return a * 100 + b;
}

// Date.UTC for the day, cached: a file has thousands of rows per day.
let cachedYmd = -1;
let cachedEpoch = 0;
function dayEpoch(y: number, mo: number, d: number): number {
  const ymd = (y * 100 + mo) * 100 + d;
  if (ymd !== cachedYmd) {
    cachedYmd = ymd;
    cachedEpoch = Date.UTC(y, mo - 1, d);
  }
  return cachedEpoch;
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * A decimal like "24140.85" or "-3" in s[from, to), exactly as Number() reads it (an integer below
 * 2^53 divided by a power of ten is correctly rounded). Anything else goes through Number(); "" is NaN.
 */
function decimalAt(s: Buffer, from: number, to: number): number {
  let i = from;
  let neg = false;
  if (s[i] === 45) {
    neg = true;
    i++;
  }
  let mant = 0;
  let nDigits = 0;
  let scale = -1;
  for (; i < to; i++) {
    const c = s[i]!;
    if (c >= 48 && c <= 57) {
      mant = mant * 10 + (c - 48);
      nDigits++;
      if (scale >= 0) scale++;
    } else if (c === 46 && scale < 0) scale = 0;
    else return from === to ? NaN : Number(s.toString('utf8', from, to));
  }
  if (nDigits === 0) return NaN;
  if (nDigits > 15) return Number(s.toString('latin1', from, to));
  const v = scale > 0 ? mant / POW10[scale]! : mant;
  return neg ? -v : v;
}

/**
 * One line at a time over the file's bytes, recording where each field starts and ends, and reading
 * the numeric columns' values on the same pass (each byte is looked at once).
 */
class Rows {
  pos = 0;
  line = 0;
  count = 0;
  readonly start: Int32Array;
  readonly end: Int32Array;
  /** The value of each numeric field; NaN with `odd` set when it needs the slow path (decimalAt). */
  readonly vals: Float64Array;
  readonly odd: Uint8Array;
  private readonly numeric: Uint8Array;

  constructor(
    private readonly b: Buffer,
    width: number,
    numericCols: readonly number[] = [],
  ) {
    this.start = new Int32Array(width + 1);
    this.end = new Int32Array(width + 1);
    this.vals = new Float64Array(width + 1);
    this.odd = new Uint8Array(width + 1);
    this.numeric = new Uint8Array(width + 1);
    for (const c of numericCols) this.numeric[c] = 1;
  }

  /** Moves to the next line; false at the end of the file. */
  next(): boolean {
    const b = this.b;
    const from = this.pos;
    if (from >= b.length) return false;
    let eol = b.indexOf(10, from);
    if (eol < 0) eol = b.length;
    const lineEnd = eol > from && b[eol - 1] === 13 ? eol - 1 : eol;
    const { start, end, vals, odd, numeric } = this;
    const max = start.length; // width + 1: enough to tell "too many fields"
    let f = 0;
    let p = from;
    for (;;) {
      const fieldStart = p;
      if (f < max && numeric[f] === 1) {
        let neg = false;
        if (p < lineEnd && b[p] === 45) {
          neg = true;
          p++;
        }
        let mant = 0;
        let nDigits = 0;
        let scale = -1;
        let ok = true;
        for (; p < lineEnd; p++) {
          const c = b[p]!;
          if (c === 44) break;
          const d = c - 48;
          if (d >= 0 && d <= 9) {
            mant = mant * 10 + d;
            nDigits++;
            if (scale >= 0) scale++;
          } else if (c === 46 && scale < 0) scale = 0;
          else ok = false;
        }
        if (ok && nDigits > 0 && nDigits <= 15) {
          const v = scale > 0 ? mant / POW10[scale]! : mant;
          vals[f] = neg ? -v : v;
          odd[f] = 0;
        } else {
          vals[f] = NaN;
          odd[f] = p > fieldStart ? 1 : 0; // an empty field is simply no number
        }
      } else {
        while (p < lineEnd && b[p] !== 44) p++;
      }
      if (f < max) {
        start[f] = fieldStart;
        end[f] = p;
      }
      f++;
      if (p >= lineEnd) break;
      p++; // the comma
    }
    this.count = f;
    this.pos = eol + 1;
    this.line++;
    return true;
  }

  /** The number in numeric field i (NaN when it is none). */
  num(i: number): number {
    return this.odd[i] === 1 ? decimalAt(this.b, this.start[i]!, this.end[i]!) : this.vals[i]!;
  }

  /** Field i as text (for messages and the few strings kept). */
  str(i: number): string {
    return this.b.toString('utf8', this.start[i]!, this.end[i]!);
  }

  /** Whether field i is exactly `value` (ASCII), without making a string. */
  is(i: number, value: string): boolean {
    const s = this.start[i]!;
    const n = value.length;
    if (this.end[i]! - s !== n) return false;
    const b = this.b;
    for (let k = 0; k < n; k++) if (b[s + k] !== value.charCodeAt(k)) return false;
    return true;
  }

  blank(): boolean {
    return this.count === 1 && this.end[0] === this.start[0];
  }

  /** The timestamp of field `col` on the line after this one (NaN when there is none), without moving. */
  peekTimestamp(col: number): number {
    const b = this.b;
    let p = this.pos;
    for (let f = 0; f < col && p < b.length; p++) {
      const c = b[p];
      if (c === 10) return NaN;
      if (c === 44) f++;
    }
    return p + 25 <= b.length ? timestampAt(b, p) : NaN;
  }
}

/** The parsers read bytes; a string (tests, callers with text in hand) is encoded once. */
function bytesOf(input: string | Buffer): Buffer {
  return typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
}

function header(b: Buffer, file: string): string[] {
  const nl = b.indexOf(10);
  const first = b.toString('utf8', 0, nl < 0 ? b.length : nl).trim();
  if (first === '' && b.toString('utf8').trim() === '')
    throw new CsvError(file, 1, 'the file is empty (expected a header line)');
  return first.split(',');
}

interface PriceColumns {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

function priceAt(r: Rows, col: number, what: string, file: string): number {
  const v = r.num(col);
  if (v >= 0) return v;
  if (v < 0)
    throw new CsvError(file, r.line, `${what} ${r.str(col)} is negative: prices and volumes are never below 0`);
  throw new CsvError(file, r.line, `${what} "${r.str(col)}" is not a number`);
}

function candleAt(r: Rows, ts: number, ix: PriceColumns, file: string): Candle {
  const open = priceAt(r, ix.open, 'open', file);
  const high = priceAt(r, ix.high, 'high', file);
  const low = priceAt(r, ix.low, 'low', file);
  const close = priceAt(r, ix.close, 'close', file);
  const volume = r.end[ix.volume] === r.start[ix.volume] ? 0 : priceAt(r, ix.volume, 'volume', file);
  if (low > high || open > high || open < low || close > high || close < low)
    throw new CsvError(file, r.line, `inconsistent candle: open ${open}, high ${high}, low ${low}, close ${close}`);
  return { ts, open, high, low, close, volume };
}

function checkWidth(r: Rows, width: number, file: string): void {
  if (r.count !== width)
    throw new CsvError(file, r.line, `expected ${width} fields, found ${r.count} (truncated or malformed row)`);
}

function timestampOrThrow(r: Rows, text: Buffer, col: number, name: string, example: string, file: string): number {
  const len = r.end[col]! - r.start[col]!;
  const ts = len === 25 ? timestampAt(text, r.start[col]!) : NaN;
  if (Number.isNaN(ts))
    throw new CsvError(file, r.line, `${name} "${r.str(col)}" is not a timestamp like ${example} (or not a real date)`);
  if (ts % BUCKET_MS !== 0)
    throw new CsvError(
      file,
      r.line,
      `${name} ${r.str(col)} is off the 5-minute grid: a candle starts at :00, :05, … :55 with 00 seconds`,
    );
  return ts;
}

/**
 * Which row of an out-of-order pair is wrong. `prev2`, `prev`, `ts`, `next` are the timestamps of
 * lines L−2 … L+1, with ts ≤ prev. The odd one out is the row its neighbours agree against:
 * prev when it is later than both the row before it and ts (blame L−1), ts when the row after it
 * continues from prev (blame L). A row dated another day than its neighbours is named as such.
 */
function orderError(
  file: string,
  line: number,
  prev2: number,
  prev: number,
  ts: number,
  next: number,
  raw: (l: number) => string,
): CsvError {
  if (ts === prev) return new CsvError(file, line, `duplicate timestamp ${raw(line)}`);
  const otherDay = (odd: number, around: number) => istDayNumber(odd) !== istDayNumber(around);
  if (prev2 > -Infinity && ts > prev2) {
    if (otherDay(prev, prev2) && !otherDay(ts, prev2))
      return new CsvError(
        file,
        line - 1,
        `this row is dated ${istDate(prev)} but the rows before and after it are dated ${istDate(ts)}`,
      );
    return new CsvError(
      file,
      line - 1,
      `timestamp ${raw(line - 1)} is later than the row after it (line ${line}): the file must be sorted by time`,
    );
  }
  if (next > prev) {
    if (otherDay(ts, prev) && !otherDay(next, prev))
      return new CsvError(
        file,
        line,
        `this row is dated ${istDate(ts)} but the rows before and after it are dated ${istDate(prev)}`,
      );
  }
  return new CsvError(
    file,
    line,
    `timestamp ${raw(line)} is earlier than the row before: the file must be sorted by time`,
  );
}

/** The NIFTY index file: `datetime,open,high,low,close,volume`, strictly increasing timestamps. */
export function parseIndexCsv(input: string | Buffer, file: string): Candle[] {
  const text = bytesOf(input);
  const cols = header(text, file);
  const ix = columnIndex(cols, INDEX_COLUMNS, file, looksLikeOptionsFile);
  const width = cols.length;
  const r = new Rows(text, width, [ix.open, ix.high, ix.low, ix.close, ix.volume]);
  r.next(); // the header
  const out: Candle[] = [];
  let prev = -Infinity;
  let prev2 = -Infinity;
  let prevStart = 0; // where the previous row's datetime is, for messages
  while (r.next()) {
    if (r.blank() && r.pos >= text.length) break; // a final blank line
    checkWidth(r, width, file);
    const ts = timestampOrThrow(r, text, ix.datetime, 'datetime', '2025-06-02 09:15:00+05:30', file);
    if (ts <= prev) {
      const line = r.line;
      const here = r.str(ix.datetime);
      const before = text.toString('utf8', prevStart, prevStart + 25);
      throw orderError(file, line, prev2, prev, ts, r.peekTimestamp(ix.datetime), (l) => (l === line ? here : before));
    }
    prev2 = prev;
    prev = ts;
    prevStart = r.start[ix.datetime]!;
    out.push(candleAt(r, ts, ix, file));
  }
  return out;
}

/**
 * The ATM options file: one CE and one PE contract per trading day, the days one after another,
 * candles sorted per contract. Returns the days in date order.
 */
export function parseOptionsCsv(input: string | Buffer, file: string): Map<string, OptionDay> {
  const text = bytesOf(input);
  const cols = header(text, file);
  const ix = columnIndex(cols, OPTION_COLUMNS, file, looksLikeIndexFile);
  const width = cols.length;
  const r = new Rows(text, width, [ix.open, ix.high, ix.low, ix.close, ix.volume, ix.strike_price]);
  r.next();
  const days = new Map<string, OptionDay>();
  const firstLine = new Map<string, number>();
  // The current day, in locals (CE and PE apart) so the loop stays monomorphic.
  let day = '';
  let dayNumber = NaN;
  let dayFirstLine = 0;
  let dayRows = 0;
  let dayBefore = ''; // the day of the rows before the current day's
  let ce: OptionContract | null = null;
  let pe: OptionContract | null = null;
  let ceCandles: Candle[] = [];
  let peCandles: Candle[] = [];
  let ceLast = -Infinity;
  let peLast = -Infinity;
  const finishDay = () => {
    if (!day) return;
    for (const [side, c] of [
      ['CE', ce],
      ['PE', pe],
    ] as const) {
      if (!c)
        throw new CsvError(
          file,
          dayFirstLine,
          `trading day ${day} has no ${side} contract: each day needs its CE/PE pair`,
        );
    }
    days.set(day, { contracts: { day, CE: ce!, PE: pe! }, candles: { CE: ceCandles, PE: peCandles } });
  };
  while (r.next()) {
    if (r.blank() && r.pos >= text.length) break;
    checkWidth(r, width, file);
    const ts = timestampOrThrow(r, text, ix.timestamp, 'timestamp', '2025-06-02T09:15:00+05:30', file);
    const isCE = r.is(ix.instrument_type, 'CE');
    if (!isCE && !r.is(ix.instrument_type, 'PE'))
      throw new CsvError(file, r.line, `instrument_type "${r.str(ix.instrument_type)}" must be CE or PE`);

    if (!r.is(ix.trading_day, day)) {
      const next = r.str(ix.trading_day);
      if (!/^\d{4}-\d\d-\d\d$/.test(next))
        throw new CsvError(file, r.line, `trading_day "${next}" is not a date YYYY-MM-DD`);
      if (days.has(next) || next === dayBefore) {
        if (dayRows === 1 && next === dayBefore)
          throw new CsvError(
            file,
            dayFirstLine,
            `this row is dated ${day} but the rows before and after it are dated ${next}`,
          );
        throw new CsvError(
          file,
          r.line,
          `trading day ${next} appears again after ${day}: the file must keep each day's rows together`,
        );
      }
      const n = Math.floor(Date.parse(`${next}T00:00:00Z`) / 86_400_000);
      if (Number.isNaN(n)) throw new CsvError(file, r.line, `trading_day ${next} is not a real date`);
      finishDay();
      firstLine.set(next, r.line);
      dayBefore = day;
      day = next;
      dayNumber = n;
      dayFirstLine = r.line;
      dayRows = 0;
      ce = pe = null;
      ceCandles = [];
      peCandles = [];
      ceLast = peLast = -Infinity;
    }
    dayRows++;
    if (istDayNumber(ts) !== dayNumber)
      throw new CsvError(
        file,
        r.line,
        `timestamp ${r.str(ix.timestamp)} is dated ${istDate(ts)} but trading_day is ${day}`,
      );

    let contract: OptionContract | null = isCE ? ce : pe;
    if (contract === null || !r.is(ix.instrument_key, contract.instrumentKey)) {
      const side: Side = isCE ? 'CE' : 'PE';
      const key = r.str(ix.instrument_key);
      if (!key.startsWith('NSE_FO|')) throw new CsvError(file, r.line, `instrument_key "${key}" is not an NSE_FO key`);
      if (contract)
        throw new CsvError(
          file,
          r.line,
          `trading day ${day} has a second ${side} contract ${key} (first was ` +
            `${contract.instrumentKey}): one CE and one PE per day`,
        );
      const expiry = r.str(ix.expiry_date);
      if (!/^\d{4}-\d\d-\d\d$/.test(expiry))
        throw new CsvError(file, r.line, `expiry_date "${expiry}" is not a date YYYY-MM-DD`);
      const strike = priceAt(r, ix.strike_price, 'strike_price', file);
      contract = { instrumentKey: key, side, strike, expiry, lotSize: 0 };
      if (isCE) ce = contract;
      else pe = contract;
    } else {
      if (!r.is(ix.expiry_date, contract.expiry))
        throw new CsvError(
          file,
          r.line,
          `expiry_date "${r.str(ix.expiry_date)}" differs from ${contract.expiry} on the contract's first row`,
        );
      if (r.num(ix.strike_price) !== contract.strike)
        throw new CsvError(
          file,
          r.line,
          `strike_price "${r.str(ix.strike_price)}" differs from ${contract.strike} on the contract's first row`,
        );
    }
    const prev = isCE ? ceLast : peLast;
    if (ts <= prev) {
      if (ts === prev)
        throw new CsvError(file, r.line, `duplicate timestamp ${r.str(ix.timestamp)} for ${contract.instrumentKey}`);
      throw new CsvError(
        file,
        r.line,
        `timestamp ${r.str(ix.timestamp)} for ${contract.instrumentKey} is ` +
          `earlier than its previous row: sort the file by time`,
      );
    }
    const candle = candleAt(r, ts, ix, file);
    if (isCE) {
      ceLast = ts;
      ceCandles.push(candle);
    } else {
      peLast = ts;
      peCandles.push(candle);
    }
  }
  finishDay();
  return new Map([...days.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * Trading days (by the NSE calendar) in [from, to] that have no index candle, within the span the
 * index file covers: a gap inside the data, which would otherwise be skipped without a word.
 */
export function missingIndexDays(
  index: readonly Candle[],
  calendar: MarketCalendar,
  from: string,
  to: string,
): string[] {
  if (index.length === 0) return [];
  const have = new Set<string>();
  let last = '';
  for (const c of index) {
    const d = istDate(c.ts);
    if (d !== last) have.add((last = d));
  }
  const first = istDate(index[0]!.ts);
  const end = istDate(index.at(-1)!.ts) < to ? istDate(index.at(-1)!.ts) : to;
  const out: string[] = [];
  for (let d = from > first ? from : first; d <= end; d = addDays(d, 1))
    if (!have.has(d) && calendar.isTradingDay(d)) out.push(d);
  return out;
}
