// `npm run bench`: runs every scripts/bench-*.mjs with --json, one after the other (one run, so the
// figures are side by side), merges the JSON object each prints as its last stdout line, adds the
// soak's result (bench-results/soak.json, written by `npm run soak`) and prints:
//   (default)  each script's readable lines, then a table of every figure with its target;
//   --json     only the merged object, as one line (the scripts' lines go to stderr);
//   --check    the table, and exit 1 when a figure misses its target or was not measured.
// A figure is a number or {value, target}; a target is "< N", "<= N", "> N" or ">= N".
//   node scripts/bench.mjs [--json] [--check] [name-filter]
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(dir, '..', 'bench-results');
const args = process.argv.slice(2);
const json = args.includes('--json');
const check = args.includes('--check');
const only = args.find((a) => !a.startsWith('--'));
const info = (line) => (json ? process.stderr : process.stdout).write(line + '\n');

/** Every figure with a target, and where it comes from; missing ones fail --check. */
const REQUIRED = [
  'decode.full.ratio',
  'decode.ltpc.ratio',
  'engine.latencyUs.p99',
  'backtest.overParse',
  'backtest.parseMs',
  'session.rssMB',
  'session.startToReadyMs',
  'killSwitch.latencyMs.p99',
  'soak.growthMB',
  'sweep.overBacktest',
  'sweep.speedup2',
  'soak.projected250MB.rssAnonMB',
  'soak.projected250MB.heapMB',
];

function merge(into, from) {
  for (const [k, v] of Object.entries(from)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && !('target' in v) && into[k] && typeof into[k] === 'object')
      merge(into[k], v);
    else into[k] = v;
  }
  return into;
}

/**
 * The machine's own speed at the moment: the fastest of 5 runs of a fixed integer loop (~20 ms on a quiet
 * x64 core). Measured before and after the benches, so that a run in a slow phase of a shared machine
 * (every figure slower alike) can be told from a regression. Context only; no target.
 */
function calibrationMs() {
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    let x = 1;
    for (let i = 0; i < 20_000_000; i++) x = (x * 1103515245 + 12345) & 0x7fffffff;
    best = Math.min(best, performance.now() - t);
    if (x === -1) console.log(x); // keeps the loop from being optimized away
  }
  return Math.round(best * 10) / 10;
}

const calibrationBefore = calibrationMs();
const result = { machine: {}, ranAt: new Date().toISOString() };
let failedScripts = 0;
for (const f of readdirSync(dir)
  .filter((f) => /^bench-.+\.mjs$/.test(f))
  .sort()) {
  if (only && !f.includes(only)) continue;
  info(`\n== ${f}`);
  const r = spawnSync(process.execPath, [join(dir, f), '--json'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const lines = String(r.stdout ?? '')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const last = lines.at(-1) ?? '';
  let figures = null;
  if (last.startsWith('{')) {
    try {
      figures = JSON.parse(last);
      lines.pop();
    } catch {
      figures = null;
    }
  }
  for (const l of lines) info(l);
  if (r.status !== 0) {
    failedScripts++;
    info(`${f}: exited ${r.status ?? r.signal}`);
  }
  if (figures) merge(result, figures);
}

// The soak runs on its own (minutes): its last result is part of the figures.
const soakFile = join(resultsDir, 'soak.json');
if (!only || 'soak'.includes(only)) {
  if (existsSync(soakFile)) {
    const soak = JSON.parse(readFileSync(soakFile, 'utf8'));
    // a year on one boot: the trend of sessions 11..N × 250 (null below 12 measured sessions: not measured)
    const year = soak.projected250MB ?? {};
    result.soak = {
      growthMB: { value: soak.growthMB, target: '< 5' },
      projected250MB: {
        rssAnonMB: { value: year.rssAnonMB ?? null, target: '< 10' },
        heapMB: { value: year.heapMB ?? null, target: '< 10' },
      },
      sessions: soak.sessions,
      ranAt: soak.ranAt,
      rssMB: soak.rssMB?.at(-1),
    };
  } else info(`soak: no ${soakFile} yet (npm run soak -- --fast --sessions 40)`);
}

const os = await import('node:os');
const cpus = os.cpus();
result.machine = {
  cpu: cpus[0]?.model ?? '?',
  cores: cpus.length,
  memGB: +(os.totalmem() / 2 ** 30).toFixed(1),
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`,
  loadavg: os.loadavg().map((x) => +x.toFixed(2)),
  calibrationMs: { before: calibrationBefore, after: calibrationMs() },
};

// ---- targets
function get(obj, path) {
  return path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
}
function meets(value, target) {
  const m = /^\s*(<=|>=|<|>)\s*(-?[\d.]+)\s*$/.exec(target);
  if (!m || typeof value !== 'number' || !Number.isFinite(value)) return false;
  const t = Number(m[2]);
  return m[1] === '<' ? value < t : m[1] === '<=' ? value <= t : m[1] === '>' ? value > t : value >= t;
}
const rows = [];
(function walk(o, path) {
  for (const [k, v] of Object.entries(o)) {
    const p = path ? `${path}.${k}` : k;
    if (p === 'machine' || p === 'ranAt') continue;
    if (v && typeof v === 'object' && 'target' in v)
      rows.push({ path: p, value: v.value, target: v.target, ok: meets(v.value, v.target) });
    else if (v && typeof v === 'object' && !Array.isArray(v)) walk(v, p);
    else if (typeof v === 'number') rows.push({ path: p, value: v, target: '', ok: true });
  }
})(result, '');
for (const p of REQUIRED) {
  if (only) break; // a filtered run checks only what it measured
  if (!rows.some((r) => r.path === p && r.target)) rows.push({ path: p, value: null, target: 'measured', ok: false });
}

mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'bench.json'), JSON.stringify(result, null, 2) + '\n');
if (json) {
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  info(
    `\n== figures (${result.machine.cpu}, ${result.machine.cores} cores, node ` +
      `${result.machine.node}, load ${result.machine.loadavg.join(' ')}; ` +
      `machine speed: a fixed loop ${result.machine.calibrationMs.before} ms ` +
      `before, ${result.machine.calibrationMs.after} ms after)`,
  );
  const w = Math.max(...rows.map((r) => r.path.length));
  for (const r of rows) {
    const mark = !r.target ? '' : r.ok ? 'ok' : r.value === null ? 'NOT MEASURED' : 'MISSED';
    const value = String(r.value ?? '—').padStart(12);
    const target = (r.target ? `target ${r.target}` : '').padEnd(16);
    info(`${r.path.padEnd(w)}  ${value}  ${target} ${mark}`);
  }
}
const missed = rows.filter((r) => r.target && !r.ok);
if (check) {
  if (missed.length)
    info(`\nbench:check: ${missed.length} figure(s) miss their target: ${missed.map((r) => r.path).join(', ')}`);
  else info('\nbench:check: every figure meets its target');
  process.exit(missed.length || failedScripts ? 1 : 0);
}
process.exit(failedScripts ? 1 : 0);
