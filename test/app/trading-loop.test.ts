import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TradingLoop } from '../../src/app/trading-loop.js';
import { MarketCalendar } from '../../src/core/calendar.js';
import { Engine } from '../../src/core/engine.js';
import type { EngineEvent } from '../../src/core/events.js';
import { DEFAULT_RISK, DEFAULT_V25 } from '../../src/core/params.js';
import type { ApplianceState } from '../../src/core/state.js';
import { istTime } from '../../src/core/time.js';
import { createLogger, setLogSink } from '../../src/log.js';
import type { Output } from '../../src/output.js';
import { Ledger, LedgerWriteError } from '../../src/store/ledger.js';
import { chooseStrategy } from '../../src/core/strategies/index.js';

const DAY = '2025-06-02';
const at = (t: string) => istTime(DAY, t);

function setup() {
  setLogSink(() => undefined);
  const log = createLogger();
  const ledger = Ledger.open(join(mkdtempSync(join(tmpdir(), 'niftybox-loop-')), 'l.db'), { log });
  const engine = new Engine({ strategy: chooseStrategy('v25'), risk: DEFAULT_RISK, calendar: new MarketCalendar() });
  engine.restore({
    version: 1,
    day: DAY,
    contracts: {
      day: DAY,
      CE: { instrumentKey: 'NSE_FO|1', side: 'CE', strike: 24550, expiry: '2025-06-05', lotSize: 75 },
      PE: { instrumentKey: 'NSE_FO|2', side: 'PE', strike: 24550, expiry: '2025-06-05', lotSize: 75 },
    },
    position: {
      tradeId: 1,
      side: 'PE',
      instrumentKey: 'NSE_FO|2',
      quantity: 75,
      entryTime: at('10:00'),
      entryPrice: 100,
      sl: 90,
      tp1: 110,
      tp1Hit: false,
      ltp: 100,
      signalCandleTs: at('09:55'),
    },
    pendingEntry: null,
    pendingExit: null,
    halted: false,
    haltReason: null,
    guards: {},
    nextTradeId: 2,
    lastClosedBucket: null,
    dayStats: { entries: 1, trades: 0, wins: 0, realized: 0, charges: 0, cancelledNoNextCandle: 0 },
    spot: null,
  });
  let now = at('10:01');
  const loop = new TradingLoop(engine, ledger, log, () => now, 'box', 'replay');
  const heard: { events: EngineEvent[]; tradesOnDisk: number }[] = [];
  const output: Output = {
    name: 'probe',
    onEvents: (events: readonly EngineEvent[], _s: ApplianceState) =>
      heard.push({ events: [...events], tradesOnDisk: ledger.trades().length }),
    onState: () => undefined,
    close: async () => undefined,
  };
  loop.addOutput(output);
  return { loop, ledger, engine, heard, setNow: (t: number) => (now = t) };
}

describe('TradingLoop: persist first, then announce', () => {
  it('an exit is on disk when the outputs hear of it', () => {
    const { loop, heard } = setup();
    loop.tick({ instrumentKey: 'NSE_FO|2', ts: at('10:02'), ltp: 85 });
    const exit = heard.find((h) => h.events.some((e) => e.type === 'exit'))!;
    expect(exit.tradesOnDisk).toBe(1);
  });

  it(
    'disk full: the batch is held and not announced, entries are blocked, the ' +
      'position still exits; all is written and announced once the disk ' +
      'recovers',
    () => {
      const { loop, ledger, engine, heard } = setup();
      const realCommit = ledger.commit.bind(ledger);
      let failing = true;
      ledger.commit = (events, cp) => {
        if (failing) throw new LedgerWriteError('database or disk is full', 'SQLITE_FULL', 'disk_full');
        realCommit(events, cp);
      };
      loop.tick({ instrumentKey: 'NSE_FO|2', ts: at('10:02'), ltp: 85 }); // stop hit while the disk is full
      expect(engine.view().position).toBeNull(); // managed regardless
      expect(heard.flatMap((h) => h.events).map((e) => e.type)).toEqual(['alert']); // only "the disk is failing"
      expect(engine.view().guards.DISK).toMatch(/ledger cannot write \(disk_full\)/);
      failing = false;
      loop.alert('info', 'DAILY_REPORT', 'next batch');
      const types = heard.flatMap((h) => h.events).map((e) => (e.type === 'alert' ? e.code : e.type));
      expect(types).toEqual(['DISK', 'exit', 'DISK', 'DAILY_REPORT', 'DISK_CLEARED']);
      expect(ledger.trades()).toHaveLength(1);
      expect(engine.view().guards.DISK).toBeUndefined();
    },
  );

  it('a batch the ledger rejects as invalid is dropped instead of jamming later commits', () => {
    const { loop, ledger, heard } = setup();
    const realCommit = ledger.commit.bind(ledger);
    let calls = 0;
    ledger.commit = (events, cp) => {
      if (calls++ === 0) throw new LedgerWriteError('trade id 1 is already in the ledger', null, 'invalid_data');
      realCommit(events, cp);
    };
    loop.alert('info', 'WARMUP', 'first');
    loop.alert('info', 'BACKFILL', 'second');
    expect(heard.flatMap((h) => h.events).map((e) => (e.type === 'alert' ? e.code : e.type))).toEqual(['BACKFILL']);
    expect(ledger.alerts(10).map((a) => a.code)).toEqual(['BACKFILL']);
  });
});
