import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAppliance, type TickSource } from '../../src/app.js';
import type { TradingLoop } from '../../src/app/trading-loop.js';
import { parseConfig } from '../../src/config.js';
import type { ApplianceState } from '../../src/core/state.js';
import { createLogger, setLogSink } from '../../src/log.js';
import type { Output } from '../../src/output.js';

/** A source that delivers nothing and runs until stopped. */
function idleSource(now: number): TickSource {
  let release: () => void = () => undefined;
  return {
    mode: 'replay',
    now: () => now,
    index: () => [],
    option: () => [],
    run: () => new Promise<void>((r) => (release = r)),
    stop: () => release(),
  };
}

/** An output that writes down what reached it, in one shared journal. */
function recordingOutput(name: string, journal: string[]): Output {
  return {
    name,
    onEvents: (events) => journal.push(`${name} events ${events.length}`),
    onState: (s: ApplianceState) => journal.push(`${name} state ${s.trading}`),
    close: async () => {
      journal.push(`${name} close`);
    },
  };
}

describe('the appliance parts are components: started in order, stopped in reverse, each failing alone', () => {
  it(
    'an output that cannot start is logged and skipped; the others get the ' +
      'events, the last state, then close in reverse order; the control socket ' +
      'goes',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'nb-parts-'));
      const lines: Record<string, unknown>[] = [];
      setLogSink((l) => lines.push(JSON.parse(l)));
      const log = createLogger();
      const config = parseConfig(
        { db: join(dir, 'l.db'), stateDir: dir, deviceId: 'parts', mqtt: { embeddedBroker: { enabled: false } } },
        {},
      );
      const journal: string[] = [];
      let loopSeen: TradingLoop | null = null;
      const app = await startAppliance({
        config,
        log,
        source: idleSource(Date.parse('2026-08-07T10:00:00+05:30')),
        exitOnUnhandledRejection: false,
        outputs: [
          { name: 'first', make: (loop) => ((loopSeen = loop), recordingOutput('first', journal)) },
          {
            name: 'broken',
            make: () => {
              throw new Error('no such display');
            },
          },
          { name: 'second', make: () => recordingOutput('second', journal) },
        ],
      });
      expect(loopSeen).toBe(app.loop);
      expect(existsSync(`${join(dir, 'l.db')}.sock`), 'the control socket listens').toBe(true);
      const failure = lines.find((l) => l.msg === 'component failed; the others carry on');
      expect(failure).toMatchObject({ component: 'broken', error: 'no such display', level: 'error' });

      app.loop.halt('test', 'cli');
      expect(journal).toContain('first events 1');
      expect(journal).toContain('second events 1');

      journal.length = 0;
      await app.stop();
      // The state publisher stops before the outputs (reverse order) and sends the last state; then the
      // outputs close, the last started first.
      expect(journal.slice(-2)).toEqual(['second close', 'first close']);
      const lastStates = journal.filter((j) => j.includes('state'));
      expect(lastStates.at(-1)).toMatch(/halted$/);
      expect(journal.indexOf(lastStates.at(-1)!)).toBeLessThan(journal.indexOf('second close'));
      expect(existsSync(`${join(dir, 'l.db')}.sock`), 'the control socket is gone').toBe(false);
    },
  );
});
