/**
 * Changing strategy on a box, through the built CLI (`niftybox run --replay` as a subprocess with real
 * config files and a real ledger): killed while a V25 paper position is open and restarted with
 * `strategy: {name: ema-cross, …}` (other shared parameters too), the box manages that position to the exit an
 * uninterrupted V25 run
 * gives it (V25's exits: its TP1-only reversal, its lock) and records it as V25's; from flat, ema-cross
 * trades — the later days exactly as `backtest --strategy ema-cross`; `report` groups the two runs.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { sendControl } from '../../src/app/control.js';
import type { EngineCheckpoint } from '../../src/core/engine.js';
import { builtCli, runCli } from '../support/cli.js';
import { hasSharedData, indexCsv, noSharedDataReason, optionsCsv, repoRoot } from '../support/shared-data.js';

const REPLAY = `${indexCsv},${optionsCsv}`;
const RANGE = ['--from', '2025-06-02', '--to', '2025-06-06'];
const env = { ...process.env, NIFTYBOX_CONFIG: '' };

interface TradeJson {
  id: number;
  side: string;
  entryTime: string;
  exitTime: string;
  entryPrice: number;
  exitPrice: number;
  reason: string;
}

const report = (db: string): TradeJson[] => {
  const r = runCli(['report', '--db', db, '--json'], { env });
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { trades: TradeJson[] }).trades;
};
const withoutId = ({ id: _id, ...t }: TradeJson) => t;

function checkpointPosition(db: string): EngineCheckpoint['position'] {
  const raw = new Database(db, { readonly: true });
  try {
    const row = raw.prepare('SELECT data FROM checkpoints').get() as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as EngineCheckpoint).position : null;
  } finally {
    raw.close();
  }
}

/** Runs the replay until the box reports an open position, then SIGKILLs it. */
async function killWithPositionOpen(config: string, db: string): Promise<'killed' | 'finished'> {
  const child = spawn(
    process.execPath,
    [builtCli, 'run', '--config', config, '--replay', REPLAY, ...RANGE, '--speed', '3000', '--db', db],
    { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'], env },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  // Driven by the box's own progress: ask its control socket until it holds a position.
  while (!done) {
    const res = await sendControl(`${db}.sock`, { cmd: 'status' }, 2000).catch(() => null);
    if (res?.ok && (res.state as { position: unknown }).position) {
      child.kill('SIGKILL');
      await exited;
      return 'killed';
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  expect(await exited, stderr).toBe(0);
  return 'finished';
}

describe.skipIf(!hasSharedData)(
  `a restart with another strategy while a position is open${hasSharedData ? '' : ` (${noSharedDataReason})`}`,
  () => {
    it('keeps managing the position with V25, then trades ema-cross', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'niftybox-switch-'));
      const v25 = join(dir, 'v25.yaml');
      const emaCross = join(dir, 'ema-cross.yaml');
      writeFileSync(v25, 'strategy:\n  name: v25\n');
      // Other shared parameters too, so that exits under ema-cross's rules would differ from V25's: a looser lock, an
      // earlier EOD.
      writeFileSync(
        emaCross,
        'strategy:\n  name: ema-cross\n  fastPeriod: 5\n  lockPoints: {CE: 2, PE: ' +
          '1}\n  entryEnd: "14:00"\n  eodExit: "14:30"\n',
      );

      const referenceDb = join(dir, 'reference.db');
      const ref = runCli(
        ['run', '--config', v25, '--replay', REPLAY, ...RANGE, '--speed', 'max', '--db', referenceDb],
        { env },
      );
      expect(ref.code, ref.stderr).toBe(0);
      const reference = report(referenceDb);

      const db = join(dir, 'switch.db');
      let held: EngineCheckpoint['position'] = null;
      for (let attempt = 0; attempt < 20 && !held; attempt++) {
        const r = await killWithPositionOpen(v25, db);
        expect(r, 'the V25 replay finished before a position could be caught open').toBe('killed');
        held = checkpointPosition(db); // the kill may land just after the position closed: then go on
      }
      expect(held, 'no kill left a position open').not.toBeNull();
      expect(held!.strategy?.name).toBe('v25');

      const restart = runCli(
        ['run', '--config', emaCross, '--replay', REPLAY, ...RANGE, '--speed', 'max', '--db', db],
        { env },
      );
      expect(restart.code, restart.stderr).toBe(0);
      const trades = report(db);

      // The held position ends as V25 ends it in the uninterrupted run.
      const heldTrade = trades.find((t) => t.id === held!.tradeId)!;
      expect(heldTrade).toEqual(reference.find((t) => t.id === held!.tradeId));
      // Everything before it is V25's too; everything after it is ema-cross's.
      const raw = new Database(db, { readonly: true });
      const tags = new Map(
        (raw.prepare('SELECT trade_id AS id, strategy FROM trades').all() as { id: number; strategy: string }[]).map(
          (r) => [r.id, r.strategy],
        ),
      );
      raw.close();
      for (const t of trades) expect(tags.get(t.id), `trade ${t.id}`).toBe(t.id <= held!.tradeId ? 'v25' : 'ema-cross');
      expect(trades.filter((t) => t.id <= held!.tradeId)).toEqual(reference.filter((t) => t.id <= held!.tradeId));

      // No ema-cross entry while the V25 position was open; the later days are ema-cross's backtest.
      const after = trades.filter((t) => t.id > held!.tradeId);
      expect(after.every((t) => t.entryTime > heldTrade.exitTime)).toBe(true);
      const killDay = heldTrade.entryTime.slice(0, 10);
      const bt = runCli(
        ['backtest', '--index', indexCsv, '--options', optionsCsv, ...RANGE, '--config', emaCross, '--json'],
        { env },
      );
      const emaTrades = (JSON.parse(bt.stdout) as { trades: TradeJson[] }).trades;
      const laterDays = (ts: TradeJson[]) => ts.filter((t) => t.entryTime.slice(0, 10) > killDay).map(withoutId);
      expect(laterDays(after)).toEqual(laterDays(emaTrades));
      if (killDay < '2025-06-06') expect(laterDays(after).length).toBeGreaterThan(0);

      // The report groups the range by strategy run and prints each run's parameters.
      const text = runCli(['report', '--db', db], { env });
      expect(text.stdout).toMatch(/^By strategy$/m);
      expect(text.stdout).toMatch(/^ {2}v25 #[0-9a-f]{8} +\d+ /m);
      expect(text.stdout).toMatch(/^ {2}ema-cross #[0-9a-f]{8} +\d+ /m);
      expect(text.stdout).toMatch(/strategy ema-cross #[0-9a-f]{8}: \d+ trades?, .*fastPeriod=5 .*lockPoints\.CE=2 /);
      const json = JSON.parse(runCli(['report', '--db', db, '--json'], { env }).stdout) as {
        summary: {
          strategies: { name: string; trades: number; params: Record<string, unknown> }[];
          byStrategy: Record<string, { trades: number }>;
        };
      };
      expect(json.summary.strategies.map((r) => [r.name, r.trades])).toEqual([
        ['v25', trades.filter((t) => t.id <= held!.tradeId).length],
        ['ema-cross', after.length],
      ]);
      expect(json.summary.strategies[1]!.params).toMatchObject({ fastPeriod: 5, slowPeriod: 21, eodExit: '14:30' });
      expect(Object.keys(json.summary.byStrategy)).toHaveLength(2);
    }, 240_000);
  },
);
