/**
 * Daily OAuth login through a small local web page: `/` (or `/login`) redirects to the Upstox
 * authorization dialog with a random `state`; the redirect comes back to the path of `redirectUri`
 * with `code` and `state`; a wrong or missing state is refused; the code is exchanged for a token,
 * which is stored (0600) with its 03:30 IST expiry. Resolves once a token is stored.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, registerSecret, type Logger } from '../../log.js';
import { UpstoxRest, type FetchLike } from './rest.js';
import { oauthExpiry, storeToken, type StoredToken } from './token-store.js';
import { escapeHtml } from '../../lib/html.js';

export interface LoginServerOptions {
  stateDir: string;
  apiKey: string;
  apiSecret: string;
  /** Registered redirect URI; its path is served here. Default http://<host>:<port>/callback. */
  redirectUri?: string;
  /** Host of the Upstox dialog (config upstox.loginBaseUrl). */
  loginBaseUrl: string;
  /** Host of the token endpoint (config upstox.apiBaseUrl). */
  apiBaseUrl: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  fetch?: FetchLike;
  now?: () => number;
  log?: Logger;
  /** Called once listening with the URL to open in a browser (the CLI prints it). */
  onListening?: (info: { loginUrl: string; port: number }) => void;
  signal?: AbortSignal;
  /** How long an issued state stays valid. Default 15 min. */
  stateTtlMs?: number;
}

const page = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body style="font-family:sans-serif;max-width:40em;margin:3em auto"><h1>${title}</h1><p>${body}</p></body></html>`;

export function runLoginServer(opts: LoginServerOptions): Promise<StoredToken> {
  const log = opts.log ?? createLogger({ mod: 'upstox-login' });
  const now = opts.now ?? Date.now;
  const ttl = opts.stateTtlMs ?? 15 * 60_000;
  const host = opts.host ?? '0.0.0.0';
  registerSecret(opts.apiSecret);
  const states = new Map<string, number>();
  const rest = new UpstoxRest({ baseUrl: opts.apiBaseUrl, fetch: opts.fetch, maxRetries: 1, log });
  let exchanging = false;

  return new Promise<StoredToken>((resolve, reject) => {
    let redirectUri = opts.redirectUri ?? '';
    const server = createServer((req, res) => void handle(req, res));

    const finish = (err: Error | null, token?: StoredToken) => {
      server.close();
      server.closeAllConnections?.();
      if (err) reject(err);
      else resolve(token!);
    };
    opts.signal?.addEventListener('abort', () => finish(new Error('login cancelled')), { once: true });

    async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const url = new URL(req.url ?? '/', 'http://local');
      const send = (status: number, title: string, body: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
        res.end(page(title, body));
      };
      if (url.pathname === new URL(redirectUri).pathname) {
        const state = url.searchParams.get('state');
        const code = url.searchParams.get('code');
        const issued = state ? states.get(state) : undefined;
        if (!state || issued === undefined || now() - issued > ttl) {
          log.warn('login redirect refused: wrong or missing state', { hasState: Boolean(state) });
          return send(400, 'Login refused', 'The login link was not issued by this box (wrong or missing state). Start again from the login page.');
        }
        if (!code) return send(400, 'Login failed', `Upstox sent no code (${url.searchParams.get('error') ?? 'no reason given'}). Start again.`);
        if (exchanging) return send(409, 'Login in progress', 'A login is already being completed.');
        states.delete(state);
        registerSecret(code);
        exchanging = true;
        try {
          const r = await rest.exchangeCode({ code, apiKey: opts.apiKey, apiSecret: opts.apiSecret, redirectUri });
          registerSecret(r.access_token);
          const stored = storeToken(opts.stateDir, { token: r.access_token, expiresAt: oauthExpiry(now()), kind: 'oauth' });
          log.info('upstox login complete; token stored', { user: r.user_id ?? null, expiresAt: new Date(stored.expiresAt).toISOString() });
          send(200, 'Logged in', 'niftybox has a fresh Upstox token (valid until 03:30 IST). You can close this page.');
          res.on('finish', () => finish(null, stored));
        } catch (err) {
          exchanging = false;
          log.error('upstox token exchange failed', { error: err as Error });
          send(502, 'Login failed', `The token exchange failed: ${escapeHtml((err as Error).message)}. Start again from the login page.`);
        }
        return;
      }
      if (url.pathname === '/' || url.pathname === '/login') {
        const state = randomBytes(16).toString('hex');
        states.set(state, now());
        const dialog = new URL('/v2/login/authorization/dialog', opts.loginBaseUrl);
        dialog.searchParams.set('response_type', 'code');
        dialog.searchParams.set('client_id', opts.apiKey);
        dialog.searchParams.set('redirect_uri', redirectUri);
        dialog.searchParams.set('state', state);
        res.writeHead(302, { Location: dialog.toString(), 'Cache-Control': 'no-store' });
        res.end();
        return;
      }
      send(404, 'Not found', 'Open <a href="/login">/login</a> to log in to Upstox.');
    }

    server.on('error', (err) => finish(new Error(`login page could not listen on ${host}:${opts.port ?? 8080}: ${err.message}`)));
    server.listen(opts.port ?? 8080, host, () => {
      const port = (server.address() as AddressInfo).port;
      const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
      if (!redirectUri) redirectUri = `http://${shownHost}:${port}/callback`;
      const loginUrl = `http://${shownHost}:${port}/login`;
      log.info('upstox login page ready', { loginUrl, redirectUri });
      opts.onListening?.({ loginUrl, port });
    });
  });
}
