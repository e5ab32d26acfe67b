import { describe, expect, it } from 'vitest';
import { createDevice, type Device } from '../../src/device/index.js';
import { FakeGpio } from '../device/fake-gpio.js';
import { pi4Sysfs } from '../device/fixtures.js';
import { hasSharedData, noSharedDataReason } from '../support/shared-data.js';
import { backtestDay, expectBacktestTrades, ledgerTrades, liveDay, testConfig } from './live-parity-harness.js';

const BUZZER_SYSFS = 539; // BCM27 on a Pi 4 (base 512)
/** Steps no longer than a display page (5 s), so every page of the cycle is seen while waiting for one. */
const PAGE_STEPS = { stepMs: 2_500 };

async function session(required: boolean) {
  FakeGpio.reset();
  FakeGpio.failing.set(529, 'EINVAL'); // BCM17: the kill switch pin cannot be opened
  const d = await liveDay('2025-11-28', '12:21:30');
  // The device's timers (the screen's page cycle among them) run on the test's clock: its default 5 s pages turn as the
  // day is advanced.
  const config = testConfig(d.dir, d.fake, { device: { display: { kind: 'none' }, button: { required }, buzzer: {} } });
  let device: Device | null = null;
  const app = await d.start(config, [
    (loop, calendar) => {
      device = createDevice({
        config: config.device,
        control: loop,
        log: d.log,
        calendar,
        clock: d.clock,
        onAlert: (a) => loop.alert(a.level, a.code, a.message),
        onKillSwitch: (k) => loop.setKillSwitch(k), // as src/app/outputs.ts wires it
        hardware: { Gpio: FakeGpio, sysfsRoot: pi4Sysfs() },
      });
      return device.output;
    },
  ]);
  return { d, app, device: () => device!, config };
}

describe.skipIf(!hasSharedData)(
  `a kill switch that cannot be opened, live on a recorded day${hasSharedData ? '' : ` (${noSharedDataReason})`}`,
  () => {
    it('required (default): no entries, the NO BUTTON alarm on the screen and ' +
      'the alarm pattern on the buzzer; halt by CLI/MQTT still works', async () => {
      const { d, app, device } = await session(true);
      try {
        await d.advanceUntil(
          () => device().display.currentScreen === 'alarm:BUTTON_UNAVAILABLE',
          d.at('12:25'),
          'the NO BUTTON screen',
          PAGE_STEPS,
        );
        const s = app.loop.state();
        expect(s.alarms.map((a) => a.code)).toContain('BUTTON_UNAVAILABLE');
        expect(s.killSwitch).toBe('not working');
        expect(device().display.currentScreen).toBe('alarm:BUTTON_UNAVAILABLE');
        expect(FakeGpio.byNumber(BUZZER_SYSFS).writes.some((w) => w.value === 1)).toBe(true); // the alarm sounded
        await d.until(d.at('12:45'));
        expect(app.loop.engine.view().stats.entries).toBe(0);
        const blocked = app.ledger.signals().filter((x) => x.kind === 'entry');
        expect(blocked.length).toBeGreaterThan(0); // the backtest's 12:20 PE signal came, and was blocked
        for (const b of blocked)
          expect(b).toMatchObject({ action: 'blocked', blockedBy: expect.arrayContaining(['BUTTON_UNAVAILABLE']) });
        app.loop.halt('from the CLI', 'cli');
        expect(app.loop.state().trading).toBe('halted');
        await app.stop();
        expect(ledgerTrades(d.dir)).toHaveLength(0);
      } finally {
        await d.close();
      }
    }, 120_000);

    it('device.button.required: false: trades as the backtest, and state, status ' +
      'and the screen say "no kill switch"', async () => {
      const { d, app, device, config } = await session(false);
      try {
        await d.advanceUntil(
          () => app.loop.state().killSwitch === 'no kill switch' && app.loop.status.lastTickTs !== null,
          d.at('12:25'),
          'the kill-switch state and a first tick',
        );
        const s = app.loop.state();
        expect(s.alarms.map((a) => a.code)).not.toContain('BUTTON_UNAVAILABLE');
        expect(s.killSwitch).toBe('no kill switch');
        expect(JSON.stringify(s)).toContain('"killSwitch":"no kill switch"'); // the MQTT state payload is this JSON
        await d.advanceUntil(
          () => device().display.currentScreen === 'alarm:BUTTON_UNAVAILABLE',
          d.at('12:30'),
          'the NO BUTTON page',
          PAGE_STEPS,
        );
        expect(device().display.currentScreen).toBe('alarm:BUTTON_UNAVAILABLE'); // the NO BUTTON page: "no kill switch"
        await d.until(d.at('12:45'));
        await app.stop();
        expectBacktestTrades(ledgerTrades(d.dir), backtestDay(d.day, config), d.at('12:21:30'), d.at('12:45'));
      } finally {
        await d.close();
      }
    }, 120_000);
  },
);
