import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config.js';
import { runCli } from '../support/cli.js';
import { repoRoot } from '../support/shared-data.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'niftybox-demo-'));

describe('npm start (the demo)', () => {
  it('runs a simulated session end to end through the real client, prints ' +
    'trades and the report, exits 0 by itself', () => {
    const dir = tmp();
    const png = join(dir, 'oled.png');
    // The day pinned (the demo would simulate today's); the market waits for the box, so a busy machine takes longer.
    const r = spawnSync(
      'npm',
      [
        'start',
        '--silent',
        '--',
        '--session-seconds',
        '15',
        '--day',
        '2026-12-07',
        '--db',
        join(dir, 'demo.db'),
        '--display',
        `png:${png}`,
      ],
      {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 300_000,
        env: { ...process.env, HOME: dir, NIFTYBOX_CONFIG: '' },
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/BUY {2}NIFTY \d\d [A-Z]{3} \d\d \d+ (CE|PE) ×\d+ @/);
    expect(r.stdout).toMatch(/SELL NIFTY .* net [+-]₹/);
    expect(r.stdout).toMatch(/Daily report 2026-12-07: \d+ trades/);
    expect(r.stdout).toMatch(/Candle check vs Upstox intraday: \d+ candles compared/);
    expect(r.stdout).toMatch(/niftybox demo: ledger .*\n[\s\S]*net P&L/);
    const report = runCli(['report', '--db', join(dir, 'demo.db'), '--json']);
    expect(JSON.parse(report.stdout).trades.length).toBeGreaterThan(0);
    // --display png:<file> leaves the current OLED screen as a 128×64 PNG
    const image = PNG.sync.read(readFileSync(png));
    expect([image.width, image.height]).toEqual([128, 64]);
    expect(image.data.some((v, i) => i % 4 === 0 && v > 128)).toBe(true); // something is lit
  }, 330_000);
});

describe('configuration errors name the key and the allowed values, exit 78', () => {
  it('an environment override with a bad value', () => {
    const r = runCli(['run', '--demo'], {
      env: { ...process.env, NIFTYBOX_MQTT_URL: 'http://broker', NIFTYBOX_CONFIG: '' },
    });
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/NIFTYBOX_MQTT_URL \(config key mqtt\.url\): must start with mqtt:\/\/ or mqtts:\/\//);
  });

  it('an unknown key and a bad enum in the YAML file', () => {
    const dir = tmp();
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'deviceId: box1\nmqtt:\n  urll: mqtt://x\ndevice:\n  button:\n    wiring: sideways\n');
    const r = runCli(['run', '--config', file]);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/unknown config key mqtt\.urll/);
    expect(r.stderr).toMatch(/config key device\.button\.wiring: allowed values: no, nc/);
  });

  it('a missing --config file and broken YAML', () => {
    const dir = tmp();
    expect(runCli(['run', '--config', join(dir, 'none.yaml')]).stderr).toMatch(
      /config file .*none\.yaml does not exist/,
    );
    writeFileSync(join(dir, 'bad.yaml'), 'deviceId: [unclosed\n');
    const r = runCli(['report', '--config', join(dir, 'bad.yaml')]);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/is not valid YAML/);
  });

  it('a config that is not a mapping exits 78 naming the file; one of comments only is all defaults', () => {
    const dir = tmp();
    for (const [name, text, shape] of [
      ['scalar.yaml', 'deviceId\n', /a single value \("deviceId"\)/],
      ['number.yaml', '42\n', /a single value \(42\)/],
      ['list.yaml', '- deviceId: a\n- stateDir: /tmp\n', /a list/],
    ] as const) {
      const file = join(dir, name);
      writeFileSync(file, text);
      const r = runCli(['report', '--config', file]);
      expect(r.code, name).toBe(78);
      expect(r.stderr).toContain(file);
      expect(r.stderr).toMatch(shape);
      expect(r.stderr).toMatch(/not a mapping/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const comments = join(dir, 'comments.yaml');
    writeFileSync(comments, '# nothing set yet\n\n# deviceId: box\n');
    expect(loadConfig(comments).config.deviceId).toBe(parseConfig({}).deviceId);
  });

  it('defaults are complete and env overrides apply', () => {
    const c = parseConfig(
      {},
      { NIFTYBOX_DEVICE_ID: 'pi-42', NIFTYBOX_DB: '/tmp/x.db', NIFTYBOX_UPSTOX_API_BASE_URL: 'http://127.0.0.1:9' },
    );
    expect(c.deviceId).toBe('pi-42');
    expect(c.db).toBe('/tmp/x.db');
    expect(c.upstox.apiBaseUrl).toBe('http://127.0.0.1:9');
    expect(c.strategy.params.chopMax).toBe(57);
    expect(c.mqtt.allowRemoteResume).toBe(false);
  });
});

describe('a corrupt ledger file', () => {
  it('is reported with its name and what to do, never reset', () => {
    const dir = tmp();
    const db = join(dir, 'ledger.db');
    writeFileSync(db, 'this is not a database, it is a shopping list\n'.repeat(200));
    const before = readFileSync(db);
    for (const args of [
      ['report', '--db', db],
      ['run', '--demo', '--db', db],
    ]) {
      const r = runCli(args, { env: { ...process.env, NIFTYBOX_CONFIG: '', HOME: dir } });
      expect(r.code).toBe(74);
      expect(r.stderr).toContain(db);
      expect(r.stderr).toMatch(/move it aside|restore/i);
    }
    expect(readFileSync(db)).toEqual(before);
  });
});
