/**
 * `niftybox doctor [--json]`: checks the box end to end with the same config and state the service
 * uses (same lookup as every command); exit 0 only when every check passes.
 */
import { accessSync, constants, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { connect } from 'node:net';
import { systemClockSync } from '../app/clock-sync.js';
import { dbPath, loadConfig, type Config } from '../config.js';
import { istIso } from '../core/time.js';
import { doctorDeviceChecks, type DoctorCheck } from '../device/index.js';
import { loadToken } from '../feed/upstox/index.js';
import { checkToken, describeRejection } from '../feed/upstox/token-check.js';
import { setLogSink } from '../log.js';
import { controlSocketPath } from '../app/control.js';
import { selectMode, type ModeChoice } from '../app/mode.js';
import { parseFlags } from './args.js';
import { usageOf } from './usage.js';

export async function doctorCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    { config: { type: 'string' }, json: { type: 'boolean', default: false } },
    usageOf('doctor'),
  );
  setLogSink((l) => process.stderr.write(l + '\n'));
  const loaded = loadConfig(values.config);
  const { config } = loaded;
  const checks: DoctorCheck[] = [];
  let choice: ModeChoice | null = null;
  try {
    choice = selectMode({ config, configFile: loaded.file, lookedAt: loaded.lookedAt });
    checks.push({ name: 'mode', ok: true, detail: choice.reason });
  } catch (err) {
    checks.push({ name: 'mode', ok: false, detail: (err as Error).message });
  }
  try {
    accessSync(config.stateDir, constants.W_OK | constants.X_OK);
    checks.push({ name: 'state dir', ok: true, detail: `${config.stateDir} is writable` });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    checks.push({
      name: 'state dir',
      ok: false,
      detail:
        `${config.stateDir}: ` +
        (code === 'ENOENT'
          ? 'does not exist yet ("niftybox run" or the service creates it)'
          : `${code}: run doctor with sudo, or as the service user`),
    });
  }

  checks.push(...(await doctorDeviceChecks(config.device)));

  const sync = await systemClockSync();
  checks.push({
    name: 'clock',
    ok: sync.synced,
    detail: sync.synced ? sync.detail : `${sync.detail}: enable systemd-timesyncd (timedatectl set-ntp true)`,
  });

  const token = choice ? loadToken(config) : null;
  if (!token) {
    const why = choice?.token?.expired
      ? `the token from ${choice.token.source === 'file' ? choice.tokenFile : choice.token.source} has expired`
      : `no token (looked in ${choice?.tokenFile ?? config.stateDir})`;
    checks.push({
      name: 'upstox token',
      ok: false,
      detail: `${why}: "niftybox login --token <analytics token>" or "niftybox login"`,
    });
  } else {
    const c = await checkToken(config.upstox.apiBaseUrl, token.token, 5000);
    if (c.verdict === 'accepted')
      checks.push({
        name: 'upstox token',
        ok: true,
        detail: `${token.kind} token works${c.user ? ` (${c.user})` : ''}, valid until ${istIso(token.expiresAt)}`,
      });
    else if (c.verdict === 'rejected')
      checks.push({
        name: 'upstox token',
        ok: false,
        detail: `Upstox rejected the token: ${describeRejection(c)}; log in again ("niftybox login --token <token>")`,
      });
    else checks.push({ name: 'upstox token', ok: false, detail: `could not check the token: ${c.why}` });
  }

  checks.push(
    await checkBroker(
      config.mqtt.url ?? `mqtt://${config.mqtt.embeddedBroker.host}:${config.mqtt.embeddedBroker.port}`,
      !config.mqtt.url,
    ),
  );

  checks.push(pageCheck(config.web));

  const db = dbPath(config);
  try {
    const s = statfsSync(dirname(db));
    const freeMb = (s.bavail * s.bsize) / 1e6;
    checks.push({
      name: 'disk',
      ok: freeMb > 200,
      detail:
        `${freeMb.toFixed(0)} MB free for ${db}` +
        (freeMb > 200 ? '' : ': free some space (the ledger needs room to write)'),
    });
  } catch (err) {
    checks.push({
      name: 'disk',
      ok: false,
      detail:
        `${dirname(db)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} ` +
        `(create the state directory or set NIFTYBOX_DB)`,
    });
  }

  const ok = checks.every((c) => c.ok);
  const where = {
    configFile: loaded.file,
    stateDir: config.stateDir,
    tokenFile: choice?.tokenFile ?? null,
    ledger: db,
    controlSocket: controlSocketPath(db),
  };
  if (values.json)
    process.stdout.write(JSON.stringify({ ok, mode: choice?.mode ?? null, ...where, checks }, null, 2) + '\n');
  else {
    const lookedAt = loaded.lookedAt.join(', ') || 'nothing: NIFTYBOX_CONFIG=""';
    process.stdout.write(`config  ${where.configFile ?? `none (looked at ${lookedAt})`}\n`);
    process.stdout.write(`state   ${where.stateDir}\ntoken   ${where.tokenFile ?? '?'}\nledger  ${where.ledger}\n\n`);
    for (const c of checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(14)} ${c.detail}\n`);
  }
  return ok ? 0 : 1;
}

/** Whether anyone on the LAN can open the page (and halt the box) without a password. */
function pageCheck(web: Config['web']): DoctorCheck {
  if (!web.enabled) return { name: 'page', ok: true, detail: 'off (web.enabled: false)' };
  const local = ['127.0.0.1', '::1', 'localhost'].includes(web.bind);
  if (web.password)
    return { name: 'page', ok: true, detail: `needs its password (web.password) on ${web.bind}:${web.port}` };
  if (local)
    return { name: 'page', ok: true, detail: `no password, but only on this machine (${web.bind}:${web.port})` };
  return {
    name: 'page',
    ok: false,
    detail:
      `open without a password on ${web.bind}:${web.port}: anyone on the LAN ` +
      `can read it and halt the box — set web.password (or ` +
      `NIFTYBOX_WEB_PASSWORD in /etc/niftybox/secrets.env), or web.bind: ` +
      `127.0.0.1`,
  };
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
      done(
        embedded,
        embedded
          ? `no broker configured: niftybox runs its embedded broker on ${u.hostname}:${port} while it runs`
          : `${u.hostname}:${port}: ${e.code ?? e.message} (check mqtt.url)`,
      ),
    );
  });
}
