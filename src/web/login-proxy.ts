/**
 * One HTTP server for the page and the login page: when the box's page already listens on the
 * login port, the OAuth login page (feed/upstox/login.ts, unchanged) runs on a loopback port of
 * its own and the page's server passes `/login` and the redirect path through to it.
 */
import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import { runLoginServer, type LoginServerOptions } from '../feed/upstox/index.js';
import type { Logger } from '../log.js';

export interface LoginRoute {
  /** Paths passed through (the login page and the OAuth redirect). */
  paths: Set<string>;
  port: number;
}

/** The page's servers of this process, by port, so the login flow can find the one on its port. */
const servers = new Map<number, { setLoginRoute(route: LoginRoute | null): void }>();

export function registerPageServer(
  port: number,
  server: { setLoginRoute(route: LoginRoute | null): void },
): () => void {
  servers.set(port, server);
  return () => {
    if (servers.get(port) === server) servers.delete(port);
  };
}

export function pageServerOn(port: number) {
  return servers.get(port) ?? null;
}

/** Serves the login page through the page's server on `port`; resolves once a fresh token is stored. */
export async function serveLoginThroughPage(
  port: number,
  opts: Omit<LoginServerOptions, 'onListening'>,
  log: Logger,
): Promise<void> {
  const page = pageServerOn(port);
  if (!page) throw new Error(`no page server on port ${port}`);
  const redirectUri = opts.redirectUri ?? `http://localhost:${port}/callback`;
  try {
    await runLoginServer({
      ...opts,
      redirectUri,
      host: '127.0.0.1',
      port: 0,
      log,
      onListening: (info) =>
        page.setLoginRoute({ paths: new Set(['/login', new URL(redirectUri).pathname]), port: info.port }),
    });
  } finally {
    page.setLoginRoute(null);
  }
}

/** Passes one request through to the login server on loopback. */
export function proxyToLogin(req: IncomingMessage, res: ServerResponse, port: number): void {
  const up = request(
    {
      host: '127.0.0.1',
      port,
      path: req.url,
      method: req.method,
      headers: { ...req.headers, host: `127.0.0.1:${port}` },
    },
    (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    },
  );
  up.on('error', (err) => {
    if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`the login page is not answering: ${err.message}\n`);
  });
  req.pipe(up);
}
