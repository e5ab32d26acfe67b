/**
 * The control socket against a stray local process, through a real unix socket: one JSON object
 * per line with a known `cmd`, anything else answered with an error line (the line `null` used to
 * throw a TypeError that stopped the whole box); a line size cap; an idle timeout on the Clock; a
 * failing handler closes that connection only. Then a seeded fuzz of 10,000 random and malformed
 * lines against `niftybox run --replay`: the box keeps trading (its trades are the backtest's) and
 * answers `status`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createConnection, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_REQUEST_BYTES, sendControl, startControlServer, type ControlResponse } from '../../src/app/control.js';
import { ManualClock } from '../../src/lib/clock.js';
import { Prng } from '../../src/sim/prng.js';
import { builtCli, runCli } from '../support/cli.js';
import { hasSharedData, indexCsv, noSharedDataReason, optionsCsv, repoRoot } from '../support/shared-data.js';
import { captureLog, RecordingControl, sampleState } from '../mqtt/helpers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'niftybox-control-'));
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A raw client: write lines, read answer lines, see the close. */
class RawClient {
  readonly sock: Socket;
  private buf = '';
  private waiters: (() => void)[] = [];
  closed = false;
  constructor(path: string) {
    this.sock = createConnection(path);
    this.sock.setEncoding('utf8');
    this.sock.on('data', (c: string) => {
      this.buf += c;
      this.wake();
    });
    this.sock.on('error', () => undefined);
    this.sock.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }
  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }
  write(data: string | Buffer) {
    this.sock.write(data);
  }
  /** The next answer line, or null once the box closed the connection without one. */
  async line(): Promise<ControlResponse | null> {
    for (;;) {
      const nl = this.buf.indexOf('\n');
      if (nl >= 0) {
        const l = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        return JSON.parse(l) as ControlResponse;
      }
      if (this.closed) return null;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }
  async closedByBox(): Promise<void> {
    while (!this.closed) await new Promise<void>((r) => this.waiters.push(r));
  }
}

async function server(opts: { state?: () => ReturnType<typeof sampleState> } = {}) {
  const path = join(tmp(), 'l.db.sock');
  const control = new RecordingControl();
  const clock = new ManualClock(Date.UTC(2025, 5, 2, 4, 0));
  const log = captureLog();
  const s: Server = await startControlServer(path, control, opts.state ?? (() => sampleState()), log, {
    clock,
    idleMs: 30_000,
  });
  cleanups.push(() => new Promise<void>((r) => s.close(() => r())));
  const client = () => {
    const c = new RawClient(path);
    cleanups.push(() => c.sock.destroy());
    return c;
  };
  return { path, control, clock, log, client };
}

describe('the control socket', () => {
  it(
    'answers null, arrays, numbers, unknown commands and bad reasons with an ' +
      'error line and keeps the connection; then status works on it',
    async () => {
      const { client, control } = await server();
      const c = client();
      for (const bad of [
        'null',
        '[]',
        '[{"cmd":"halt"}]',
        '42',
        '"status"',
        '{"cmd":null}',
        '{"cmd":["halt"]}',
        '{"cmd":"explode"}',
        '{"cmd":"halt","reason":{"x":1}}',
        '{',
        '\u0000\u0001\u00ff',
      ]) {
        c.write(`${bad}\n`);
        const r = await c.line();
        expect(r, bad).toMatchObject({ ok: false });
        expect(r!.error, bad).toMatch(/JSON|unknown command|reason must be a string/);
      }
      c.write('{"cmd":"status"}\n');
      expect(await c.line()).toMatchObject({ ok: true, state: { deviceId: 'testbox' } });
      expect(control.halts).toEqual([]);
      expect(control.resumes).toEqual([]);
    },
  );

  it('deep nesting is an error line, not a crash', async () => {
    const { client } = await server();
    const c = client();
    const depth = Math.floor((MAX_REQUEST_BYTES - 2) / 2);
    c.write(`${'['.repeat(depth)}${']'.repeat(depth)}\n`);
    expect(await c.line()).toMatchObject({ ok: false, error: expect.stringMatching(/not a JSON object/) });
    c.write(`${'{"a":'.repeat(600)}1${'}'.repeat(600)}\n`);
    expect(await c.line()).toMatchObject({ ok: false, error: expect.stringMatching(/unknown command/) });
    c.write('{"cmd":"status"}\n');
    expect(await c.line()).toMatchObject({ ok: true });
  });

  it(
    'a line over the cap, with or without its newline, gets an error and the ' +
      'connection is closed; others are unaffected',
    async () => {
      const { client } = await server();
      const other = client();
      const big = client();
      big.write(Buffer.alloc(MAX_REQUEST_BYTES * 4, 0x61)); // no newline at all
      expect(await big.line()).toMatchObject({ ok: false, error: expect.stringMatching(/too large/) });
      await big.closedByBox();
      const big2 = client();
      big2.write(`{"cmd":"status","reason":"${'x'.repeat(MAX_REQUEST_BYTES)}"}\n`);
      expect(await big2.line()).toMatchObject({ ok: false, error: expect.stringMatching(/too large/) });
      await big2.closedByBox();
      other.write('{"cmd":"status"}\n');
      expect(await other.line()).toMatchObject({ ok: true });
    },
  );

  it('a connection idle for 30 s on the Clock is closed; one that keeps talking is not', async () => {
    const { client, clock } = await server();
    const idle = client();
    const busy = client();
    busy.write('{"cmd":"status"}\n');
    expect(await busy.line()).toMatchObject({ ok: true });
    idle.write('{"cmd":"status"}\n');
    expect(await idle.line()).toMatchObject({ ok: true });
    clock.advance(20_000);
    busy.write('{"cmd":"status"}\n');
    expect(await busy.line()).toMatchObject({ ok: true });
    clock.advance(15_000); // idle: 35 s since its last line; busy: 15 s
    expect(await idle.line()).toMatchObject({ ok: false, error: expect.stringMatching(/no request for 30 s/) });
    await idle.closedByBox();
    busy.write('{"cmd":"status"}\n');
    expect(await busy.line()).toMatchObject({ ok: true });
  });

  it('a handler that throws closes that connection with an error line; the server keeps answering', async () => {
    let fail = true;
    const { client, path } = await server({
      state: () => {
        if (fail) throw new Error('state unavailable');
        return sampleState();
      },
    });
    const c = client();
    c.write('{"cmd":"status"}\n');
    expect(await c.line()).toMatchObject({ ok: false, error: expect.stringMatching(/state unavailable/) });
    await c.closedByBox();
    fail = false;
    expect(await sendControl(path, { cmd: 'status' })).toMatchObject({ ok: true });
  });
});

/** A random or malformed line: never a valid halt/resume (the box must keep trading). */
function fuzzLine(rng: Prng): string | Buffer {
  const pick = rng.int(0, 11);
  const junk = (n: number) => Buffer.from(Array.from({ length: n }, () => rng.int(0, 255)));
  switch (pick) {
    case 0:
      return Buffer.concat([junk(rng.int(1, 200)).map((b) => (b === 10 ? 32 : b)), Buffer.from('\n')]);
    case 1:
      return 'null\n';
    case 2:
      return `[${'{"cmd":"status"},'.repeat(rng.int(0, 5))}1]\n`;
    case 3: {
      const d = rng.int(1, 1500);
      return `${'['.repeat(d)}${']'.repeat(d)}\n`;
    }
    case 4: {
      const d = rng.int(1, 600);
      return `${'{"cmd":'.repeat(d)}"status"${'}'.repeat(d)}\n`;
    }
    case 5:
      return `${'x'.repeat(rng.int(MAX_REQUEST_BYTES + 1, MAX_REQUEST_BYTES * 3))}\n`;
    case 6: {
      const cmds = ['HALT', 'resume ', 'stat', '', 'halt\u0000', 7, true, null, {}];
      return `{"cmd":${JSON.stringify(cmds[rng.int(0, 8)])}}\n`;
    }
    case 7:
      return `{"cmd":"halt","reason":${JSON.stringify([1, [], {}, true][rng.int(0, 3)])}}\n`;
    case 8: {
      const lines = ['true', 'false', '0', '-1e999', '""', '"\\ud800"', '{}', '{"__proto__":{"cmd":"halt"}}'];
      return `${lines[rng.int(0, 7)]}\n`;
    }
    case 9:
      return '{"cmd":"status"}\n';
    case 10:
      return `{"cmd":"status"${' '.repeat(rng.int(0, 50))}\n`; // truncated
    default:
      return '\n';
  }
}

const REPLAY = `${indexCsv},${optionsCsv}`;

describe.skipIf(!hasSharedData)(
  `the control socket under fuzz${hasSharedData ? '' : ` (${noSharedDataReason})`}`,
  () => {
    it('10,000 random and malformed lines (seeded): the box answers each, keeps ' +
      'trading the backtest trades and answers status', async () => {
      const db = join(tmp(), 'fuzz.db');
      const child: ChildProcess = spawn(
        process.execPath,
        [
          builtCli,
          'run',
          '--replay',
          REPLAY,
          '--from',
          '2025-06-02',
          '--to',
          '2025-06-03',
          '--speed',
          '1000',
          '--db',
          db,
        ],
        {
          cwd: repoRoot,
          stdio: ['ignore', 'ignore', 'pipe'],
          env: { ...process.env, NIFTYBOX_CONFIG: '' },
        },
      );
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      cleanups.push(() => child.kill('SIGKILL'));
      const path = `${db}.sock`;
      const status = async () => (await sendControl(path, { cmd: 'status' })).state!;
      for (let i = 0; ; i++) {
        try {
          await status();
          break;
        } catch (err) {
          if (i > 600) throw err;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      const before = await status();
      const rng = new Prng(24);
      let c = new RawClient(path);
      let answered = 0;
      let reconnects = 0;
      for (let i = 0; i < 10_000; i++) {
        const line = fuzzLine(rng);
        const oversized = Buffer.byteLength(line) - 1 > MAX_REQUEST_BYTES; // without its newline
        c.write(line);
        const r = await c.line();
        if (r === null || c.closed) {
          // only an oversized line may close the connection
          expect(oversized, `line ${i} closed the connection: ${String(line).slice(0, 60)}`).toBe(true);
          c.sock.destroy();
          c = new RawClient(path);
          reconnects++;
          continue;
        }
        answered++;
        expect(typeof r.ok).toBe('boolean');
        if (oversized) {
          expect(r.error).toMatch(/too large/);
          await c.closedByBox();
          c = new RawClient(path);
          reconnects++;
        }
      }
      c.sock.destroy();
      expect(answered).toBeGreaterThan(9_000);
      expect(reconnects).toBeGreaterThan(100);
      const after = await status();
      expect(after.trading).toBe('active');
      // still trading: the replay's time moves on after the fuzz
      for (let i = 0; (await status()).ts <= after.ts; i++) {
        if (i > 600) throw new Error('the box stopped moving after the fuzz');
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(after.ts).toBeGreaterThanOrEqual(before.ts);
      expect(await exit, stderr).toBe(0);
      const report = runCli(['report', '--db', db, '--json']);
      const bt = runCli([
        'backtest',
        '--index',
        indexCsv,
        '--options',
        optionsCsv,
        '--from',
        '2025-06-02',
        '--to',
        '2025-06-03',
        '--json',
      ]);
      expect(JSON.parse(report.stdout).trades).toEqual(JSON.parse(bt.stdout).trades);
    }, 240_000);
  },
);
