import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAppliance } from '../../src/app.js';
import { startDemo } from '../../src/app/demo.js';
import { parseConfig } from '../../src/config.js';
import { MarketCalendar } from '../../src/core/calendar.js';
import { dayPlan, dueBetween, phaseAt } from '../../src/core/schedule.js';
import { istIso, istTime } from '../../src/core/time.js';
import { createLogger, setLogSink } from '../../src/log.js';
import { Ledger } from '../../src/store/ledger.js';
import { runCli } from '../support/cli.js';
import { hasSharedData, indexCsv, noSharedDataReason, optionsCsv } from '../support/shared-data.js';

const cal = new MarketCalendar();
const tmp = () => mkdtempSync(join(tmpdir(), 'niftybox-sched-'));

describe('the day plan (virtual clock, pure)', () => {
  it('a holiday has nothing due; a normal day has warm-up, open, close, report', () => {
    expect(dueBetween(cal, istTime('2026-11-24', '00:00'), istTime('2026-11-24', '23:59'))).toEqual([]);
    expect(phaseAt(cal, istTime('2026-11-24', '10:00'))).toBe('holiday');
    const plan = (d: string) =>
      dueBetween(cal, istTime(d, '00:00'), istTime(d, '23:59')).map((e) => [e.phase, istIso(e.at).slice(11, 16)]);
    expect(plan('2025-11-24')).toEqual([
      ['warmup', '08:45'],
      ['open', '09:15'],
      ['close', '15:30'],
      ['report', '15:40'],
    ]);
    expect(plan('2026-11-23')).toEqual([
      ['warmup', '08:45'],
      ['open', '09:15'],
      ['close', '15:40'],
      ['report', '15:50'],
    ]);
  });

  it('the Muhurat session runs 13:45–14:45; a session after 2026-08-03 closes at 15:40', () => {
    expect(dayPlan(cal, '2025-10-21').map((e) => istIso(e.at).slice(11, 16))).toEqual([
      '13:15',
      '13:45',
      '14:45',
      '14:55',
    ]);
    expect(dayPlan(cal, '2026-08-04').find((e) => e.phase === 'close')!.at).toBe(istTime('2026-08-04', '15:40'));
    expect(phaseAt(cal, istTime('2026-08-04', '15:35'))).toBe('open');
  });
});

describe.skipIf(!hasSharedData)(
  `replay across the Diwali week${hasSharedData ? '' : ` (${noSharedDataReason})`}`,
  () => {
    it('trades the Muhurat hour only inside 13:45–14:45 and nothing on the holidays', () => {
      const db = join(tmp(), 'diwali.db');
      const r = runCli([
        'run',
        '--replay',
        `${indexCsv},${optionsCsv}`,
        '--from',
        '2025-10-17',
        '--to',
        '2025-10-24',
        '--db',
        db,
      ]);
      expect(r.code, r.stderr).toBe(0);
      const trades = JSON.parse(runCli(['report', '--db', db, '--json']).stdout).trades as {
        day: string;
        entryTime: string;
        exitTime: string;
        reason: string;
      }[];
      expect(trades.filter((t) => t.day === '2025-10-22')).toEqual([]);
      const muhurat = trades.filter((t) => t.day === '2025-10-21');
      expect(muhurat.length).toBeGreaterThan(0);
      for (const t of muhurat) {
        expect(t.entryTime >= '2025-10-21T13:45:00+05:30' && t.entryTime < '2025-10-21T14:45:00+05:30').toBe(true);
        expect(t.exitTime <= '2025-10-21T14:45:00+05:30').toBe(true);
      }
    });
  },
);

/** One simulated session through the fake exchange and the real client, on a virtual clock. */
async function demoSession(day: string, extra: { clockSynced?: boolean; risk?: object } = {}) {
  const dir = tmp();
  const lines: string[] = [];
  setLogSink((l) => lines.push(l));
  const config = parseConfig(
    {
      db: join(dir, 'l.db'),
      stateDir: dir,
      demo: { sessionSeconds: 12, seed: 7 },
      mqtt: { embeddedBroker: { enabled: false } },
      device: { display: { kind: 'none' }, button: { simulated: true }, buzzer: { simulated: true } },
      ...(extra.risk ? { risk: extra.risk } : {}),
    },
    {},
  );
  const log = createLogger({ test: day });
  const calendar = new MarketCalendar();
  const demo = await startDemo({
    config,
    calendar,
    log,
    sessions: 1,
    day,
    clockSync: async () => ({ synced: extra.clockSynced ?? true, detail: 'test' }),
  });
  const app = await startAppliance({ config, log, source: demo.source });
  const code = await app.done;
  await demo.close();
  const ledger = Ledger.open(join(dir, 'l.db'), { log, readonly: true });
  const result = {
    code,
    trades: ledger.trades(),
    alerts: ledger.alerts(500),
    signals: ledger.signals(),
    halts: ledger.haltHistory(),
    lines,
  };
  ledger.close();
  return result;
}

describe('schedule and guards on the simulated exchange (virtual clock)', () => {
  it('a session after 2026-08-03 closes at 15:40 (and reports at 15:50)', async () => {
    const r = await demoSession('2026-08-04');
    expect(r.code).toBe(0);
    const logged = r.lines.map((l) => JSON.parse(l));
    expect(logged.find((l) => l.msg === 'schedule: close')?.at).toBe('2026-08-04T15:40:00+05:30');
    expect(logged.find((l) => l.msg === 'schedule: report')?.at).toBe('2026-08-04T15:50:00+05:30');
    expect(r.alerts.some((a) => a.code === 'DAILY_REPORT')).toBe(true);
    for (const t of r.trades) expect(t.exitTime).toBeLessThanOrEqual(istTime('2026-08-04', '15:40'));
  }, 90_000);

  it('an unsynced clock blocks every entry and raises an alert; decisions are logged as blocked', async () => {
    const r = await demoSession('2026-08-05', { clockSynced: false });
    expect(r.alerts.some((a) => a.code === 'CLOCK_UNSYNCED')).toBe(true);
    expect(r.trades).toEqual([]);
    const entries = r.signals.filter((s) => s.kind === 'entry');
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((s) => s.action === 'blocked' && s.blockedBy!.includes('CLOCK_UNSYNCED'))).toBe(true);
  }, 90_000);

  it('the daily loss limit halts automatically', async () => {
    const r = await demoSession('2026-08-06', { risk: { dailyLossLimit: 1 } });
    const firstLoss = r.trades.find((t) => t.netPnl < 0);
    if (!firstLoss) throw new Error('the seeded session had no losing trade: pick another seed or day');
    expect(r.halts[0]).toMatchObject({ type: 'halt', source: 'guard', reason: 'daily loss limit' });
    expect(r.trades.filter((t) => t.entryTime > r.halts[0]!.ts)).toEqual([]);
  }, 90_000);
});
