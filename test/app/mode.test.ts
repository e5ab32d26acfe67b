/** The one mode decision and the one config/state lookup every command shares. */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config.js';
import { selectMode } from '../../src/app/mode.js';
import { isolateDemo } from '../../src/app/demo.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'niftybox-mode-'));
const NOW = Date.parse('2026-08-11T03:00:00Z');

describe('config and state locations', () => {
  it('an installed box: without flags the system config is used and state lives where the service keeps it', () => {
    const dir = tmp();
    const system = { configFile: join(dir, 'etc', 'config.yaml'), stateDir: join(dir, 'var', 'lib', 'niftybox') };
    mkdirSync(join(dir, 'etc'));
    writeFileSync(system.configFile, 'strategy:\n  lots: 2\n');
    const r = loadConfig(undefined, { HOME: join(dir, 'home') }, system);
    expect(r.file).toBe(system.configFile);
    expect(r.config.stateDir).toBe(system.stateDir);
    expect(r.config.strategy.params.lots).toBe(2);
    // an explicit stateDir still wins
    writeFileSync(system.configFile, 'stateDir: /srv/own\n');
    expect(loadConfig(undefined, { HOME: dir }, system).config.stateDir).toBe('/srv/own');
  });

  it('no installed box: ~/.niftybox; NIFTYBOX_CONFIG="" means no file at all; --config wins', () => {
    const dir = tmp();
    const system = { configFile: join(dir, 'none.yaml'), stateDir: '/nowhere' };
    const r = loadConfig(undefined, { HOME: dir }, system);
    expect(r.file).toBeNull();
    expect(r.config.stateDir).not.toBe(system.stateDir);
    expect(r.lookedAt).toEqual([system.configFile, join(dir, '.niftybox', 'config.yaml')]);
    expect(loadConfig(undefined, { HOME: dir, NIFTYBOX_CONFIG: '' }, system).lookedAt).toEqual([]);
    const own = join(dir, 'own.yaml');
    writeFileSync(own, 'deviceId: pi7\n');
    expect(loadConfig(own, { HOME: dir }, system).config.deviceId).toBe('pi7');
  });

  it('a config path that is a directory, or unreadable, is one sentence naming it (exit 78)', () => {
    const dir = tmp();
    expect(() => loadConfig(dir, {})).toThrow(
      new RegExp(`config file ${dir} is a directory: give the YAML file itself`),
    );
    if (process.getuid?.() !== 0) {
      const f = join(dir, 'secret.yaml');
      writeFileSync(f, 'a: 1\n');
      chmodSync(f, 0);
      expect(() => loadConfig(f, {})).toThrow(/permission denied.*group niftybox/);
    }
  });
});

describe('selectMode', () => {
  const base = (dir: string, extra: Record<string, unknown> = {}) => parseConfig({ stateDir: dir, ...extra }, {});
  const inputs = (dir: string, extra: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}) => ({
    config: base(dir, extra),
    configFile: '/etc/niftybox/config.yaml',
    lookedAt: ['/etc/niftybox/config.yaml'],
    env,
    now: NOW,
  });

  it('the token file from login → live, naming the file', () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'upstox-token.json'),
      JSON.stringify({ token: 'tok', expiresAt: NOW + 1000, kind: 'analytics' }),
    );
    const m = selectMode(inputs(dir));
    expect(m.mode).toBe('live');
    expect(m.reason).toContain(join(dir, 'upstox-token.json'));
    expect(m.token).toMatchObject({ source: 'file', expired: false });
    expect(selectMode({ ...inputs(dir), demo: true }).mode).toBe('demo'); // --demo still wins
  });

  it('a config or env token → live; OAuth credentials alone → live with the login page', () => {
    const dir = tmp();
    expect(selectMode(inputs(dir, { upstox: { token: 'abc' } })).reason).toContain(
      'upstox.token in /etc/niftybox/config.yaml',
    );
    expect(selectMode(inputs(dir, { upstox: { token: 'abc' } }, { NIFTYBOX_UPSTOX_TOKEN: 'abc' })).reason).toContain(
      'NIFTYBOX_UPSTOX_TOKEN',
    );
    const oauth = selectMode(inputs(dir, { upstox: { apiKey: 'k', apiSecret: 's' } }));
    expect(oauth.mode).toBe('live');
    expect(oauth.reason).toMatch(/login page/);
  });

  it('an expired stored token keeps the box live (no entries, log in again), never a silent demo', () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'upstox-token.json'),
      JSON.stringify({ token: 'tok', expiresAt: NOW - 1000, kind: 'oauth' }),
    );
    const m = selectMode(inputs(dir));
    expect(m.mode).toBe('live');
    expect(m.reason).toMatch(/expired .*no entries until a new login/);
  });

  it('nothing at all → demo, naming every place it looked', () => {
    const dir = tmp();
    const m = selectMode(inputs(dir));
    expect(m.mode).toBe('demo');
    expect(m.reason).toContain('upstox.token in /etc/niftybox/config.yaml');
    expect(m.reason).toContain('NIFTYBOX_UPSTOX_TOKEN');
    expect(m.reason).toContain(join(dir, 'upstox-token.json'));
    expect(m.reason).toContain('upstox.apiKey/apiSecret');
  });

  it('a damaged token file is one sentence naming it and the fix', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'upstox-token.json'), '{"tok');
    expect(() => selectMode(inputs(dir))).toThrow(
      new RegExp(`token file ${join(dir, 'upstox-token.json')} is damaged.*niftybox login --token`),
    );
  });
});

describe('isolateDemo', () => {
  it('gives a demo its own ledger and device id unless --db, NIFTYBOX_DB or NIFTYBOX_DEVICE_ID say otherwise', () => {
    const c = parseConfig({ stateDir: '/s', deviceId: 'box', db: '/s/ledger.db' }, {});
    isolateDemo(c, { explicitDb: false, env: {} });
    expect([c.db, c.deviceId]).toEqual(['/s/demo.db', 'box-demo']);
    const d = parseConfig({ stateDir: '/s', deviceId: 'box' }, { NIFTYBOX_DB: '/x.db', NIFTYBOX_DEVICE_ID: 'mine' });
    isolateDemo(d, { explicitDb: false, env: { NIFTYBOX_DB: '/x.db', NIFTYBOX_DEVICE_ID: 'mine' } });
    expect([d.db, d.deviceId]).toEqual(['/x.db', 'mine']);
  });
});
