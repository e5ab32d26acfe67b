/**
 * scripts/install-pi.sh on this (non-Pi) machine: --dry-run detects that it is not a Pi, lists every
 * step and changes nothing under /etc, /opt and /boot; a real install refuses without --force. The real
 * install on arm64 Debian is scripts/check-arm64-install.sh (slow, not part of npm test).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/shared-data.js';

const script = join(repoRoot, 'scripts', 'install-pi.sh');

/** A digest of a tree: every path, its mode, size, mtime and (for small regular files) content. */
function treeHash(root: string): string {
  const h = createHash('sha256');
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return; // unreadable: same answer both times
    }
    for (const n of names) {
      const p = join(dir, n);
      let st: Stats;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      h.update(`${p} ${st.mode} ${st.uid}:${st.gid} ${st.size} ${st.mtimeMs}\n`);
      if (st.isSymbolicLink()) h.update(readlinkSync(p));
      else if (st.isDirectory()) walk(p);
      else if (st.isFile() && st.size < 1_000_000) {
        try {
          h.update(readFileSync(p));
        } catch {
          // unreadable file: its metadata is hashed above
        }
      }
    }
  };
  if (existsSync(root)) walk(root);
  return h.digest('hex');
}

const isPi = (() => {
  try {
    return readFileSync('/proc/device-tree/model', 'utf8').includes('Raspberry Pi');
  } catch {
    return false;
  }
})();

describe.skipIf(isPi)('install-pi.sh on a machine that is not a Pi', () => {
  it('--dry-run says it is not a Pi, lists every step, changes nothing in /etc, /opt, /boot and exits 0', () => {
    const before = ['/etc', '/opt', '/boot'].map(treeHash);
    const r = spawnSync('bash', [script, '--dry-run'], { encoding: 'utf8', timeout: 60_000 });
    const after = ['/etc', '/opt', '/boot'].map(treeHash);
    expect(r.status, r.stderr).toBe(0);
    expect(after).toEqual(before);
    const out = r.stdout;
    expect(out).toContain('dry run: nothing will be changed');
    expect(out).toMatch(/this is not a Raspberry Pi .*a real install stops here unless given --force/);
    for (const step of [
      'system packages',
      'service user and groups',
      'installing the app in /opt/niftybox',
      'the niftybox command',
      'config (/etc/niftybox) and state (/var/lib/niftybox)',
      'firmware config',
      'systemd service',
      'niftybox doctor',
    ]) {
      expect(out).toContain(`==> ${step}`);
    }
    expect(out).toMatch(/would (run|write).*\/usr\/local\/bin\/niftybox/);
    expect(out).toContain('would run: systemctl enable niftybox.service');
    expect(out).toContain(
      'would generate a page password into /etc/niftybox/secrets.env (NIFTYBOX_WEB_PASSWORD) and print it once',
    );
    expect(out).not.toMatch(/^\s+\+ /m); // nothing was executed
  }, 90_000);

  it('a real install stops on a non-Pi without --force, naming the flag; unknown options are usage errors', () => {
    const r = spawnSync('bash', [script], { encoding: 'utf8', timeout: 60_000 });
    if (process.getuid?.() === 0) {
      expect(r.status).toBe(69);
      expect(r.stderr).toMatch(/not a Raspberry Pi .*re-run with --force/);
    } else {
      expect(r.status).toBe(77);
      expect(r.stderr).toMatch(/run as root: sudo/);
    }
    const bad = spawnSync('bash', [script, '--frobnicate'], { encoding: 'utf8' });
    expect(bad.status).toBe(64);
    expect(bad.stderr).toContain('unknown option --frobnicate');
  });

  it('is shellcheck clean (and so is the arm64 check)', () => {
    const r = spawnSync('shellcheck', [script, join(repoRoot, 'scripts', 'check-arm64-install.sh')], {
      encoding: 'utf8',
    });
    if (r.error) throw new Error('shellcheck is not installed (apt-get install shellcheck)');
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
