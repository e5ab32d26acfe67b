/** Checks `niftybox run` makes before it starts: a writable state directory, a token Upstox accepts. */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Config } from '../config.js';
import { IoError } from '../lib/errors.js';
import { loadToken } from '../feed/upstox/token-store.js';
import { checkToken, describeRejection } from '../feed/upstox/token-check.js';
import type { Logger } from '../log.js';
import type { ModeChoice } from './mode.js';

function whoami(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

/** Creates `dir` when missing; throws one sentence naming it and the fix when this user cannot write there. */
export function ensureWritableDir(dir: string, what: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new IoError(
      `${what} ${dir} is not writable by ${whoami()} (${code}): run as the user ` +
        `that owns it (on an installed box: sudo systemctl start niftybox, or ` +
        `sudo -u niftybox niftybox …) or point it at a directory you own`,
    );
  }
}

/**
 * Asks Upstox about the token before going live. A rejected token is said in one sentence naming
 * where it came from and the fix; the box still starts (no entries, TOKEN_EXPIRED on the OLED/MQTT)
 * so a fresh login is picked up without a restart. Offline: the feed's own retries take over.
 */
export async function checkBootToken(config: Config, choice: ModeChoice, log: Logger): Promise<void> {
  const token = loadToken(config);
  if (!token || !choice.token) return;
  const where =
    choice.token.source === 'file'
      ? choice.tokenFile
      : choice.token.source === 'env'
        ? 'NIFTYBOX_UPSTOX_TOKEN'
        : 'upstox.token in the config';
  const result = await checkToken(config.upstox.apiBaseUrl, token.token, config.upstox.requestTimeoutMs);
  if (result.verdict === 'rejected') {
    const fix =
      choice.token.source === 'file'
        ? '"niftybox login --token <new token>"'
        : `put a new token in ${where} (or remove it and use "niftybox login --token <new token>")`;
    const sentence =
      `Upstox rejected the token from ${where}: ${describeRejection(result)}; ` +
      `no new entries until you log in again with ${fix}.`;
    process.stderr.write(`niftybox run: ${sentence}\n`);
    log.error(sentence, { code: result.code, status: result.status });
  } else if (result.verdict === 'unchecked') {
    log.warn(
      `could not check the Upstox token at boot: ${result.why}; starting cold, entries wait until Upstox answers`,
    );
  } else {
    log.info(`Upstox accepts the token${result.user ? ` (${result.user})` : ''}`, { via: result.via });
  }
}
