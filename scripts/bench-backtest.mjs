// Backtest cost vs merely parsing the two CSVs, measured in one run (median of N).
// Targets: parsing both shared CSVs (3.7 MB) under 25 ms; a backtest over all shared data costs at most 1.5× the parse.
// `--json`: the last stdout line is one JSON object with the figures.
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
const asJson = process.argv.includes('--json');
if (!existsSync(indexFile)) {
  console.log(`bench-backtest: skipped, ${data} not found`);
  if (asJson) console.log(JSON.stringify({ bench: 'backtest', skipped: `${data} not found` }));
  process.exit(0);
}
const N = Number(process.env.BENCH_RUNS ?? 15);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// As `niftybox backtest` reads them: the files' bytes.
const bytes = { index: readFileSync(indexFile), options: readFileSync(optionsFile) };
function parseOnly() {
  return { index: parseIndexCsv(bytes.index, indexFile), options: parseOptionsCsv(bytes.options, optionsFile) };
}
function parse() {
  return { index: parseIndexCsv(readFileSync(indexFile), indexFile), options: parseOptionsCsv(readFileSync(optionsFile), optionsFile) };
}
function backtest() {
  const { index, options } = parse();
  return runBacktest({ index, options, params: DEFAULT_V25, risk: DEFAULT_RISK, calendar: new MarketCalendar() });
}
for (let i = 0; i < 3; i++) { parseOnly(); parse(); backtest(); } // warm the JIT
// CPU time as well as wall time: on a shared machine the wall clock also counts other processes' turns.
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const onlyCpuMs = [];
const onlyMs = [];
const parseMs = [];
const backtestMs = [];
let trades = 0;
for (let i = 0; i < N; i++) {
  let t = performance.now();
  const c = cpuMs();
  parseOnly();
  onlyMs.push(performance.now() - t);
  onlyCpuMs.push(cpuMs() - c);
  t = performance.now();
  parse();
  parseMs.push(performance.now() - t);
  t = performance.now();
  trades = backtest().trades.length;
  backtestMs.push(performance.now() - t);
}
const only = median(onlyMs);
const p = median(parseMs);
const b = median(backtestMs);
const onlyCpu = median(onlyCpuMs);
console.log(`bench-backtest: parse both CSVs        ${only.toFixed(1)} ms wall, ${onlyCpu.toFixed(1)} ms CPU (median of ${N}; target < 25 ms; fastest ${Math.min(...onlyMs).toFixed(1)} ms wall)`);
console.log(`bench-backtest: read + parse           ${p.toFixed(1)} ms`);
console.log(`bench-backtest: backtest incl. parse   ${b.toFixed(1)} ms (${trades} trades, 18,538 index + 18,624 option candles)`);
console.log(`bench-backtest: ratio backtest/parse   ${(b / p).toFixed(2)}× (target ≤ 1.5×)`);
if (asJson) {
  const r1 = (x) => Math.round(x * 10) / 10;
  console.log(JSON.stringify({ backtest: { ms: r1(b), parseMs: { value: r1(only), target: '< 25' }, parseCpuMs: r1(onlyCpu), parseMinMs: r1(Math.min(...onlyMs)), readParseMs: r1(p), overParse: { value: Math.round((b / p) * 100) / 100, target: '<= 1.5' }, trades } }));
}
