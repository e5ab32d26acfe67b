/**
 * Reach from another host: a network namespace joined to this one by a veth pair the test makes
 * (a private /30 it picks, never this machine's own LAN address). A client inside the namespace
 * reads the box's state from the embedded broker, which listens on all interfaces by default, and
 * can halt but not resume. Needs root / CAP_NET_ADMIN; skipped with the reason otherwise.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mqttConfigSchema } from '../../src/mqtt/config.js';
import { MqttOutput } from '../../src/mqtt/mqtt-output.js';
import {
  captureLog,
  hasMosquitto,
  NO_MOSQUITTO_REASON,
  RecordingControl,
  sampleState,
  sleep,
  TempLedger,
  until,
} from './helpers.js';

const tag = randomBytes(3).toString('hex');
const NS = `nbx12-${tag}`;
const HOST_IF = `nb${tag}h`; // ≤ 15 characters
const NS_IF = `nb${tag}n`;
// 10.213.<random>.<random /30>: unlikely to collide with another run; checked against the routes below
const third = randomBytes(1)[0]!;
const fourth = (randomBytes(1)[0]! & 0xfc) % 252;
const HOST_ADDR = `10.213.${third}.${fourth + 1}`;
const NS_ADDR = `10.213.${third}.${fourth + 2}`;

function ip(args: string[]): { ok: boolean; err: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  return { ok: r.status === 0, err: `${r.stderr ?? ''}${r.error?.message ?? ''}`.trim() };
}

/** Why the namespace cannot be made here, or null when it can (tried for real, then removed). */
function netnsUnavailable(): string | null {
  if (!hasMosquitto) return NO_MOSQUITTO_REASON;
  if (process.getuid?.() !== 0) return 'not root: creating a network namespace needs CAP_NET_ADMIN';
  const probe = `nbx12-probe-${tag}`;
  const r = ip(['netns', 'add', probe]);
  if (!r.ok) return `cannot create a network namespace (${r.err || 'ip netns add failed'})`;
  ip(['netns', 'del', probe]);
  if (spawnSync('ip', ['-4', 'route', 'show'], { encoding: 'utf8' }).stdout.includes(`10.213.${third}.`))
    return `10.213.${third}.0/24 is routed on this machine already`;
  return null;
}

const unavailable = netnsUnavailable();
if (unavailable) console.warn(`skipping the network-namespace reach test: ${unavailable}`);

function inNs(cmd: string[], timeoutMs = 10_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile('ip', ['netns', 'exec', NS, ...cmd], { timeout: timeoutMs }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

describe.skipIf(unavailable !== null)(
  `the embedded broker from another host (netns ${NS}, ${HOST_ADDR} ↔ ${NS_ADDR})`,
  () => {
    let out: MqttOutput;
    let store: TempLedger;
    const control = new RecordingControl();
    let port = 0;

    beforeAll(async () => {
      const steps = [
        ['netns', 'add', NS],
        ['link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', NS_IF],
        ['link', 'set', NS_IF, 'netns', NS],
        ['addr', 'add', `${HOST_ADDR}/30`, 'dev', HOST_IF],
        ['link', 'set', HOST_IF, 'up'],
        ['netns', 'exec', NS, 'ip', 'addr', 'add', `${NS_ADDR}/30`, 'dev', NS_IF],
        ['netns', 'exec', NS, 'ip', 'link', 'set', NS_IF, 'up'],
        ['netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up'],
      ];
      for (const s of steps) {
        const r = ip(s);
        if (!r.ok) throw new Error(`ip ${s.join(' ')} failed: ${r.err}`);
      }
      store = new TempLedger();
      // the default listen address (all interfaces), an ephemeral port
      const config = mqttConfigSchema.parse({ embeddedBroker: { port: 0 } });
      expect(config.embeddedBroker.host).toBe('0.0.0.0');
      out = new MqttOutput({
        config,
        deviceId: 'testbox',
        control,
        log: captureLog(),
        swVersion: 'test',
        serial: null,
        ledger: store.ledger,
      });
      await out.start();
      expect(await out.whenConnected(5000)).toBe(true);
      out.onState(sampleState());
      port = Number(new URL(out.stats().broker!).port);
    });

    afterAll(async () => {
      await out?.close();
      store?.dispose();
      ip(['netns', 'del', NS]); // takes the namespace's end of the pair, and with it the host's end
      if (ip(['link', 'show', HOST_IF]).ok) ip(['link', 'del', HOST_IF]);
    });

    it(
      "a client inside the namespace subscribes to the box's state over the " + 'veth pair; it may halt, not resume',
      async () => {
        const sub = await inNs([
          'mosquitto_sub',
          '-h',
          HOST_ADDR,
          '-p',
          String(port),
          '-t',
          'niftybox/testbox/state',
          '-C',
          '1',
          '-W',
          '5',
        ]);
        expect(sub.code, sub.stderr).toBe(0);
        const state = JSON.parse(sub.stdout);
        expect(state).toMatchObject({ deviceId: 'testbox', trading: 'active' });

        const halt = await inNs([
          'mosquitto_pub',
          '-h',
          HOST_ADDR,
          '-p',
          String(port),
          '-q',
          '1',
          '-t',
          'niftybox/testbox/cmd/halt',
          '-m',
          'from the other host',
        ]);
        expect(halt.code, halt.stderr).toBe(0);
        await until(() => control.halts.length === 1, 3000, 'the halt from the namespace');
        expect(control.halts[0]).toEqual({ reason: 'from the other host', source: 'mqtt' });
        await inNs([
          'mosquitto_pub',
          '-h',
          HOST_ADDR,
          '-p',
          String(port),
          '-q',
          '1',
          '-t',
          'niftybox/testbox/cmd/resume',
          '-m',
          '',
        ]);
        await sleep(500);
        expect(control.resumes).toEqual([]); // dropped by the broker: anonymous clients may not resume
      },
    );
  },
);
