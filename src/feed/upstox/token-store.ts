/**
 * Where the Upstox access token lives: `<stateDir>/upstox-token.json`, mode 0600, with its expiry.
 * OAuth tokens die at 03:30 IST the next morning; the analytics token lives a year (or as its JWT says).
 * Every token read or written is registered with the logger's secret mask.
 */
import { chownSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { registerSecret } from '../../log.js';
import { DAY_MS, istDate, istTime } from '../../core/time.js';
import { writeFileDurable } from '../../lib/durable-file.js';

export type TokenKind = 'oauth' | 'analytics';

export interface StoredToken {
  token: string;
  /** Epoch ms after which the token no longer works. */
  expiresAt: number;
  kind: TokenKind;
}

const TOKEN_FILE = 'upstox-token.json';
const YEAR_MS = 365 * DAY_MS;

export function tokenPath(stateDir: string): string {
  return join(stateDir, TOKEN_FILE);
}

/** 03:30 IST after `mintedAt`: the same morning when minted before 03:30, else the next morning. */
export function oauthExpiry(mintedAt: number): number {
  const sameDay = istTime(istDate(mintedAt), '03:30');
  return sameDay > mintedAt ? sameDay : sameDay + DAY_MS;
}

/** The `exp` claim of a JWT in ms, or null when the token is not a readable JWT (advisory only). */
export function jwtExpiry(token: string): number | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp * 1000 : null;
  } catch {
    return null;
  }
}

export function storeToken(stateDir: string, record: StoredToken): StoredToken {
  registerSecret(record.token);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  // root writing into the service's state directory (sudo niftybox login): the file goes to the directory's owner, so
  // the service can read it.
  const dirOwner = statSync(stateDir);
  const chownToOwner = process.getuid?.() === 0 && dirOwner.uid !== 0;
  writeFileDurable(
    tokenPath(stateDir),
    JSON.stringify({ ...record, savedAt: new Date().toISOString() }, null, 2) + '\n',
    {
      mode: 0o600,
      beforeRename: chownToOwner ? (tmp) => chownSync(tmp, dirOwner.uid, dirOwner.gid) : undefined,
    },
  );
  return record;
}

/**
 * Why this process must not write the token file, or null. A user other than the state directory's
 * owner (say, a member of group niftybox) would leave a 0600 file the service cannot read.
 */
export function tokenWriteProblem(stateDir: string): string | null {
  if (!existsSync(stateDir) || process.getuid?.() === 0) return null;
  const st = statSync(stateDir);
  if (st.uid === process.getuid?.()) return null;
  return (
    `the state directory ${stateDir} belongs to another user (uid ${st.uid}, ` +
    `the service): run the command with sudo so the token file stays readable ` +
    `by the service`
  );
}

/** Stores a 1-year analytics token (from `niftybox login --token`). Expiry: as given, else its JWT exp, else a year. */
export function storeAnalyticsToken(
  stateDir: string,
  token: string,
  expiresAt?: number,
  now: number = Date.now(),
): StoredToken {
  const trimmed = token.trim();
  if (!trimmed)
    throw new Error('empty analytics token: paste the token from the Upstox Developer Apps page (Analytics tab)');
  return storeToken(stateDir, {
    token: trimmed,
    expiresAt: expiresAt ?? jwtExpiry(trimmed) ?? now + YEAR_MS,
    kind: 'analytics',
  });
}

/** Reads the stored token file as is (expired or not); null when there is none or it is unreadable. */
export function readStoredToken(stateDir: string): StoredToken | null {
  const file = tokenPath(stateDir);
  if (!existsSync(file)) return null;
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<StoredToken>;
    if (typeof raw.token !== 'string' || !raw.token || typeof raw.expiresAt !== 'number') return null;
    registerSecret(raw.token);
    return { token: raw.token, expiresAt: raw.expiresAt, kind: raw.kind === 'oauth' ? 'oauth' : 'analytics' };
  } catch {
    return null;
  }
}

/**
 * The token to use now: `upstox.token` (config or NIFTYBOX_UPSTOX_TOKEN, treated as an analytics token)
 * wins over the stored file. Null when there is none or it has expired.
 */
export function loadToken(
  config: { stateDir: string; upstox: { token?: string | undefined } },
  now: number = Date.now(),
): StoredToken | null {
  const configured = config.upstox.token?.trim();
  if (configured) {
    registerSecret(configured);
    const expiresAt = jwtExpiry(configured) ?? now + YEAR_MS;
    return expiresAt > now ? { token: configured, expiresAt, kind: 'analytics' } : null;
  }
  const stored = readStoredToken(config.stateDir);
  return stored && stored.expiresAt > now ? stored : null;
}
