/**
 * The path a user walks, through the built CLI only (every niftybox step is a subprocess): a fresh
 * state dir → `login --token` checked against the exchange → `run` without --demo goes live and
 * trades → `status` from another process says live → `halt` halts it → `doctor --json` names the
 * same token file and ledger. Without a token `run` says it runs the demo and why; a token Upstox
 * rejects is refused at login and named at boot.
 *
 * The exchange is the project's fake Upstox (real REST + WebSocket + protobuf) on a virtual clock
 * that starts on a trading morning and runs SPEED× faster; the appliance's process runs on the same
 * clock through libfaketime (apt: faketime), so the whole session plays out in a couple of minutes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarketCalendar } from '../../src/core/calendar.js';
import { istTime } from '../../src/core/time.js';
import { MarketSimulator, startFakeUpstox, VirtualClock, type FakeUpstox } from '../../src/sim/index.js';
import { freePort } from '../mqtt/helpers.js';
import { builtCli } from '../support/cli.js';

/** The built CLI as a subprocess, asynchronously: the exchange lives in this process and must keep answering. */
function cli(
  args: string[],
  opts: { env: NodeJS.ProcessEnv },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [builtCli, ...args], { env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1';
const SPEED = 30;
// Seed 25 on this day: the first V25 entry comes at 09:35 IST. The box boots before the open, as at home.
const DAY = '2026-08-11';
const START = istTime(DAY, '09:05');

function jwt(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const signature = Buffer.from('signature-not-checked').toString('base64url');
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}.${signature}`;
}
const TOKEN_EXP = Date.parse('2027-06-30T22:00:00Z') / 1000;
const GOOD_TOKEN = jwt({ sub: 'FAKE01', iss: 'udapi-gateway-service', iat: TOKEN_EXP - 365 * 86400, exp: TOKEN_EXP });

import { until as untilTruthy } from '../support/wait.js';

const until = <T>(
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  ms: number,
  what: string,
  tail?: () => string,
) => untilTruthy(fn, ms, what, { pollMs: 250, ...(tail ? { tail } : {}) });
interface Box {
  dir: string;
  config: string;
  env: NodeJS.ProcessEnv;
}

/** A state dir and config file as a user would have them, pointing the box at `apiBaseUrl`. */
async function freshBox(apiBaseUrl: string): Promise<Box> {
  const dir = mkdtempSync(join(tmpdir(), 'niftybox-golive-'));
  const state = join(dir, 'state');
  const config = join(dir, 'config.yaml');
  const port = await freePort();
  writeFileSync(
    config,
    [
      `stateDir: ${state}`,
      // The appliance and the exchange run on clocks started a spawn apart, SPEED× fast.
      'maxClockSkewMs: 120000',
      'upstox:',
      `  apiBaseUrl: ${apiBaseUrl}`,
      '  requestTimeoutMs: 200000', // virtual ms: 10 s real at SPEED
      'mqtt:',
      `  embeddedBroker: { enabled: true, host: 127.0.0.1, port: ${port} }`,
      'device:',
      // This machine has no GPIO or I2C: the simulated button (the keyboard's), no display.
      '  button: { simulated: true }',
      '  buzzer: { simulated: true }',
      '  display: { kind: none }',
      '',
    ].join('\n'),
  );
  // Nothing from the machine's own environment may leak in: no config, token or device id.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, NIFTYBOX_CONFIG: config, TZ: 'UTC' };
  return { dir, config, env };
}

function spawnRun(box: Box, args: string[], faketime: string | null): { child: ChildProcess; out: () => string } {
  const env = { ...box.env };
  if (faketime) Object.assign(env, { LD_PRELOAD: FAKETIME_LIB, FAKETIME: faketime, FAKETIME_NO_CACHE: '1' });
  const child = spawn(process.execPath, [builtCli, 'run', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (c) => (text += c));
  child.stderr!.on('data', (c) => (text += c));
  return { child, out: () => text };
}

function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', (code) => {
      clearTimeout(kill);
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}

/** FAKETIME's "@" form: the process clock starts at `ts` (UTC) and runs SPEED× fast. */
function faketimeAt(ts: number): string {
  return `@${new Date(ts).toISOString().slice(0, 19).replace('T', ' ')} x${SPEED}`;
}

const haveFaketime = existsSync(FAKETIME_LIB);

describe.skipIf(!haveFaketime)('go live as installed, through the CLI only', () => {
  let fake: FakeUpstox;
  let clock: VirtualClock;
  const calendar = new MarketCalendar();

  beforeAll(async () => {
    clock = new VirtualClock(START, SPEED);
    fake = await startFakeUpstox({
      source: new MarketSimulator({ seed: 25, calendar }),
      calendar,
      clock,
      port: 0,
      token: GOOD_TOKEN,
    });
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('login --token → run (no --demo) trades live → status says live → halt → ' +
    'doctor --json names the same files', async () => {
    const box = await freshBox(fake.apiBaseUrl);
    const login = await cli(['login', '--token', GOOD_TOKEN], { env: box.env });
    expect(login.code, login.stderr).toBe(0);
    const tokenFile = join(box.dir, 'state', 'upstox-token.json');
    expect(login.stdout).toContain(tokenFile);
    expect(login.stdout).toContain('Upstox accepts it (Fake Upstox user)');
    expect(login.stdout).toContain('valid until 2027-07-01'); // the JWT's exp, in IST
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(tokenFile, 'utf8')).expiresAt).toBe(TOKEN_EXP * 1000);

    clock.set(START);
    const run = spawnRun(box, [], faketimeAt(START));
    try {
      // Live, against the fake: the feed connects through the authorize endpoint, not a simulator of its own.
      await until(() => fake.connections > 0, 60_000, 'the live feed to connect to the fake Upstox', run.out);
      expect(run.out()).toContain(`live: the analytics token from ${tokenFile}`);
      expect(run.out()).not.toMatch(/demo/i);

      const ledger = join(box.dir, 'state', 'ledger.db');
      // An entry on the live feed: status (another process, over the control socket) shows the position.
      const entered = await until(
        async () => {
          const r = await cli(['status', '--json'], { env: box.env });
          if (r.code !== 0) return null;
          const s = JSON.parse(r.stdout);
          return s.position && s;
        },
        150_000,
        'a live entry',
        run.out,
      );
      expect(entered.position.symbol).toMatch(/^NIFTY 11 AUG 26 \d+ (CE|PE)$/);
      expect(run.out()).toMatch(/BUY {2}NIFTY 11 AUG 26 \d+ (CE|PE) ×65 @/);
      expect(fake.stats.feedHandshakes).toBeGreaterThan(0); // the feed came through the exchange's authorize endpoint

      const status = await cli(['status'], { env: box.env });
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/^mode: live$/m);
      const json = JSON.parse((await cli(['status', '--json'], { env: box.env })).stdout);
      expect(json.mode).toBe('live');
      expect(json.trading).toBe('active');

      const halt = await cli(['halt', '--reason', 'e2e'], { env: box.env });
      expect(halt.code, halt.stderr).toBe(0);
      expect(halt.stdout).toMatch(/trading: halted \(e2e\)/);
      expect(JSON.parse((await cli(['status', '--json'], { env: box.env })).stdout).trading).toBe('halted');

      const doctor = await cli(['doctor', '--json'], { env: box.env });
      const report = JSON.parse(doctor.stdout);
      expect(report.mode).toBe('live');
      expect(report.tokenFile).toBe(tokenFile);
      expect(report.ledger).toBe(ledger);
      expect(report.configFile).toBe(box.config);
      expect(report.checks.find((c: { name: string }) => c.name === 'upstox token')).toMatchObject({ ok: true });
    } finally {
      expect(await stop(run.child)).toBe(0);
    }
  }, 300_000);

  it('without any token, run says it runs the demo, naming what it looked for ' +
    'and where; the demo keeps its own ledger and device id', async () => {
    const box = await freshBox(fake.apiBaseUrl);
    const run = spawnRun(box, ['--session-seconds', '15', '--sessions', '1', '--day', DAY], null);
    const exited = new Promise<number | null>((r) => run.child.once('exit', r));
    const demoDb = join(box.dir, 'state', 'demo.db');
    const state = await until(
      async () => {
        const r = await cli(['status', '--json', '--db', demoDb], { env: box.env });
        return r.code === 0 && JSON.parse(r.stdout);
      },
      30_000,
      'the demo to answer status',
      run.out,
    );
    expect(state.mode).toBe('demo');
    // not the live box's id (nor its MQTT client id)
    expect(state.deviceId).toBe(`${hostname().replace(/[^A-Za-z0-9_-]/g, '-')}-demo`);
    const code = await exited;
    const out = run.out();
    expect(code, out).toBe(0);
    const tokenFile = join(box.dir, 'state', 'upstox-token.json');
    expect(out).toContain(
      `No Upstox credentials: looked for upstox.token in ${box.config}, ` +
        `NIFTYBOX_UPSTOX_TOKEN, the token file ${tokenFile}`,
    );
    expect(out).toContain('running the demo against the simulated exchange');
    expect(out).toContain(`niftybox demo: ledger ${join(box.dir, 'state', 'demo.db')}`);
    expect(existsSync(join(box.dir, 'state', 'ledger.db'))).toBe(false); // the live box's ledger stays untouched
    const day = /Daily report (\d{4}-\d\d-\d\d)/.exec(out)?.[1];
    expect(day, out).toBe(DAY); // --day pins the demo's session, whatever today is

    // A second demo on the same ledger continues with the next trading day instead of replaying a closed one.
    const again = spawnRun(box, ['--session-seconds', '5', '--sessions', '1', '--day', DAY], null);
    expect(await new Promise<number | null>((r) => again.child.once('exit', r)), again.out()).toBe(0);
    expect(again.out()).toMatch(
      new RegExp(`already holds the simulated sessions up to ${day}; continuing with \\d{4}-\\d\\d-\\d\\d`),
    );
    const next = /Daily report (\d{4}-\d\d-\d\d)/.exec(again.out())?.[1];
    expect(next! > day!, again.out()).toBe(true);
  }, 120_000);

  it("a token Upstox rejects: login refuses it with Upstox's message and " +
    'stores nothing; at boot run names the file and the fix', async () => {
    const box = await freshBox(fake.apiBaseUrl);
    const bad = jwt({ sub: 'FAKE01', exp: TOKEN_EXP });
    const login = await cli(['login', '--token', bad], { env: box.env });
    expect(login.code).toBe(65);
    expect(login.stderr).toContain(
      'Upstox rejected this token: Invalid token used to access API (401 UDAPI100050); nothing was stored',
    );
    expect(login.stdout).not.toContain('valid until');
    const tokenFile = join(box.dir, 'state', 'upstox-token.json');
    expect(existsSync(tokenFile)).toBe(false);

    const garbage = await cli(['login', '--token', 'garbage!!'], { env: box.env });
    expect(garbage.code).toBe(65);
    expect(garbage.stdout + garbage.stderr).not.toContain('valid until');
    expect(existsSync(tokenFile)).toBe(false);

    const empty = await cli(['login', '--token', ' '], { env: box.env });
    expect(empty.code).toBe(64);
    expect(empty.stderr).toMatch(/--token is empty: give the Analytics token/);
    expect(empty.stderr).not.toMatch(/\bat .*\.js:\d+/); // no stack trace

    // The token was good when stored and Upstox revoked it since: the box starts, says why, takes no entries.
    const login2 = await cli(['login', '--token', GOOD_TOKEN], { env: box.env });
    expect(login2.code, login2.stderr).toBe(0);
    const stored = JSON.parse(readFileSync(tokenFile, 'utf8'));
    writeFileSync(tokenFile, JSON.stringify({ ...stored, token: bad }), { mode: 0o600 });
    clock.set(START);
    const run = spawnRun(box, [], faketimeAt(START));
    try {
      await until(() => run.out().includes('Upstox rejected the token'), 30_000, 'the boot message', run.out);
      expect(run.out()).toContain(
        `niftybox run: Upstox rejected the token from ${tokenFile}: Invalid token ` +
          `used to access API (401 UDAPI100050); no new entries until you log in ` +
          `again with "niftybox login --token <new token>".`,
      );
      const status = await until(
        async () => {
          const r = await cli(['status', '--json'], { env: box.env });
          return r.code === 0 && JSON.parse(r.stdout);
        },
        30_000,
        'status',
        run.out,
      );
      expect(status.mode).toBe('live');
      await until(
        async () =>
          JSON.parse((await cli(['status', '--json'], { env: box.env })).stdout).alarms.some(
            (a: { code: string }) => a.code === 'TOKEN_EXPIRED',
          ),
        30_000,
        'TOKEN_EXPIRED',
        run.out,
      );
      expect(run.out()).not.toMatch(/\n\s+at .*\.js:\d+/);
    } finally {
      await stop(run.child);
    }
  }, 180_000);

  it.skipIf(process.getuid?.() !== 0)(
    "sudo login into the service's state directory leaves a 0600 token file the service user owns",
    async () => {
      const box = await freshBox(fake.apiBaseUrl);
      const state = join(box.dir, 'state');
      mkdirSync(state, { mode: 0o770 });
      chownSync(state, 65534, 65534); // the service user (here: nobody)
      const login = await cli(['login', '--token', GOOD_TOKEN], { env: box.env });
      expect(login.code, login.stderr).toBe(0);
      const st = statSync(join(state, 'upstox-token.json'));
      expect([st.uid, st.mode & 0o777]).toEqual([65534, 0o600]);
    },
  );
});
