#!/usr/bin/env node
// The live process alone through one full session: `niftybox run` in live mode (real Upstox client,
// system clock, cron, MQTT to an external Mosquitto, the V8 flags of systemd/niftybox.service) against
// the fake Upstox running in ANOTHER process (scripts/fake-upstox.mjs). Both live on one virtual clock
// (scripts/lib/virtual-clock.mjs) so the session 08:44–15:40 IST takes BENCH_SESSION_SECONDS (default
// 180) of real time. Then the same box is restarted on its ledger: start → READY (sd_notify) warm.
//
//   npm run build && node scripts/bench-session.mjs [--json]
//
// Figures: RSS and heap of the live process after the session (after its daily report), its bytes
// written to storage (/proc/<pid>/io write_bytes), ledger file sizes, start-to-ready on a warm ledger.
// Targets: session.rssMB < 80, session.startToReadyMs < 2000.
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { MarketCalendar } from '../dist/core/calendar.js';
import { demoDay } from '../dist/app/demo.js';
import { Ledger } from '../dist/store/ledger.js';
import { unitSettings } from './lib/unit-settings.mjs';

const json = process.argv.includes('--json');
const say = (line) => console.log(`bench-session: ${line}`);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const preload = join(root, 'scripts', 'lib', 'virtual-clock.mjs');
const sessionSeconds = Number(process.env.BENCH_SESSION_SECONDS ?? 180);
const restarts = Number(process.env.BENCH_RESTARTS ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'niftybox-bench-session-'));
const children = new Set();
const quietLog = { debug() {}, info() {}, warn() {}, error() {}, child: () => quietLog };

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function start(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function lines(stream, onLine) {
  createInterface({ input: stream }).on('line', onLine);
}

const exited = (child) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r));

async function stopChild(child, ms = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), ms);
  await exited(child);
  clearTimeout(t);
}

function procField(pid, file, key) {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

async function probeMemory(child, file) {
  rmSync(file, { force: true });
  child.kill('SIGUSR2');
  const tries = process.env.NIFTYBOX_BENCH_HEAPSNAPSHOT ? 1200 : 50; // a heap snapshot takes seconds to write
  for (let i = 0; i < tries && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 50));
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
}

try {
  // An external Mosquitto, as a box with Home Assistant has (no embedded aedes in the live process).
  const mqttPort = await freePort();
  writeFileSync(
    join(dir, 'mosquitto.conf'),
    `listener ${mqttPort} 127.0.0.1\nallow_anonymous true\npersistence false\n`,
  );
  const mosquitto = start(existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto', [
    '-c',
    join(dir, 'mosquitto.conf'),
  ]);

  const calendar = new MarketCalendar();
  const day = demoDay(calendar);
  const session = calendar.session(day);
  const virtualStart = session.openTs - 31 * 60_000; // before the warm-up phase, as a box boots in the morning
  const virtualEnd = session.closeTs + 12 * 60_000; // after the daily report
  const speed = (session.closeTs - session.openTs) / 1000 / sessionSeconds;
  const t0 = Date.now() + 500;
  const clockSpec = `${virtualStart},${speed},${t0}`;

  const fake = start(process.execPath, [
    join(root, 'scripts', 'fake-upstox.mjs'),
    '--start',
    String(virtualStart),
    '--speed',
    String(speed),
    '--t0',
    String(t0),
    '--token',
    'bench-token-0123456789abcdef',
    '--ping-ms',
    String(Math.max(10, Math.round(5000 / speed))),
  ]);
  const exchange = await new Promise((resolve, reject) => {
    lines(fake.stdout, (l) => l.startsWith('{') && resolve(JSON.parse(l)));
    fake.once('exit', (c) => reject(new Error(`fake-upstox exited ${c}`)));
  });

  const db = join(dir, 'ledger.db');
  writeFileSync(
    join(dir, 'config.yaml'),
    [
      `deviceId: bench`,
      `stateDir: ${dir}`,
      `db: ${db}`,
      // Virtual time runs `speed` × faster: a frame 2 s late in real time is 2 × speed s late.
      `maxClockSkewMs: ${Math.round(Math.max(2000, speed * 2000))}`,
      `mqtt: { url: "mqtt://127.0.0.1:${mqttPort}" }`,
      `device: { display: { kind: none }, button: { simulated: true }, buzzer: { simulated: true } }`,
      // The page runs as on a box, on a free port (8080 may be taken by another run on this machine).
      `web: { port: 0, bind: 127.0.0.1 }`,
    ].join('\n') + '\n',
  );
  // systemd's READY=1 goes through `systemd-notify`; a stand-in on PATH records when it is called.
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const readyFile = join(dir, 'ready');
  writeFileSync(
    join(bin, 'systemd-notify'),
    `#!/bin/sh\nfor a in "$@"; do case "$a" in --ready|READY=1) date +%s%N >> "${readyFile}";; esac; done\n`,
  );
  chmodSync(join(bin, 'systemd-notify'), 0o755);

  // BENCH_NODE_OPTIONS / BENCH_NODE_FLAGS try other V8 settings than the unit's, BENCH_UNIT another unit
  // file (malloc settings…), to choose them; the published figures use systemd/niftybox.service itself.
  const { flags: unitFlags, env: unitEnv } = unitSettings(process.env.BENCH_UNIT || undefined);
  const flags =
    process.env.BENCH_NODE_FLAGS !== undefined
      ? [...unitFlags, ...process.env.BENCH_NODE_FLAGS.split(/\s+/).filter(Boolean)]
      : unitFlags;
  const nodeOptions = process.env.BENCH_NODE_OPTIONS ?? unitEnv.NODE_OPTIONS ?? '';
  const probeFile = join(dir, 'probe.json');
  const env = {
    ...process.env,
    ...unitEnv,
    PATH: `${bin}:${process.env.PATH}`,
    NOTIFY_SOCKET: join(dir, 'notify.sock'),
    NODE_OPTIONS: [nodeOptions, `--import=${preload}`].filter(Boolean).join(' '),
    NIFTYBOX_BENCH_CLOCK: clockSpec,
    NIFTYBOX_BENCH_PROBE: probeFile,
    NIFTYBOX_UPSTOX_TOKEN: exchange.token,
    NIFTYBOX_UPSTOX_API_BASE_URL: exchange.apiBaseUrl,
    NIFTYBOX_LOG_LEVEL: 'info',
    TZ: 'Asia/Kolkata',
  };
  delete env.NIFTYBOX_CONFIG;
  const runBox = () =>
    start(process.execPath, [...flags, cli, 'run', '--config', join(dir, 'config.yaml')], { env, cwd: dir });

  // ---- one full session, live
  const box = runBox();
  let reported = false;
  let errors = 0;
  let firstError = '';
  const boxLog = [];
  const onLine = (l) => {
    if (boxLog.length < 5000) boxLog.push(l);
    if (l.includes('"msg":"daily report"')) reported = true;
    if (l.includes('"level":"error"') && !errors++) firstError = l.slice(0, 300);
  };
  lines(box.stdout, onLine);
  lines(box.stderr, onLine);
  const realEnd = t0 + (virtualEnd - virtualStart) / speed;
  const deadline = realEnd + 60_000;
  while (!reported && Date.now() < deadline && box.exitCode === null) await new Promise((r) => setTimeout(r, 250));
  writeFileSync(join(dir, 'box.log'), boxLog.join('\n') + '\n');
  if (!reported) throw new Error(`the live box did not reach its daily report (exit ${box.exitCode}); files in ${dir}`);
  await new Promise((r) => setTimeout(r, 1000));
  const mem = await probeMemory(box, probeFile);
  const rssKb = procField(box.pid, 'status', 'VmRSS');
  const anonKb = procField(box.pid, 'status', 'RssAnon'); // the process's own memory
  // mapped files: node's binary (code, ICU data), native modules
  const fileKb = procField(box.pid, 'status', 'RssFile');
  const hwmKb = procField(box.pid, 'status', 'VmHWM');
  // BENCH_SMAPS=<file>: the box's /proc/<pid>/smaps at this moment, to see which mappings hold the RSS.
  if (process.env.BENCH_SMAPS) writeFileSync(process.env.BENCH_SMAPS, readFileSync(`/proc/${box.pid}/smaps`, 'utf8'));
  // BENCH_DIAG=<command>: run with the box's pid as its last argument before the box is stopped (e.g. a pagemap
  // reader).
  if (process.env.BENCH_DIAG) spawnSync('sh', ['-c', `${process.env.BENCH_DIAG} ${box.pid}`], { stdio: 'inherit' });
  const writeBytes = procField(box.pid, 'io', 'write_bytes');
  const wchar = procField(box.pid, 'io', 'wchar');
  // The same box 15 s later, idle after the close as it stays overnight (V8's memory reducer acts after
  // ~8 s of a quiet mutator): reported beside rssMB, which stays the figure taken 1 s after the report.
  await new Promise((r) => setTimeout(r, 15_000));
  const idleKb = procField(box.pid, 'status', 'VmRSS');
  await stopChild(box);
  const files = readdirSync(dir).filter((f) => f.startsWith('ledger.db'));
  const fileBytes = files.reduce((a, f) => a + statSync(join(dir, f)).size, 0);
  const ledger = Ledger.open(db, { log: quietLog, readonly: true });
  const trades = ledger.trades().length;
  const counts = ledger.counts();
  ledger.close();

  // ---- warm restarts on that ledger: spawn → READY=1
  const readyMs = [];
  const readyRssKb = [];
  for (let i = 0; i < restarts; i++) {
    rmSync(readyFile, { force: true });
    const t = Date.now();
    const again = runBox();
    const readyAt = () => (existsSync(readyFile) ? readFileSync(readyFile, 'utf8').trim().split('\n')[0] : '');
    while (!/^\d+$/.test(readyAt()) && again.exitCode === null && Date.now() - t < 30_000)
      await new Promise((r) => setTimeout(r, 10));
    if (/^\d+$/.test(readyAt())) {
      readyMs.push(Number(BigInt(readyAt()) / 1_000_000n) - t);
      readyRssKb.push(procField(again.pid, 'status', 'VmRSS'));
    }
    await stopChild(again);
  }
  await stopChild(fake);
  await stopChild(mosquitto);
  readyMs.sort((a, b) => a - b);
  const startToReady = readyMs.length ? readyMs[Math.floor(readyMs.length / 2)] : NaN;

  const rssMB = (rssKb * 1024) / 1e6;
  const heapMB = mem ? mem.heapUsed / 1e6 : NaN;
  const dbBytesWritten = Number.isFinite(writeBytes) && writeBytes > 0 ? writeBytes : fileBytes;
  const nodeFlags = [...flags, nodeOptions].filter(Boolean).join(' ') || '(no flags)';
  const mallocEnv = Object.keys(unitEnv)
    .filter((k) => k.startsWith('MALLOC'))
    .map((k) => ` ${k}=${unitEnv[k]}`)
    .join('');
  say(
    `live process, session ${day} in ${sessionSeconds} s (${speed.toFixed(0)}×), ` +
      `fake Upstox and Mosquitto in other processes; node ${nodeFlags}${mallocEnv}`,
  );
  say(
    `${trades} trades, ${counts.candles ?? '?'} candles, ${errors} error log ` +
      `lines${firstError ? ` (first: ${firstError})` : ''}`,
  );
  say(
    `RSS after the session ${rssMB.toFixed(1)} MB = ${((anonKb * 1024) / 1e6).toFixed(1)} ` +
      `MB anonymous + ${((fileKb * 1024) / 1e6).toFixed(1)} MB file-backed ` +
      `(peak ${((hwmKb * 1024) / 1e6).toFixed(1)} MB), heap used ${heapMB.toFixed(1)} ` +
      `MB of ${((mem?.heapTotal ?? NaN) / 1e6).toFixed(1)} MB, external ${((mem?.external ?? NaN) / 1e6).toFixed(1)} ` +
      `MB (target RSS < 80 MB)`,
  );
  if (mem?.spaces)
    say(
      `heap spaces (used/committed MB): ${Object.entries(mem.spaces)
        .map(([k, v]) => `${k.replace(/_space$/, '')} ${(v.used / 1e6).toFixed(1)}/${(v.physical / 1e6).toFixed(1)}`)
        .join(', ')}`,
    );
  say(`RSS 15 s later, idle after the close: ${((idleKb * 1024) / 1e6).toFixed(1)} MB`);
  say(
    `storage writes of the live process ${(writeBytes / 1e6).toFixed(2)} MB ` +
      `(write_bytes), ${(wchar / 1e6).toFixed(2)} MB (write syscalls); ledger ` +
      `files ${(fileBytes / 1e6).toFixed(2)} MB`,
  );
  say(
    `start → ready on the warm ledger: ${readyMs.join(', ')} ms, median ${startToReady} ` +
      `ms (target < 2000 ms); RSS at ready ${readyRssKb.map((k) => ((k * 1024) / 1e6).toFixed(1)).join(', ')} ` +
      `MB`,
  );
  if (json) {
    console.log(
      JSON.stringify({
        session: {
          rssMB: { value: +rssMB.toFixed(1), target: '< 80' },
          peakRssMB: +((hwmKb * 1024) / 1e6).toFixed(1),
          rssAnonMB: +((anonKb * 1024) / 1e6).toFixed(1),
          rssFileMB: +((fileKb * 1024) / 1e6).toFixed(1),
          heapMB: +heapMB.toFixed(1),
          dbBytesWritten,
          startToReadyMs: { value: startToReady, target: '< 2000' },
          rssIdleMB: +((idleKb * 1024) / 1e6).toFixed(1),
          rssAtReadyMB: readyRssKb.length ? +((Math.min(...readyRssKb) * 1024) / 1e6).toFixed(1) : null,
          trades,
        },
      }),
    );
  }
} finally {
  for (const c of children) c.kill('SIGKILL');
  if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
}
