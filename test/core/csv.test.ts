import { describe, expect, it } from 'vitest';
import { MarketCalendar } from '../../src/core/calendar.js';
import { CsvError, missingIndexDays, parseIndexCsv, parseOptionsCsv, parseTimestamp } from '../../src/feed/csv.js';

const IDX = 'datetime,open,high,low,close,volume\n';
const row = (t: string, o = 100, h = 101, l = 99, c = 100.5) => `2025-06-02 ${t}:00+05:30,${o},${h},${l},${c},0\n`;
const OPT =
  'timestamp,open,high,low,close,volume,oi,datetime,date,instrument_type,' +
  'strike_price,expiry_date,instrument_key,trading_day,is_expired\n';
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
    expect(error(() => parseIndexCsv('datetime,open,high,low,volume\n', 'i.csv')).message).toBe(
      'i.csv:1: missing column close (expected header with datetime,open,high,low,close,volume)',
    );
    expect(error(() => parseIndexCsv(IDX + row('09:15') + '2025-06-02 09:20:00+05:30,1,2\n', 'i.csv')).message).toMatch(
      /^i\.csv:3: expected 6 fields, found 3/,
    );
    expect(error(() => parseIndexCsv(IDX + row('09:15') + row('09:15'), 'i.csv')).message).toBe(
      'i.csv:3: duplicate timestamp 2025-06-02 09:15:00+05:30',
    );
    expect(error(() => parseIndexCsv(IDX + row('09:20') + row('09:15'), 'i.csv')).message).toMatch(
      /^i\.csv:3: timestamp .* is earlier .* sorted/,
    );
    expect(error(() => parseIndexCsv(IDX + row('09:15', 100, 101, 99, NaN), 'i.csv')).message).toBe(
      'i.csv:2: close "NaN" is not a number',
    );
    expect(error(() => parseIndexCsv(IDX + 'yesterday,1,1,1,1,0\n', 'i.csv')).message).toMatch(
      /^i\.csv:2: datetime "yesterday" is not a timestamp/,
    );
    expect(error(() => parseIndexCsv(IDX + row('09:17'), 'i.csv')).message).toMatch(/off the 5-minute grid/);
    expect(error(() => parseIndexCsv(IDX + row('09:15', 100, 99, 101, 100), 'i.csv')).message).toMatch(
      /inconsistent candle/,
    );
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
    expect(error(() => parseOptionsCsv(OPT + orow('09:15', 'CE'), 'o.csv')).message).toBe(
      'o.csv:2: trading day 2025-06-02 has no PE contract: each day needs its CE/PE pair',
    );
    expect(
      error(() => parseOptionsCsv(OPT + orow('09:15', 'CE') + orow('09:20', 'CE', 'NSE_FO|9|05-06-2025'), 'o.csv'))
        .message,
    ).toMatch(/^o\.csv:3: trading day 2025-06-02 has a second CE contract/);
    expect(error(() => parseOptionsCsv(OPT + orow('09:15', 'CE') + orow('09:15', 'CE'), 'o.csv')).message).toMatch(
      /^o\.csv:3: duplicate timestamp/,
    );
    expect(error(() => parseOptionsCsv(OPT.replace('instrument_key,', ''), 'o.csv')).message).toMatch(
      /missing column instrument_key/,
    );
    expect(error(() => parseOptionsCsv(OPT + orow('09:15', 'CE').replace(',CE,', ',XX,'), 'o.csv')).message).toMatch(
      /instrument_type "XX" must be CE or PE/,
    );
  });
});

const at = (day: string, t: string, o = 100, h = 101, l = 99, c = 100.5) =>
  `${day} ${t}:00+05:30,${o},${h},${l},${c},0\n`;

describe('strict CSV input: each error names file:line and what is wrong', () => {
  it('a timestamp off the 5-minute grid (15:25:17), in either file', () => {
    expect(
      error(() => parseIndexCsv(IDX + row('15:20') + '2025-06-02 15:25:17+05:30,1,1,1,1,0\n', 'i.csv')).message,
    ).toBe(
      'i.csv:3: datetime 2025-06-02 15:25:17+05:30 is off the 5-minute grid: a ' +
        'candle starts at :00, :05, … :55 with 00 seconds',
    );
    expect(
      error(() => parseOptionsCsv(OPT + orow('09:15', 'CE').replace('09:15:00+05:30', '09:15:30+05:30'), 'o.csv'))
        .message,
    ).toMatch(/^o\.csv:2: timestamp 2025-06-02T09:15:30\+05:30 is off the 5-minute grid/);
  });

  it('an impossible date is not a timestamp', () => {
    expect(error(() => parseIndexCsv(IDX + at('2025-02-30', '09:15'), 'i.csv')).message).toMatch(
      /^i\.csv:2: datetime "2025-02-30 09:15:00\+05:30" is not a timestamp/,
    );
  });

  it('a row dated another day than its neighbours is blamed, not the row after it', () => {
    const later =
      IDX +
      at('2025-06-02', '09:15') +
      at('2025-06-03', '09:20') +
      at('2025-06-02', '09:25') +
      at('2025-06-02', '09:30');
    expect(error(() => parseIndexCsv(later, 'i.csv')).message).toBe(
      'i.csv:3: this row is dated 2025-06-03 but the rows before and after it are dated 2025-06-02',
    );
    const earlier = IDX + at('2025-06-02', '09:15') + at('2025-06-01', '09:20') + at('2025-06-02', '09:25');
    expect(error(() => parseIndexCsv(earlier, 'i.csv')).message).toBe(
      'i.csv:3: this row is dated 2025-06-01 but the rows before and after it are dated 2025-06-02',
    );
    // Same day, one row too late: that row is blamed.
    const late = IDX + row('09:15') + row('10:00') + row('09:20') + row('09:25');
    expect(error(() => parseIndexCsv(late, 'i.csv')).message).toBe(
      'i.csv:3: timestamp 2025-06-02 10:00:00+05:30 is later than the row after ' +
        'it (line 4): the file must be sorted by time',
    );
    // Options: a row whose timestamp is another day than its trading_day, and a row of another day among a day's rows.
    expect(
      error(() =>
        parseOptionsCsv(
          OPT + orow('09:15', 'CE') + orow('09:15', 'PE').replace('2025-06-02T09:15', '2025-06-03T09:15'),
          'o.csv',
        ),
      ).message,
    ).toBe('o.csv:3: timestamp 2025-06-03T09:15:00+05:30 is dated 2025-06-03 but trading_day is 2025-06-02');
    const odd = orow('09:20', 'CE').replaceAll('2025-06-02', '2025-06-03');
    expect(
      error(() => parseOptionsCsv(OPT + orow('09:15', 'CE') + orow('09:15', 'PE') + odd + orow('09:20', 'PE'), 'o.csv'))
        .message,
    ).toBe('o.csv:4: this row is dated 2025-06-03 but the rows before and after it are dated 2025-06-02');
  });

  it('a negative price says "negative"', () => {
    expect(error(() => parseIndexCsv(IDX + row('09:15', -100, 101, 99, 100), 'i.csv')).message).toBe(
      'i.csv:2: open -100 is negative: prices and volumes are never below 0',
    );
    expect(
      error(() => parseOptionsCsv(OPT + orow('09:15', 'CE').replace(',10,11,9,10.5,', ',10,11,-9,10.5,'), 'o.csv'))
        .message,
    ).toBe('o.csv:2: low -9 is negative: prices and volumes are never below 0');
    expect(
      error(() => parseIndexCsv(IDX + row('09:15', 100, 101, 99, 100).replace(',0\n', ',abc\n'), 'i.csv')).message,
    ).toBe('i.csv:2: volume "abc" is not a number');
  });

  it('the two files swapped: each says it looks like the other file', () => {
    expect(error(() => parseIndexCsv(OPT + orow('09:15', 'CE'), 'opt.csv')).message).toBe(
      'opt.csv:1: this looks like the options file (it has the columns ' +
        'instrument_key, instrument_type, strike_price, expiry_date, trading_day),' +
        ' not the index file: are the index and options files swapped?',
    );
    expect(error(() => parseOptionsCsv(IDX + row('09:15'), 'idx.csv')).message).toBe(
      'idx.csv:1: this looks like the index file (columns datetime,open,high,' +
        'low,close,volume, no instrument_key or strike_price), not the options ' +
        'file: are the index and options files swapped?',
    );
  });

  it('reads CRLF files and a last line without a newline the same', () => {
    const lf = parseIndexCsv(IDX + row('09:15') + row('09:20'), 'i.csv');
    expect(parseIndexCsv((IDX + row('09:15') + row('09:20')).replaceAll('\n', '\r\n'), 'i.csv')).toEqual(lf);
    expect(parseIndexCsv((IDX + row('09:15') + row('09:20')).trimEnd(), 'i.csv')).toEqual(lf);
    expect(parseIndexCsv(IDX + row('09:15', 24140.85, 24154.65, 24029.65, 24037.75), 'i.csv')[0]).toMatchObject({
      open: 24140.85,
      high: 24154.65,
      low: 24029.65,
      close: 24037.75,
    });
  });

  it('a blank line inside the file is a malformed row', () => {
    expect(error(() => parseIndexCsv(IDX + row('09:15') + '\n' + row('09:20'), 'i.csv')).message).toMatch(
      /^i\.csv:3: expected 6 fields, found 1/,
    );
  });

  it(
    'an index trading day missing inside the range is found by the NSE ' +
      'calendar (weekends and holidays are not gaps)',
    () => {
      const idx = parseIndexCsv(
        IDX + at('2025-06-02', '09:15') + at('2025-06-04', '09:15') + at('2025-06-09', '09:15'),
        'i.csv',
      );
      expect(missingIndexDays(idx, new MarketCalendar(), '2025-06-01', '2025-06-30')).toEqual([
        '2025-06-03',
        '2025-06-05',
        '2025-06-06',
      ]);
      expect(missingIndexDays(idx, new MarketCalendar(), '2025-06-04', '2025-06-04')).toEqual([]);
    },
  );
});
