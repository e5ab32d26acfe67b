/**
 * Daily OAuth login through a small local web page: `/` (or `/login`) redirects to the Upstox
 * authorization dialog with a random `state`, remembered for 10 minutes together with a cookie it
 * gives the browser; the redirect comes back to the path of `redirectUri` with `code` and `state`;
 * a wrong, missing or expired state, or one another browser asked for, is refused; the code is
 * exchanged for a token, Upstox is asked whether it works (GET /v2/user/profile, as `login --token`
 * does), and only then is it stored (0600) with its 03:30 IST expiry. Resolves once a token is stored.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, registerSecret, type Logger } from '../../log.js';
import { UpstoxRest, type FetchLike } from './rest.js';
import { checkToken, describeRejection } from './token-check.js';
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
  /** How long an issued state stays valid. Default 10 min. */
  stateTtlMs?: number;
}

/** The cookie that ties a state to the browser that asked for it. */
export const LOGIN_COOKIE = 'niftybox_login';
/** States kept at once: a client reloading /login in a loop cannot grow the map. */
const MAX_STATES = 32;

/** The value of one cookie of a Cookie header, or null. */
export function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

const page = (title: string, body: string) =>
  `<!doctype html><html><head><meta ` +
  `charset="utf-8"><title>${title}</title></head><body ` +
  `style="font-family:sans-serif;max-width:40em;margin:3em ` +
  `auto"><h1>${title}</h1><p>${body}</p></body></html>`;

export function runLoginServer(opts: LoginServerOptions): Promise<StoredToken> {
  const log = opts.log ?? createLogger({ mod: 'upstox-login' });
  const now = opts.now ?? Date.now;
  const ttl = opts.stateTtlMs ?? 10 * 60_000;
  const host = opts.host ?? '0.0.0.0';
  registerSecret(opts.apiSecret);
  /** Issued states: when, and for which browser (its cookie). In issue order, so the first is the oldest. */
  const states = new Map<string, { issuedAt: number; browser: string }>();
  const prune = () => {
    for (const [k, v] of states) if (now() - v.issuedAt > ttl || states.size > MAX_STATES) states.delete(k);
  };
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
        prune();
        const issued = state ? states.get(state) : undefined;
        if (!state || issued === undefined) {
          log.warn('login redirect refused: wrong, missing or expired state', { hasState: Boolean(state) });
          return send(
            400,
            'Login refused',
            `The login link was not issued by this box, or is older than ${Math.round(ttl / 60_000)} ` +
              `minutes (wrong, missing or expired state). Start again from the login ` +
              `page.`,
          );
        }
        if (cookieValue(req.headers.cookie, LOGIN_COOKIE) !== issued.browser) {
          log.warn('login redirect refused: the state was issued to another browser');
          return send(
            400,
            'Login refused',
            `This login was started in another browser, or at another address of the ` +
              `box (or cookies are off). Start again at ${escapeHtml(new URL('/login', redirectUri).toString())} ` +
              `in this browser.`,
          );
        }
        if (!code)
          return send(
            400,
            'Login failed',
            `Upstox sent no code (${url.searchParams.get('error') ?? 'no reason given'}). Start again.`,
          );
        if (exchanging) return send(409, 'Login in progress', 'A login is already being completed.');
        states.delete(state);
        registerSecret(code);
        exchanging = true;
        try {
          const r = await rest.exchangeCode({ code, apiKey: opts.apiKey, apiSecret: opts.apiSecret, redirectUri });
          registerSecret(r.access_token);
          const check = await checkToken(opts.apiBaseUrl, r.access_token);
          if (check.verdict === 'rejected') {
            exchanging = false;
            log.error('upstox login: Upstox rejected the new token; not stored', { why: describeRejection(check) });
            return send(
              502,
              'Login failed',
              `Upstox rejected the new token: ${escapeHtml(describeRejection(check))}. ` +
                `Nothing was stored. Start again from the login page.`,
            );
          }
          if (check.verdict === 'unchecked')
            log.warn('upstox login: could not check the new token with Upstox; storing it', { why: check.why });
          const stored = storeToken(opts.stateDir, {
            token: r.access_token,
            expiresAt: oauthExpiry(now()),
            kind: 'oauth',
          });
          log.info('upstox login complete; token stored', {
            user: r.user_id ?? null,
            expiresAt: new Date(stored.expiresAt).toISOString(),
          });
          send(200, 'Logged in', 'niftybox has a fresh Upstox token (valid until 03:30 IST). You can close this page.');
          res.on('finish', () => finish(null, stored));
        } catch (err) {
          exchanging = false;
          log.error('upstox token exchange failed', { error: err as Error });
          send(
            502,
            'Login failed',
            `The token exchange failed: ${escapeHtml((err as Error).message)}. Start again from the login page.`,
          );
        }
        return;
      }
      if (url.pathname === '/' || url.pathname === '/login') {
        prune();
        const known = cookieValue(req.headers.cookie, LOGIN_COOKIE);
        const browser = known && /^[0-9a-f]{32}$/.test(known) ? known : randomBytes(16).toString('hex');
        const state = randomBytes(16).toString('hex');
        states.set(state, { issuedAt: now(), browser });
        const dialog = new URL('/v2/login/authorization/dialog', opts.loginBaseUrl);
        dialog.searchParams.set('response_type', 'code');
        dialog.searchParams.set('client_id', opts.apiKey);
        dialog.searchParams.set('redirect_uri', redirectUri);
        dialog.searchParams.set('state', state);
        res.writeHead(302, {
          Location: dialog.toString(),
          'Cache-Control': 'no-store',
          'Set-Cookie': `${LOGIN_COOKIE}=${browser}; Path=/; Max-Age=${Math.round(ttl / 1000)}; HttpOnly; SameSite=Lax`,
        });
        res.end();
        return;
      }
      send(404, 'Not found', 'Open <a href="/login">/login</a> to log in to Upstox.');
    }

    server.on('error', (err) =>
      finish(new Error(`login page could not listen on ${host}:${opts.port ?? 8080}: ${err.message}`)),
    );
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
