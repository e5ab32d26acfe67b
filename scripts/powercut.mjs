#!/usr/bin/env node
/**
 * `npm run powercut`: power cuts with the box's state directory on LazyFS (../shared/tools/lazyfs), a FUSE
 * file system that keeps every write in its own cache until fsync and drops the unsynced rest on
 * `lazyfs::clear-cache`: SIGKILL of the box plus a clear-cache is what a pulled plug does to it.
 *
 *   replay   ≥ 20 cuts at random moments of a replay (June 2025): after each, the ledger passes
 *            integrity_check and holds every trade announced on MQTT (mosquitto_sub) before the cut; the
 *            box restarts and resumes; the final ledger equals the backtest
 *   login    `login --token` run to its end and cut at once (the new token), and cut while it runs (old or new, never
 *            empty or torn)
 *   halt     a halt acknowledged on the control socket, then the cut: the box boots halted
 *   backup   `niftybox backup` cut at random moments: the previous backup still restores
 *
 * Options: --cuts N (replay cuts, default 20; NIFTYBOX_POWERCUT_CUTS), --quick (CI: 8 replay cuts, fewer of the rest).
 * Needs root, /dev/fuse, fusermount3, mosquitto, and the Debian packages of the LazyFS README (it says which when
 * one is missing). LazyFS is built once into ~/.cache/niftybox-lazyfs (or NIFTYBOX_LAZYFS_DIR). Exits 0 when
 * every check held, 1 when one failed, 77 (skipped) when this machine cannot run it, saying why.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = resolve(root, '..', 'shared');
const cli = join(root, 'dist', 'cli.js');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const cutsArg =
  args.indexOf('--cuts') >= 0
    ? Number(args[args.indexOf('--cuts') + 1])
    : Number(process.env.NIFTYBOX_POWERCUT_CUTS || (quick ? 8 : 20));
const REPLAY_CUTS = Number.isInteger(cutsArg) && cutsArg > 0 ? cutsArg : 20;
const only = args.indexOf('--only') >= 0 ? args[args.indexOf('--only') + 1] : null; // replay | login | halt | backup
const part = (name) => !only || only === name;
const LOGIN_CUTS = quick ? 3 : 6;
const BACKUP_CUTS = quick ? 4 : 8;
const FROM = '2025-06-02';
const TO = '2025-06-30';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const started = performance.now();
const say = (m) => process.stdout.write(`powercut: ${m}\n`);
let failedBefore = 0;
let partStarted = performance.now();
const partSeconds = {};
/** A part's summary line, or that it failed (the FAILED lines above say how). */
const partDone = (m) => {
  const name = m.split(':')[0];
  partSeconds[name] = Math.round((performance.now() - partStarted) / 1000);
  say(
    `${failures.length > failedBefore ? `${name}: FAILED (${failures.length - failedBefore} check(s), above)` : m} ` +
      `[${partSeconds[name]} s]`,
  );
  failedBefore = failures.length;
  partStarted = performance.now();
};

const failures = [];
function fail(m) {
  failures.push(m);
  process.stderr.write(`powercut: FAILED: ${m}\n`);
}

function skip(why) {
  say(`skipped: ${why}`);
  process.exit(77);
}

// ------------------------------------------------------------------ can this machine cut power?
if (!existsSync('/dev/fuse'))
  skip('no /dev/fuse (FUSE is needed for LazyFS; in a container, pass --device /dev/fuse --cap-add SYS_ADMIN)');
if (process.getuid?.() !== 0) skip('not root (mounting LazyFS needs root)');
if (spawnSync('sh', ['-c', 'command -v fusermount3'], { stdio: 'ignore' }).status !== 0)
  skip('fusermount3 missing: apt-get install fuse3');
const mosquittoBin = existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto';
if (spawnSync('sh', ['-c', `command -v ${mosquittoBin} && command -v mosquitto_sub`], { stdio: 'ignore' }).status !== 0)
  skip('mosquitto or mosquitto_sub missing: apt-get install mosquitto mosquitto-clients');
const index = join(shared, 'data', 'nifty50-5min.csv');
const options = join(shared, 'data', 'nifty-atm-options-5min.csv');
if (!existsSync(index) || !existsSync(options)) skip(`../shared/data not found at ${join(shared, 'data')}`);
if (!existsSync(cli)) skip(`${cli} missing: npm run build (npm run powercut builds first)`);

const lazyDir = process.env.NIFTYBOX_LAZYFS_DIR || join(homedir(), '.cache', 'niftybox-lazyfs');
const lazyfs = join(lazyDir, 'lazyfs');
if (!existsSync(lazyfs)) {
  say(`building LazyFS into ${lazyDir} (about a minute)`);
  const b = spawnSync('bash', [join(shared, 'tools', 'lazyfs', 'build.sh'), lazyDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (b.status !== 0) {
    process.stderr.write(b.stderr.slice(-3000));
    skip(
      'LazyFS did not build: apt-get install -y g++ cmake libfuse3-dev fuse3 ' +
        'libtoml11-dev libspdlog-dev (see ../shared/tools/lazyfs/README.md)',
    );
  }
}

// ------------------------------------------------------------------ LazyFS mounted over a scratch folder
const work = mkdtempSync(join(tmpdir(), 'niftybox-powercut-'));
const under = join(work, 'root'); // what LazyFS serves
const mnt = join(work, 'mnt'); // where the box sees it
const fifo = join(work, 'faults.fifo');
mkdirSync(under);
mkdirSync(mnt);
writeFileSync(
  join(work, 'lfs.toml'),
  `[faults]\nfifo_path="${fifo}"\n[cache]\napply_eviction=false\n` +
    `[cache.simple]\ncustom_size="256mb"\nblocks_per_page=1\n` +
    `[filesystem]\nlogfile="${join(work, 'lfs.log')}"\nlog_all_operations=false\n`,
);
const fs = spawn(
  lazyfs,
  [
    mnt,
    '--config-path',
    join(work, 'lfs.toml'),
    '-o',
    'allow_other',
    '-o',
    'modules=subdir',
    '-o',
    `subdir=${under}`,
    '-f',
  ],
  { stdio: 'ignore' },
);
const mounted = () =>
  readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[1] === mnt);
for (let i = 0; !mounted(); i++) {
  if (fs.exitCode !== null || i > 200)
    skip(`LazyFS did not mount on ${mnt} (exit ${fs.exitCode}); see ${join(work, 'lfs.log')}`);
  await sleep(50);
}

// Interrupted (Ctrl-C, a CI timeout): unmount and stop what was started, keeping the files for a look.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    try {
      execFileSync('fusermount3', ['-u', mnt]);
    } catch {
      fs.kill('SIGKILL');
    }
    for (const p of [globalThis.powercutSub, globalThis.powercutBroker]) p?.kill();
    say(`interrupted (${sig}); files kept in ${work}`);
    process.exit(130);
  });
}

/** The power cut: the box is already dead (SIGKILL); now its page cache goes too. */
function clearCache() {
  writeFileSync(fifo, 'lazyfs::clear-cache\n');
}

// ------------------------------------------------------------------ the broker and what it hears
function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}
const mqttPort = await freePort();
writeFileSync(
  join(work, 'mosquitto.conf'),
  `listener ${mqttPort} 127.0.0.1\nallow_anonymous true\npersistence false\n`,
);
const broker = spawn(mosquittoBin, ['-c', join(work, 'mosquitto.conf')], { stdio: 'ignore' });
globalThis.powercutBroker = broker;
const heard = []; // trade payloads, in the order mosquitto_sub printed them
let subReady = false;
// Ready when the retained probe published before it comes back to it.
for (
  let i = 0;
  spawnSync('mosquitto_pub', [
    '-h',
    '127.0.0.1',
    '-p',
    String(mqttPort),
    '-t',
    'niftybox/powercut/probe',
    '-r',
    '-m',
    'up',
  ]).status !== 0;
  i++
) {
  if (i > 200) skip(`mosquitto did not start on port ${mqttPort}`);
  await sleep(50);
}
const sub = spawn('mosquitto_sub', [
  '-h',
  '127.0.0.1',
  '-p',
  String(mqttPort),
  '-t',
  'niftybox/powercut/trade',
  '-t',
  'niftybox/powercut/probe',
  '-q',
  '1',
  '-v',
]);
globalThis.powercutSub = sub;
let subBuf = '';
sub.stdout.on('data', (d) => {
  subBuf += d;
  let nl;
  while ((nl = subBuf.indexOf('\n')) >= 0) {
    const line = subBuf.slice(0, nl);
    subBuf = subBuf.slice(nl + 1);
    if (line.startsWith('niftybox/powercut/probe ')) subReady = true;
    else if (line.startsWith('niftybox/powercut/trade ')) heard.push(JSON.parse(line.slice(line.indexOf(' ') + 1)));
  }
});
for (let i = 0; !subReady; i++) {
  if (i > 400) skip('mosquitto_sub never connected to the broker');
  await sleep(25);
}

// ------------------------------------------------------------------ the box
const state = join(mnt, 'state');
const db = join(state, 'ledger.db');
const config = join(work, 'config.yaml');
writeFileSync(
  config,
  [
    `stateDir: ${state}`,
    'deviceId: powercut',
    `mqtt:\n  url: mqtt://127.0.0.1:${mqttPort}`,
    'upstox:\n  apiBaseUrl: http://127.0.0.1:9', // nothing listens: login --token stores the token unchecked
    'device:\n  display:\n    kind: none',
  ].join('\n') + '\n',
);
const env = { ...process.env, NIFTYBOX_CONFIG: config, HOME: work, NIFTYBOX_LOG_LEVEL: 'error' };
const nb = (a) => spawnSync(process.execPath, [cli, ...a], { env, encoding: 'utf8', timeout: 180_000 });
function spawnBox(a) {
  const child = spawn(process.execPath, [cli, ...a], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exit = new Promise((res) => child.on('exit', (code, signal) => res({ code, signal, stderr })));
  return { child, exit, stderr: () => stderr.slice(-2000) };
}

/** What a restart finds: integrity_check's verdict, the closed trades and the open positions. */
function inspectLedger(file) {
  const d = new Database(file, { fileMustExist: true });
  try {
    const integrity = d.pragma('integrity_check', { simple: true });
    const trades = new Set(d.prepare('SELECT trade_id FROM trades').pluck().all());
    const open = new Set(d.prepare('SELECT trade_id FROM positions').pluck().all());
    const halted = d.prepare('SELECT halted FROM halt_state WHERE id = 1').pluck().get() === 1;
    return { integrity, trades, open, halted };
  } finally {
    d.close();
  }
}

/**
 * Every trade heard on MQTT so far is in the ledger: an exit as a closed trade, an entry as a trade or an open
 * position.
 */
function checkAnnounced(l, when) {
  for (const p of heard) {
    const ok = p.event === 'exit' ? l.trades.has(p.tradeId) : l.trades.has(p.tradeId) || l.open.has(p.tradeId);
    if (!ok) return fail(`${when}: trade #${p.tradeId} (${p.event}) was announced on MQTT but is not in the ledger`);
  }
}

/** An unfinished backup's temporary file is there (the cut came while one was being made). */
const backupTemps = () =>
  existsSync(join(state, 'backups')) && readdirSync(join(state, 'backups')).some((n) => n.endsWith('.tmp'));

const figures = {};
partStarted = performance.now();
try {
  // ================================================================ replay: cuts at random moments
  if (part('replay') || part('backup')) {
    const replayArgs = ['run', '--replay', `${index},${options}`, '--from', FROM, '--to', TO];
    let cuts = 0;
    let withBackupTmp = 0;
    let finished = false;
    const restartMs = [];
    for (let attempt = 0; !finished && attempt < REPLAY_CUTS * 4; attempt++) {
      // ~3 s of wall time for the month at this speed: cuts land mid-session, mid-commit and mid-backup.
      const box = spawnBox([...replayArgs, '--speed', '150000']);
      const t0 = performance.now();
      const timer = cuts < REPLAY_CUTS ? setTimeout(() => box.child.kill('SIGKILL'), 400 + Math.random() * 2200) : null;
      const r = await box.exit;
      if (timer) clearTimeout(timer);
      if (r.signal !== 'SIGKILL') {
        if (r.code !== 0) fail(`the replay exited ${r.code} after ${cuts} cuts: ${r.stderr.slice(-1500)}`);
        finished = true;
        break;
      }
      clearCache();
      cuts++;
      restartMs.push(performance.now() - t0);
      if (!existsSync(db)) continue; // cut before the ledger was first created
      if (backupTemps()) withBackupTmp++;
      const l = inspectLedger(db);
      if (l.integrity !== 'ok') fail(`cut ${cuts}: integrity_check says ${l.integrity}`);
      checkAnnounced(l, `cut ${cuts}`);
    }
    if (cuts < REPLAY_CUTS) fail(`only ${cuts} of ${REPLAY_CUTS} cuts landed before the replay finished`);
    if (!finished) fail('the replay never finished');
    const report = JSON.parse(nb(['report', '--json']).stdout || '{"trades":[]}');
    const bt = nb(['backtest', '--index', index, '--options', options, '--from', FROM, '--to', TO, '--json']);
    const backtest = JSON.parse(bt.stdout);
    if (JSON.stringify(report.trades) !== JSON.stringify(backtest.trades))
      fail(
        `after ${cuts} cuts the ledger has ${report.trades.length} trades, the ` +
          `backtest ${backtest.trades.length}, or they differ`,
      );
    checkAnnounced(inspectLedger(db), 'the end');
    figures.replay = {
      cuts,
      cutsWithABackupUnderWay: withBackupTmp,
      tradesHeardOnMqtt: heard.length,
      ledgerTrades: report.trades.length,
      backtestTrades: backtest.trades.length,
      equal: JSON.stringify(report.trades) === JSON.stringify(backtest.trades),
    };
    partDone(
      `replay: ${cuts} cuts (${withBackupTmp} with a backup under way), ${heard.length} ` +
        `trade messages heard, all in the ledger after each cut; final ledger ${report.trades.length} ` +
        `trades = backtest ${backtest.trades.length}: ${figures.replay.equal}`,
    );
  }
  // ================================================================ login --token
  if (part('login')) {
    const tokenFile = join(state, 'upstox-token.json');
    const tokenNow = () => {
      try {
        return JSON.parse(readFileSync(tokenFile, 'utf8')).token;
      } catch (err) {
        return (
          `unreadable ` +
          `(${existsSync(tokenFile) ? `${readFileSync(tokenFile).length} bytes` : 'absent'}: ` +
          `${err.message})`
        );
      }
    };
    // How long a whole login --token takes here: the cuts during one land in its second half or so (node's start is the
    // first).
    const tl = performance.now();
    nb(['login', '--token', 'timing-token']);
    const loginMs = performance.now() - tl;
    let afterCuts = 0;
    let duringCuts = 0;
    let duringNew = 0;
    for (let i = 0; i < LOGIN_CUTS; i++) {
      const old = `old-token-${i}-${'o'.repeat(200)}`;
      const fresh = `new-token-${i}-${'n'.repeat(200)}`;
      if (nb(['login', '--token', old]).status !== 0) fail('login --token (old) failed');
      // Cut right after the command returned: the new token must be the one on disk.
      if (nb(['login', '--token', fresh]).status !== 0) fail('login --token (new) failed');
      clearCache();
      afterCuts++;
      if (tokenNow() !== fresh)
        fail(`cut right after login --token: the token file holds ${tokenNow().slice(0, 80)}, not the new token`);
      // Cut while it runs: the old token or the new one.
      const next = `next-token-${i}-${'x'.repeat(200)}`;
      const p = spawnBox(['login', '--token', next]);
      const timer = setTimeout(() => p.child.kill('SIGKILL'), loginMs * (0.4 + Math.random() * 0.6));
      await p.exit;
      clearTimeout(timer);
      clearCache();
      duringCuts++;
      const found = tokenNow();
      if (found === next) duringNew++;
      else if (found !== fresh)
        fail(`cut during login --token: the token file holds ${found.slice(0, 80)}: neither the old nor the new token`);
    }
    figures.login = {
      cutsAfter: afterCuts,
      cutsDuring: duringCuts,
      duringFoundNew: duringNew,
      loginMs: Math.round(loginMs),
    };
    partDone(
      `login: ${afterCuts} cuts right after login --token (new token every ` +
        `time), ${duringCuts} during it (new ${duringNew}, old ` +
        `${duringCuts - duringNew}), never empty or torn`,
    );
  }
  // ================================================================ an acknowledged halt
  if (part('halt')) {
    // The ledger on LazyFS, reached through a symlink off it: the control socket (`<db>.sock`, beside the name the
    // box is given) cannot be made on LazyFS (ENOSYS); SQLite follows the link, so the ledger and its WAL are on
    // LazyFS.
    const haltTarget = join(state, 'halt', 'ledger.db');
    mkdirSync(dirname(haltTarget), { recursive: true });
    writeFileSync(haltTarget, '');
    const haltDb = join(work, 'halt-ledger.db');
    symlinkSync(haltTarget, haltDb);
    const haltArgs = [
      'run',
      '--replay',
      `${index},${options}`,
      '--from',
      FROM,
      '--to',
      '2025-06-06',
      '--speed',
      '300',
      '--db',
      haltDb,
    ]; // slow: the box is still up to be asked
    let haltCuts = 0;
    for (let i = 0; i < (quick ? 1 : 3); i++) {
      const box = spawnBox(haltArgs);
      for (let k = 0; nb(['status', '--db', haltDb]).status !== 0; k++) {
        if (k > 600 || box.child.exitCode !== null) {
          fail(`the box for the halt did not come up: ${box.child.exitCode} ${box.stderr()}`);
          break;
        }
        await sleep(50);
      }
      const h = nb(['halt', '--db', haltDb, '--reason', `powercut ${i}`, '--json']);
      box.child.kill('SIGKILL'); // the acknowledgement is in: the plug goes
      await box.exit;
      clearCache();
      haltCuts++;
      if (h.status !== 0 || JSON.parse(h.stdout).trading !== 'halted') fail(`halt was not acknowledged: ${h.stderr}`);
      if (!existsSync(`${haltTarget}-wal`) && !existsSync(haltTarget)) fail('the halt ledger is not on LazyFS');
      if (!inspectLedger(haltDb).halted) fail('after an acknowledged halt and a cut the ledger is not halted');
      const again = spawnBox(haltArgs);
      let s = null;
      for (let k = 0; k < 600; k++) {
        const r = nb(['status', '--db', haltDb, '--json']);
        if (r.status === 0) {
          s = JSON.parse(r.stdout);
          break;
        }
        if (again.child.exitCode !== null) break;
        await sleep(50);
      }
      if (s?.trading !== 'halted')
        fail(`after an acknowledged halt and a cut the box booted ${s ? s.trading : 'not at all'}`);
      if (nb(['resume', '--db', haltDb]).status !== 0) fail('resume after the halt test failed');
      again.child.kill('SIGKILL');
      await again.exit;
      clearCache();
    }
    figures.halt = {
      cuts: haltCuts,
      walOnLazyFS: existsSync(`${haltTarget}-wal`) || readFileSync(haltTarget).length > 0,
    };
    partDone(
      `halt: ${haltCuts} cuts right after an acknowledged halt; the box booted ` +
        `halted every time (and ran on after resume)`,
    );
  }
  // ================================================================ during a backup
  if (part('backup')) {
    const backups = () =>
      readdirSync(join(state, 'backups'))
        .filter((n) => /^ledger-\d{8}-\d{6}\.db$/.test(n))
        .sort();
    const t0 = performance.now();
    if (nb(['backup']).status !== 0) fail('niftybox backup failed');
    const backupMs = performance.now() - t0;
    let backupCuts = 0;
    let midway = 0;
    for (let i = 0; i < BACKUP_CUTS; i++) {
      const previous = backups().at(-1);
      if (!previous) {
        fail('no backup to begin with');
        break;
      }
      const p = spawnBox(['backup']);
      const timer = setTimeout(() => p.child.kill('SIGKILL'), backupMs * (0.4 + Math.random() * 0.6));
      await p.exit;
      clearTimeout(timer);
      clearCache();
      backupCuts++;
      if (backupTemps()) midway++;
      const scratch = join(state, 'restored', `${i}`, 'ledger.db');
      const r = nb(['restore', join(state, 'backups', previous), '--db', scratch]);
      if (r.status !== 0) fail(`cut during a backup: the previous backup ${previous} does not restore: ${r.stderr}`);
      const newest = backups().at(-1);
      if (newest !== previous) {
        const rr = nb([
          'restore',
          join(state, 'backups', newest),
          '--db',
          join(state, 'restored', `${i}-new`, 'ledger.db'),
        ]);
        if (rr.status !== 0)
          fail(`cut during a backup: the new backup ${newest} is there but does not restore: ${rr.stderr}`);
      }
    }
    figures.backup = { cuts: backupCuts, cutMidway: midway, backupMs: Math.round(backupMs) };
    partDone(
      `backup: ${backupCuts} cuts during niftybox backup (${midway} left its ` +
        `unfinished temporary file); the previous backup restored every time, and ` +
        `so did a new one that was there`,
    );
  }
} finally {
  figures.seconds = Math.round((performance.now() - started) / 1000);
  figures.partSeconds = partSeconds;
  sub.kill();
  broker.kill();
  try {
    clearCache(); // unmounting flushes: drop the cache first, as the README says
    execFileSync('fusermount3', ['-u', mnt]);
  } catch {
    fs.kill('SIGKILL');
  }
  if (!failures.length) rmSync(work, { recursive: true, force: true });
}
say(`${JSON.stringify(figures)}`);
if (failures.length) {
  say(`${failures.length} check(s) failed; files kept in ${work}`);
  process.exit(1);
}
say(`every check held (${figures.seconds} s)`);
process.exit(0);
