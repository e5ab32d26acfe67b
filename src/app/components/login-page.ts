/**
 * Login page: when Upstox refuses the token (REST or feed), raises TOKEN_EXPIRED with where to log in,
 * serves the OAuth login page (live, with apiKey/apiSecret configured) until a fresh token is stored,
 * then clears the guard, restarts the feed and tells the others (the warm-up runs again).
 */
import type { LiveSession } from '../live-session.js';
import type { Component, ComponentContext } from './component.js';

export class LoginPage implements Component {
  readonly name = 'login-page';
  private loggingIn = false;

  constructor(private readonly s: LiveSession) {}

  start(ctx: ComponentContext): void {
    this.s.loop.status.loginUrl = null;
    ctx.on('tokenExpired', (err) => this.tokenExpired(ctx, err));
  }

  private tokenExpired(ctx: ComponentContext, err: Error): void {
    const { loop, o } = this.s;
    const url = o.serveLogin ? (o.loginUrl ?? null) : null;
    loop.status.loginUrl = url;
    loop.setGuard(
      'TOKEN_EXPIRED',
      true,
      'Upstox token expired or revoked: login needed' +
        (url ? ` — open ${url}` : ' ("niftybox login --token …" or "niftybox login")'),
      'error',
    );
    o.log.error('Upstox token no longer works', { error: err.message });
    if (!o.serveLogin || this.loggingIn) return;
    this.loggingIn = true;
    // The stream stopped itself on the dead token: no reconnect storm. A fresh login restarts it.
    o.serveLogin().then(
      ctx.guard(() => {
        this.loggingIn = false;
        loop.status.loginUrl = null;
        loop.setGuard('TOKEN_EXPIRED', false, 'Upstox token expired');
        o.stream.start();
        ctx.bus.emit('loggedIn');
      }),
      ctx.guard((e: Error) => {
        this.loggingIn = false;
        loop.alert('error', 'LOGIN_PAGE', `the login page could not run: ${e.message}; use "niftybox login" instead`);
      }),
    );
  }
}
