// What the page costs the trading loop: one simulated session (the demo exchange through the real
// client, fresh ledger, same seed) with the page's server running, first with no browser connected,
// then with five clients that behave like the page (SSE stream; on every ledger event they fetch
// /api/day/D and /api/state; they report their counts on stdout every 0.5 s). The clients run in a child process so
// that only the server's work
// lands on the appliance's event loop. Reported: tick → commit time (TradingLoop.tick calls that
// committed a batch: engine, ledger transaction, outputs told), every tick's time, and the event
// loop delay, as p50/p99. `--json`: the last stdout line is one JSON object.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { startAppliance } from '../dist/app.js';
import { startDemo } from '../dist/app/demo.js';
import { parseConfig } from '../dist/config.js';
import { MarketCalendar } from '../dist/core/calendar.js';
import { createLogger, setLogLevel } from '../dist/log.js';
import { startWebOutput } from '../dist/app/outputs.js';

const json = process.argv.includes('--json');
const seconds = Number(process.env.BENCH_WEB_SESSION_SECONDS ?? 40);
const CLIENTS = 5;
setLogLevel('error');

const CLIENT_SCRIPT =
  `
const [url, n] = process.argv.slice(1);
let events = 0, fetches = 0, failures = 0;
async function client() {
  const res = await fetch(url + 'api/events');
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = '', day = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf('\\n\\n')) >= 0) {
      const msg = buf.slice(0, i); buf = buf.slice(i + 2);
      events++;
      const data = msg.split('\\n').find((l) => l.startsWith('data: '));
      if (msg.startsWith('event: state') && data) day = JSON.parse(data.slice(6)).day || day;
      if (msg.startsWith('event: ledger') && day) {
        try {
          await Promise.all([fetch(url + 'api/day/' + day).then((r) => r.arrayBuffer()), ` +
  `fetch(url + 'api/state').then((r) => r.arrayBuffer())]);
          fetches += 2;
        } catch { failures++; }
      }
    }
  }
}
for (let k = 0; k < Number(n); k++) client().catch(() => failures++);
setInterval(() => process.stdout.write(JSON.stringify({ events, fetches, failures }) + '\\n'), 500);
`;

function pct(xs, p) {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 1000) / 1000;
}

async function session(clients) {
  const dir = mkdtempSync(join(tmpdir(), 'niftybox-bench-web-'));
  const config = parseConfig(
    {
      db: join(dir, 'ledger.db'),
      stateDir: dir,
      demo: { sessionSeconds: seconds, seed: 25 },
      mqtt: { embeddedBroker: { enabled: false } },
      device: { display: { kind: 'none' }, button: { simulated: true }, buzzer: { simulated: true } },
      web: { port: 0, bind: '127.0.0.1' },
    },
    {},
  );
  const log = createLogger({ bench: 'web' });
  const calendar = new MarketCalendar();
  const demo = await startDemo({ config, calendar, log, sessions: 1 });
  let url = '';
  const app = await startAppliance({
    config,
    log,
    source: demo.source,
    outputs: [
      (loop, cal) =>
        startWebOutput({
          config,
          loop,
          calendar: cal,
          log,
          history: (ts) => demo.source.index(ts),
          announce: (l) => (url = l.replace('Page: ', '')),
        }),
    ],
  });
  const tickMs = [];
  const commitMs = [];
  const tickAgeMs = [];
  const loop = app.loop;
  const session0 = calendar.session(
    calendar.isTradingDay(new Date().toISOString().slice(0, 10))
      ? new Date().toISOString().slice(0, 10)
      : calendar.nextTradingDay(new Date().toISOString().slice(0, 10)),
  );
  const speed = session0 ? (session0.closeTs - session0.openTs) / 1000 / seconds : 1;
  const tick = loop.tick.bind(loop);
  loop.tick = (t) => {
    tickAgeMs.push((demo.clock.now() - t.ts) / speed); // real ms from the exchange's trade to the loop taking it
    const t0 = performance.now();
    tick(t);
    tickMs.push(performance.now() - t0);
  };
  // Every commit (tick-, clock- or command-driven): engine → ledger transaction → outputs told.
  const apply = loop.apply.bind(loop);
  loop.apply = (events) => {
    if (!events.length) return apply(events);
    const t0 = performance.now();
    apply(events);
    commitMs.push(performance.now() - t0);
  };
  let child = null;
  let clientStats = null;
  if (clients > 0) {
    child = spawn(process.execPath, ['-e', CLIENT_SCRIPT, url, String(clients)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.once('close', () => {
      try {
        clientStats = JSON.parse(out.trim().split('\n').pop());
      } catch {
        clientStats = { error: out };
      }
    });
  }
  const eld = monitorEventLoopDelay({ resolution: 5 });
  eld.enable();
  const code = await app.done;
  eld.disable();
  if (child) {
    child.kill('SIGTERM');
    await new Promise((r) => (clientStats ? r() : child.once('close', () => setImmediate(r))));
  }
  await demo.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    clients,
    exit: code,
    ticks: tickMs.length,
    commits: commitMs.length,
    tickAgeP50Ms: pct(tickAgeMs, 50),
    tickAgeP99Ms: pct(tickAgeMs, 99),
    tickP50Ms: pct(tickMs, 50),
    tickP99Ms: pct(tickMs, 99),
    commitP50Ms: pct(commitMs, 50),
    commitP99Ms: pct(commitMs, 99),
    eventLoopDelayP99Ms: Math.round(eld.percentile(99) / 1e4) / 100,
    samples: { tick: tickMs, commit: commitMs, tickAge: tickAgeMs },
    ...(clientStats
      ? { sseEvents: clientStats.events, apiFetches: clientStats.fetches, clientFailures: clientStats.failures }
      : {}),
  };
}

// Alternating rounds (none, five, none, five …) so that the load of a shared machine falls on both alike.
const rounds = Number(process.env.BENCH_WEB_ROUNDS ?? 2);
const runs = { 0: [], [CLIENTS]: [] };
for (let i = 0; i < rounds; i++) for (const n of [0, CLIENTS]) runs[n].push(await session(n));
const pool = (rs) => {
  const all = (k) => rs.flatMap((r) => r.samples[k]);
  const sum = (k) => rs.reduce((a, r) => a + (r[k] ?? 0), 0);
  return {
    clients: rs[0].clients,
    sessions: rs.length,
    exit: Math.max(...rs.map((r) => r.exit)),
    ticks: sum('ticks'),
    commits: sum('commits'),
    tickAgeP50Ms: pct(all('tickAge'), 50),
    tickAgeP99Ms: pct(all('tickAge'), 99),
    tickP50Ms: pct(all('tick'), 50),
    tickP99Ms: pct(all('tick'), 99),
    commitP50Ms: pct(all('commit'), 50),
    commitP99Ms: pct(all('commit'), 99),
    eventLoopDelayP99Ms: Math.max(...rs.map((r) => r.eventLoopDelayP99Ms)),
    ...(rs[0].clients
      ? { sseEvents: sum('sseEvents'), apiFetches: sum('apiFetches'), clientFailures: sum('clientFailures') }
      : {}),
  };
};
const without = pool(runs[0]);
const withClients = pool(runs[CLIENTS]);
const line = (r) =>
  `bench-web: ${r.clients} client(s), ${r.sessions} sessions: ${r.ticks} ` +
  `ticks, ${r.commits} commits; tick→commit p50 ${r.commitP50Ms} ms p99 ${r.commitP99Ms} ` +
  `ms; ` +
  (`tick processing p99 ${r.tickP99Ms} ms; tick age at the loop p50 ${r.tickAgeP50Ms} ` +
    `p99 ${r.tickAgeP99Ms} ms; event-loop delay p99 ${r.eventLoopDelayP99Ms} ` +
    `ms`) +
  (r.clients
    ? `; clients got ${r.sseEvents} SSE messages and made ${r.apiFetches} API fetches (${r.clientFailures} failed)`
    : '');
console.log(
  `bench-web: ${rounds} × 2 simulated sessions of ${seconds} s (seed 25), ` +
    `the page's server on a loopback port; event-loop delay: the worst ` +
    `session's p99`,
);
console.log(line(without));
console.log(line(withClients));
const delta =
  withClients.commitP99Ms !== null && without.commitP99Ms !== null
    ? Math.round((withClients.commitP99Ms - without.commitP99Ms) * 1000) / 1000
    : null;
console.log(`bench-web: tick→commit p99 difference with ${CLIENTS} clients: ${delta} ms`);
if (json)
  console.log(
    JSON.stringify({
      web: { sessionSeconds: seconds, rounds, withoutClients: without, withClients, commitP99DeltaMs: delta },
    }),
  ); // under "web" in npm run bench's object
