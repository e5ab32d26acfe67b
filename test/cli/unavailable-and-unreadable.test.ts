/**
 * Issue 27 item 4, through the built CLI: `status`/`halt`/`resume` with no appliance running exit 69
 * (service unavailable) naming the socket they looked for; a ledger or state folder this user may
 * not read exits 74 naming the path, the permission and what to run. Tests run as root, who reads
 * anything, so the unreadable cases run the CLI as user nobody (setpriv drops uid, gid and groups).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtCli, runCli } from '../support/cli.js';
import { Ledger } from '../../src/store/ledger.js';
import { createLogger } from '../../src/log.js';

const tmp = mkdtempSync(join(tmpdir(), 'niftybox-unavail-'));
chmodSync(tmp, 0o755);
const home = join(tmp, 'home');
mkdirSync(home, { mode: 0o777 });
chmodSync(home, 0o777);
const env = { ...process.env, HOME: home, NIFTYBOX_CONFIG: '', NIFTYBOX_DB: '', NIFTYBOX_UPSTOX_TOKEN: '' };

function expectOneSentence(r: { code: number | null; stderr: string }, code: number, pattern: RegExp) {
  expect(r.stderr, r.stderr).toMatch(pattern);
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
}

function makeLedger(file: string) {
  Ledger.open(file, { log: createLogger({ area: 'test' }) }).close();
}

/** The built CLI as user nobody (uid/gid 65534, no supplementary groups): permissions apply to it. */
function cliAsNobody(args: string[]) {
  const r = spawnSync(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, builtCli, ...args],
    {
      encoding: 'utf8',
      env,
      cwd: tmp,
      timeout: 60_000,
    },
  );
  return { code: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

const canDropPrivileges =
  process.getuid?.() === 0 && existsSync('/usr/bin/setpriv') && cliAsNobody(['--help']).code === 0;

describe('no appliance running: status, halt and resume exit 69 naming the socket', () => {
  const db = join(tmp, 'absent', 'ledger.db');
  mkdirSync(join(tmp, 'absent'));
  for (const cmd of ['status', 'halt', 'resume']) {
    it(cmd, () => {
      const r = runCli([cmd, '--db', db], { env });
      expectOneSentence(
        r,
        69,
        new RegExp(
          `no appliance is running \\(looked for its control socket at ${db.replace(/[.]/g, '\\.')}\\.sock\\)`,
        ),
      );
    });
  }
  it('a stale socket file nothing listens on is also "no appliance" (69)', () => {
    const stale = join(tmp, 'stale');
    mkdirSync(stale);
    writeFileSync(join(stale, 'ledger.db.sock'), ''); // a plain file: connecting to it is refused
    const r = runCli(['status', '--db', join(stale, 'ledger.db')], { env });
    expectOneSentence(r, 69, /no appliance is running \(looked for its control socket at .*ledger\.db\.sock/);
  });
});

describe.skipIf(!canDropPrivileges)(
  'a ledger this user may not read: exit 74 naming the path, the permission and the fix',
  () => {
    it('report on a ledger inside a state folder it may not enter (not "no ledger")', () => {
      const state = join(tmp, 'state-closed');
      mkdirSync(state);
      makeLedger(join(state, 'ledger.db'));
      chmodSync(state, 0o700);
      const r = cliAsNobody(['report', '--db', join(state, 'ledger.db')]);
      expectOneSentence(
        r,
        74,
        new RegExp(
          `cannot read the ledger ${state}/ledger\\.db: permission denied on its ` +
            `folder ${state} .*sudo usermod -aG niftybox`,
        ),
      );
      expect(r.stderr).not.toMatch(/no ledger/);
    });
    it('report on a ledger file it may not read', () => {
      const state = join(tmp, 'state-open');
      mkdirSync(state);
      chmodSync(state, 0o755);
      const file = join(state, 'ledger.db');
      makeLedger(file);
      chmodSync(file, 0o600);
      const r = cliAsNobody(['report', '--db', file]);
      expectOneSentence(
        r,
        74,
        new RegExp(
          `cannot read the ledger ${file.replace(/[.]/g, '\\.')}: permission denied ` +
            `on the file .*sudo usermod -aG niftybox`,
        ),
      );
    });
    it('export and verify say the same', () => {
      const state = join(tmp, 'state-closed2');
      mkdirSync(state);
      makeLedger(join(state, 'ledger.db'));
      chmodSync(state, 0o700);
      expectOneSentence(
        cliAsNobody(['export', '--db', join(state, 'ledger.db'), '--out', join(home, 'out')]),
        74,
        /permission denied on its folder/,
      );
      expectOneSentence(
        cliAsNobody(['verify', '--day', '2025-06-02', '--db', join(state, 'ledger.db')]),
        74,
        /permission denied on its folder/,
      );
    });
    it('status with a state folder it may not enter: 74 (permission), not 69', () => {
      const state = join(tmp, 'state-closed3');
      mkdirSync(state, { mode: 0o700 });
      chmodSync(state, 0o700);
      expectOneSentence(
        cliAsNobody(['status', '--db', join(state, 'ledger.db')]),
        74,
        new RegExp(`permission denied on ${state} \\(EACCES\\): join group niftybox`),
      );
    });
    it('a missing ledger is still "no ledger" (65)', () => {
      expectOneSentence(
        cliAsNobody(['report', '--db', join(home, 'none.db')]),
        65,
        /no ledger at .*none\.db: run the appliance first/,
      );
    });
  },
);
