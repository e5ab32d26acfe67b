import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { builtCli, runCli } from '../support/cli.js';
import { hasSharedData, indexCsv, noSharedDataReason, optionsCsv, repoRoot } from '../support/shared-data.js';
import { hasMosquitto, Mosquitto, NO_MOSQUITTO_REASON, readRetained, sleep, Sub } from '../mqtt/helpers.js';

const REPLAY = `${indexCsv},${optionsCsv}`;
const skip = !hasSharedData || !hasMosquitto;
const reason = !hasSharedData ? noSharedDataReason : !hasMosquitto ? NO_MOSQUITTO_REASON : '';

function appliance(args: string[], env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, [builtCli, 'run', ...args], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NIFTYBOX_CONFIG: '', ...env } });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exit = new Promise<{ code: number | null; signal: string | null; stderr: string }>((r) => child.on('exit', (code, signal) => r({ code, signal, stderr })));
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
    const run = appliance(['--replay', REPLAY, '--from', '2025-06-02', '--to', '2025-06-06', '--speed', '60000', '--db', db], env);
    await sub.waitFor((m) => m.topic === 'niftybox/box1/availability' && m.payload === 'online', 10_000, 'online');
    expect(await readRetained(broker.port, 'niftybox/box1/availability')).toBe('online');
    const r = await run.exit;
    expect(r.code, r.stderr).toBe(0);
    await sleep(300);
    const ledger = JSON.parse(runCli(['report', '--db', db, '--json']).stdout).trades as { id: number }[];
    const exits = sub.on('niftybox/box1/trade').map((m) => JSON.parse(m.payload)).filter((t) => t.event === 'exit');
    expect(exits.map((t) => t.tradeId)).toEqual(ledger.map((t) => t.id)); // each once, in order
    const state = JSON.parse((await readRetained(broker.port, 'niftybox/box1/state'))!);
    for (const k of ['mode', 'session', 'trading', 'haltReason', 'feed', 'spot', 'position', 'pnl', 'clock', 'ts']) expect(state).toHaveProperty(k);

    // the last will: a killed appliance turns offline without saying goodbye
    const again = appliance(['--replay', REPLAY, '--from', '2025-06-09', '--to', '2025-06-13', '--speed', '2000', '--db', db], env);
    await sub.waitFor((m) => m.topic === 'niftybox/box1/availability' && m.payload === 'online' && sub.messages.indexOf(m) > sub.messages.length - 50, 10_000, 'online again');
    await sleep(500);
    again.child.kill('SIGKILL');
    await again.exit;
    await sub.waitFor((m) => m.topic === 'niftybox/box1/availability' && m.payload === 'offline', 10_000, 'offline (will)');
    expect(await readRetained(broker.port, 'niftybox/box1/availability')).toBe('offline');
  }, 60_000);

  it('a 30 s broker outage mid-session leaves the trades unchanged; availability and state are back within 5 s of its return', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'niftybox-mq-'));
    const args = ['--replay', REPLAY, '--from', '2025-06-02', '--to', '2025-06-10', '--speed', '2500'];
    const plain = runCli(['run', ...args.slice(0, -2), '--speed', 'max', '--db', join(dir, 'plain.db')]);
    expect(plain.code, plain.stderr).toBe(0);

    const broker = await new Mosquitto().start();
    cleanup.push(() => broker.dispose());
    const run = appliance([...args, '--db', join(dir, 'mqtt.db')], { NIFTYBOX_MQTT_URL: broker.url, NIFTYBOX_DEVICE_ID: 'box2' });
    cleanup.push(() => void run.child.kill('SIGKILL'));
    const sub1 = new Sub(broker.port, ['niftybox/box2/availability']);
    await sub1.waitFor((m) => m.payload === 'online', 10_000, 'online');
    sub1.stop();
    await sleep(3000);
    await broker.stop();
    await sleep(30_000);
    await broker.start();
    const back = Date.now();
    const sub2 = new Sub(broker.port, ['niftybox/box2/availability', 'niftybox/box2/state']);
    cleanup.push(() => sub2.stop());
    await sub2.waitFor((m) => m.topic.endsWith('availability') && m.payload === 'online', 5000, 'online after the outage');
    await sub2.waitFor((m) => m.topic.endsWith('state'), 5000 - (Date.now() - back), 'state after the outage');
    console.log(`broker back → online and state again in ${Date.now() - back} ms`);
    const r = await run.exit;
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(runCli(['report', '--db', join(dir, 'plain.db'), '--json']).stdout).trades;
    const b = JSON.parse(runCli(['report', '--db', join(dir, 'mqtt.db'), '--json']).stdout).trades;
    expect(b.length).toBeGreaterThan(0);
    expect(b).toEqual(a);
  }, 150_000);
});
