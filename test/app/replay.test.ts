import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtCli, runCli } from '../support/cli.js';
import { hasSharedData, indexCsv, noSharedDataReason, optionsCsv, repoRoot } from '../support/shared-data.js';

const REPLAY = `${indexCsv},${optionsCsv}`;
const tmp = () => mkdtempSync(join(tmpdir(), 'niftybox-replay-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function spawnRun(args: string[]): {
  child: ChildProcess;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
} {
  const child = spawn(process.execPath, [builtCli, 'run', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NIFTYBOX_CONFIG: '' },
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, exit };
}

function ledgerJson(db: string) {
  const r = runCli(['report', '--db', db, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

async function waitFor<T>(fn: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(50);
  }
}

describe.skipIf(!hasSharedData)(`niftybox run --replay${hasSharedData ? '' : ` (${noSharedDataReason})`}`, () => {
  it('over 2025-06-02…2025-06-30 at max speed leaves exactly the backtest trades in its ledger', () => {
    const db = join(tmp(), 'ledger.db');
    const run = runCli([
      'run',
      '--replay',
      REPLAY,
      '--from',
      '2025-06-02',
      '--to',
      '2025-06-30',
      '--speed',
      'max',
      '--db',
      db,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/net P&L/);
    const bt = runCli([
      'backtest',
      '--index',
      indexCsv,
      '--options',
      optionsCsv,
      '--from',
      '2025-06-02',
      '--to',
      '2025-06-30',
      '--json',
    ]);
    const backtest = JSON.parse(bt.stdout);
    const ledger = ledgerJson(db);
    expect(ledger.trades.length).toBe(150);
    expect(ledger.trades).toEqual(backtest.trades);
    expect(ledger.summary.netPnl).toBe(backtest.summary.netPnl);
  });

  it('with strategy: {name: confluence} in the config, over all shared data, ' +
    'records exactly the backtest --strategy confluence trades, each with its ' +
    'strategy', () => {
    const dir = tmp();
    const db = join(dir, 'ledger.db');
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'strategy:\n  name: confluence\n');
    const run = runCli(['run', '--config', config, '--replay', REPLAY, '--speed', 'max', '--db', db], {
      timeout: 170_000,
      env: { ...process.env, NIFTYBOX_CONFIG: '' },
    });
    expect(run.code, run.stderr).toBe(0);
    const bt = runCli(['backtest', '--index', indexCsv, '--options', optionsCsv, '--strategy', 'confluence', '--json']);
    const backtest = JSON.parse(bt.stdout);
    const ledger = ledgerJson(db);
    expect(ledger.trades.length).toBe(322);
    expect(ledger.trades).toEqual(backtest.trades);
    expect(ledger.summary.netPnl).toBe(backtest.summary.netPnl);
    const raw = new Database(db, { readonly: true });
    try {
      const rows = raw
        .prepare('SELECT strategy, strategy_params, COUNT(*) AS n FROM trades GROUP BY strategy, strategy_params')
        .all() as { strategy: string; strategy_params: string; n: number }[];
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ strategy: 'confluence', n: 322 });
      expect(JSON.parse(rows[0]!.strategy_params)).toMatchObject({
        rsiPeriod: 14,
        stMult: 3,
        trendEmaPeriod: 200,
        slippagePoints: 0.5,
      });
    } finally {
      raw.close();
    }
  }, 180_000);

  it('killed with SIGKILL at ≥ 10 random moments and restarted each time, ' +
    'finishes with the uninterrupted run’s trades', async () => {
    const dir = tmp();
    const reference = join(dir, 'reference.db');
    const args = ['--replay', REPLAY, '--from', '2025-06-02', '--to', '2025-06-30'];
    const ref = runCli(['run', ...args, '--speed', 'max', '--db', reference]);
    expect(ref.code, ref.stderr).toBe(0);

    const db = join(dir, 'crashy.db');
    let kills = 0;
    let finished = false;
    let attempts = 0;
    while (!finished && attempts < 60) {
      attempts++;
      // Slow enough (≈ 3 s for the month) that kills land mid-session, mid-commit included.
      const { child, exit } = spawnRun([...args, '--speed', '150000', '--db', db]);
      const delay = kills < 12 ? 150 + Math.random() * 700 : 60_000;
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      const r = await exit;
      clearTimeout(timer);
      if (r.signal === 'SIGKILL') kills++;
      else {
        expect(r.code, r.stderr).toBe(0);
        finished = true;
      }
    }
    expect(kills).toBeGreaterThanOrEqual(10);
    expect(finished).toBe(true);
    const a = ledgerJson(reference);
    const b = ledgerJson(db);
    expect(b.trades.map((t: { id: number }) => t.id)).toEqual(a.trades.map((t: { id: number }) => t.id));
    expect(b.trades).toEqual(a.trades);
  }, 240_000);

  it('halts through the control socket; the halt survives SIGKILL and a ' +
    'restart; resume re-arms; a second instance is refused', async () => {
    const db = join(tmp(), 'halt.db');
    const args = ['--replay', REPLAY, '--from', '2025-06-02', '--to', '2025-06-06', '--speed', '2000', '--db', db];
    const first = spawnRun(args);
    await waitFor(() => runCli(['status', '--db', db]).code === 0);

    const second = runCli(['run', ...args]);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(/another|already|in use|lock/i);

    const halted = runCli(['halt', '--db', db, '--reason', 'test halt', '--json']);
    expect(halted.code, halted.stderr).toBe(0);
    expect(JSON.parse(halted.stdout)).toMatchObject({ trading: 'halted', haltReason: 'test halt' });
    first.child.kill('SIGKILL');
    await first.exit;

    const again = spawnRun(args);
    const status = await waitFor(() => {
      const r = runCli(['status', '--db', db, '--json']);
      return r.code === 0 ? JSON.parse(r.stdout) : undefined;
    });
    expect(status).toMatchObject({ trading: 'halted', haltReason: 'test halt' });
    const resumed = runCli(['resume', '--db', db, '--json']);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ trading: 'active', haltReason: null });

    again.child.kill('SIGTERM');
    const r = await again.exit;
    expect(r.code).toBe(0); // SIGTERM: flush, close cleanly, exit 0
    expect(ledgerJson(db).summary.halted).toBe(false);
  }, 60_000);

  it('an unknown control command is refused with a message', async () => {
    const { sendControl } = await import('../../src/app/control.js');
    const db = join(tmp(), 'ctl.db');
    const run = spawnRun([
      '--replay',
      REPLAY,
      '--from',
      '2025-06-02',
      '--to',
      '2025-06-03',
      '--speed',
      '500',
      '--db',
      db,
    ]);
    await waitFor(() => runCli(['status', '--db', db]).code === 0);
    const res = await sendControl(`${db}.sock`, { cmd: 'explode' as never });
    expect(res).toEqual({ ok: false, error: 'unknown command "explode": use halt, resume or status' });
    run.child.kill('SIGTERM');
    await run.exit;
  }, 30_000);
});
