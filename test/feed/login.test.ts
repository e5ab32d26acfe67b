import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { istTime } from '../../src/core/time.js';
import { NIFTY_INDEX_KEY } from '../../src/core/types.js';
import { runLoginServer } from '../../src/feed/upstox/login.js';
import { UpstoxRest } from '../../src/feed/upstox/rest.js';
import { MarketDataStream } from '../../src/feed/upstox/stream.js';
import {
  loadToken,
  oauthExpiry,
  readStoredToken,
  storeAnalyticsToken,
  tokenPath,
} from '../../src/feed/upstox/token-store.js';
import { createLogger } from '../../src/log.js';
import type { FakeUpstox } from '../../src/sim/fake-upstox.js';
import { rejectToken } from '../../src/sim/fake-behaviours.js';
import { fakeAt, quietLogs } from './helpers/fake.js';

let fake: FakeUpstox;
let logs: string[];

beforeAll(async () => {
  logs = quietLogs();
  ({ fake } = await fakeAt('2025-11-10', '11:00', { token: 'oauth-token-abcdef123456' }));
});
afterAll(() => fake.close());

/** A browser's requests: its cookies go back to the host that set them (one jar per browser). */
function browser() {
  const jar = new Map<string, string>();
  return async (url: string) => {
    const host = new URL(url).host;
    const r = await fetch(url, { redirect: 'manual', headers: jar.has(host) ? { Cookie: jar.get(host)! } : {} });
    const set = r.headers.get('set-cookie');
    if (set) jar.set(host, set.split(';')[0]!);
    return r;
  };
}
const get = browser();

function startLogin(stateDir: string, now?: () => number) {
  let loginUrl = '';
  let result!: Promise<Awaited<ReturnType<typeof runLoginServer>>>;
  const ready = new Promise<void>((resolve) => {
    const done = runLoginServer({
      stateDir,
      apiKey: fake.apiKey,
      apiSecret: fake.apiSecret,
      loginBaseUrl: fake.loginBaseUrl,
      apiBaseUrl: fake.apiBaseUrl,
      host: '127.0.0.1',
      port: 0,
      now,
      onListening: (i) => ((loginUrl = i.loginUrl), resolve()),
    });
    result = done;
  });
  return { ready, url: () => loginUrl, result: () => result };
}

describe('OAuth login through the local page', () => {
  it('full flow: login page → Upstox dialog → callback → token stored 0600, never logged', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'nbx-login-'));
    const login = startLogin(stateDir);
    await login.ready;

    const toDialog = await get(login.url());
    expect(toDialog.status).toBe(302);
    const dialog = new URL(toDialog.headers.get('location')!);
    expect(dialog.origin + dialog.pathname).toBe(`${fake.loginBaseUrl}/v2/login/authorization/dialog`);
    expect(dialog.searchParams.get('client_id')).toBe(fake.apiKey);
    expect(dialog.searchParams.get('state')).toMatch(/^[0-9a-f]{32}$/);

    const toCallback = await get(dialog.toString());
    expect(toCallback.status).toBe(302);
    const callback = toCallback.headers.get('location')!;
    expect(callback).toContain('code=');

    const done = await get(callback);
    expect(done.status).toBe(200);
    const stored = await login.result();
    expect(stored.token).toBe(fake.token);
    expect(stored.kind).toBe('oauth');
    expect(stored.expiresAt).toBe(oauthExpiry(Date.now()));

    expect(statSync(tokenPath(stateDir)).mode & 0o777).toBe(0o600);
    expect(readStoredToken(stateDir)).toEqual(stored);
    expect(JSON.parse(readFileSync(tokenPath(stateDir), 'utf8')).token).toBe(fake.token);

    // Log something that contains the token, as a careless caller might: it must be masked.
    createLogger().info(`using token ${fake.token}`, { header: `Bearer ${fake.token}` });
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.join('\n')).not.toContain(fake.token);
  });

  it('a forged or missing state is refused and no token is stored', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'nbx-login-'));
    const login = startLogin(stateDir);
    await login.ready;
    const dialog = new URL((await get(login.url())).headers.get('location')!);
    dialog.searchParams.set('state', 'forged-state-0000');
    const callback = (await get(dialog.toString())).headers.get('location')!;
    const refused = await get(callback);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/wrong, missing or expired state/);
    const missing = new URL(callback);
    missing.searchParams.delete('state');
    expect((await get(missing.toString())).status).toBe(400);
    expect(readStoredToken(stateDir)).toBeNull();

    // The genuine state still completes the login afterwards.
    const real = new URL((await get(login.url())).headers.get('location')!);
    const cb = (await get(real.toString())).headers.get('location')!;
    expect((await get(cb)).status).toBe(200);
    expect((await login.result()).token).toBe(fake.token);
  });

  it(
    'a state is tied to the browser that asked for it (a cookie): the same ' +
      'callback from another browser, or without the cookie, is refused',
    async () => {
      const stateDir = mkdtempSync(join(tmpdir(), 'nbx-login-'));
      const login = startLogin(stateDir);
      await login.ready;
      const victim = browser();
      const attacker = browser();
      const toDialog = await victim(login.url());
      expect(toDialog.headers.get('set-cookie')).toMatch(
        /^niftybox_login=[0-9a-f]{32}; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax$/,
      );
      const callback = (await victim(toDialog.headers.get('location')!)).headers.get('location')!;
      for (const other of [attacker, (u: string) => fetch(u, { redirect: 'manual' })]) {
        const refused = await other(callback);
        expect(refused.status).toBe(400);
        expect(await refused.text()).toMatch(/started in another browser/);
      }
      expect(readStoredToken(stateDir)).toBeNull();
      expect((await victim(callback)).status).toBe(200);
      expect((await login.result()).token).toBe(fake.token);
    },
  );

  it('a state expires after 10 minutes', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'nbx-login-'));
    let t = Date.now();
    const login = startLogin(stateDir, () => t);
    await login.ready;
    const me = browser();
    const stale = (await me((await me(login.url())).headers.get('location')!)).headers.get('location')!;
    t += 10 * 60_000 + 1;
    const refused = await me(stale);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/older than 10 minutes/);
    const fresh = (await me((await me(login.url())).headers.get('location')!)).headers.get('location')!;
    expect((await me(fresh)).status).toBe(200);
    await login.result();
  });

  it("a new token Upstox rejects (profile check) is not stored, and the page shows Upstox's message", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'nbx-login-'));
    const login = startLogin(stateDir);
    await login.ready;
    const me = browser();
    const callback = (await me((await me(login.url())).headers.get('location')!)).headers.get('location')!;
    fake.use(rejectToken());
    try {
      const failed = await me(callback);
      expect(failed.status).toBe(502);
      const text = await failed.text();
      expect(text).toMatch(/Upstox rejected the new token: .*401 UDAPI100050/);
      expect(text).toMatch(/Nothing was stored/);
      expect(readStoredToken(stateDir)).toBeNull();
    } finally {
      fake.behave();
    }
    const again = (await me((await me(login.url())).headers.get('location')!)).headers.get('location')!;
    expect((await me(again)).status).toBe(200);
    expect((await login.result()).token).toBe(fake.token);
  });

  it('OAuth tokens expire at 03:30 IST the next morning (or the same morning before 03:30)', () => {
    expect(oauthExpiry(istTime('2025-11-10', '20:00'))).toBe(istTime('2025-11-11', '03:30'));
    expect(oauthExpiry(istTime('2025-11-11', '02:30'))).toBe(istTime('2025-11-11', '03:30'));
    expect(oauthExpiry(istTime('2025-11-11', '09:00'))).toBe(istTime('2025-11-12', '03:30'));
  });
});

describe('analytics token', () => {
  it('from config / NIFTYBOX_UPSTOX_TOKEN works end to end against the fake (REST and feed)', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'nbx-an-'));
    const config = parseConfig(
      { stateDir, upstox: { apiBaseUrl: fake.apiBaseUrl } },
      { NIFTYBOX_UPSTOX_TOKEN: fake.token },
    );
    const tok = loadToken(config)!;
    expect(tok).toMatchObject({ token: fake.token, kind: 'analytics' });
    expect(tok.expiresAt).toBeGreaterThan(Date.now() + 300 * 86_400_000);
    const rest = new UpstoxRest({ baseUrl: config.upstox.apiBaseUrl, token: () => loadToken(config)?.token });
    expect((await rest.ltp([NIFTY_INDEX_KEY])).get(NIFTY_INDEX_KEY)!.ltp).toBeGreaterThan(0);

    const stream = new MarketDataStream({ feedUrl: fake.feedUrl, token: tok.token });
    const tick = new Promise((resolve) => stream.on('tick', resolve));
    stream.start();
    stream.subscribe([NIFTY_INDEX_KEY], 'ltpc');
    expect(await tick).toMatchObject({ instrumentKey: NIFTY_INDEX_KEY, initial: true });
    stream.stop();
  });

  it('stored by `login --token` (0600), loaded when no config token, ignored once expired', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'nbx-an-'));
    storeAnalyticsToken(stateDir, `  ${fake.token}\n`);
    expect(statSync(tokenPath(stateDir)).mode & 0o777).toBe(0o600);
    const config = parseConfig({ stateDir }, {});
    expect(loadToken(config)).toMatchObject({ token: fake.token, kind: 'analytics' });
    storeAnalyticsToken(stateDir, fake.token, Date.now() - 1000);
    expect(loadToken(config)).toBeNull();
    expect(readStoredToken(stateDir)!.expiresAt).toBeLessThan(Date.now());
    expect(() => storeAnalyticsToken(stateDir, '  ')).toThrow(/empty analytics token/);
  });

  it('reads a JWT exp claim as the expiry', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'nbx-an-'));
    const exp = Math.floor(Date.now() / 1000) + 86_400;
    const jwt = ['e30', Buffer.from(JSON.stringify({ sub: 'AB1234', exp })).toString('base64url'), 'sig'].join('.');
    expect(storeAnalyticsToken(stateDir, jwt).expiresAt).toBe(exp * 1000);
  });
});
