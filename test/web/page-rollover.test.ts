/**
 * Issue 27 item 2, the page through the day in Chromium (playwright-core, Debian's /usr/bin/chromium):
 * a demo of two sessions (`node dist/cli.js run --demo --sessions 2`, 2026-11-09 and, after the
 * holiday, 2026-11-11) with the page open — a forming
 * candle for the index (and the held contract) drawn from the live state between closes; at the
 * rollover to the next session the page moves to the new day by itself, without a reload; after the
 * event stream drops (a loopback TCP proxy between Chromium and the box cuts every connection, as a
 * Wi-Fi drop does) and comes back, the page re-reads everything without a
 * reload. Screenshots in test-output/web/: rollover-forming.png, rollover-before.png, rollover-after.png.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCli } from '../support/cli.js';
import { repoRoot } from '../support/shared-data.js';
import { CHROMIUM, launchChromium, watchedPage } from './browser.js';

const OUT = join(repoRoot, 'test-output', 'web');
type Hook = {
  niftybox: {
    day: string;
    loads: number;
    resyncs: number;
    forming(): {
      index: { time: number; open: number; high: number; low: number; close: number } | null;
      option: unknown;
      updates: number;
    };
  };
};

describe('the page through the day (Chromium, a two-session demo)', () => {
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let dir: string;
  let child: ChildProcess;
  let url: string;
  let proxy: Server;
  let proxyUrl: string;
  const piped = new Set<Socket>();
  let stdout = '';
  let stderr = '';

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
    if (!existsSync(builtCli)) throw new Error('run "npm run build" first');
    mkdirSync(OUT, { recursive: true });
    chromium = await launchChromium();
    dir = mkdtempSync(join(tmpdir(), 'niftybox-rollover-'));
    writeFileSync(
      join(dir, 'config.yaml'),
      [
        `stateDir: ${dir}`,
        'demo:',
        '  sessionSeconds: 60',
        // Pinned, and across a holiday: Mon 2026-11-09 (expiry, pulled forward), then Wed 11-11 after the
        // Tuesday holiday. The 41-hour night once held the demo for 6 minutes of real time (the pacer waited it out).
        '  day: "2026-11-09"',
        'mqtt:',
        '  embeddedBroker:',
        '    enabled: false',
        'web:',
        '  port: 0',
        '  bind: 127.0.0.1',
        '',
      ].join('\n'),
    );
    child = spawn(
      process.execPath,
      [builtCli, 'run', '--demo', '--sessions', '2', '--config', join(dir, 'config.yaml')],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NIFTYBOX_CONFIG: '' } },
    );
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "Page:" line from the demo within 60 s\n${stdout}\n${stderr}`)),
        60_000,
      );
      child.stdout!.on('data', (b: Buffer) => {
        stdout += b.toString();
        const m = /^Page: (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once('exit', (code) => reject(new Error(`the demo exited (${code}) before serving the page\n${stderr}`)));
    });
    // Chromium talks to the box through this proxy, so that the test can cut the page's connections.
    const target = new URL(url);
    proxy = createServer((client) => {
      const upstream = createConnection(Number(target.port), '127.0.0.1');
      for (const s of [client, upstream]) {
        piped.add(s);
        s.on('error', () => undefined);
        s.on('close', () => piped.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}/`;
  }, 90_000);

  afterAll(async () => {
    await chromium?.close();
    proxy?.close();
    for (const s of piped) s.destroy();
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('draws the forming candle, moves to the new day at the rollover, and ' +
    'resyncs after the stream drops, all without a reload', async () => {
    const { page, errors } = await watchedPage(chromium.browser, { width: 1366, height: 900 });
    let navigations = 0;
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations++;
    });
    await page.goto(proxyUrl);
    await page.waitForFunction(() => (window as unknown as Hook).niftybox?.loads > 0, null, { timeout: 60_000 });
    const firstDay = await page.evaluate(() => (window as unknown as Hook).niftybox.day);

    // The forming candle: drawn from the live state between closes, grown tick by tick.
    await page.waitForFunction(
      () => {
        const f = (window as unknown as Hook).niftybox.forming();
        return f.index !== null && f.updates >= 5 && f.index.high > f.index.low;
      },
      null,
      { timeout: 120_000 },
    );
    const bar = await page.evaluate(() => (window as unknown as Hook).niftybox.forming().index!);
    expect(bar.low).toBeLessThanOrEqual(Math.min(bar.open, bar.close));
    expect(bar.high).toBeGreaterThanOrEqual(Math.max(bar.open, bar.close));
    expect(bar.time % 300).toBe(0);
    await page.screenshot({ path: join(OUT, 'rollover-forming.png'), fullPage: true });

    // Late in the first session (after its close, before the demo jumps to the next), then the rollover.
    await page
      .waitForFunction(
        () =>
          /closed/.test(document.querySelector('#status')?.textContent ?? '') ||
          (window as unknown as Hook).niftybox.day !== '',
        null,
        { timeout: 5_000 },
      )
      .catch(() => undefined);
    await page.screenshot({ path: join(OUT, 'rollover-before.png'), fullPage: true });
    await page.waitForFunction((d) => (window as unknown as Hook).niftybox.day !== d, firstDay, { timeout: 240_000 });
    const secondDay = await page.evaluate(() => (window as unknown as Hook).niftybox.day);
    expect([firstDay, secondDay]).toEqual(['2026-11-09', '2026-11-11']);
    expect(await page.locator('#day').inputValue()).toBe(secondDay);
    await expect.poll(() => page.locator('#index-title').textContent(), { timeout: 10_000 }).toContain(secondDay);
    await page.waitForFunction(() => (window as unknown as Hook).niftybox.forming().index !== null, null, {
      timeout: 120_000,
    });
    await page.screenshot({ path: join(OUT, 'rollover-after.png'), fullPage: true });

    // The event stream drops and returns: the page re-reads state, days, the day and the equity by itself.
    for (const sock of piped) sock.destroy();
    await page.waitForFunction(() => /lost the connection/.test(document.body.textContent ?? ''), null, {
      timeout: 30_000,
    });
    await page.waitForFunction(() => (window as unknown as Hook).niftybox.resyncs >= 1, null, { timeout: 30_000 });
    expect(await page.evaluate(() => (window as unknown as Hook).niftybox.day)).toBe(secondDay);
    expect(navigations, 'no reload').toBe(1);
    expect(errors.filter((e) => !/requestfailed|ERR_INTERNET_DISCONNECTED|Failed to load resource/.test(e))).toEqual(
      [],
    );
  }, 400_000);
});
