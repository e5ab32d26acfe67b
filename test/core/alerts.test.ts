/** The one table of guard and alert codes (src/core/alerts.ts) and the consumers that read it. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALERTS, alertCodesWhere, alertSpec, type TableCode } from '../../src/core/alerts.js';
import { ALARM_CODES as BUZZER_ALARMS } from '../../src/device/buzzer.js';
import { discoveryConfig } from '../../src/mqtt/discovery.js';
import { topicsFor } from '../../src/mqtt/topics.js';
import { repoRoot } from '../support/shared-data.js';

const codes = Object.keys(ALERTS) as TableCode[];

function srcFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? srcFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

describe('the alert table', () => {
  it('every code in the table is raised somewhere in src (no code listed that nothing emits, like FEED was)', () => {
    const text = srcFiles(join(repoRoot, 'src'))
      .filter((f) => !f.endsWith(join('core', 'alerts.ts')))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const unused = codes.filter((c) => !text.includes(`'${c}'`));
    expect(unused).toEqual([]);
    expect(alertSpec('FEED')).toBeUndefined();
  });

  it(
    'the guards that block entries: the feed, the token, the clock, the disk, ' + 'the kill switch and cold indicators',
    () => {
      expect([...alertCodesWhere((a) => a.guard)].sort()).toEqual([
        'BUTTON_UNAVAILABLE',
        'CLOCK_SKEW',
        'CLOCK_UNSYNCED',
        'DISK',
        'FEED_DOWN',
        'INDICATORS_COLD',
        'STALE_FEED',
        'TOKEN_EXPIRED',
      ]);
    },
  );

  it(
    'keeps what interfaces.md promises: stale feed, token expired and clock ' +
      'not synced sound the alarm and take over the OLED',
    () => {
      for (const code of ['STALE_FEED', 'TOKEN_EXPIRED', 'CLOCK_UNSYNCED'] as const) {
        expect(ALERTS[code].buzzer).toBe('alarm');
        expect(ALERTS[code].oled).toBe('takeover');
        expect(ALERTS[code].stateAlarm).toBe(true);
      }
      // FEED_DOWN was listed by the trading loop but missing on the OLED; now the table says both.
      expect(ALERTS.FEED_DOWN.oled).toBe('takeover');
    },
  );

  it('the buzzer sounds exactly the codes the table gives the alarm pattern, all of them alarms in the state', () => {
    expect([...BUZZER_ALARMS].sort()).toEqual([...alertCodesWhere((a) => a.buzzer === 'alarm')].sort());
    for (const code of BUZZER_ALARMS) expect(alertSpec(code)!.stateAlarm).toBe(true);
  });

  it('every Home Assistant binary sensor the table names is announced by discovery as a binary sensor', () => {
    const config = discoveryConfig(topicsFor('niftybox', 'box', 'homeassistant'), {
      deviceId: 'box',
      serial: null,
      swVersion: '0',
    }) as { components: Record<string, { platform: string }> };
    const named = codes.map((c) => ALERTS[c].haBinarySensor).filter((s) => s !== null);
    expect(new Set(named).size).toBeGreaterThan(0);
    for (const id of named) expect(config.components[id!]?.platform, id!).toBe('binary_sensor');
  });

  it('an OLED title fits the ×1 line of the 128-pixel screen', () => {
    for (const c of codes) expect(ALERTS[c].oledTitle.length, c).toBeLessThanOrEqual(21);
  });
});
