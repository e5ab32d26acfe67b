import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TickGate } from '../../src/app/tick-gate.js';
import { capUnpersisted } from '../../src/app/trading-loop.js';
import { HISTORY_DAYS, trimHistory } from '../../src/app/live-session.js';
import { pruneLedger } from '../../src/app/components/ledger-pruner.js';
import { parseConfig } from '../../src/config.js';
import type { EngineEvent } from '../../src/core/events.js';
import type { Candle } from '../../src/core/types.js';
import { createLogger, MAX_SECRETS, registerSecret, secretCount, setLogSink } from '../../src/log.js';
import { Ledger } from '../../src/store/ledger.js';

const DAY = 86_400_000;
const candle = (ts: number): Candle => ({ ts, open: 1, high: 2, low: 0.5, close: 1.5, volume: 0 });

describe('bounded memory and tables for weeks of uptime', () => {
  it('in-memory index history keeps HISTORY_DAYS', () => {
    const now = Date.parse('2025-11-28T10:00:00Z');
    const history = Array.from({ length: 200 * 75 }, (_, i) =>
      candle(now - 200 * DAY + i * 300_000 * ((200 * DAY) / (200 * 75 * 300_000))),
    );
    const kept = trimHistory(history, now);
    expect(kept.length).toBeLessThan(history.length);
    expect(kept[0]!.ts).toBeGreaterThanOrEqual(now - HISTORY_DAYS * DAY);
    expect(kept.at(-1)).toBe(history.at(-1));
  });

  it('the batch held during a disk outage is capped; trades and halts are kept, candles go first', () => {
    const events: EngineEvent[] = [];
    for (let i = 0; i < 30_000; i++) events.push({ type: 'candle', ts: i, instrumentKey: 'K', candle: candle(i) });
    events.push({ type: 'halt', ts: 1, reason: 'button', source: 'button' });
    let dropped = 0;
    const kept = capUnpersisted(events, 10_000, (n) => (dropped = n));
    expect(kept).toHaveLength(10_000);
    expect(dropped).toBe(20_001);
    expect(kept.some((e) => e.type === 'halt')).toBe(true);
  });

  it('the masked-secrets set keeps the newest MAX_SECRETS', () => {
    for (let i = 0; i < 1000; i++) registerSecret(`token-${i}-abcdefgh`);
    expect(secretCount()).toBe(MAX_SECRETS);
    const logs: string[] = [];
    setLogSink((l) => logs.push(l));
    createLogger().info('the newest token-999-abcdefgh is masked');
    expect(logs[0]).not.toContain('token-999-abcdefgh');
  });

  it('ticks waiting behind a repair are capped', async () => {
    const got: number[] = [];
    const gate = new TickGate<number>(
      (t) => got.push(t),
      () => undefined,
      1000,
    );
    let release!: () => void;
    void gate.hold(() => new Promise<void>((r) => (release = r)));
    for (let i = 0; i < 5000; i++) gate.push(i);
    expect(gate.queued).toBe(1000);
    expect(gate.dropped).toBe(4000);
    await new Promise<void>((r) => setTimeout(r, 5)); // the job has started
    release();
    await new Promise<void>((r) => setTimeout(r, 5));
    expect(got).toHaveLength(1000);
    expect(got[0]).toBe(4000); // in order, the newest kept
    expect(got.at(-1)).toBe(4999);
  });

  it(
    'ledger retention: candles older than retention.candleDays (default 400: ' +
      'over a year) and alerts older than alertDays go',
    () => {
      setLogSink(() => undefined);
      const log = createLogger();
      const dir = mkdtempSync(join(tmpdir(), 'nbx-ret-'));
      const ledger = Ledger.open(join(dir, 'l.db'), { log });
      const now = Date.parse('2026-12-01T06:00:00Z');
      const events: EngineEvent[] = [];
      for (const age of [10, 200, 364, 399, 401, 800]) {
        events.push({
          type: 'candle',
          ts: now - age * DAY,
          instrumentKey: 'NSE_INDEX|Nifty 50',
          candle: candle(now - age * DAY),
        });
        events.push({ type: 'alert', ts: now - age * DAY, level: 'info', code: 'MQTT', message: `age ${age}` });
      }
      ledger.commit(events, null);
      const config = parseConfig({ db: join(dir, 'l.db'), stateDir: dir }, {});
      expect(config.retention.candleDays).toBeGreaterThanOrEqual(365);
      pruneLedger(ledger, config, now, log);
      const ages = ledger.candles('NSE_INDEX|Nifty 50', 0, now).map((c) => Math.round((now - c.ts) / DAY));
      expect(ages).toEqual([399, 364, 200, 10]);
      expect(ledger.alerts(100).map((a) => a.message)).toEqual(['age 10']);
      pruneLedger(
        ledger,
        parseConfig({ db: join(dir, 'l.db'), stateDir: dir, retention: { candleDays: 30, alertDays: 5 } }, {}),
        now,
        log,
      );
      expect(ledger.candles('NSE_INDEX|Nifty 50', 0, now)).toHaveLength(1);
      expect(ledger.alerts(100)).toHaveLength(0);
      ledger.close();
    },
  );
});
