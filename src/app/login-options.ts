/** The OAuth login page's options from the config, shared by `niftybox login` and the running box. */
import type { Config } from '../config.js';
import type { LoginServerOptions } from '../feed/upstox/index.js';

/** Null when the config lacks upstox.apiKey / upstox.apiSecret (OAuth is then unavailable). */
export function loginServerOptions(config: Config): Omit<LoginServerOptions, 'log' | 'onListening'> | null {
  const { apiKey, apiSecret } = config.upstox;
  if (!apiKey || !apiSecret) return null;
  return {
    stateDir: config.stateDir,
    apiKey,
    apiSecret,
    redirectUri: config.upstox.redirectUri,
    loginBaseUrl: config.upstox.loginBaseUrl,
    apiBaseUrl: config.upstox.apiBaseUrl,
    host: config.upstox.loginHost,
    port: config.upstox.loginPort,
  };
}
