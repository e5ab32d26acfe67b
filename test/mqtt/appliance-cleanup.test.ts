/**
 * The built appliance (`node dist/cli.js run --replay …`, real ledger file) on a real Mosquitto:
 * it publishes the ledger's all-time net P&L, and across restarts it clears what it announced
 * before when the device id changes or discovery is turned off.
 */
import { writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { hasSharedData, indexCsv, noSharedDataReason, optionsCsv } from '../support/shared-data.js';
import { hasMosquitto, Mosquitto, NO_MOSQUITTO_REASON, readRetained } from './helpers.js';

const skip = !hasSharedData || !hasMosquitto;
const reason = !hasSharedData ? noSharedDataReason : !hasMosquitto ? NO_MOSQUITTO_REASON : '';
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe.skipIf(skip)(`the appliance cleans up after itself in Home Assistant${skip ? ` (${reason})` : ''}`, () => {
  it('device-id change, then discovery: false — each restart leaves no ' +
    'retained config of the old announcement; state carries the all-time net ' +
    'P&L', async () => {
    const broker = await new Mosquitto().start();
    cleanup.push(() => broker.dispose());
    const dir = mkdtempSync(join(tmpdir(), 'niftybox-ha-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const db = join(dir, 'ledger.db');
    const run = (deviceId: string, discovery: boolean, from: string, to: string) => {
      const cfg = join(dir, `${deviceId}-${discovery}.yaml`);
      writeFileSync(
        cfg,
        `deviceId: ${deviceId}\nmqtt:\n  url: ${broker.url}\n  discovery: ` +
          `${discovery}\ndevice:\n  display: { kind: none }\n`,
      );
      const r = runCli([
        'run',
        '--config',
        cfg,
        '--db',
        db,
        '--replay',
        `${indexCsv},${optionsCsv}`,
        '--from',
        from,
        '--to',
        to,
        '--speed',
        'max',
      ]);
      expect(r.code, r.stderr).toBe(0);
    };

    run('boxa', true, '2025-06-02', '2025-06-04');
    expect(await readRetained(broker.port, 'homeassistant/device/boxa/config')).not.toBeNull();
    const trades = JSON.parse(runCli(['report', '--db', db, '--json']).stdout).trades as { netPnl: number }[];
    expect(trades.length).toBeGreaterThan(0);
    const state = JSON.parse((await readRetained(broker.port, 'niftybox/boxa/state'))!);
    // every closed trade in the ledger, plus the position still open when the replay stopped
    expect(state.pnl.allTimeNet).toBeCloseTo(trades.reduce((s, t) => s + t.netPnl, 0) + state.pnl.unrealized, 1);

    run('boxb', true, '2025-06-05', '2025-06-05');
    for (const t of ['homeassistant/device/boxa/config', 'niftybox/boxa/state', 'niftybox/boxa/availability'])
      expect(await readRetained(broker.port, t, 1), t).toBeNull();
    expect(await readRetained(broker.port, 'homeassistant/device/boxb/config')).not.toBeNull();

    run('boxb', false, '2025-06-06', '2025-06-06');
    expect(await readRetained(broker.port, 'homeassistant/device/boxb/config', 1)).toBeNull();
    expect(await readRetained(broker.port, 'niftybox/boxb/state')).not.toBeNull();
  }, 120_000);
});
