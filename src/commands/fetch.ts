/**
 * `niftybox fetch --from D --to D --out DIR`: NIFTY and each day's ATM CE/PE 5-minute candles from
 * Upstox into the two CSV files `backtest` reads. Resumable through a cache in DIR/.cache/<host>/;
 * progress on stderr; paced under Upstox's rate limits, saying when it waits.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCalendar } from '../app.js';
import { loadConfig } from '../config.js';
import { istDate } from '../core/time.js';
import { INDEX_FILE, OPTIONS_FILE, indexCsv, optionsCsv } from '../feed/candle-files.js';
import { HistoryCache } from '../feed/upstox/history-cache.js';
import { writeFileDurable } from '../lib/durable-file.js';
import { fetchHistory, Interrupted, PlusOnlyError, type HistoryProgress } from '../feed/upstox/history-fetch.js';
import { loadToken, TokenExpired, UpstoxApiError, UpstoxRest, UpstoxShapeError } from '../feed/upstox/index.js';
import { createLogger, setLogLevel, setLogSink } from '../log.js';
import { DATE_RANGE_FLAGS, dateRangeFlags, parseFlags } from './args.js';
import { UsageError } from '../lib/errors.js';
import { usageOf } from './usage.js';

const USAGE = usageOf('fetch');

export async function fetchCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    { ...DATE_RANGE_FLAGS, out: { type: 'string' }, config: { type: 'string' }, cache: { type: 'string' } },
    USAGE,
  );
  if (!values.from || !values.to || !values.out)
    throw new UsageError(`--from, --to and --out are required\nusage: ${USAGE}`);
  const range = dateRangeFlags(values);
  const from = range.from!;
  let to = range.to!;
  const today = istDate(Date.now());
  if (to > today) {
    process.stderr.write(
      `fetch: --to ${to} is in the future; fetching up to today (${today}), ` +
        `sessions that have not closed are left out\n`,
    );
    to = today;
  }
  if (to === today) process.stderr.write(`fetch: today's candles are included only once its session has closed\n`);
  const { config } = loadConfig(values.config);
  setLogSink((line) => process.stderr.write(line + '\n'));
  if (!process.env.NIFTYBOX_LOG_LEVEL) setLogLevel('error'); // the progress lines say what matters
  const token = loadToken(config)?.token;
  if (!token) {
    process.stderr.write(
      'niftybox fetch: no valid Upstox access token: run "niftybox login" (or ' +
        'set upstox.token / NIFTYBOX_UPSTOX_TOKEN)\n',
    );
    return 78;
  }

  const out = values.out;
  const host = new URL(config.upstox.apiBaseUrl).host.replace(/[^A-Za-z0-9.-]/g, '_');
  const cache = new HistoryCache(values.cache ?? join(out, '.cache', host));
  try {
    mkdirSync(out, { recursive: true });
    mkdirSync(cache.dir, { recursive: true });
  } catch (err) {
    process.stderr.write(
      `niftybox fetch: cannot create ${out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`,
    );
    return 74;
  }

  const bar = new ProgressBar(process.stderr);
  const rest = new UpstoxRest({
    baseUrl: config.upstox.apiBaseUrl,
    token,
    timeoutMs: config.upstox.requestTimeoutMs,
    maxRateLimitRetries: 12,
    log: createLogger({ app: 'niftybox', area: 'fetch' }),
    onWait: (ms, why) => {
      if (why === 'rate-limited')
        bar.say(`Upstox answered 429 (too many requests): waiting ${(ms / 1000).toFixed(1)} s before trying again`);
      else if (ms >= 1000)
        bar.say(
          `waiting ${(ms / 1000).toFixed(0)} s to stay within Upstox's rate limits (50/s, 500/min, 2000 per 30 min)`,
        );
    },
  });

  // Upstox counts the last 30 minutes, not this run: a re-run right after an interrupted one spends the same budget.
  const budgetFile = join(config.stateDir, 'upstox-rate-budget.json');
  try {
    rest.rateBudget.seed(JSON.parse(readFileSync(budgetFile, 'utf8')) as number[]);
  } catch {
    // none yet (or unreadable): start with the full budget
  }
  const saveBudget = () => {
    try {
      mkdirSync(config.stateDir, { recursive: true });
      writeFileSync(budgetFile, JSON.stringify(rest.rateBudget.recent()));
    } catch {
      // the cache stays usable without it
    }
  };

  let stop = false;
  const onSignal = () => {
    if (stop) process.exit(130); // a second Ctrl-C: leave now (the cache holds only whole entries)
    stop = true;
    bar.say('stopping after the current request (Ctrl-C again to leave at once)');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await fetchHistory({
      rest,
      calendar: createCalendar(config),
      cache,
      from,
      to,
      now: Date.now(),
      onProgress: (p) => {
        bar.update(p);
        saveBudget();
      },
      onNote: (m) => bar.say(m),
      stopped: () => stop,
    });
    bar.done();
    for (const s of result.skipped) process.stderr.write(`fetch: ${s.day} skipped: ${s.why}\n`);
    if (result.days.length === 0) {
      process.stderr.write(
        `niftybox fetch: no trading day in ${from} … ${to} has its ATM options at Upstox; nothing written to ${out}\n`,
      );
      return 65;
    }
    writeFileDurable(join(out, INDEX_FILE), indexCsv(result.index));
    writeFileDurable(join(out, OPTIONS_FILE), optionsCsv(result.days));
    process.stdout.write(
      `${result.index.length} index candles and ${result.days.length} days of ` +
        `ATM options written to ${join(out, INDEX_FILE)} and ${join(out, OPTIONS_FILE)} ` +
        `(${result.candleCalls} candle calls, ${rest.stats.requests} requests in all; cache ${cache.dir})\n` +
        (`backtest: niftybox backtest --index ${join(out, INDEX_FILE)} --options ${join(out, OPTIONS_FILE)} ` +
          `--from ${from} --to ${to}\n`),
    );
    return 0;
  } catch (err) {
    bar.done();
    if (err instanceof Interrupted) {
      process.stderr.write(
        `fetch: interrupted; what was fetched is kept in ${cache.dir}: run the same command again to resume\n`,
      );
      return 130;
    }
    if (err instanceof PlusOnlyError) {
      process.stderr.write(`niftybox fetch: ${err.message}\n`);
      return 78;
    }
    if (err instanceof TokenExpired) {
      process.stderr.write(`niftybox fetch: ${err.message}\n`);
      return 78;
    }
    if (err instanceof UpstoxApiError || err instanceof UpstoxShapeError) {
      process.stderr.write(
        `niftybox fetch: ${err.message}; what was fetched is kept, run the same command again to resume\n`,
      );
      return 74;
    }
    throw err;
  } finally {
    saveBudget();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** One line redrawn in place on a terminal; a line per tenth of the work otherwise (logs, pipes). */
class ProgressBar {
  private last = '';
  private drawn = false;

  constructor(private readonly out: NodeJS.WriteStream) {}

  update(p: HistoryProgress): void {
    const width = 24;
    const frac = p.total === 0 ? 1 : p.done / p.total;
    const fill = Math.round(frac * width);
    const what = p.phase === 'index' ? 'index candles' : 'ATM options  ';
    const unit = p.phase === 'index' ? 'requests (≤ a month each)' : 'days';
    const line =
      `fetch ${what} [${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ` +
      `${p.done}/${p.total} ${unit}${p.day ? ` (${p.day})` : ''}`;
    if (this.out.isTTY) {
      this.out.write(`\r${line}\x1b[K`);
      this.drawn = true;
    } else {
      const step = `${p.phase}:${Math.floor(frac * 10)}:${p.done === p.total}`;
      if (step !== this.last) this.out.write(line + '\n');
      this.last = step;
    }
  }

  say(message: string): void {
    if (this.drawn) this.out.write('\r\x1b[K');
    this.out.write(`fetch: ${message}\n`);
  }

  done(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
