/**
 * The verification page in a real browser (Debian's Chromium via playwright-core): the page of a
 * running demo (`node dist/cli.js run --demo` as a subprocess) and the offline backtest HTML of
 * the shared data. Screenshots land in test-output/web/ (gitignored).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCli, runCli } from '../support/cli.js';
import { hasSharedData, indexCsv, noSharedDataReason, optionsCsv, repoRoot } from '../support/shared-data.js';
import { CHROMIUM, launchChromium, watchedPage } from './browser.js';
import type { Page } from 'playwright-core';
import Database from 'better-sqlite3';

const OUT = join(repoRoot, 'test-output', 'web');
const IST_S = 19_800;
const bucketIst = (iso: string) => Math.floor(Date.parse(iso) / 1000 / 300) * 300 + IST_S;

interface Trade {
  id: number;
  side: 'CE' | 'PE';
  entryTime: string;
  entryPrice: number;
  exitTime: string;
  exitPrice: number;
  reason: string;
}
interface Marker {
  id?: string;
  time: number;
  price?: number;
  text?: string;
}

/** The markers a day's trades must put on the CE and PE charts: one entry and one exit each, at the fill. */
function expectedMarkers(trades: Trade[]) {
  const m: Record<'CE' | 'PE', { id: string; time: number; price: number; label: string }[]> = { CE: [], PE: [] };
  for (const t of trades) {
    m[t.side].push({ id: `T${t.id}:entry`, time: bucketIst(t.entryTime), price: t.entryPrice, label: 'BUY' });
    m[t.side].push({ id: `T${t.id}:exit`, time: bucketIst(t.exitTime), price: t.exitPrice, label: t.reason });
  }
  const sort = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
  return { CE: m.CE.sort(sort), PE: m.PE.sort(sort) };
}

async function shownMarkers(page: Page) {
  const m = (await page.evaluate(() =>
    (window as unknown as { niftybox: { markers(): Record<'CE' | 'PE', Marker[]> } }).niftybox.markers(),
  )) as Record<'CE' | 'PE', Marker[]>;
  const closed = (xs: Marker[]) =>
    xs
      .filter((x) => x.id?.startsWith('T'))
      .map((x) => ({ id: x.id!, time: x.time, price: x.price!, label: x.text!.split(' ')[0]! }))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  return { CE: closed(m.CE), PE: closed(m.PE), open: [...m.CE, ...m.PE].filter((x) => !x.id?.startsWith('T')) };
}

const hook = <T>(page: Page, expr: string) => page.evaluate(`window.niftybox.${expr}`) as Promise<T>;

/** The demo's first session, pinned (seed 25: 7 trades, the first entry at 09:35), whatever today is. */
const DEMO_DAY = '2026-12-07';

describe('the page in Chromium', () => {
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
    if (!existsSync(builtCli)) throw new Error('run "npm run build" first');
    mkdirSync(OUT, { recursive: true });
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
  });

  describe('a running demo', () => {
    let dir: string;
    let child: ChildProcess;
    let url: string;
    let stdout = '';
    let stderr = '';
    const cfg = () => join(dir, 'config.yaml');
    // A demo keeps a ledger of its own beside the live box's (demo isolation): <stateDir>/demo.db.
    const demoDb = () => join(dir, 'demo.db');

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'niftybox-web-'));
      writeFileSync(
        cfg(),
        [
          `stateDir: ${dir}`,
          'demo:',
          '  sessionSeconds: 90',
          `  day: "${DEMO_DAY}"`,
          'mqtt:',
          '  embeddedBroker:',
          '    enabled: false',
          'web:',
          '  port: 0',
          '  bind: 127.0.0.1',
          '',
        ].join('\n'),
      );
      child = spawn(process.execPath, [builtCli, 'run', '--demo', '--sessions', '2', '--config', cfg()], {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NIFTYBOX_CONFIG: '' },
      });
      child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
      url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no "Page:" line from the demo within 30 s\n${stdout}\n${stderr}`)),
          30_000,
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
    }, 60_000);

    afterAll(async () => {
      if (child && child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('shows the day live: a new trade appears without a reload, markers equal ' +
      'the trades, Halt halts, no Resume', async () => {
      const { page, errors } = await watchedPage(chromium.browser, { width: 1366, height: 900 });
      let navigations = 0;
      page.on('framenavigated', (f) => {
        if (f === page.mainFrame()) navigations++;
      });
      await page.goto(url);
      await page.waitForFunction(
        () => ((window as unknown as { niftybox?: { loads: number } }).niftybox?.loads ?? 0) > 0,
        null,
        { timeout: 30_000 },
      );
      const day = await hook<string>(page, 'day');
      const before = (await hook<Trade[]>(page, 'trades')).length;
      await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));

      // A trade closes in the demo while the page is open: it arrives over SSE, with no reload.
      await page.waitForFunction(
        (n) => (window as unknown as { niftybox: { trades: unknown[] } }).niftybox.trades.length > n,
        before,
        { timeout: 150_000 },
      );
      expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
      expect(navigations).toBe(1);
      const rows = await page.locator('#trades tbody tr[data-id]').count();
      expect(rows).toBe((await hook<Trade[]>(page, 'trades')).length);

      // Halt from the page; the box halts (its control socket and its ledger say so); no Resume is offered.
      await page.screenshot({ path: join(OUT, 'demo-desktop-trading.png'), fullPage: true });
      if (process.env.NIFTYBOX_DOCS_SCREENSHOT) {
        // The README's picture (docs/page.png): the page while trading, markers in view.
        await page.setViewportSize({ width: 1200, height: 1180 });
        await page.waitForTimeout(500);
        await page.screenshot({ path: join(repoRoot, 'docs', 'page.png') });
        await page.setViewportSize({ width: 1366, height: 900 });
      }
      await page.click('#halt');
      await page.waitForFunction(() => document.querySelector('#status-pill')?.textContent === 'HALTED', null, {
        timeout: 10_000,
      });
      const status = runCli(['status', '--json', '--config', cfg()], { env: { ...process.env, NIFTYBOX_CONFIG: '' } });
      expect(status.code, status.stderr).toBe(0);
      const st = JSON.parse(status.stdout);
      expect(st.trading).toBe('halted');
      expect(st.haltReason).toBe('halted from the page');
      expect(
        await page
          .locator('button, a, input')
          .filter({ hasText: /resume/i })
          .count(),
      ).toBe(0);
      expect(await page.locator('#resume').count()).toBe(0);

      // The halt exits the open position; once flat the day's trades are final.
      await expect
        .poll(async () => (await (await fetch(`${url}api/state`)).json()).position, { timeout: 30_000, interval: 300 })
        .toBeNull();
      const apiDay = (await (await fetch(`${url}api/day/${day}`)).json()) as {
        trades: Trade[];
        index: { candles: number[][]; series: Record<string, (number | null)[]> };
        strategy: { name: string };
      };
      const report = runCli(['report', '--json', '--from', day, '--to', day, '--config', cfg(), '--db', demoDb()], {
        env: { ...process.env, NIFTYBOX_CONFIG: '' },
      });
      expect(report.code, report.stderr).toBe(0);
      expect(JSON.parse(report.stdout).summary.halted).toBe(true);
      expect(apiDay.trades).toEqual(JSON.parse(report.stdout).trades);
      expect(apiDay.trades.length).toBeGreaterThan(before);

      // The indicators drawn are the ones V25 decided on: every signal in the ledger names the same EMA / histogram /
      // CHOP.
      expect(apiDay.strategy.name).toBe('v25');
      const db = new Database(demoDb(), { readonly: true });
      const signals = (
        db.prepare('SELECT candle_ts AS ts, readings FROM signals').all() as { ts: number; readings: string }[]
      ).map((r) => ({ ts: r.ts, ...(JSON.parse(r.readings) as { ema: number; hist: number; chop: number }) }));
      db.close();
      const at = new Map(apiDay.index.candles.map((c, i) => [c[0]! * 1000, i]));
      const onDay = signals.filter((s) => at.has(s.ts));
      expect(onDay.length).toBeGreaterThan(0);
      for (const s of onDay) {
        const i = at.get(s.ts)!;
        expect(apiDay.index.series.ema![i]).toBeCloseTo(s.ema, 1);
        expect(apiDay.index.series.hist![i]).toBeCloseTo(s.hist, 2);
        expect(apiDay.index.series.chop![i]).toBeCloseTo(s.chop, 1);
      }

      // The charts hold exactly one entry and one exit marker per trade of the day, at the fill prices.
      await page.waitForFunction(
        (n) => (window as unknown as { niftybox: { trades: unknown[] } }).niftybox.trades.length === n,
        apiDay.trades.length,
        { timeout: 10_000 },
      );
      const shown = await shownMarkers(page);
      expect({ CE: shown.CE, PE: shown.PE }).toEqual(expectedMarkers(apiDay.trades));
      expect(shown.open).toEqual([]);

      await page.screenshot({ path: join(OUT, 'demo-desktop.png'), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(500);
      await page.screenshot({ path: join(OUT, 'demo-phone.png'), fullPage: true });
      expect(errors).toEqual([]);
    }, 240_000);

    it("report --html of the running box's ledger: one offline file whose day shows that day's trades", async () => {
      const file = join(dir, 'report.html');
      const r = runCli(['report', '--html', file, '--json', '--config', cfg(), '--db', demoDb()], {
        env: { ...process.env, NIFTYBOX_CONFIG: '' },
      });
      expect(r.code, r.stderr).toBe(0);
      const trades = JSON.parse(r.stdout).trades as (Trade & { day: string })[];
      expect(trades.length).toBeGreaterThan(0);
      const day = trades[0]!.day;
      const { page, errors, requests } = await watchedPage(chromium.browser, { width: 1366, height: 900 });
      await page.goto(pathToFileURL(file).href);
      await page.waitForFunction(
        () => ((window as unknown as { niftybox?: { loads: number } }).niftybox?.loads ?? 0) > 0,
        null,
        { timeout: 30_000 },
      );
      expect(await hook<string>(page, 'day')).toBe(day);
      const dayTrades = trades.filter((t) => t.day === day);
      expect(await hook<Trade[]>(page, 'trades')).toEqual(dayTrades);
      const shown = await shownMarkers(page);
      expect({ CE: shown.CE, PE: shown.PE }).toEqual(expectedMarkers(dayTrades));
      expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
      expect(errors).toEqual([]);
      await page.close();
    }, 60_000);

    it('POSTs only from the page itself: no Origin, another origin or no CSRF ' +
      'token → 403; resume is refused', async () => {
      const html = await (await fetch(url)).text();
      const token = /<meta name="csrf-token" content="([^"]+)">/.exec(html)![1]!;
      const origin = url.replace(/\/$/, '');
      const post = (path: string, headers: Record<string, string>) =>
        fetch(`${url}${path}`, { method: 'POST', headers });
      expect((await post('api/halt', { 'X-CSRF-Token': token })).status).toBe(403);
      expect((await post('api/halt', { Origin: 'http://evil.example', 'X-CSRF-Token': token })).status).toBe(403);
      expect((await post('api/halt', { Origin: origin })).status).toBe(403);
      expect((await post('api/halt', { Origin: origin, 'X-CSRF-Token': 'x' + token.slice(1) })).status).toBe(403);
      const resume = await post('api/resume', { Origin: origin, 'X-CSRF-Token': token });
      expect(resume.status).toBe(403);
      expect((await resume.json()).error).toMatch(/web\.allowRemoteResume is false/);
      const st = runCli(['status', '--json', '--config', cfg()], { env: { ...process.env, NIFTYBOX_CONFIG: '' } });
      expect(JSON.parse(st.stdout).trading).toBe('halted');
    }, 60_000);
  });

  describe.skipIf(!hasSharedData)(
    `the backtest HTML of the shared data${hasSharedData ? '' : ` (${noSharedDataReason})`}`,
    () => {
      it('is one offline file of a few MB; a day shows exactly its trades as ' +
        'markers; clicking a trade centres the charts', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'niftybox-html-'));
        try {
          const file = join(dir, 'backtest.html');
          const r = runCli(['backtest', '--index', indexCsv, '--options', optionsCsv, '--html', file, '--json']);
          expect(r.code, r.stderr).toBe(0);
          const trades = JSON.parse(r.stdout).trades as (Trade & { day: string })[];
          const size = statSync(file).size;
          console.log(`backtest HTML: ${(size / 1048576).toFixed(2)} MB for ${trades.length} trades`);
          expect(size).toBeLessThan(5 * 1048576);
          const html = readFileSync(file, 'utf8');
          expect(
            /<script[^>]+\bsrc=|<link[^>]+\bhref="(?!data:)/i.test(html),
            'the file loads nothing from elsewhere',
          ).toBe(false);

          const { page, errors, requests } = await watchedPage(chromium.browser, { width: 1366, height: 900 });
          const started = Date.now();
          await page.goto(pathToFileURL(file).href);
          await page.waitForFunction(
            () => ((window as unknown as { niftybox?: { loads: number } }).niftybox?.loads ?? 0) > 0,
            null,
            { timeout: 30_000 },
          );
          console.log(`backtest HTML: first day drawn ${Date.now() - started} ms after navigation`);
          expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);

          // The busiest day: its markers are its trades, entry and exit each.
          const byDay = new Map<string, typeof trades>();
          for (const t of trades) byDay.set(t.day, [...(byDay.get(t.day) ?? []), t]);
          const [day, dayTrades] = [...byDay.entries()].sort((a, b) => b[1].length - a[1].length)[0]!;
          const loads = await hook<number>(page, 'loads');
          await page.selectOption('#day', day);
          await page.waitForFunction(
            (n) => (window as unknown as { niftybox: { loads: number } }).niftybox.loads > n,
            loads,
          );
          expect(await hook<string>(page, 'day')).toBe(day);
          expect(await hook<Trade[]>(page, 'trades')).toEqual(dayTrades);
          const shown = await shownMarkers(page);
          expect({ CE: shown.CE, PE: shown.PE }).toEqual(expectedMarkers(dayTrades));
          expect(await page.locator('#trades tbody tr[data-id]').count()).toBe(dayTrades.length);

          // Clicking a trade of another day brings that day and centres its charts on the trade.
          const other = trades.find((t) => t.day !== day)!;
          await page.click(`#all-trades tr[data-id="${other.id}"]`);
          await page.waitForFunction(
            (d) => (window as unknown as { niftybox: { day: string } }).niftybox.day === d,
            other.day,
          );
          const range = await hook<{ from: number; to: number }>(page, 'visibleRange()');
          expect(range.from).toBeLessThanOrEqual(bucketIst(other.entryTime));
          expect(range.to).toBeGreaterThanOrEqual(bucketIst(other.exitTime));
          expect(range.to - range.from).toBeLessThan(6 * 3600);

          await page.screenshot({ path: join(OUT, 'backtest-desktop.png'), fullPage: true });
          await page.setViewportSize({ width: 390, height: 844 });
          await page.waitForTimeout(500);
          await page.screenshot({ path: join(OUT, 'backtest-phone.png'), fullPage: true });
          expect(errors).toEqual([]);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }, 180_000);

      it.each([
        [
          'confluence',
          ['supertrend', 'ema', 'rsi'],
          /strategy confluence: · SUPERTREND · EMA · RSI with the rsiBuy line/,
        ],
        ['ema-cross', ['fast', 'slow'], /strategy ema-cross: · FAST · SLOW$/],
      ] as const)(
        "backtest --strategy %s --html draws that strategy's indicators",
        async (name, readings, legend) => {
          const dir = mkdtempSync(join(tmpdir(), 'niftybox-html-'));
          try {
            const file = join(dir, `${name}.html`);
            const r = runCli([
              'backtest',
              '--index',
              indexCsv,
              '--options',
              optionsCsv,
              '--from',
              '2025-06-02',
              '--to',
              '2025-06-06',
              '--strategy',
              name,
              '--html',
              file,
            ]);
            expect(r.code, r.stderr).toBe(0);
            const { page, errors } = await watchedPage(chromium.browser, { width: 1366, height: 900 });
            await page.goto(pathToFileURL(file).href);
            await page.waitForFunction(
              () => ((window as unknown as { niftybox?: { loads: number } }).niftybox?.loads ?? 0) > 0,
              null,
              { timeout: 30_000 },
            );
            expect(await page.locator('#index-legend').textContent()).toMatch(legend);
            // Each reading is drawn as a series of the index chart, with values on the day's candles.
            const html = readFileSync(file, 'utf8');
            for (const reading of readings) expect(html).toContain(`"${reading}":[`);
            await page.screenshot({ path: join(OUT, `backtest-${name}.png`), fullPage: true });
            expect(errors).toEqual([]);
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
        60_000,
      );
    },
  );
});
