/** `niftybox mqtt forget` and `niftybox mqtt hash-password`, the built CLI against real brokers. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mqttConfigSchema } from '../../src/mqtt/config.js';
import { MqttOutput } from '../../src/mqtt/mqtt-output.js';
import { hashPassword, verifyPassword } from '../../src/mqtt/password.js';
import { builtCli } from '../support/cli.js';
import { repoRoot } from '../support/shared-data.js';
import {
  captureLog,
  freePort,
  hasMosquitto,
  Mosquitto,
  NO_MOSQUITTO_REASON,
  pub,
  readRetained,
  RecordingControl,
  sampleState,
  TempLedger,
  until,
} from './helpers.js';

/** The built CLI as a child process, without blocking this process (which may host the embedded broker). */
function cli(
  args: string[],
  opts: { env?: Record<string, string>; input?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [builtCli, ...args], {
      cwd: repoRoot,
      env: { ...process.env, NIFTYBOX_CONFIG: '', ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end(opts.input ?? '');
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'niftybox-mqtt-cli-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('niftybox mqtt hash-password', () => {
  it(
    'prints a scrypt hash of the password read on stdin, which the broker ' + 'verifies; no password is a usage error',
    async () => {
      const r = await cli(['mqtt', 'hash-password'], { input: 'correct horse battery\n' });
      expect(r.code, r.stderr).toBe(0);
      const hash = r.stdout.trim();
      expect(hash).toMatch(/^scrypt\$/);
      expect(await verifyPassword('correct horse battery', hash)).toBe(true);
      expect(
        mqttConfigSchema.parse({ embeddedBroker: { users: [{ name: 'ha', passwordHash: hash }] } }).embeddedBroker
          .users,
      ).toHaveLength(1);
      const empty = await cli(['mqtt', 'hash-password']);
      expect(empty.code).toBe(64);
      expect(empty.stderr).toMatch(/no password on stdin/);
    },
  );
});

describe.skipIf(!hasMosquitto)(`niftybox mqtt forget${hasMosquitto ? '' : ` (${NO_MOSQUITTO_REASON})`}`, () => {
  it("clears a device's retained config, state and availability on the configured broker", async () => {
    const broker = await new Mosquitto().start();
    cleanups.push(() => broker.dispose());
    for (const [t, p] of [
      ['homeassistant/device/oldbox/config', '{"device":{"name":"niftybox oldbox"}}'],
      ['niftybox/oldbox/state', '{}'],
      ['niftybox/oldbox/availability', 'offline'],
      ['homeassistant/device/keepme/config', '{}'],
    ])
      await pub(broker.port, t!, p!, { retain: true });
    const dir = tempDir();
    const cfg = join(dir, 'config.yaml');
    writeFileSync(cfg, `deviceId: thisbox\ndb: ${join(dir, 'l.db')}\nmqtt:\n  url: ${broker.url}\n`);
    const r = await cli(['mqtt', 'forget', '--device', 'oldbox', '--config', cfg]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/removed device "oldbox"/);
    for (const t of ['homeassistant/device/oldbox/config', 'niftybox/oldbox/state', 'niftybox/oldbox/availability'])
      expect(await readRetained(broker.port, t, 1), t).toBeNull();
    expect(await readRetained(broker.port, 'homeassistant/device/keepme/config')).toBe('{}');
  });

  it('no broker answering: exit 74 with the broker and what to check', async () => {
    const dir = tempDir();
    const cfg = join(dir, 'config.yaml');
    writeFileSync(
      cfg,
      `deviceId: thisbox\ndb: ${join(dir, 'l.db')}\nmqtt:\n  url: mqtt://127.0.0.1:${await freePort()}\n`,
    );
    const r = await cli(['mqtt', 'forget', '--config', cfg]);
    expect(r.code).toBe(74);
    expect(r.stderr).toMatch(/^niftybox mqtt forget: mqtt:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED.* — check mqtt\.url/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('on the embedded broker an anonymous client may not clear topics; a user with publish rights can', async () => {
    const port = await freePort();
    const users = [
      { name: 'admin', passwordHash: hashPassword('adm1n-pass'), publish: ['homeassistant/#', 'niftybox/#'] },
    ];
    const ledger = new TempLedger();
    cleanups.push(() => ledger.dispose());
    const out = new MqttOutput({
      config: mqttConfigSchema.parse({ embeddedBroker: { host: '127.0.0.1', port, users } }),
      deviceId: 'thisbox',
      control: new RecordingControl(),
      log: captureLog(),
      swVersion: 'test',
      serial: null,
      ledger: ledger.ledger,
    });
    cleanups.push(() => out.close());
    await out.start();
    expect(await out.whenConnected(5000)).toBe(true);
    out.onState(sampleState({ deviceId: 'thisbox' }));
    // everything out first: mosquitto_sub --retained-only exits on a live (non-retained) message
    await until(
      () => out.stats().queued === 0 && out.stats().inflight === 0 && out.stats().published >= 3,
      5000,
      'the announcements published',
    );
    expect(await readRetained(port, 'homeassistant/device/thisbox/config')).not.toBeNull();

    const dir = tempDir();
    const cfg = join(dir, 'config.yaml');
    writeFileSync(cfg, `deviceId: thisbox\ndb: ${join(dir, 'l.db')}\nmqtt:\n  embeddedBroker: { port: ${port} }\n`);
    const anon = await cli(['mqtt', 'forget', '--config', cfg]);
    expect(anon.code).toBe(74);
    expect(anon.stderr).toMatch(/embedded broker/);
    expect(await readRetained(port, 'homeassistant/device/thisbox/config')).not.toBeNull();

    const admin = await cli(['mqtt', 'forget', '--config', cfg], {
      env: { NIFTYBOX_MQTT_USERNAME: 'admin', NIFTYBOX_MQTT_PASSWORD: 'adm1n-pass' },
    });
    expect(admin.code, admin.stderr).toBe(0);
    expect(admin.stdout).toMatch(/this box's own device id/);
    expect(await readRetained(port, 'homeassistant/device/thisbox/config', 1)).toBeNull();
  });
});
