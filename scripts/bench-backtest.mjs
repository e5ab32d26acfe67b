// The backtest's cost against merely parsing the two CSVs of ../shared/data, in one process.
// Targets: parsing both shared CSVs (3.7 MB) under 25 ms; a backtest over all of it (parse + engine)
// costs at most 1.5× the parse alone.
//
// How (BENCH_RUNS runs, default 25, after 3 warm-up rounds), as `niftybox backtest` works: each run
// parses both files from their bytes (read once beforehand: the parse, not the page cache) and runs the
// backtest on what it just parsed; the two phases are timed apart (wall and process-CPU time). The
// engine phase therefore pays for the scavenges that promote the parse's candles, as it does in the
// CLI. No forced GC before a phase: a forced full GC shrinks the young generation, and the run after it
// then pays for regrowing it (measured: the engine's median went from ~16 ms to ~80–120 ms), which no
// user's backtest does.
// Figures: parseMs = the fastest parse (what the parse costs when the machine gives it the CPU; every
// run does the same work, so the fastest is the least disturbed); parseMedianMs and parseCpuMs (median
// process CPU) beside it, and the first, cold parse of the process. overParse = (parse + engine) / parse
// with the medians of the runs; overParseFastest (from the fastest of each) and overParseCpu (CPU-time
// medians) beside it. backtest.ms = the fastest read + parse + backtest in one go, for reference.
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
const N = Number(process.env.BENCH_RUNS ?? 25);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const min = (xs) => Math.min(...xs);
// Process CPU time (every thread: the parallel scavenges a parse causes are its work too).
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** Runs fn; its wall and CPU time. */
function timed(fn) {
  const c = cpuMs();
  const t = performance.now();
  const value = fn();
  return { wall: performance.now() - t, cpu: cpuMs() - c, value };
}

const bytes = { index: readFileSync(indexFile), options: readFileSync(optionsFile) };
const parse = () => ({
  index: parseIndexCsv(bytes.index, indexFile),
  options: parseOptionsCsv(bytes.options, optionsFile),
});
const backtestOf = ({ index, options }) =>
  runBacktest({ index, options, params: DEFAULT_V25, risk: DEFAULT_RISK, calendar: new MarketCalendar() });
const endToEnd = () =>
  backtestOf({
    index: parseIndexCsv(readFileSync(indexFile), indexFile),
    options: parseOptionsCsv(readFileSync(optionsFile), optionsFile),
  });

const cold = timed(parse);
for (let i = 0; i < 3; i++) backtestOf(parse()); // warm the JIT
const runs = { parse: [], engine: [], endToEnd: [] };
let trades = 0;
for (let i = 0; i < N; i++) {
  const p = timed(parse);
  runs.parse.push(p);
  const e = timed(() => backtestOf(p.value));
  trades = e.value.trades.length;
  runs.engine.push(e);
  runs.endToEnd.push(timed(endToEnd));
  for (const k of Object.keys(runs)) runs[k].at(-1).value = null;
}
const wall = (k) => runs[k].map((r) => r.wall);
const cpu = (k) => runs[k].map((r) => r.cpu);
const P = min(wall('parse'));
const E = min(wall('engine'));
const Pmed = median(wall('parse'));
const Emed = median(wall('engine'));
const r1 = (x) => Math.round(x * 10) / 10;
const r2 = (x) => Math.round(x * 100) / 100;
const fig = {
  ms: r1(min(wall('endToEnd'))),
  msMedian: r1(median(wall('endToEnd'))),
  parseMs: { value: r1(P), target: '< 25' },
  parseMedianMs: r1(Pmed),
  parseCpuMs: r1(median(cpu('parse'))),
  parseColdMs: r1(cold.wall),
  engineMs: r1(E),
  engineMedianMs: r1(Emed),
  engineCpuMs: r1(median(cpu('engine'))),
  overParse: { value: r2((Pmed + Emed) / Pmed), target: '<= 1.5' },
  overParseFastest: r2((P + E) / P),
  overParseCpu: r2((median(cpu('parse')) + median(cpu('engine'))) / median(cpu('parse'))),
  runs: N,
  trades,
};
const say = (l) => console.log(`bench-backtest: ${l}`);
say(
  `parse both CSVs (3.7 MB)   ${fig.parseMs.value} ms fastest of ${N}, ` +
    `median ${fig.parseMedianMs} ms wall, ${fig.parseCpuMs} ms CPU; first ` +
    `(cold) ${fig.parseColdMs} ms (target < 25 ms)`,
);
say(
  `engine on what it parsed  ${fig.engineMs} ms fastest, median ${fig.engineMedianMs} ` +
    `ms wall, ${fig.engineCpuMs} ms CPU (${trades} trades, 18,538 index + 18,` +
    `624 option candles)`,
);
say(`read + parse + backtest    ${fig.ms} ms fastest, median ${fig.msMedian} ms`);
say(
  `(parse + engine) / parse   ${fig.overParse.value}× medians, ` +
    `${fig.overParseFastest}× fastest, ${fig.overParseCpu}× CPU medians ` +
    `(target ≤ 1.5×)`,
);
if (asJson) console.log(JSON.stringify({ backtest: fig }));
