// Backtest cost vs merely parsing the two CSVs, measured in one run (median of N).
// Targets: a backtest over all shared data costs at most 1.5× the parse; the parse < 25 ms.
// `--json` prints backtest.{ms, parseMs, overParse} as the last line.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { runBacktest } from '../dist/core/backtest.js';
import { MarketCalendar } from '../dist/core/calendar.js';
import { DEFAULT_RISK, DEFAULT_V25 } from '../dist/core/params.js';
import { parseIndexCsv, parseOptionsCsv } from '../dist/feed/csv.js';

const data = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'data');
const indexFile = join(data, 'nifty50-5min.csv');
const optionsFile = join(data, 'nifty-atm-options-5min.csv');
if (!existsSync(indexFile)) {
  console.log(`bench-backtest: skipped, ${data} not found`);
  process.exit(0);
}
const N = Number(process.env.BENCH_RUNS ?? 15);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function parse() {
  return { index: parseIndexCsv(readFileSync(indexFile, 'utf8'), indexFile), options: parseOptionsCsv(readFileSync(optionsFile, 'utf8'), optionsFile) };
}
function backtest() {
  const { index, options } = parse();
  return runBacktest({ index, options, params: DEFAULT_V25, risk: DEFAULT_RISK, calendar: new MarketCalendar() });
}
for (let i = 0; i < 3; i++) { parse(); backtest(); } // warm the JIT
const parseMs = [];
const backtestMs = [];
let trades = 0;
for (let i = 0; i < N; i++) {
  let t = performance.now();
  parse();
  parseMs.push(performance.now() - t);
  t = performance.now();
  trades = backtest().trades.length;
  backtestMs.push(performance.now() - t);
}
const p = median(parseMs);
const b = median(backtestMs);
console.log(`bench-backtest: parse both CSVs        ${p.toFixed(1)} ms (median of ${N})`);
console.log(`bench-backtest: backtest incl. parse   ${b.toFixed(1)} ms (${trades} trades, 18,538 index + 18,624 option candles)`);
console.log(`bench-backtest: ratio backtest/parse   ${(b / p).toFixed(2)}× (target ≤ 1.5×)`);
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ backtest: { ms: +b.toFixed(1), parseMs: { value: +p.toFixed(1), target: '< 25' }, overParse: { value: +(b / p).toFixed(2), target: '<= 1.5' }, trades } }));
}
