// One simulated session (demo exchange through the real client) on a fresh ledger: bytes written to
// the DB and WAL, storage writes of the process, commits, and RSS at the end. Target: < 20 MB a session.
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAppliance } from '../dist/app.js';
import { startDemo } from '../dist/app/demo.js';
import { parseConfig } from '../dist/config.js';
import { MarketCalendar } from '../dist/core/calendar.js';
import { createLogger, setLogLevel } from '../dist/log.js';

const writeBytes = () => {
  try {
    return Number(/write_bytes: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))[1]);
  } catch {
    return NaN;
  }
};
setLogLevel('error');
const dir = mkdtempSync(join(tmpdir(), 'niftybox-bench-'));
const seconds = Number(process.env.BENCH_SESSION_SECONDS ?? 60);
const config = parseConfig({ db: join(dir, 'ledger.db'), stateDir: dir, demo: { sessionSeconds: seconds, seed: 25 }, mqtt: { embeddedBroker: { enabled: false } }, device: { display: { kind: 'none' }, button: { simulated: true }, buzzer: { simulated: true } } }, {});
const log = createLogger({ bench: 'session' });
const before = writeBytes();
const demo = await startDemo({ config, calendar: new MarketCalendar(), log, sessions: 1 });
const app = await startAppliance({ config, log, source: demo.source });
let walPeak = 0;
const walTimer = setInterval(() => {
  const w = join(dir, 'ledger.db-wal');
  if (existsSync(w)) walPeak = Math.max(walPeak, statSync(w).size);
}, 200);
const commits = () => app.loop.commits;
const code = await app.done;
clearInterval(walTimer);
await demo.close();
const rss = process.memoryUsage().rss;
const after = writeBytes();
const files = readdirSync(dir).filter((f) => f.startsWith('ledger.db')).map((f) => `${f} ${statSync(join(dir, f)).size} B`);
const trades = app.ledger; void trades;
console.log(`bench-session: one simulated session (${seconds} s real), exit ${code}, ${commits()} ledger commits`);
console.log(`bench-session: files at the end: ${files.join(', ')}; WAL peak ${(walPeak / 1e6).toFixed(2)} MB`);
console.log(`bench-session: storage writes of the process (/proc/self/io write_bytes): ${Number.isNaN(after) ? 'n/a' : ((after - before) / 1e6).toFixed(2) + ' MB'} (target < 20 MB)`);
console.log(`bench-session: RSS at the end ${(rss / 1e6).toFixed(1)} MB`);
