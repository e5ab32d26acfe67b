/**
 * Crash safety with real process kills: a child process commits batches in a loop and is
 * SIGKILLed at random moments, many of them in the middle of a big commit. After every kill the
 * ledger must pass integrity_check, hold every batch either whole or not at all (exactly the
 * batches up to the stored checkpoint), and keep every batch the child saw committed.
 * Finally the interrupted ledger must equal one written without interruption.
 */
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/store/ledger.js';
import { captureLog, requireBuiltLedger, removeTempDirs, tempDir } from './helpers.js';
// @ts-expect-error plain .mjs fixture shared with the child process
import { batchFootprint } from './fixtures/crash-batches.mjs';

const WRITER = fileURLToPath(new URL('./fixtures/crash-writer.mjs', import.meta.url));
const TOTAL = 64;
const KILLS = 14;

interface Run {
  child: ChildProcess;
  lines: string[];
  exited: Promise<{ code: number | null; signal: string | null }>;
  waitFor(pred: (line: string) => boolean): Promise<string | null>;
}

function startWriter(file: string): Run {
  const child = spawn(process.execPath, [WRITER, file, String(TOTAL)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  // waitFor looks at every line after the one its previous call matched, including lines that
  // arrived in the same chunk before the caller could register (so no line is ever missed)
  let cursor = 0;
  const waiters: { pred: (l: string) => boolean; resolve: (l: string | null) => void }[] = [];
  let buf = '';
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const settle = () => {
    while (waiters.length && cursor < lines.length) {
      const line = lines[cursor++]!;
      if (waiters[0]!.pred(line)) waiters.shift()!.resolve(line);
    }
  };
  child.stdout!.on('data', (d) => {
    buf += String(d);
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
    settle();
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      for (const w of waiters.splice(0)) w.resolve(null);
      if (code !== 0 && signal === null) process.stderr.write(`crash-writer failed (exit ${code}): ${stderr}\n`);
      resolve({ code, signal });
    }),
  );
  return {
    child,
    lines,
    exited,
    waitFor: (pred) =>
      new Promise((resolve) => {
        waiters.push({ pred, resolve });
        settle();
      }),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Small seeded PRNG so that a failing run can be repeated (the seed is in the assertion messages). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Checks one ledger after a crash; returns the last batch committed (-1 for none). */
function verify(file: string, seenDone: number, context: string): number {
  // the report path first: a read-only open must work on a ledger whose writer was killed
  const ro = Ledger.open(file, { log: captureLog(), readonly: true });
  const cp = ro.loadCheckpoint() as { data: { batch: number } } | null;
  ro.close();
  const last = cp ? cp.data.batch : -1;
  const db = new Database(file, { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true }), context).toBe('ok');
    expect(last, `${context}: a batch the writer reported done is missing`).toBeGreaterThanOrEqual(seenDone);
    for (let i = 0; i < TOTAL; i++) {
      const parts = batchFootprint(i) as [string, unknown[], number][];
      const found = parts.map(
        ([sql, params]) =>
          db
            .prepare(sql)
            .pluck()
            .get(...params) as number,
      );
      const want = i <= last ? parts.map((p) => p[2]) : parts.map(() => 0);
      expect(found, `${context}: batch ${i} (checkpoint at ${last}) is not ${i <= last ? 'whole' : 'absent'}`).toEqual(
        want,
      );
    }
  } finally {
    db.close();
  }
  return last;
}

/** Every table's rows (without surrogate ids), hashed per table so a mismatch names the table. */
function dump(file: string): Record<string, string> {
  const db = new Database(file, { readonly: true });
  try {
    const order: Record<string, string> = {
      orders: 'key',
      fills: 'order_key',
      trades: 'trade_id',
      positions: 'trade_id',
      halts: 'ts, kind, source',
      halt_state: 'id',
      alerts: 'ts, code, message',
      signals: 'candle_ts, kind, side, ts, action',
      candles: 'instrument_key, ts',
      checkpoints: 'name',
    };
    const out: Record<string, string> = {};
    for (const [table, by] of Object.entries(order)) {
      const rows = (db.prepare(`SELECT * FROM ${table} ORDER BY ${by}`).raw().all() as unknown[][]).map((r) =>
        table === 'alerts' ? r.slice(1) : r,
      );
      out[table] = `${rows.length} rows, sha256 ${createHash('sha256').update(JSON.stringify(rows)).digest('hex')}`;
    }
    return out;
  } finally {
    db.close();
  }
}

beforeAll(requireBuiltLedger);

afterAll(removeTempDirs);

describe('crash safety (real SIGKILL of a committing process)', () => {
  it('every batch is whole or absent after each kill, and the result equals an uninterrupted run', async () => {
    const seed = Number(process.env.NIFTYBOX_CRASH_SEED ?? Date.now() % 1_000_000);
    const random = prng(seed);
    const dir = tempDir('niftybox-crash-');
    const file = path.join(dir, 'crashed.db');
    let kills = 0;
    let midCommitKills = 0;
    let last = -1;
    for (let k = 0; k < KILLS; k++) {
      const run = startWriter(file);
      if (k % 3 === 0) {
        // inside a big commit: just after it began
        const began = await run.waitFor((l) => /^begin \d+ 1$/.test(l));
        if (began) await sleep(Math.floor(random() * 8));
      } else if (k % 3 === 1) {
        // around a commit boundary, a few batches after the restart (bounded progress per run)
        const opened = await run.waitFor((l) => l.startsWith('open '));
        const target = Number(opened?.split(' ')[1] ?? 0) + Math.floor(random() * 4);
        await run.waitFor((l) => l === `done ${target}`);
        await sleep(Math.floor(random() * 3));
      } else {
        // any moment from start-up: loading, opening (quick_check, migrations), replaying, committing
        await sleep(Math.floor(random() * 150));
      }
      run.child.kill('SIGKILL');
      const { signal } = await run.exited;
      const context = `seed ${seed}, kill ${k}`;
      expect(signal, `${context}: the writer finished before it was killed; raise TOTAL`).toBe('SIGKILL');
      kills++;
      const done = run.lines.filter((l) => l.startsWith('done ')).map((l) => Number(l.split(' ')[1]));
      const lastLine = run.lines[run.lines.length - 1] ?? '';
      if (lastLine.startsWith('begin ')) midCommitKills++;
      last = verify(file, done.length ? Math.max(...done) : -1, context);
    }
    if (process.env.NIFTYBOX_CRASH_DEBUG)
      console.log(`kills ${kills}, inside commit() ${midCommitKills}, last batch ${last}`);
    expect(kills).toBeGreaterThanOrEqual(10);
    expect(midCommitKills, `seed ${seed}: too few kills landed inside commit()`).toBeGreaterThanOrEqual(4);
    expect(last, 'the kills should leave work to finish').toBeLessThan(TOTAL - 1);

    // finish the work, then compare with a run that was never interrupted
    const finish = startWriter(file);
    expect((await finish.exited).code).toBe(0);
    expect(finish.lines).toContain('finished');
    expect(verify(file, TOTAL - 1, `seed ${seed}, finished`)).toBe(TOTAL - 1);

    const clean = path.join(dir, 'clean.db');
    const reference = startWriter(clean);
    expect((await reference.exited).code).toBe(0);
    expect(dump(file)).toEqual(dump(clean));
  });
});
