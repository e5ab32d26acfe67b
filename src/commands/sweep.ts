/**
 * `niftybox sweep`: a parameter grid of one strategy, every variant a full backtest with costs, run on
 * worker threads over candles parsed once; rolling walk-forward and the overfitting statistics
 * (interfaces.md "Sweep JSON"). Variants stream out in grid order: only each variant's daily net and
 * the walk-forward leaders stay in memory.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { backtestRange, tradedDays } from '../core/backtest.js';
import { OBJECTIVES, objectiveValue, type Metrics, type Objective } from '../core/metrics.js';
import {
  gridPoint,
  gridSize,
  randomIndices,
  SweepAccumulator,
  walkForwardFolds,
  weekCount,
  type FlatParams,
  type Fold,
} from '../core/sweep.js';
import {
  csvHeader,
  csvRow,
  deflatedJson,
  metricsJson,
  metricsLine,
  overfittingWords,
  paramsText,
  pboJson,
  rupees,
} from '../report/sweep-format.js';
import { sweepPage, type SweepPageData } from '../report/sweep-page.js';
import { DATE_RANGE_FLAGS, dateRangeFlags, numberFlag, parseFlags, textFlag, wholeNumberFlag } from './args.js';
import { checkIndexGaps, readCandleFiles } from './backtest.js';
import { DataError, IoError, UsageError } from '../lib/errors.js';
import { usageOf } from './usage.js';
import { checkWritable, fsReason, writeOutput } from './output-file.js';
import { parseFixedParams, parseGrid } from './sweep/grid.js';
import { SweepPool } from './sweep/pool.js';
import { shareCandles } from './sweep/shared-candles.js';
import { checkVariant, STRATEGY_NAMES, strategyByName, type SweepStrategy } from './sweep/strategy.js';
import { StrategyChoiceError } from '../core/strategies/index.js';

const USAGE = usageOf('sweep');

const TOP = 20;

function walkForwardFlag(value: string | undefined): { train: number; test: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+):(\d+)$/.exec(value.trim());
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1)
    throw new UsageError(
      `--walk-forward "${value}" is not TRAIN:TEST: give two whole numbers of weeks ≥ 1, e.g. --walk-forward 8:2`,
    );
  return { train: Number(m[1]), test: Number(m[2]) };
}

export async function sweepCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      index: { type: 'string' },
      options: { type: 'string' },
      strategy: { type: 'string' },
      param: { type: 'string', multiple: true },
      grid: { type: 'string', multiple: true },
      random: { type: 'string' },
      seed: { type: 'string' },
      'max-variants': { type: 'string' },
      ...DATE_RANGE_FLAGS,
      slippage: { type: 'string' },
      'walk-forward': { type: 'string' },
      objective: { type: 'string' },
      'pbo-blocks': { type: 'string' },
      workers: { type: 'string' },
      json: { type: 'boolean', default: false },
      csv: { type: 'string' },
      html: { type: 'string' },
      x: { type: 'string' },
      y: { type: 'string' },
      'allow-gaps': { type: 'boolean', default: false },
    },
    USAGE,
  );
  if (!values.index || !values.options) throw new UsageError(`--index and --options are required\nusage: ${USAGE}`);
  const strategyName = textFlag(values.strategy, 'strategy', 'a strategy name') ?? 'v25';
  const strategy = strategyByName(strategyName);
  if (!strategy)
    throw new UsageError(
      `--strategy "${strategyName}" is not a strategy the sweep knows: use one of ${STRATEGY_NAMES.join(', ')}`,
    );
  const { from, to } = dateRangeFlags(values);
  const fixed = parseFixedParams(values.param ?? [], strategy);
  const slippage = numberFlag(values.slippage, 'slippage', 0, 50);
  if (slippage !== undefined) {
    if ('slippagePoints' in fixed)
      throw new UsageError('--slippage and --param slippagePoints both set the slippage: drop one');
    fixed.slippagePoints = slippage;
  }
  if (!values.grid?.length)
    throw new UsageError(`--grid is required: give at least one axis, e.g. --grid emaPeriod=15:30:5\nusage: ${USAGE}`);
  const axes = parseGrid(values.grid, strategy, fixed);
  if (slippage !== undefined && axes.some((a) => a.name === 'slippagePoints'))
    throw new UsageError('--slippage and --grid slippagePoints both set the slippage: drop one');
  const maxVariants = wholeNumberFlag(values['max-variants'], 'max-variants', 1) ?? 100_000;
  const size = gridSize(axes);
  const random = wholeNumberFlag(values.random, 'random', 1);
  const seed = wholeNumberFlag(values.seed, 'seed', 0);
  if (seed !== undefined && random === undefined) throw new UsageError('--seed does nothing without --random N');
  if (random !== undefined && random > size)
    throw new UsageError(
      `--random ${random} is larger than the grid (${size} variants): ask for ` +
        `at most ${size}, or drop --random to run them all`,
    );
  const count = random ?? size;
  if (count > maxVariants)
    throw new UsageError(
      `the grid has ${size} variants, over --max-variants ${maxVariants}: ` +
        `narrow the --grid axes, sample with --random N, or raise --max-variants`,
    );
  const gridIndices = random !== undefined ? randomIndices(size, random, seed ?? 1) : null;
  const objectiveName = values.objective ?? 'net';
  if (!(OBJECTIVES as readonly string[]).includes(objectiveName))
    throw new UsageError(`--objective "${objectiveName}" is not one of ${OBJECTIVES.join(', ')}`);
  const objective = objectiveName as Objective;
  const pboBlocks = wholeNumberFlag(values['pbo-blocks'], 'pbo-blocks', 2) ?? 16;
  if (pboBlocks % 2 !== 0 || pboBlocks > 20)
    throw new UsageError(`--pbo-blocks ${pboBlocks}: give an even number from 2 to 20`);
  const workers = wholeNumberFlag(values.workers, 'workers', 1) ?? availableParallelism();
  const wf = walkForwardFlag(values['walk-forward']);
  const xAxis = values.x ?? axes[0]!.name;
  const yAxis = values.y ?? axes[1]?.name;
  for (const [flag, name] of [
    ['--x', values.x],
    ['--y', values.y],
  ] as const) {
    if (name !== undefined && !axes.some((a) => a.name === name))
      throw new UsageError(`${flag} ${name} is not a --grid axis: use one of ${axes.map((a) => a.name).join(', ')}`);
  }
  if ((values.x || values.y) && !values.html)
    throw new UsageError("--x and --y choose the --html heatmap's axes: add --html F");
  checkWritable(values.csv, '--csv');
  checkWritable(values.html, '--html');

  const data = readCandleFiles(values.index, values.options);
  const gapNotes = checkIndexGaps(data, values.index, from, to, values['allow-gaps']);
  const range = backtestRange(data.options, from, to);
  const days = tradedDays(data.index, data.options, from, to);
  if (days.length === 0)
    throw new DataError(
      `no trading day in ${from ?? 'the start'} … ${to ?? 'the end'} has both ` +
        `index candles and an option pair in ${values.options}`,
    );
  let folds: Fold[] = [];
  if (wf) {
    const weeks = weekCount(days);
    folds = walkForwardFolds(days, wf.train, wf.test);
    if (folds.length === 0)
      throw new UsageError(
        `--walk-forward ${wf.train}:${wf.test} needs at least ${wf.train + wf.test} ` +
          `weeks of data; the range ${days[0]} … ${days.at(-1)} has ${weeks}: use ` +
          `fewer weeks or a longer range`,
      );
  }

  // The variants: the grid's (or the random draw's) in grid order, then the defaults when the grid lacks them.
  const base: FlatParams = { ...strategy.defaults, ...fixed };
  const paramsAt = (k: number): FlatParams => ({ ...base, ...gridPoint(axes, gridIndices ? gridIndices[k]! : k) });
  let defaultIndex = -1;
  for (let k = 0; k < count; k++) {
    const p = gridPoint(axes, gridIndices ? gridIndices[k]! : k);
    if (defaultIndex < 0 && axes.every((a) => p[a.name] === base[a.name])) defaultIndex = k;
    checkedVariant(strategy, { ...base, ...p }, p);
  }
  checkedVariant(strategy, base, {});
  const total = defaultIndex >= 0 ? count : count + 1;
  if (defaultIndex < 0) defaultIndex = count;
  const paramsOf = (k: number): FlatParams => (k < count ? paramsAt(k) : base);
  const paramNames = strategy.params.map((p) => p.name);

  const acc = new SweepAccumulator(total, days.length, folds, objective, defaultIndex, pboBlocks);
  const objectiveValues = new Float64Array(total);
  const top: { index: number; value: number; metrics: Metrics }[] = [];
  let defaultMetrics: Metrics | null = null;

  const out = values.json ? process.stdout : null;
  const gridJson = Object.fromEntries(axes.map((a) => [a.name, a.values]));
  out?.write(
    `{"strategy":${JSON.stringify(strategy.name)},"objective":${JSON.stringify(objective)},` +
      `"grid":${JSON.stringify(gridJson)},"variants":[`,
  );
  const csvFd = values.csv ? openOutput(values.csv) : null;
  if (csvFd !== null) writeSync(csvFd, csvHeader(paramNames));

  const tty = process.stderr.isTTY === true;
  const started = performance.now();
  let lastProgress = 0;
  const progress = (done: number, final = false) => {
    const now = performance.now();
    if (!tty || (!final && now - lastProgress < 250)) return;
    lastProgress = now;
    const rate = done / Math.max(1e-3, (now - started) / 1000);
    const eta = rate > 0 ? (total - done) / rate : 0;
    process.stderr.write(
      `\rsweep: ${done}/${total} variants, ${rate.toFixed(1)}/s, ETA ${eta.toFixed(0)} s ${final ? '\n' : ''}`,
    );
  };

  const onResult = (k: number, records: Float64Array) => {
    const metrics = acc.add(k, records);
    const params = paramsOf(k);
    const isDefault = k === defaultIndex;
    if (isDefault) defaultMetrics = metrics;
    const value = objectiveValue(metrics, objective);
    objectiveValues[k] = value;
    if (top.length < TOP || value > top.at(-1)!.value) {
      top.push({ index: k, value, metrics });
      top.sort((a, b) => b.value - a.value || a.index - b.index);
      if (top.length > TOP) top.pop();
    }
    out?.write(`${k ? ',' : ''}${JSON.stringify({ params, isDefault, metrics: metricsJson(metrics) })}`);
    if (csvFd !== null) writeSync(csvFd, csvRow(k, isDefault, params, paramNames, metrics));
    progress(k + 1);
  };

  process.stderr.write(
    `sweep: ${total} variants of ${strategy.name} over ${days.length} trading ` +
      `days (${days[0]} … ${days.at(-1)}), ${Math.min(workers, total)} worker${workers === 1 ? '' : 's'}\n`,
  );
  const pool = new SweepPool();
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    pool.stop();
    process.stderr.write(`\nsweep: interrupted; every worker stopped\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSigint);
  try {
    const candles = shareCandles(data.index, data.options);
    await pool.run({
      workers,
      setup: { candles, strategy: strategy.name, from: range.from, to: range.to, days },
      total,
      paramsOf,
      onResult,
    });
  } finally {
    process.removeListener('SIGINT', onSigint);
    if (csvFd !== null) closeSync(csvFd);
  }
  if (interrupted) return 130;
  progress(total, true);
  const seconds = (performance.now() - started) / 1000;

  const s = acc.finish();
  const bestParams = paramsOf(s.best.index);
  const foldsOut = s.folds.map((f) => ({
    train: { from: days[f.fold.train.from]!, to: days[f.fold.train.to - 1]! },
    test: { from: days[f.fold.test.from]!, to: days[f.fold.test.to - 1]! },
    chosen: paramsOf(f.chosen),
    chosenVariant: f.chosen,
    inSample: metricsJson(f.inSample),
    outOfSample: metricsJson(f.outOfSample),
  }));
  const walkForward = wf
    ? {
        trainWeeks: wf.train,
        testWeeks: wf.test,
        folds: foldsOut,
        outOfSample: metricsJson(s.outOfSample!),
        defaultsOutOfSample: s.defaultsOutOfSample ? metricsJson(s.defaultsOutOfSample) : null,
      }
    : null;
  const words = overfittingWords(s.deflated, s.pbo);
  // The two headline numbers as numbers (interfaces.md), how they were reached under `details`.
  const dsrDetail = deflatedJson(s.deflated);
  const pboDetail = pboJson(s.pbo);
  const overfitting = {
    trials: total,
    deflatedSharpe: dsrDetail.deflatedSharpe,
    pbo: pboDetail.pbo,
    words,
    details: { deflatedSharpe: dsrDetail, pbo: pboDetail },
  };

  if (out) {
    const best = { variant: s.best.index, params: bestParams, metrics: metricsJson(s.best.metrics) };
    out.write(
      `],"best":${JSON.stringify(best)},` +
        `"defaultVariant":${defaultIndex},"walkForward":${JSON.stringify(walkForward)},` +
        `"overfitting":${JSON.stringify(overfitting)}}\n`,
    );
  } else {
    const lines = [
      `${strategy.name} sweep: ${total} variants over ${days.length} trading ` +
        `days (${days[0]} … ${days.at(-1)}), objective ${objective}, ${seconds.toFixed(1)} ` +
        `s`,
      '',
      `best on the whole range: ${paramsText(
        bestParams,
        axes.map((a) => a.name),
      )}`,
      `  ${metricsLine(s.best.metrics)}`,
      `defaults (variant ${defaultIndex}, rank ${rankOf(objectiveValues, defaultIndex)} of ${total}): ${paramsText(
        base,
        axes.map((a) => a.name),
      )}`,
      `  ${metricsLine(defaultMetrics!)}`,
    ];
    if (wf) {
      lines.push('', `walk-forward ${wf.train}:${wf.test} weeks, ${s.folds.length} folds (chosen on train only):`);
      foldsOut.forEach((f, k) => {
        const chosen = paramsText(
          f.chosen,
          axes.map((a) => a.name),
        );
        const inSample = rupees(s.folds[k]!.inSample.netPnl);
        const outOfSample = rupees(s.folds[k]!.outOfSample.netPnl);
        const sample = `in-sample net ${inSample}, out-of-sample net ${outOfSample}`;
        lines.push(`  test ${f.test.from} … ${f.test.to}: ${chosen}  ${sample}`);
      });
      lines.push(`  all test windows: ${metricsLine(s.outOfSample!)}`);
      if (s.defaultsOutOfSample) lines.push(`  defaults on them: ${metricsLine(s.defaultsOutOfSample)}`);
    }
    lines.push('', ...words.map((w) => w[0]!.toUpperCase() + w.slice(1)), ...gapNotes.map((n) => `note: ${n}`));
    process.stdout.write(lines.join('\n') + '\n');
  }
  if (values.html) {
    const page: SweepPageData = {
      title: `${strategy.name} sweep: ${total} variants, ${days[0]} … ${days.at(-1)}`,
      objective,
      axes,
      xAxis,
      yAxis,
      variantParams: (k) => paramsOf(k),
      objectiveValues,
      defaultIndex,
      top: top.map((t) => ({ index: t.index, params: paramsOf(t.index), metrics: t.metrics })),
      folds: s.folds.map((f, k) => ({
        test: foldsOut[k]!.test,
        train: foldsOut[k]!.train,
        chosen: foldsOut[k]!.chosen,
        inSample: f.inSample,
        outOfSample: f.outOfSample,
      })),
      outOfSampleDaily: s.outOfSampleDaily,
      defaultsOutOfSampleDaily: s.defaultsOutOfSampleDaily,
      testDays: s.folds.flatMap((f) => days.slice(f.fold.test.from, f.fold.test.to)),
      words,
    };
    writeOutput(values.html, '--html', sweepPage(page));
  }
  if (values.json) for (const n of gapNotes) process.stderr.write(`note: ${n}\n`);
  return 0;
}

/**
 * A variant the strategy's schema refuses (e.g. entryStart after entryEnd) is a usage error naming it, before anything
 * runs.
 */
function checkedVariant(strategy: SweepStrategy, params: FlatParams, point: FlatParams): void {
  try {
    checkVariant(strategy, params);
  } catch (err) {
    if (!(err instanceof StrategyChoiceError)) throw err;
    const at = Object.keys(point).length
      ? ` in the variant ${Object.entries(point)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`
      : ' (the --param/--slippage base)';
    throw new UsageError(`--grid${at}: ${err.message}`);
  }
}

/** 1 for the best objective value; ties share the better rank. */
function rankOf(values: Float64Array, k: number): number {
  let better = 0;
  for (const v of values) if (v > values[k]!) better++;
  return better + 1;
}

function openOutput(path: string): number {
  try {
    return openSync(path, 'w');
  } catch (err) {
    throw new IoError(`cannot write --csv ${path}: ${fsReason(err)}`);
  }
}
