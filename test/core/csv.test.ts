import { describe, expect, it } from 'vitest';
import { CsvError, parseIndexCsv, parseOptionsCsv, parseTimestamp } from '../../src/feed/csv.js';

const IDX = 'datetime,open,high,low,close,volume\n';
const row = (t: string, o = 100, h = 101, l = 99, c = 100.5) => `2025-06-02 ${t}:00+05:30,${o},${h},${l},${c},0\n`;
const OPT = 'timestamp,open,high,low,close,volume,oi,datetime,date,instrument_type,strike_price,expiry_date,instrument_key,trading_day,is_expired\n';
const orow = (t: string, side: 'CE' | 'PE', key = side === 'CE' ? 'NSE_FO|1|05-06-2025' : 'NSE_FO|2|05-06-2025') =>
  `2025-06-02T${t}:00+05:30,10,11,9,10.5,100,5,x,2025-06-02,${side},24550,2025-06-05,${key},2025-06-02,False\n`;

function error(fn: () => unknown): CsvError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CsvError) return e;
    throw e;
  }
  throw new Error('expected a CsvError');
}

describe('timestamps', () => {
  it('parses both layouts with an offset, rejects junk', () => {
    expect(parseTimestamp('2025-06-02 09:15:00+05:30')).toBe(Date.parse('2025-06-02T03:45:00Z'));
    expect(parseTimestamp('2025-06-02T09:15:00+05:30')).toBe(Date.parse('2025-06-02T03:45:00Z'));
    expect(parseTimestamp('2025-06-02 09:15:00')).toBeNaN();
    expect(parseTimestamp('2025-13-02 09:15:00+05:30')).toBeNaN();
    expect(parseTimestamp('2025-06-0x 09:15:00+05:30')).toBeNaN();
  });
});

describe('index CSV', () => {
  it('parses rows', () => {
    const c = parseIndexCsv(IDX + row('09:15') + row('09:20'), 'i.csv');
    expect(c).toHaveLength(2);
    expect(c[1]!.close).toBe(100.5);
  });
  it('names the file, line and problem for each kind of bad input', () => {
    expect(error(() => parseIndexCsv('datetime,open,high,low,volume\n', 'i.csv')).message).toBe('i.csv:1: missing column close (expected header with datetime,open,high,low,close,volume)');
    expect(error(() => parseIndexCsv(IDX + row('09:15') + '2025-06-02 09:20:00+05:30,1,2\n', 'i.csv')).message).toMatch(/^i\.csv:3: expected 6 fields, found 3/);
    expect(error(() => parseIndexCsv(IDX + row('09:15') + row('09:15'), 'i.csv')).message).toBe('i.csv:3: duplicate timestamp 2025-06-02 09:15:00+05:30');
    expect(error(() => parseIndexCsv(IDX + row('09:20') + row('09:15'), 'i.csv')).message).toMatch(/^i\.csv:3: timestamp .* is earlier .* sorted/);
    expect(error(() => parseIndexCsv(IDX + row('09:15', 100, 101, 99, NaN), 'i.csv')).message).toBe('i.csv:2: close "NaN" is not a number');
    expect(error(() => parseIndexCsv(IDX + 'yesterday,1,1,1,1,0\n', 'i.csv')).message).toMatch(/^i\.csv:2: datetime "yesterday" is not a timestamp/);
    expect(error(() => parseIndexCsv(IDX + row('09:17'), 'i.csv')).message).toMatch(/not on a 5-minute boundary/);
    expect(error(() => parseIndexCsv(IDX + row('09:15', 100, 99, 101, 100), 'i.csv')).message).toMatch(/inconsistent candle/);
    expect(error(() => parseIndexCsv('', 'i.csv')).message).toMatch(/empty/);
  });
});

describe('options CSV', () => {
  it('groups a day into its CE/PE pair', () => {
    const days = parseOptionsCsv(OPT + orow('09:15', 'CE') + orow('09:15', 'PE') + orow('09:20', 'CE'), 'o.csv');
    const d = days.get('2025-06-02')!;
    expect(d.contracts.CE.instrumentKey).toBe('NSE_FO|1|05-06-2025');
    expect(d.candles.CE).toHaveLength(2);
    expect(d.candles.PE).toHaveLength(1);
  });
  it('rejects a day without its pair, a second contract, duplicates and a missing column', () => {
    expect(error(() => parseOptionsCsv(OPT + orow('09:15', 'CE'), 'o.csv')).message).toBe('o.csv:2: trading day 2025-06-02 has no PE contract: each day needs its CE/PE pair');
    expect(error(() => parseOptionsCsv(OPT + orow('09:15', 'CE') + orow('09:20', 'CE', 'NSE_FO|9|05-06-2025'), 'o.csv')).message).toMatch(/^o\.csv:3: trading day 2025-06-02 has a second CE contract/);
    expect(error(() => parseOptionsCsv(OPT + orow('09:15', 'CE') + orow('09:15', 'CE'), 'o.csv')).message).toMatch(/^o\.csv:3: duplicate timestamp/);
    expect(error(() => parseOptionsCsv(OPT.replace('instrument_key,', ''), 'o.csv')).message).toMatch(/missing column instrument_key/);
    expect(error(() => parseOptionsCsv(OPT + orow('09:15', 'CE').replace(',CE,', ',XX,'), 'o.csv')).message).toMatch(/instrument_type "XX" must be CE or PE/);
  });
});
