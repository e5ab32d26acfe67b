/**
 * Backups and restore through the built CLI: the box's own backups after each close (keep, copyTo), `niftybox
 * backup`, and `niftybox restore` refusing a running box and a bad file, then bringing back a ledger that
 * was corrupted on purpose.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { builtCli, runCli } from '../support/cli.js';
import { hasSharedData, indexCsv, noSharedDataReason, optionsCsv, repoRoot } from '../support/shared-data.js';
import { until } from '../support/wait.js';

const REPLAY = `${indexCsv},${optionsCsv}`;

function trades(db: string): unknown[] {
  const r = runCli(['report', '--db', db, '--json'], { env: { ...process.env, NIFTYBOX_CONFIG: '' } });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).trades;
}

describe.skipIf(!hasSharedData)(`backup and restore${hasSharedData ? '' : ` (${noSharedDataReason})`}`, () => {
  it('the box backs up after each close; restore refuses a running box and bad ' +
    'files, then brings back a corrupted ledger', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'niftybox-backup-'));
    const state = join(dir, 'state');
    const usb = join(dir, 'usb');
    mkdirSync(usb);
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `stateDir: ${state}\nbackup:\n  keep: 3\n  copyTo: ${usb}\n`);
    const env = { ...process.env, NIFTYBOX_CONFIG: config, HOME: dir };
    const cli = (args: string[]) => runCli(args, { env });
    const db = join(state, 'ledger.db');

    // Five sessions: a backup after each close (at max speed, closes that come while one is made share the next),
    // named by the close; the newest three kept here and on the stick; the last close always has its own.
    const run = cli(['run', '--replay', REPLAY, '--from', '2025-06-02', '--to', '2025-06-06']);
    expect(run.code, run.stderr).toBe(0);
    const names = readdirSync(join(state, 'backups')).sort();
    expect(names.length).toBe(3);
    for (const n of names) expect(n).toMatch(/^ledger-2025060[2-6]-153000\.db$/);
    expect(names[2]).toBe('ledger-20250606-153000.db');
    expect(readdirSync(usb).sort()).toEqual(names);
    const newest = join(state, 'backups', names[2]!);
    const before = trades(db);
    expect(before.length).toBeGreaterThan(0);
    expect(trades(newest)).toEqual(before);
    expect(readFileSync(join(usb, names[2]!))).toEqual(readFileSync(newest));

    // `niftybox backup --out F` beside the box's own.
    const manual = join(dir, 'manual.db');
    const b = cli(['backup', '--out', manual]);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toContain(manual);
    expect(trades(manual)).toEqual(before);

    // A box running on the ledger: restore refuses (exit 69), says how to stop it, changes nothing.
    const box = spawn(
      process.execPath,
      [builtCli, 'run', '--replay', REPLAY, '--from', '2025-06-09', '--to', '2025-06-09', '--speed', '0.01'],
      { cwd: repoRoot, env, stdio: 'ignore' },
    );
    const boxExit = new Promise((r) => box.on('exit', r));
    try {
      await until(() => existsSync(`${db}.lock-owner`), 30_000, 'the box to take the ledger');
      const busy = cli(['restore', newest]);
      expect(busy.code, busy.stderr).toBe(69);
      expect(busy.stderr).toMatch(/already open for writing by process \d+/);
      expect(busy.stderr).toContain('systemctl stop niftybox');
      expect(busy.stderr).toContain(`niftybox restore ${newest}`);
    } finally {
      box.kill('SIGKILL'); // a replay paced this slowly sleeps through SIGTERM until its next bucket
      await boxExit;
    }

    // The killed box left a WAL: fold it in, so the file corrupted below is the whole ledger.
    const fold = new Database(db);
    fold.pragma('journal_mode = DELETE');
    fold.close();
    expect(existsSync(`${db}-wal`)).toBe(false);
    // Corrupted on purpose: pages in the middle overwritten with text.
    const size = readFileSync(db).length;
    const raw = readFileSync(db);
    raw.fill('garbage ', 4096 * 2, Math.min(size, 4096 * 6));
    writeFileSync(db, raw);
    for (const args of [
      ['run', '--replay', REPLAY, '--from', '2025-06-09', '--to', '2025-06-09'],
      ['report'],
      ['backup'],
    ]) {
      const r = cli(args);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(74);
      expect(r.stderr).toContain(`restore it from the newest backup: niftybox restore ${newest}`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }

    // Files that are not a sound ledger are refused before anything is replaced.
    const garbage = join(dir, 'garbage.db');
    writeFileSync(garbage, 'not a database\n'.repeat(500));
    const notLedger = join(dir, 'other.db');
    new Database(notLedger).exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    const newer = join(dir, 'newer.db');
    writeFileSync(newer, readFileSync(newest));
    new Database(newer).pragma('user_version = 99');
    for (const [file, why] of [
      [garbage, /not a readable SQLite database/],
      [notLedger, /not a niftybox ledger/],
      [newer, /schema version 99.*newer release/],
    ] as const) {
      const r = cli(['restore', file]);
      expect(r.code, r.stderr).toBe(65);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).toContain(file);
      expect(r.stderr).toContain('nothing was changed');
    }
    expect(readFileSync(db)).toEqual(raw);
    expect(cli(['restore', join(dir, 'nope.db')]).code).toBe(74);
    expect(cli(['restore']).code).toBe(64);

    // The restore: the newest backup in place, the damaged ledger kept beside it, and the box runs on.
    const ok = cli(['restore', newest]);
    expect(ok.code, ok.stderr).toBe(0);
    const kept = /kept as (\S+)/.exec(ok.stdout)?.[1];
    expect(kept, ok.stdout).toMatch(/ledger\.db\.before-restore-\d{8}-\d{6}$/);
    expect(readFileSync(kept!)).toEqual(raw);
    expect(trades(db)).toEqual(before);
    const again = cli(['run', '--replay', REPLAY, '--from', '2025-06-02', '--to', '2025-06-09']);
    expect(again.code, again.stderr).toBe(0);
    expect(trades(db).length).toBeGreaterThan(before.length);
  }, 240_000);
});
