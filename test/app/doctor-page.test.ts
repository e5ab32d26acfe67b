/** `niftybox doctor` says whether the page is open to the LAN without a password (built CLI, real config files). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

function doctor(web: string, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'niftybox-doctor-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `stateDir: ${join(dir, 'state')}\nmqtt:\n  url: mqtt://127.0.0.1:1\n${web}`);
  const r = runCli(['doctor', '--config', config, '--json'], {
    env: {
      ...process.env,
      NIFTYBOX_CONFIG: '',
      NIFTYBOX_WEB_PASSWORD: '',
      NIFTYBOX_WEB_BIND: '',
      NIFTYBOX_WEB_PORT: '',
      ...env,
    },
  });
  const report = JSON.parse(r.stdout) as { checks: { name: string; ok: boolean; detail: string }[] };
  return report.checks.find((c) => c.name === 'page')!;
}

describe('doctor and the page password', () => {
  it('fails the page check when the page is on the LAN without a password, and says how to set one', () => {
    const open = doctor('');
    expect(open.ok, open.detail).toBe(false);
    expect(open.detail).toMatch(
      /open without a password on 0\.0\.0\.0:8080: anyone on the LAN can read it and halt the box — set web.password/,
    );
  });

  it(
    "passes with web.password, with NIFTYBOX_WEB_PASSWORD (the installer's " +
      'secrets.env), on loopback only, or with the page off',
    () => {
      expect(doctor('web:\n  password: s3cret\n')).toMatchObject({
        ok: true,
        detail: expect.stringMatching(/needs its password/),
      });
      expect(doctor('', { NIFTYBOX_WEB_PASSWORD: 'from-secrets-env' })).toMatchObject({
        ok: true,
        detail: expect.stringMatching(/needs its password/),
      });
      expect(doctor('web:\n  bind: 127.0.0.1\n')).toMatchObject({
        ok: true,
        detail: expect.stringMatching(/only on this machine/),
      });
      expect(doctor('web:\n  enabled: false\n')).toMatchObject({ ok: true });
    },
  );
});
