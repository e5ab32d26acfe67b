/**
 * Issue 27 item 1: Home Assistant's MQTT event entity. Discovery announces it as HA's MQTT event
 * platform requires (ha-options.ts: state_topic, event_types; only documented options); each entry,
 * exit, halt, resume and alarm is a message HA would accept (non-retained JSON whose event_type is one
 * of event_types); the blueprint and the README's automation read only attributes those messages carry;
 * and a demo session through the built CLI fires one entry and one exit event per trade, read with
 * mosquitto_sub.
 */
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { discoveryConfig } from '../../src/mqtt/discovery.js';
import { HA_EVENT_TYPES, haEventPayload } from '../../src/mqtt/payloads.js';
import { topicsFor } from '../../src/mqtt/topics.js';
import type { EngineEvent } from '../../src/core/events.js';
import { runCli } from '../support/cli.js';
import { repoRoot } from '../support/shared-data.js';
import { runCliAsync } from '../fetch/helpers.js';
import { haEventConfigProblems, haEventMessageProblems, undocumentedKeys } from './ha-options.js';
import { hasMosquitto, Mosquitto, NO_MOSQUITTO_REASON, readRetained, sampleState, Sub } from './helpers.js';
import { closedTrade, position } from '../store/helpers.js';

const topics = topicsFor('niftybox', 'pi', 'homeassistant');
const cfg = discoveryConfig(topics, { deviceId: 'pi', serial: null, swVersion: 'test' }) as {
  components: Record<string, Record<string, unknown>>;
};
const component = cfg.components.trade_event!;

const state = sampleState();
const samples: EngineEvent[] = [
  { type: 'entry', ts: 1, position: position(7) },
  { type: 'exit', ts: 2, trade: closedTrade(7) },
  { type: 'halt', ts: 3, reason: 'lunch', source: 'cli' },
  { type: 'resume', ts: 4, source: 'button' },
  { type: 'alert', ts: 5, level: 'warn', code: 'FEED_DOWN', message: 'feed not connected for 60 s; retrying' },
];
/** Every attribute an event of some type carries (what HA keeps after taking out event_type). */
const attributes = new Set(
  samples.flatMap((e) => Object.keys(haEventPayload(e, state)!)).filter((k) => k !== 'event_type'),
);

/** The attribute names a template reads: `attributes.X` and, in the blueprint, `ev.X`. */
function attributesRead(text: string): string[] {
  return [...text.matchAll(/(?:attributes|\bev)\.([a-z_]+)/g)].map((m) => m[1]!);
}

describe('the Home Assistant event entity', () => {
  it(
    'is announced as HA requires, on its own topic, with the five event types,' + ' in the device (removed with it)',
    () => {
      expect(haEventConfigProblems(component)).toEqual([]);
      expect(undocumentedKeys(cfg)).toEqual([]);
      expect(component).toMatchObject({
        platform: 'event',
        state_topic: 'niftybox/pi/event',
        event_types: ['entry', 'exit', 'halt', 'resume', 'alarm'],
        default_entity_id: 'event.niftybox_pi_trade_event',
      });
      expect(component.state_topic).not.toBe(topics.state);
      // the check catches what HA would reject
      expect(haEventConfigProblems({ ...component, event_types: [] })).toEqual([
        'event_types must be a list of strings',
      ]);
      expect(haEventConfigProblems({ ...component, state_topic: undefined })).toEqual(['state_topic is required']);
    },
  );

  it('each entry, exit, halt, resume and alarm is a message HA takes, with what a notification needs', () => {
    const types = component.event_types as string[];
    for (const e of samples) {
      const body = haEventPayload(e, state)!;
      expect(haEventMessageProblems({ event_types: types }, JSON.stringify(body), false), e.type).toEqual([]);
      expect(body.day_net).toBe(state.pnl.net);
      expect(typeof body.message).toBe('string');
    }
    expect(samples.map((e) => haEventPayload(e, state)!.event_type)).toEqual([...HA_EVENT_TYPES]);
    const exit = haEventPayload(samples[1]!, state)!;
    expect(exit).toMatchObject({
      side: 'CE',
      symbol: expect.stringMatching(/^NIFTY \d\d [A-Z]{3} \d\d \d+ CE$/),
      entry_price: expect.any(Number),
      exit_price: expect.any(Number),
      pnl: expect.any(Number),
      reason: expect.any(String),
    });
    // not an alarm: a guard cleared, a one-off note
    expect(
      haEventPayload({ type: 'alert', ts: 6, level: 'info', code: 'FEED_DOWN_CLEARED', message: 'ok' }, state),
    ).toBeNull();
    // the check catches what HA would drop
    expect(haEventMessageProblems({ event_types: types }, '{"event_type":"entry"}', true)).toEqual([
      'retained: HA ignores a replayed retained event',
    ]);
    expect(haEventMessageProblems({ event_types: types }, '{"event_type":"trade"}', false)).toEqual([
      'event_type trade not in event_types',
    ]);
  });

  it('the blueprint is a valid automation blueprint whose templates read only attributes the events carry', () => {
    const inputs: string[] = [];
    const text = readFileSync(join(repoRoot, 'blueprints/automation/niftybox/trade-notification.yaml'), 'utf8');
    const bp = parse(text, { customTags: [{ tag: '!input', resolve: (s: string) => (inputs.push(s), { input: s }) }] });
    expect(bp.blueprint).toMatchObject({ domain: 'automation', name: expect.any(String) });
    for (const name of inputs) expect(Object.keys(bp.blueprint.input), `!input ${name}`).toContain(name);
    expect(bp.blueprint.input.trade_events.selector.entity.filter).toEqual([{ integration: 'mqtt', domain: 'event' }]);
    expect(bp.blueprint.input.event_types.selector.select.options).toEqual([...HA_EVENT_TYPES]);
    expect(bp.blueprint.input.event_types.default).toEqual([...HA_EVENT_TYPES]);
    expect(bp.triggers[0]).toMatchObject({ trigger: 'state', not_from: ['unavailable', 'unknown'] });
    const read = attributesRead(text);
    expect(read).toContain('event_type');
    for (const a of read) if (a !== 'event_type') expect([...attributes], `attribute ${a}`).toContain(a);
  });

  it("the README's automation names the entity discovery makes and reads only attributes the events carry", () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const block = /<!-- ha-automation:begin[^>]*-->\s*```yaml\n([\s\S]*?)```/.exec(readme)![1]!;
    const auto = parse(block).automation[0];
    expect(auto.triggers[0].entity_id).toBe(component.default_entity_id);
    const read = attributesRead(block);
    expect(read).toContain('event_type');
    for (const a of read) if (a !== 'event_type') expect([...attributes], `attribute ${a}`).toContain(a);
    for (const t of [...block.matchAll(/'([a-z]+)'/g)].map((m) => m[1]!)) expect([...HA_EVENT_TYPES]).toContain(t);
  });
});

describe.skipIf(!hasMosquitto)(
  `a demo session on a real Mosquitto fires an event for every trade${hasMosquitto ? '' : ` (${NO_MOSQUITTO_REASON})`}`,
  () => {
    let broker: Mosquitto | undefined;
    afterAll(async () => broker?.dispose());

    it('one entry and one exit event per ledger trade, never retained, each one HA takes', async () => {
      broker = await new Mosquitto().start();
      const home = mkdtempSync(join(tmpdir(), 'niftybox-haevent-'));
      const db = join(home, 'ledger.db');
      writeFileSync(
        join(home, 'config.yaml'),
        [
          `stateDir: ${home}`,
          'deviceId: box27',
          'demo: { sessionSeconds: 40, seed: 25, day: "2026-12-07" }', // pinned: the same trades whatever today is
          `mqtt: { url: "${broker.url}" }`,
          'device: { display: { kind: none }, button: { simulated: true }, buzzer: { simulated: true } }',
        ].join('\n') + '\n',
      );
      const sub = new Sub(broker.port, ['niftybox/box27-demo/event']);
      try {
        const run = await runCliAsync(
          ['run', '--config', join(home, 'config.yaml'), '--demo', '--sessions', '1', '--db', db],
          home,
        );
        expect(run.code, run.stderr.slice(-2000)).toBe(0);
        const trades = JSON.parse(runCli(['report', '--db', db, '--json']).stdout).trades as {
          id: number;
          side: string;
          netPnl: number;
          reason: string;
        }[];
        expect(trades.length, 'the demo session traded').toBeGreaterThan(0);
        const config = JSON.parse((await readRetained(broker.port, 'homeassistant/device/box27-demo/config'))!);
        const entity = config.components.trade_event;
        expect(haEventConfigProblems(entity)).toEqual([]);
        expect(entity.state_topic).toBe('niftybox/box27-demo/event');
        const events = () => sub.messages.map((m) => ({ m, body: JSON.parse(m.payload) }));
        await sub.waitFor(
          () => events().filter((e) => e.body.event_type === 'exit').length >= trades.length,
          10_000,
          'an exit event per trade',
        );
        for (const { m } of events()) {
          expect(m.retained).toBe(false);
          expect(haEventMessageProblems(entity, m.payload, m.retained)).toEqual([]);
        }
        const of = (type: string) =>
          events()
            .filter((e) => e.body.event_type === type)
            .map((e) => e.body);
        expect(of('entry').map((b) => b.trade_id)).toEqual(trades.map((t) => t.id));
        const exits = of('exit');
        expect(exits.map((b) => b.trade_id)).toEqual(trades.map((t) => t.id));
        exits.forEach((b, i) =>
          expect([b.side, b.pnl, b.reason]).toEqual([trades[i]!.side, trades[i]!.netPnl, trades[i]!.reason]),
        );
        expect(typeof exits.at(-1)!.day_net).toBe('number');
      } finally {
        sub.stop();
      }
    }, 300_000);
  },
);
