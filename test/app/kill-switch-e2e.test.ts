import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { TradingLoop } from '../../src/app/trading-loop.js';
import { MarketCalendar } from '../../src/core/calendar.js';
import { Engine } from '../../src/core/engine.js';
import { DEFAULT_RISK, DEFAULT_V25 } from '../../src/core/params.js';
import { istTime } from '../../src/core/time.js';
import { deviceConfigSchema } from '../../src/device/config.js';
import { createDevice } from '../../src/device/device.js';
import { createLogger, setLogSink } from '../../src/log.js';
import { Ledger } from '../../src/store/ledger.js';
import { FakeGpio } from '../device/fake-gpio.js';
import { pi4Sysfs } from '../device/fixtures.js';
import { chooseStrategy } from '../../src/core/strategies/index.js';

const DAY = '2025-06-02';
const at = (t: string) => istTime(DAY, t);

describe('kill switch → engine → ledger (simulated pin, real SQLite file)', () => {
  it.each(['no', 'nc'] as const)(
    'wiring %s: the first edge halts, the halt is committed, the position exits on the next price',
    async (wiring) => {
      FakeGpio.reset();
      setLogSink(() => undefined);
      const log = createLogger();
      const dir = mkdtempSync(join(tmpdir(), 'niftybox-ks-'));
      const ledger = Ledger.open(join(dir, 'l.db'), { log });
      const engine = new Engine({
        strategy: chooseStrategy('v25'),
        risk: DEFAULT_RISK,
        calendar: new MarketCalendar(),
      });
      const contracts = {
        day: DAY,
        CE: { instrumentKey: 'NSE_FO|1', side: 'CE' as const, strike: 24550, expiry: '2025-06-05', lotSize: 75 },
        PE: { instrumentKey: 'NSE_FO|2', side: 'PE' as const, strike: 24550, expiry: '2025-06-05', lotSize: 75 },
      };
      engine.restore({
        ...engine.checkpoint(),
        day: DAY,
        contracts,
        position: {
          tradeId: 1,
          side: 'CE',
          instrumentKey: 'NSE_FO|1',
          quantity: 75,
          entryTime: at('10:00'),
          entryPrice: 100,
          sl: 90,
          tp1: 115,
          tp1Hit: false,
          ltp: 100,
          signalCandleTs: at('09:55'),
        },
        nextTradeId: 2,
      });
      const loop = new TradingLoop(engine, ledger, log, () => at('10:03'), 'box', 'live');
      const config = deviceConfigSchema.parse({
        display: { kind: 'none' },
        button: { wiring },
        buzzer: { simulated: true },
      });
      if (wiring === 'nc') FakeGpio.initialLevels.set(529, 0); // closed contact to GND: low while not pressed
      const device = createDevice({
        config,
        control: loop,
        log,
        calendar: new MarketCalendar(),
        hardware: { Gpio: FakeGpio, sysfsRoot: pi4Sysfs() },
      });
      loop.addOutput(device.output);
      loop.publishState(true);
      expect(ledger.haltState().halted).toBe(false);

      const pin = FakeGpio.byNumber(529);
      const t0 = performance.now();
      pin.setLevel(wiring === 'no' ? 0 : 1); // NO: pressed pulls low; NC: pressed (or a cut wire) opens the circuit
      const halted = ledger.haltState();
      const latencyMs = performance.now() - t0;
      expect(halted).toMatchObject({ halted: true, source: 'button' });
      console.log(`kill switch (${wiring}) edge → halt committed in the ledger: ${latencyMs.toFixed(2)} ms`);

      // bouncing contact: more edges, still one halt
      for (let i = 0; i < 10; i++) pin.setLevel((i % 2) as 0 | 1);
      expect(ledger.haltHistory().filter((h) => h.type === 'halt')).toHaveLength(1);

      loop.tick({ instrumentKey: 'NSE_FO|1', ts: at('10:03') + 200, ltp: 104 });
      const [trade] = ledger.trades();
      expect(trade).toMatchObject({ reason: 'HALT', exitPrice: 103.5 });
      expect(engine.view().position).toBeNull();
      await device.close();
      ledger.close();
    },
  );
});
