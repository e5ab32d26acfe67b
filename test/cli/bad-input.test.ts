/**
 * Every bad input issue 11 names, through the built CLI as a user meets it: one sentence naming the
 * file:line, flag or setting, the project's exit code (64 usage, 65 bad data, 74 I/O, 78 config), and
 * never a stack trace.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'niftybox-bad-'));
const home = join(tmp, 'home');
mkdirSync(home);
// A user's machine with no config of its own: nothing from the developer's $HOME leaks in.
const env = { ...process.env, HOME: home, NIFTYBOX_CONFIG: '', NIFTYBOX_DB: '', NIFTYBOX_UPSTOX_TOKEN: '' };
const cli = (args: string[], extraEnv: Record<string, string> = {}) => runCli(args, { env: { ...env, ...extraEnv } });

const IDX_HEAD = 'datetime,open,high,low,close,volume';
const OPT_HEAD =
  'timestamp,open,high,low,close,volume,oi,datetime,date,instrument_type,' +
  'strike_price,expiry_date,instrument_key,trading_day,is_expired';
const times = Array.from(
  { length: 12 },
  (_, i) =>
    `${String(9 + Math.floor((15 + 5 * i) / 60)).padStart(2, '0')}:${String((15 + 5 * i) % 60).padStart(2, '0')}`,
);
const indexRows = (day: string) =>
  times.map((t, i) => `${day} ${t}:00+05:30,${24500 + i},${24510 + i},${24490 + i},${24505 + i},0`);
const optionRows = (day: string) =>
  times.flatMap((t) =>
    (['CE', 'PE'] as const).map(
      (side) =>
        `${day}T${t}:00+05:30,100,104,98,101,1000,5000,${day} ${t}:00+05:30,${day},` +
        `${side},24500,2025-06-05,NSE_FO|${side === 'CE' ? 1 : 2}|05-06-2025,${day},` +
        `True`,
    ),
  );

function files(name: string, index: string[], options: string[]) {
  const i = join(tmp, `${name}-index.csv`);
  const o = join(tmp, `${name}-options.csv`);
  writeFileSync(i, [IDX_HEAD, ...index].join('\n') + '\n');
  writeFileSync(o, [OPT_HEAD, ...options].join('\n') + '\n');
  return { i, o };
}
const good = files(
  'good',
  [...indexRows('2025-06-02'), ...indexRows('2025-06-03')],
  [...optionRows('2025-06-02'), ...optionRows('2025-06-03')],
);

function expectOneSentence(r: { code: number | null; stderr: string }, code: number, pattern: RegExp) {
  expect(r.stderr, r.stderr).toMatch(pattern);
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/); // no stack trace
}

describe('bad CSV input names the file and line (exit 65)', () => {
  it('the good files are accepted (so each failure below is the one bad thing)', () => {
    const r = cli(['backtest', '--index', good.i, '--options', good.o]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('a timestamp off the 5-minute grid', () => {
    const rows = indexRows('2025-06-02');
    rows[4] = rows[4]!.replace('09:35:00', '09:35:17');
    const f = files(
      'offgrid',
      [...rows, ...indexRows('2025-06-03')],
      [...optionRows('2025-06-02'), ...optionRows('2025-06-03')],
    );
    expectOneSentence(
      cli(['backtest', '--index', f.i, '--options', f.o]),
      65,
      new RegExp(`^niftybox backtest: ${f.i}:6: datetime 2025-06-02 09:35:17\\+05:30 is off the 5-minute grid`),
    );
  });

  it('a row dated another day than its neighbours blames that row', () => {
    const rows = indexRows('2025-06-02');
    rows[5] = rows[5]!.replace('2025-06-02', '2025-06-12');
    const f = files(
      'otherday',
      [...rows, ...indexRows('2025-06-03')],
      [...optionRows('2025-06-02'), ...optionRows('2025-06-03')],
    );
    expectOneSentence(
      cli(['backtest', '--index', f.i, '--options', f.o]),
      65,
      new RegExp(
        `^niftybox backtest: ${f.i}:7: this row is dated 2025-06-12 but the rows ` +
          `before and after it are dated 2025-06-02\\n$`,
      ),
    );
  });

  it(
    'an index trading day missing inside the traded range: an error naming ' +
      'file and date, or a counted note with --allow-gaps',
    () => {
      const f = files(
        'gap',
        [...indexRows('2025-06-02'), ...indexRows('2025-06-04')],
        [...optionRows('2025-06-02'), ...optionRows('2025-06-04')],
      );
      expectOneSentence(
        cli(['backtest', '--index', f.i, '--options', f.o]),
        65,
        new RegExp(
          `^niftybox backtest: ${f.i}: no candles for trading day 2025-06-03, ` +
            `inside the traded range 2025-06-02 … 2025-06-04: .*--allow-gaps`,
        ),
      );
      const ok = cli(['backtest', '--index', f.i, '--options', f.o, '--allow-gaps']);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(
        /note +1 index trading day missing from .*gap-index\.csv and not traded \(--allow-gaps\): 2025-06-03/,
      );
      // The replay is as strict as the backtest.
      expectOneSentence(
        cli(['run', '--replay', `${f.i},${f.o}`, '--db', join(tmp, 'gap.db'), '--display', 'none']),
        65,
        /no candles for trading day 2025-06-03/,
      );
    },
  );

  it('a negative price says "negative"', () => {
    const rows = optionRows('2025-06-02');
    rows[3] = rows[3]!.replace(',100,104,98,101,', ',100,104,-98,101,');
    const f = files(
      'negative',
      [...indexRows('2025-06-02'), ...indexRows('2025-06-03')],
      [...rows, ...optionRows('2025-06-03')],
    );
    expectOneSentence(
      cli(['backtest', '--index', f.i, '--options', f.o]),
      65,
      new RegExp(`^niftybox backtest: ${f.o}:5: low -98 is negative`),
    );
  });

  it('the two files swapped: says this looks like the other file', () => {
    expectOneSentence(
      cli(['backtest', '--index', good.o, '--options', good.i]),
      65,
      new RegExp(
        `^niftybox backtest: ${good.o}:1: this looks like the options file .*are ` +
          `the index and options files swapped\\?`,
      ),
    );
    // Index right, options given the index file again.
    expectOneSentence(
      cli(['backtest', '--index', good.i, '--options', good.i]),
      65,
      new RegExp(`^niftybox backtest: ${good.i}:1: this looks like the index file .*swapped\\?`),
    );
  });

  it('a file that is not there is named', () => {
    expectOneSentence(
      cli(['backtest', '--index', join(tmp, 'nope.csv'), '--options', good.o]),
      65,
      /cannot read the index file .*nope\.csv: ENOENT/,
    );
    expectOneSentence(
      cli(['backtest', '--index', good.i, '--options', tmp]),
      65,
      new RegExp(`^niftybox backtest: cannot read the options file ${tmp}: it is a directory \\(EISDIR\\)\n$`),
    );
  });
});

describe('bad flags name the flag (exit 64)', () => {
  const bt = ['backtest', '--index', good.i, '--options', good.o];
  const cases: [string, string[], RegExp][] = [
    [
      'an impossible date',
      [...bt, '--from', '2025-02-30'],
      /^niftybox backtest: --from 2025-02-30 is not a real date \(that month has 28 days\)\n$/,
    ],
    ['a date that is no date', [...bt, '--to', '5 June'], /--to "5 June" is not a date YYYY-MM-DD/],
    [
      '--from after --to',
      [...bt, '--from', '2025-06-03', '--to', '2025-06-02'],
      /--from 2025-06-03 is after --to 2025-06-02/,
    ],
    [
      '--slippage -1 is a bad value, not "ambiguous"',
      [...bt, '--slippage', '-1'],
      /^niftybox backtest: --slippage "-1" is not a valid value: it must be a number from 0 to 50\n$/,
    ],
    [
      '--slippage above 50',
      [...bt, '--slippage', '51'],
      /--slippage "51" is not a valid value: it must be a number from 0 to 50/,
    ],
    ['--slippage not a number', [...bt, '--slippage', 'half'], /--slippage "half" is not a valid value/],
    [
      'a flag without its value',
      [...bt, '--csv', '--json'],
      /^niftybox backtest: --csv needs a value, but the next word is a flag/,
    ],
    ['an unknown flag', [...bt, '--bogus'], /Unknown option '--bogus'[\s\S]*usage: niftybox backtest/],
    [
      'run --from without --replay',
      ['run', '--from', '2025-06-02'],
      /^niftybox run: --from does nothing without --replay INDEX,OPTIONS\n$/,
    ],
    ['run --speed without --replay', ['run', '--speed', '10', '--demo'], /--speed does nothing without --replay/],
    [
      'run --sessions in a replay',
      ['run', '--replay', `${good.i},${good.o}`, '--sessions', '2'],
      /--sessions does nothing in a replay/,
    ],
    [
      'run --sessions 1.5 (sessions are whole)',
      ['run', '--demo', '--sessions', '1.5'],
      /^niftybox run: --sessions "1.5" is not a valid value: it must be a whole number ≥ 0\n$/,
    ],
    [
      'run --sessions -1',
      ['run', '--demo', '--sessions', '-1'],
      /--sessions "-1" is not a valid value: it must be a whole number/,
    ],
    [
      'run --day not a date',
      ['run', '--demo', '--day', '7 Dec'],
      /^niftybox run: --day "7 Dec" is not a date YYYY-MM-DD\n$/,
    ],
    [
      'run --day in a replay',
      ['run', '--replay', `${good.i},${good.o}`, '--day', '2026-12-07'],
      /--day does nothing in a replay/,
    ],
    [
      'run --display unknown',
      ['run', '--display', 'fancy'],
      /^niftybox run: --display "fancy" is not one of auto, oled, terminal, none, png:FILE\n$/,
    ],
    [
      'login --port abc',
      ['login', '--port', 'abc'],
      /^niftybox login: --port "abc" is not a port: give a whole number from 1 to 65535\n$/,
    ],
    ['login --port 70000', ['login', '--port', '70000'], /--port "70000" is not a port/],
    ["login --token ''", ['login', '--token', ''], /^niftybox login: --token is empty: give the Analytics token/],
    [
      'report --db a directory',
      ['report', '--db', tmp],
      new RegExp(`^niftybox report: --db ${tmp} is a directory: give the ledger file's path`),
    ],
  ];
  for (const [what, args, pattern] of cases) it(what, () => expectOneSentence(cli(args), 64, pattern));
});

describe('files the command cannot write (exit 74)', () => {
  it('backtest --csv into a folder that does not exist is refused before the backtest runs', () => {
    const r = cli([
      'backtest',
      '--index',
      good.i,
      '--options',
      good.o,
      '--csv',
      join(tmp, 'no-such-dir', 'trades.csv'),
    ]);
    expectOneSentence(
      r,
      74,
      /^niftybox backtest: cannot write --csv .*no-such-dir\/trades\.csv: its folder does not exist \(ENOENT\)\n$/,
    );
    expect(r.stdout).toBe('');
  });
  it('backtest --csv onto a directory', () => {
    expectOneSentence(
      cli(['backtest', '--index', good.i, '--options', good.o, '--csv', tmp]),
      74,
      /cannot write --csv .*: it is a directory \(EISDIR\)/,
    );
  });
  it('report --csv into a folder that does not exist', () => {
    expectOneSentence(
      cli(['report', '--db', join(tmp, 'none.db'), '--csv', join(tmp, 'no-such-dir', 'x.csv')]),
      74,
      /^niftybox report: cannot write --csv .*its folder does not exist/,
    );
  });
});

describe('bad configuration names the setting (exit 78)', () => {
  it('NIFTYBOX_DB pointing at a directory says so', () => {
    expectOneSentence(
      cli(['report'], { NIFTYBOX_DB: tmp }),
      78,
      new RegExp(`NIFTYBOX_DB \\(config key db\\): ${tmp} is a directory; give the ledger file's path`),
    );
  });
  it('a config path that is a directory says so', () => {
    expectOneSentence(
      cli(['report', '--config', home]),
      78,
      new RegExp(`config file ${home} is a directory: give the YAML file itself`),
    );
  });
  it('entryStart after entryEnd', () => {
    const f = join(tmp, 'start-after-end.yaml');
    writeFileSync(f, 'strategy:\n  entryStart: "14:00"\n  entryEnd: "10:00"\n');
    expectOneSentence(
      cli(['report', '--config', f]),
      78,
      /config key strategy\.entryStart: entryStart 14:00 is after entryEnd 10:00/,
    );
  });
  it('entryEnd not before eodExit', () => {
    const f = join(tmp, 'end-after-eod.yaml');
    writeFileSync(f, 'strategy:\n  entryEnd: "15:25"\n');
    expectOneSentence(
      cli(['report', '--config', f]),
      78,
      /config key strategy\.entryEnd: entryEnd 15:25 must be before eodExit 15:25/,
    );
  });
});
