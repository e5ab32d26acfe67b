/**
 * Test helpers: a real Mosquitto per test (own port, own config file), the real `mosquitto_sub` /
 * `mosquitto_pub` clients, a sample ApplianceState and a capturing Logger.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { EngineEvent } from '../../src/core/events.js';
import type { ApplianceState } from '../../src/core/state.js';
import { Ledger } from '../../src/store/ledger.js';
import type { Logger } from '../../src/log.js';

export const hasMosquitto =
  spawnSync('mosquitto', ['-h'], { stdio: 'ignore' }).error === undefined &&
  spawnSync('mosquitto_sub', ['--help'], { stdio: 'ignore' }).error === undefined;
export const NO_MOSQUITTO_REASON =
  'mosquitto / mosquitto_sub not installed (apt-get install -y mosquitto mosquitto-clients)';

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export interface MosquittoOptions {
  /** user → password; when given, anonymous access is off. */
  users?: Record<string, string>;
  /** Mosquitto ACL file contents (`acl_file`); users then see only what it grants. */
  acl?: string;
  /** Serve MQTT over TLS with these PEM files (see makeTestCerts). */
  tls?: { cafile: string; certfile: string; keyfile: string };
}

export const hasOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).error === undefined;

/** A throw-away CA and a server certificate for 127.0.0.1/localhost, made with the openssl CLI. */
export function makeTestCerts(dir: string): { cafile: string; certfile: string; keyfile: string } {
  const run = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=niftybox test CA']);
  run(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'san.cnf',
  ]);
  return { cafile: join(dir, 'ca.crt'), certfile: join(dir, 'server.crt'), keyfile: join(dir, 'server.key') };
}

/** A Mosquitto broker on a free loopback port, with its own config file; restartable (outage tests). */
export class Mosquitto {
  readonly dir = mkdtempSync(join(tmpdir(), 'niftybox-mosq-'));
  port = 0;
  private proc: ChildProcess | null = null;
  log = '';

  constructor(private readonly opts: MosquittoOptions = {}) {}

  get url(): string {
    return `${this.opts.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    if (!this.port) this.port = await freePort();
    const conf = [
      `listener ${this.port} 127.0.0.1`,
      'persistence false',
      'log_dest stderr',
      `user ${userInfo().username}`,
    ];
    if (this.opts.tls)
      conf.push(
        `cafile ${this.opts.tls.cafile}`,
        `certfile ${this.opts.tls.certfile}`,
        `keyfile ${this.opts.tls.keyfile}`,
      );
    if (this.opts.users) {
      const pwfile = join(this.dir, 'passwd');
      writeFileSync(pwfile, '');
      for (const [u, p] of Object.entries(this.opts.users)) {
        const r = spawnSync('mosquitto_passwd', ['-b', pwfile, u, p]);
        if (r.status !== 0) throw new Error(`mosquitto_passwd failed: ${r.stderr}`);
      }
      conf.push('allow_anonymous false', `password_file ${pwfile}`);
    } else {
      conf.push('allow_anonymous true');
    }
    if (this.opts.acl !== undefined) {
      const aclFile = join(this.dir, 'acl');
      writeFileSync(aclFile, this.opts.acl);
      conf.push(`acl_file ${aclFile}`);
    }
    const confFile = join(this.dir, 'mosquitto.conf');
    writeFileSync(confFile, conf.join('\n') + '\n');
    const proc = spawn('mosquitto', ['-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr!.on('data', (d) => (this.log += d.toString()));
    this.proc = proc;
    const until = Date.now() + 10_000;
    while (!(await portOpen(this.port))) {
      if (proc.exitCode !== null) throw new Error(`mosquitto exited (${proc.exitCode}): ${this.log}`);
      if (Date.now() > until) throw new Error(`mosquitto did not open port ${this.port}: ${this.log}`);
      await sleep(50);
    }
    return this;
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Received {
  retained: boolean;
  topic: string;
  payload: string;
}

/** A running `mosquitto_sub -F '%r %t %p'` that records every message it prints. */
export class Sub {
  readonly messages: Received[] = [];
  private readonly proc: ChildProcess;
  private buf = '';
  stderr = '';

  /** `extra`: more mosquitto_sub arguments, e.g. ['--cafile', ca] for a TLS broker. */
  constructor(port: number, topics: string[], extra: string[] = []) {
    const args = ['-h', '127.0.0.1', '-p', String(port), '-q', '1', '-F', '%r %t %p', ...extra];
    for (const t of topics) args.push('-t', t);
    this.proc = spawn('mosquitto_sub', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (d) => {
      this.buf += d.toString();
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        const m = /^([01]) (\S+) ?(.*)$/s.exec(line);
        if (m) this.messages.push({ retained: m[1] === '1', topic: m[2]!, payload: m[3]! });
      }
    });
    this.proc.stderr!.on('data', (d) => (this.stderr += d.toString()));
  }

  /** Waits until a received message matches; throws with what was seen otherwise. */
  async waitFor(pred: (m: Received) => boolean, timeoutMs = 5000, what = 'a matching message'): Promise<Received> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(pred);
      if (found) return found;
      if (Date.now() > until) {
        const seen = this.messages
          .map((m) => `${m.retained ? 'R ' : ''}${m.topic} ${m.payload.slice(0, 120)}`)
          .join('\n');
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}; mosquitto_sub saw:\n${seen}\n${this.stderr}`,
        );
      }
      await sleep(20);
    }
  }

  on(topic: string): Received[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  stop(): void {
    if (this.proc.exitCode === null) this.proc.kill('SIGTERM');
  }
}

/** The retained message on a topic, read with `mosquitto_sub --retained-only`; null when none. */
export async function readRetained(port: number, topic: string, waitSec = 2): Promise<string | null> {
  return new Promise((resolve, reject) => {
    execFile(
      'mosquitto_sub',
      ['-h', '127.0.0.1', '-p', String(port), '-t', topic, '--retained-only', '-C', '1', '-W', String(waitSec)],
      { maxBuffer: 1 << 22 },
      (err, stdout) => {
        if (stdout.length > 0) return resolve(stdout.replace(/\n$/, ''));
        // exit 27 = timed out (-W): no retained message
        if (err && (err as { code?: number }).code !== 27) return reject(err);
        resolve(null);
      },
    );
  });
}

export async function pub(
  port: number,
  topic: string,
  payload: string | null,
  opts: { retain?: boolean } = {},
): Promise<void> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-q', '1', '-t', topic];
  if (payload === null) args.push('-n');
  else args.push('-m', payload);
  if (opts.retain) args.push('-r');
  await new Promise<void>((resolve, reject) =>
    execFile('mosquitto_pub', args, (err) => (err ? reject(err) : resolve())),
  );
}

export function sampleState(overrides: Partial<ApplianceState> = {}): ApplianceState {
  return {
    deviceId: 'testbox',
    mode: 'demo',
    session: 'open',
    day: '2025-06-02',
    trading: 'active',
    haltReason: null,
    strategy: { name: 'v25', params: { emaPeriod: 21, chopMax: 57 } },
    feed: { connected: true, lastTickAgeMs: 420 },
    spot: 24550.35,
    position: {
      side: 'CE',
      instrumentKey: 'NSE_FO|12345',
      symbol: 'NIFTY 05 JUN 25 24550 CE',
      strike: 24550,
      quantity: 75,
      entryPrice: 120.5,
      ltp: 131.25,
      sl: 98.4,
      tp1: 160.5,
      tp1Hit: false,
      unrealizedPnl: 806.25,
    },
    pnl: { realized: 1520.5, unrealized: 806.25, charges: 84.1, net: 2242.65, trades: 3, wins: 2 },
    clock: { synced: true, skewMs: 12 },
    alarms: [],
    loginUrl: null,
    ts: 1748850000000,
    ...overrides,
  };
}

export interface CapturedLog extends Logger {
  lines: { level: string; msg: string; fields?: Record<string, unknown> }[];
  text(): string;
}

export function captureLog(): CapturedLog {
  const lines: CapturedLog['lines'] = [];
  const make = (): CapturedLog => ({
    lines,
    debug: (msg, fields) => void lines.push({ level: 'debug', msg, fields }),
    info: (msg, fields) => void lines.push({ level: 'info', msg, fields }),
    warn: (msg, fields) => void lines.push({ level: 'warn', msg, fields }),
    error: (msg, fields) => void lines.push({ level: 'error', msg, fields }),
    child: () => make(),
    text: () => lines.map((l) => `${l.level} ${l.msg} ${l.fields ? JSON.stringify(l.fields) : ''}`).join('\n'),
  });
  return make();
}

export class RecordingControl {
  halts: { reason: string; source: string }[] = [];
  resumes: string[] = [];
  onHalt: ((reason: string) => void) | null = null;
  halt(reason: string, source: string): void {
    this.halts.push({ reason, source });
    this.onHalt?.(reason);
  }
  resume(source: string): void {
    this.resumes.push(source);
  }
}

export async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * A TCP relay in front of a broker. `cut()` drops every relayed connection and stops listening
 * (the publisher sees the broker vanish and its reconnects refused) while subscribers connected
 * straight to the broker keep seeing everything; `restore()` listens again on the same port.
 */
export class CuttableLink {
  port = 0;
  private server: ReturnType<typeof createServer> | null = null;
  private readonly sockets = new Set<import('node:net').Socket>();

  constructor(private readonly brokerPort: number) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async open(): Promise<this> {
    if (!this.port) this.port = await freePort();
    const server = createServer((client) => {
      const upstream = createConnection({ port: this.brokerPort, host: '127.0.0.1' });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    return this;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}

/** A real ledger file in a temp directory (the box's own kind of ledger); reopen() simulates a restart. */
export class TempLedger {
  readonly dir = mkdtempSync(join(tmpdir(), 'niftybox-mqtt-ledger-'));
  readonly file = join(this.dir, 'ledger.db');
  ledger: Ledger;
  constructor() {
    this.ledger = Ledger.open(this.file, { log: captureLog() });
  }
  reopen(): Ledger {
    this.ledger.close();
    this.ledger = Ledger.open(this.file, { log: captureLog() });
    return this.ledger;
  }
  dispose(): void {
    this.ledger.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A closed trade as the engine emits it, for seeding a ledger. */
export function exitEvent(tradeId: number, netPnl: number, day = '2025-06-02'): EngineEvent {
  const t0 = Date.parse(`${day}T04:00:00Z`) + tradeId * 60_000;
  return {
    type: 'exit',
    ts: t0 + 600_000,
    trade: {
      tradeId,
      day,
      side: 'CE',
      instrumentKey: 'NSE_FO|12345',
      strike: 24550,
      expiry: '2025-06-05',
      quantity: 75,
      entryTime: t0,
      entryPrice: 120.5,
      exitTime: t0 + 600_000,
      exitPrice: 140,
      reason: 'LOCK_SL',
      points: 19.5,
      grossPnl: netPnl + 61.2,
      charges: 61.2,
      netPnl,
      chargeBreakdown: { brokerage: 40, stt: 5, exchange: 4, sebi: 0.01, stamp: 0.3, gst: 11.89, total: 61.2 },
      slippageCost: 0,
    },
  };
}
