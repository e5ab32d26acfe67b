/** `niftybox login`: the daily OAuth flow through a local page, or `--token T` for an Analytics token. */
import { loadConfig } from '../config.js';
import { runLoginServer, storeAnalyticsToken } from '../feed/upstox/index.js';
import { istIso } from '../core/time.js';
import { createLogger, registerSecret } from '../log.js';
import { loginServerOptions } from '../app/login-options.js';
import { parseFlags, portFlag, textFlag } from './args.js';
import { UsageError } from './errors.js';

const USAGE = 'niftybox login [--config F] [--token T] [--port N]';

export async function loginCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { config: { type: 'string' }, token: { type: 'string' }, port: { type: 'string' } }, USAGE);
  textFlag(values.token, 'token', 'the Analytics token from the Upstox Developer Apps page, or drop --token for the OAuth login');
  const port = portFlag(values.port, 'port');
  const { config } = loadConfig(values.config);
  const log = createLogger({ app: 'niftybox', area: 'login' });
  if (values.token !== undefined) {
    registerSecret(values.token);
    const stored = storeAnalyticsToken(config.stateDir, values.token);
    process.stdout.write(`Analytics token stored in ${config.stateDir} (mode 0600), valid until ${istIso(stored.expiresAt)}. "niftybox run" will use it.\n`);
    return 0;
  }
  const options = loginServerOptions(config);
  if (!options) {
    throw new UsageError(
      'OAuth login needs upstox.apiKey and upstox.apiSecret in the config (from the Upstox Developer Apps page).\n' +
        'For a paper-trading box the Analytics token is simpler: "niftybox login --token <token>" (1 year, no daily login).',
    );
  }
  const stored = await runLoginServer({
    ...options,
    port: port ?? options.port,
    log,
    onListening: ({ loginUrl }) => process.stdout.write(`Open ${loginUrl} in a browser on this network and log in to Upstox.\n`),
  });
  process.stdout.write(`Logged in. Token stored in ${config.stateDir} (mode 0600), valid until ${istIso(stored.expiresAt)}.\n`);
  return 0;
}
