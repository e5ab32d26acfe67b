import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { builtCli, runCli } from '../support/cli.js';
import { hasSharedData, indexCsv, noSharedDataReason, optionsCsv, repoRoot } from '../support/shared-data.js';
import { createCalendar, startAppliance } from '../../src/app.js';
import { startMqttOutput } from '../../src/app/outputs.js';
import { readCandleFiles } from '../../src/commands/backtest.js';
import { parseConfig } from '../../src/config.js';
import { CandleReplaySource } from '../../src/app/replay-source.js';
import { VirtualClock } from '../../src/lib/clock.js';
import { createLogger, setLogSink } from '../../src/log.js';
import { hasMosquitto, Mosquitto, NO_MOSQUITTO_REASON, readRetained, Sub } from '../mqtt/helpers.js';

const REPLAY = `${indexCsv},${optionsCsv}`;
const skip = !hasSharedData || !hasMosquitto;
const reason = !hasSharedData ? noSharedDataReason : !hasMosquitto ? NO_MOSQUITTO_REASON : '';

function appliance(args: string[], env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, [builtCli, 'run', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NIFTYBOX_CONFIG: '', ...env },
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exit = new Promise<{ code: number | null; signal: string | null; stderr: string }>((r) =>
    child.on('exit', (code, signal) => r({ code, signal, stderr })),
  );
  return { child, exit };
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe.skipIf(skip)(`the appliance on a real Mosquitto${skip ? ` (${reason})` : ''}`, () => {
  it('announces online (retained), every trade once with its ledger id, and offline when SIGKILLed', async () => {
    const broker = await new Mosquitto().start();
    cleanup.push(() => broker.dispose());
    const sub = new Sub(broker.port, ['niftybox/box1/#']);
    cleanup.push(() => sub.stop());
    const db = join(mkdtempSync(join(tmpdir(), 'niftybox-mq-')), 'l.db');
    const env = { NIFTYBOX_MQTT_URL: broker.url, NIFTYBOX_DEVICE_ID: 'box1' };
    const run = appliance(
      ['--replay', REPLAY, '--from', '2025-06-02', '--to', '2025-06-06', '--speed', '60000', '--db', db],
      env,
    );
    await sub.waitFor((m) => m.topic === 'niftybox/box1/availability' && m.payload === 'online', 10_000, 'online');
    expect(await readRetained(broker.port, 'niftybox/box1/availability')).toBe('online');
    const r = await run.exit;
    expect(r.code, r.stderr).toBe(0);
    const ledger = JSON.parse(runCli(['report', '--db', db, '--json']).stdout).trades as { id: number }[];
    const exitsSeen = () =>
      sub
        .on('niftybox/box1/trade')
        .map((m) => JSON.parse(m.payload))
        .filter((t) => t.event === 'exit');
    // mosquitto_sub prints them a little later
    await sub.waitFor(() => exitsSeen().length >= ledger.length, 5_000, 'every trade exit');
    const exits = exitsSeen();
    expect(exits.map((t) => t.tradeId)).toEqual(ledger.map((t) => t.id)); // each once, in order
    const state = JSON.parse((await readRetained(broker.port, 'niftybox/box1/state'))!);
    for (const k of ['mode', 'session', 'trading', 'haltReason', 'feed', 'spot', 'position', 'pnl', 'clock', 'ts'])
      expect(state).toHaveProperty(k);
    // the strategy (name and every parameter), and each signal with the strategy's own readings
    expect(state.strategy).toMatchObject({
      name: 'v25',
      params: { emaPeriod: 21, chopMax: 57, tp1Points: { CE: 15, PE: 10 } },
    });
    const signals = sub.on('niftybox/box1/signal').map((m) => JSON.parse(m.payload));
    expect(signals.length).toBeGreaterThan(0);
    for (const s of signals) {
      expect(s.strategy).toBe('v25');
      expect(Object.keys(s.readings).sort()).toEqual(['chop', 'close', 'ema', 'hist']);
    }

    // the last will: a killed appliance turns offline without saying goodbye
    const again = appliance(
      ['--replay', REPLAY, '--from', '2025-06-09', '--to', '2025-06-13', '--speed', '2000', '--db', db],
      env,
    );
    await sub.waitFor(
      (m) =>
        m.topic === 'niftybox/box1/availability' &&
        m.payload === 'online' &&
        sub.messages.indexOf(m) > sub.messages.length - 50,
      10_000,
      'online again',
    );
    const online = sub.messages.length;
    await sub.waitFor(
      (m) => m.topic === 'niftybox/box1/state' && sub.messages.indexOf(m) >= online,
      10_000,
      'state from the second run',
    ); // it is running
    again.child.kill('SIGKILL');
    await again.exit;
    await sub.waitFor(
      (m) => m.topic === 'niftybox/box1/availability' && m.payload === 'offline',
      10_000,
      'offline (will)',
    );
    expect(await readRetained(broker.port, 'niftybox/box1/availability')).toBe('offline');
  }, 60_000);

  it('a 30 s broker outage mid-session leaves the trades unchanged; ' +
    'availability and state are back within 5 s of its return', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'niftybox-mq-'));
    const [from, to] = ['2025-06-02', '2025-06-10'];
    const plain = runCli([
      'run',
      '--replay',
      REPLAY,
      '--from',
      from,
      '--to',
      to,
      '--speed',
      'max',
      '--db',
      join(dir, 'plain.db'),
    ]);
    expect(plain.code, plain.stderr).toBe(0);

    const broker = await new Mosquitto().start();
    cleanup.push(() => broker.dispose());
    const sub = new Sub(broker.port, ['niftybox/box2/#']);
    cleanup.push(() => sub.stop());
    // The appliance in this process: the replay paced in real time (7 days in ≈ 8 s), the publisher's
    // reconnect backoff, state throttle and heartbeat on a virtual clock 10× real time, so the outage
    // and the 5 s are its virtual seconds.
    const clock = new VirtualClock(Date.now(), 10);
    setLogSink(() => undefined);
    const log = createLogger();
    const config = parseConfig(
      { db: join(dir, 'mqtt.db'), stateDir: dir, deviceId: 'box2', mqtt: { url: broker.url } },
      {},
    );
    const calendar = createCalendar(config);
    const data = readCandleFiles(indexCsv, optionsCsv);
    const source = new CandleReplaySource(
      { index: data.index, options: data.options, from, to, speed: 20_000, calendar },
      log,
    );
    const app = await startAppliance({
      config,
      log,
      source,
      outputs: [(loop, _c, ledger) => startMqttOutput({ config, loop, log, replay: true, ledger, clock })],
    });
    cleanup.push(() => app.stop());
    let finished = false;
    void app.done.then(() => (finished = true));
    await sub.waitFor((m) => m.topic.endsWith('availability') && m.payload === 'online', 10_000, 'online');
    await sub.waitFor((m) => m.topic.endsWith('/trade'), 10_000, 'a first trade');

    await broker.stop();
    const down = clock.now();
    await clock.sleep(30_000);
    expect(clock.now() - down).toBeGreaterThanOrEqual(30_000);
    await broker.start();
    const back = clock.now();
    const sub2 = new Sub(broker.port, ['niftybox/box2/availability', 'niftybox/box2/state']);
    cleanup.push(() => sub2.stop());
    await sub2.waitFor(
      (m) => m.topic.endsWith('availability') && m.payload === 'online',
      10_000,
      'online after the outage',
    );
    await sub2.waitFor((m) => m.topic.endsWith('state'), 10_000, 'state after the outage');
    const backMs = clock.now() - back;
    console.log(`broker back → online and state again in ${backMs} ms of the publisher's clock`);
    expect(backMs).toBeLessThanOrEqual(5_000);
    expect(finished, 'the outage ended while the replay was still running').toBe(false);

    expect(await app.done).toBe(0);
    const a = JSON.parse(runCli(['report', '--db', join(dir, 'plain.db'), '--json']).stdout).trades;
    const b = JSON.parse(runCli(['report', '--db', join(dir, 'mqtt.db'), '--json']).stdout).trades;
    expect(b.length).toBeGreaterThan(0);
    expect(b).toEqual(a);
  }, 120_000);
});
