/**
 * Live or demo: the one decision `run`, `doctor` and `status` share. Live whenever the box has a
 * token (upstox.token in the config, NIFTYBOX_UPSTOX_TOKEN, or the file `niftybox login` writes) or
 * OAuth credentials to serve its login page with; the demo only with --demo or when none exist, and
 * then the reason names every place that was looked at.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { istIso } from '../core/time.js';
import { jwtExpiry, tokenPath, type TokenKind } from '../feed/upstox/token-store.js';
import { registerSecret } from '../log.js';
import { IoError } from '../lib/errors.js';
import { ConfigError } from '../config.js';
import { realClock } from '../lib/clock.js';

/** A demo's own ledger (unless --db or NIFTYBOX_DB names one), so it never touches the live box's. */
export function demoLedgerPath(stateDir: string): string {
  return join(stateDir, 'demo.db');
}

export type TokenSource = 'config' | 'env' | 'file';

export interface ModeChoice {
  mode: 'live' | 'demo';
  /** One sentence: why this mode. */
  reason: string;
  /** `<stateDir>/upstox-token.json`, whether or not it exists. */
  tokenFile: string;
  token: { source: TokenSource; kind: TokenKind; expiresAt: number; expired: boolean } | null;
  /** upstox.apiKey and upstox.apiSecret are set: the box can serve the OAuth login page. */
  oauth: boolean;
}

export interface ModeInputs {
  config: Config;
  /** The config file in use (null: none) and the files looked at. */
  configFile: string | null;
  lookedAt: string[];
  demo?: boolean;
  env?: NodeJS.ProcessEnv;
  now?: number;
}

const YEAR_MS = 365 * 86_400_000;

/**
 * The stored token file as `niftybox login` wrote it; null when absent. Throws a one-sentence error when it cannot be
 * used.
 */
function readTokenFile(file: string): { token: string; expiresAt: number; kind: TokenKind } | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'EACCES')
      throw new IoError(
        `cannot read the Upstox token file ${file} (permission denied): it ` +
          `belongs to the service user; run the command with sudo (or as that user)`,
      );
    throw new IoError(
      `cannot read the Upstox token file ${file} ` +
        `(${code ?? (err as Error).message}): run "niftybox login --token ` +
        `<token>" again`,
    );
  }
  let raw: { token?: unknown; expiresAt?: unknown; kind?: unknown };
  try {
    raw = JSON.parse(text) as typeof raw;
  } catch {
    raw = {};
  }
  if (typeof raw.token !== 'string' || !raw.token || typeof raw.expiresAt !== 'number') {
    throw new ConfigError(
      `the Upstox token file ${file} is damaged (not what "niftybox login" ` +
        `writes): run "niftybox login --token <token>" again, or delete the file`,
    );
  }
  registerSecret(raw.token);
  return { token: raw.token, expiresAt: raw.expiresAt, kind: raw.kind === 'oauth' ? 'oauth' : 'analytics' };
}

export function selectMode(inp: ModeInputs): ModeChoice {
  const { config } = inp;
  const env = inp.env ?? process.env;
  const now = inp.now ?? realClock.now();
  const tokenFile = tokenPath(config.stateDir);
  const oauth = Boolean(config.upstox.apiKey && config.upstox.apiSecret);
  if (inp.demo) {
    // Asked for: no need to read (or be allowed to read) the live box's token.
    return {
      tokenFile,
      token: null,
      oauth,
      mode: 'demo',
      reason: 'demo requested (--demo): the simulated exchange, a ledger and device id of its own',
    };
  }
  const configured = config.upstox.token?.trim();
  let token: ModeChoice['token'] = null;
  let where = '';
  if (configured) {
    const fromEnv = Boolean(env.NIFTYBOX_UPSTOX_TOKEN?.trim());
    const expiresAt = jwtExpiry(configured) ?? now + YEAR_MS;
    token = { source: fromEnv ? 'env' : 'config', kind: 'analytics', expiresAt, expired: expiresAt <= now };
    where = fromEnv ? 'NIFTYBOX_UPSTOX_TOKEN' : `upstox.token in ${inp.configFile ?? 'the config'}`;
  } else {
    const stored = readTokenFile(tokenFile);
    if (stored) {
      token = { source: 'file', kind: stored.kind, expiresAt: stored.expiresAt, expired: stored.expiresAt <= now };
      where = `${tokenFile} (from "niftybox login")`;
    }
  }
  const base = { tokenFile, token, oauth };
  if (token && !token.expired) {
    return {
      ...base,
      mode: 'live',
      reason: `live: the ${token.kind} token from ${where}, valid until ${istIso(token.expiresAt)}`,
    };
  }
  if (token) {
    const fix = oauth ? 'the box serves its Upstox login page' : 'run "niftybox login --token <token>"';
    return {
      ...base,
      mode: 'live',
      reason:
        `live, but the ${token.kind} token from ${where} expired at ` +
        `${istIso(token.expiresAt)}: no entries until a new login (${fix})`,
    };
  }
  if (oauth) {
    return {
      ...base,
      mode: 'live',
      reason:
        'live: no token yet, so the box serves its Upstox login page ' +
        '(upstox.apiKey and upstox.apiSecret are set); no entries until you log ' +
        'in',
    };
  }
  const files = inp.configFile
    ? `upstox.token in ${inp.configFile}`
    : `upstox.token in a config file (none at ${inp.lookedAt.join(' or ') || 'NIFTYBOX_CONFIG=""'})`;
  return {
    ...base,
    mode: 'demo',
    reason:
      `No Upstox credentials: looked for ${files}, NIFTYBOX_UPSTOX_TOKEN, the ` +
      `token file ${tokenFile} and upstox.apiKey/apiSecret; ` +
      'running the demo against the simulated exchange ("niftybox login --token <token>" to go live)',
  };
}
