/** `niftybox login`: the daily OAuth flow through a local page, or `--token T` for an Analytics token. */
import { loadConfig, type Config } from '../config.js';
import { runLoginServer, storeAnalyticsToken } from '../feed/upstox/index.js';
import { istIso } from '../core/time.js';
import { createLogger, registerSecret } from '../log.js';
import { loginServerOptions } from '../app/login-options.js';
import { usageOf } from './usage.js';
import { parseFlags, portFlag, textFlag } from './args.js';
import { DataError, IoError, UsageError } from '../lib/errors.js';
import { checkToken, describeRejection } from '../feed/upstox/token-check.js';
import { jwtExpiry, tokenPath, tokenWriteProblem } from '../feed/upstox/token-store.js';
import { ensureWritableDir } from '../app/boot-checks.js';

const USAGE = usageOf('login');

/**
 * `login --token T`: Upstox checks the token first (GET /v2/user/profile); a rejected one is refused
 * with Upstox's message and nothing is stored. Offline, it is stored with a warning that it is unchecked.
 */
async function storeTokenCommand(config: Config, raw: string): Promise<number> {
  const token = raw.trim(); // never empty: loginCommand's textFlag refused that
  registerSecret(token);
  const file = tokenPath(config.stateDir);
  const exp = jwtExpiry(token);
  if (exp !== null && exp <= Date.now())
    throw new DataError(
      `this token expired at ${istIso(exp)} (its JWT exp): generate a new one ` +
        `on the Upstox Developer Apps page; nothing was stored`,
    );
  const problem = tokenWriteProblem(config.stateDir);
  if (problem) throw new IoError(problem);
  ensureWritableDir(config.stateDir, 'the state directory (stateDir)');
  const check = await checkToken(config.upstox.apiBaseUrl, token);
  if (check.verdict === 'rejected') {
    throw new DataError(
      `Upstox rejected this token: ${describeRejection(check)}; nothing was ` +
        `stored. Copy the token again from the Upstox Developer Apps page ` +
        `(Analytics tab)`,
    );
  }
  if (check.verdict === 'unchecked') {
    process.stderr.write(
      `warning: could not check the token with Upstox (${check.why}); storing ` +
        `it unchecked. "niftybox doctor" checks it once Upstox is reachable.\n`,
    );
  }
  const stored = storeAnalyticsToken(config.stateDir, token);
  const until =
    exp !== null
      ? `valid until ${istIso(stored.expiresAt)} (the token's exp)`
      : 'expiry not in the token (Analytics tokens last a year from when you generated them)';
  const who = check.verdict === 'accepted' ? `Upstox accepts it${check.user ? ` (${check.user})` : ''}` : 'unchecked';
  process.stdout.write(
    `Analytics token stored in ${file} (mode 0600): ${who}; ${until}. ` +
      `"niftybox run" will go live with it (an installed box: sudo systemctl ` +
      `restart niftybox).\n`,
  );
  return 0;
}

export async function loginCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    { config: { type: 'string' }, token: { type: 'string' }, port: { type: 'string' } },
    USAGE,
  );
  textFlag(
    values.token,
    'token',
    'the Analytics token from the Upstox Developer Apps page, or drop --token for the OAuth login',
  );
  const port = portFlag(values.port, 'port');
  const { config } = loadConfig(values.config);
  const log = createLogger({ app: 'niftybox', area: 'login' });
  if (values.token !== undefined) return storeTokenCommand(config, values.token);
  const options = loginServerOptions(config);
  if (!options) {
    throw new UsageError(
      'OAuth login needs upstox.apiKey and upstox.apiSecret in the config (from the Upstox Developer Apps page).\n' +
        ('For a paper-trading box the Analytics token is simpler: "niftybox login ' +
          '--token <token>" (1 year, no daily login).'),
    );
  }
  const problem = tokenWriteProblem(config.stateDir);
  if (problem) throw new IoError(problem);
  const stored = await runLoginServer({
    ...options,
    port: port ?? options.port,
    log,
    onListening: ({ loginUrl }) =>
      process.stdout.write(`Open ${loginUrl} in a browser on this network and log in to Upstox.\n`),
  });
  process.stdout.write(
    `Logged in. Token stored in ${config.stateDir} (mode 0600), valid until ${istIso(stored.expiresAt)}.\n`,
  );
  return 0;
}
