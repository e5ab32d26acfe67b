/** `niftybox doctor`: checks the box end to end; exit 0 only when every check passes. */
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { connect } from 'node:net';
import { systemClockSync } from '../app/clock-sync.js';
import { dbPath, loadConfig } from '../config.js';
import { istIso } from '../core/time.js';
import { doctorDeviceChecks, type DoctorCheck } from '../device/index.js';
import { loadToken, UpstoxRest, TokenExpired } from '../feed/upstox/index.js';
import { createLogger, setLogSink } from '../log.js';
import { parseFlags } from './args.js';

export async function doctorCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { config: { type: 'string' }, json: { type: 'boolean', default: false } }, 'niftybox doctor [--config F] [--json]');
  setLogSink((l) => process.stderr.write(l + '\n'));
  const { config } = loadConfig(values.config);
  const checks: DoctorCheck[] = [];

  checks.push(...(await doctorDeviceChecks(config.device)));

  const sync = await systemClockSync();
  checks.push({ name: 'clock', ok: sync.synced, detail: sync.synced ? sync.detail : `${sync.detail}: enable systemd-timesyncd (timedatectl set-ntp true)` });

  const token = loadToken(config);
  if (!token) checks.push({ name: 'upstox token', ok: false, detail: 'no valid token: "niftybox login --token <analytics token>" or "niftybox login"' });
  else {
    try {
      const rest = new UpstoxRest({ baseUrl: config.upstox.apiBaseUrl, token: token.token, timeoutMs: 5000, maxRetries: 0, log: createLogger({ area: 'doctor' }) });
      await rest.ltp(['NSE_INDEX|Nifty 50']);
      checks.push({ name: 'upstox token', ok: true, detail: `${token.kind} token works, valid until ${istIso(token.expiresAt)}` });
    } catch (err) {
      const detail = err instanceof TokenExpired ? 'token rejected by Upstox: log in again ("niftybox login")' : `Upstox not reachable with the token: ${(err as Error).message}`;
      checks.push({ name: 'upstox token', ok: false, detail });
    }
  }

  checks.push(await checkBroker(config.mqtt.url ?? `mqtt://${config.mqtt.embeddedBroker.host}:${config.mqtt.embeddedBroker.port}`, !config.mqtt.url));

  const db = dbPath(config);
  try {
    const s = statfsSync(dirname(db));
    const freeMb = (s.bavail * s.bsize) / 1e6;
    checks.push({ name: 'disk', ok: freeMb > 200, detail: `${freeMb.toFixed(0)} MB free for ${db}${freeMb > 200 ? '' : ': free some space (the ledger needs room to write)'}` });
  } catch (err) {
    checks.push({ name: 'disk', ok: false, detail: `${dirname(db)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (create the state directory or set NIFTYBOX_DB)` });
  }

  if (values.json) process.stdout.write(JSON.stringify(checks) + '\n');
  else for (const c of checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(14)} ${c.detail}\n`);
  return checks.every((c) => c.ok) ? 0 : 1;
}

function checkBroker(url: string, embedded: boolean): Promise<DoctorCheck> {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === 'mqtts:' ? 8883 : 1883));
  return new Promise((resolve) => {
    const sock = connect({ host: u.hostname, port, timeout: 3000 });
    const done = (ok: boolean, detail: string) => {
      sock.destroy();
      resolve({ name: 'mqtt broker', ok, detail });
    };
    sock.on('connect', () => done(true, `${u.hostname}:${port} accepts connections`));
    sock.on('timeout', () => done(false, `${u.hostname}:${port} did not answer within 3 s`));
    sock.on('error', (e: NodeJS.ErrnoException) =>
      done(embedded, embedded ? `no broker configured: niftybox runs its embedded broker on ${u.hostname}:${port} while it runs` : `${u.hostname}:${port}: ${e.code ?? e.message} (check mqtt.url)`),
    );
  });
}
