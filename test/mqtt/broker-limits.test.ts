/**
 * The embedded broker against a hostile LAN, with real clients (mosquitto_pub/sub, raw TCP): an
 * 8 MB and a 64 MB publish are cut off as their header arrives (one 64 MB retained publish used to
 * raise the box by 200 MB and keep it there), 1,000 connections find 64 places, a client
 * publishing too fast is disconnected, anonymous clients retain nothing — and the box's memory
 * stays flat (a generous bound: +30 MB, where one 64 MB packet buffered whole is more than twice
 * that), each refusal is counted in the state payload, and the box still hears a halt.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApplianceState } from '../../src/core/state.js';
import { ManualClock } from '../../src/lib/clock.js';
import { mqttConfigSchema } from '../../src/mqtt/config.js';
import { MqttOutput } from '../../src/mqtt/mqtt-output.js';
import { FrameReader } from '../../src/mqtt/frame-guard.js';
import {
  captureLog,
  hasMosquitto,
  NO_MOSQUITTO_REASON,
  readRetained,
  RecordingControl,
  sampleState,
  until,
} from './helpers.js';

const DEVICE = 'testbox';
const BASE = `niftybox/${DEVICE}`;
const MB = 1 << 20;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function publish(port: number, args: string[], stdin?: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      'mosquitto_pub',
      ['-h', '127.0.0.1', '-p', String(port), ...args],
      { maxBuffer: 1 << 22 },
      (err, _out, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
    );
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
}

async function box(embeddedBroker: Record<string, unknown> = {}) {
  const control = new RecordingControl();
  const clock = new ManualClock(Date.UTC(2025, 5, 2, 4, 0));
  const out = new MqttOutput({
    config: mqttConfigSchema.parse({ embeddedBroker: { host: '127.0.0.1', port: 0, ...embeddedBroker } }),
    deviceId: DEVICE,
    control,
    log: captureLog(),
    swVersion: 'test',
    serial: null,
    clock,
  });
  cleanups.push(() => out.close());
  let state: ApplianceState = sampleState();
  await out.start();
  expect(await out.whenConnected(5000)).toBe(true);
  out.onState(state);
  const port = Number(new URL(out.stats().broker!).port);
  /**
   * A new state, published past the throttle (on the box's clock): the retained state then carries the latest counts.
   */
  const republish = async () => {
    state = { ...state, ts: state.ts + 1000 };
    clock.advance(1000);
    out.onState(state);
    clock.advance(1000);
    let body: Record<string, unknown> = {};
    for (let i = 0; i < 50; i++) {
      body = JSON.parse((await readRetained(port, `${BASE}/state`)) ?? '{}');
      if (body.ts === state.ts) break;
    }
    expect(body.ts).toBe(state.ts);
    return { body };
  };
  return { out, control, clock, port, republish };
}

const rssMb = () => process.memoryUsage.rss() / MB;

describe('the MQTT frame reader', () => {
  it('follows packets split anywhere and flags the first one over the limit by its announced length', () => {
    const r = new FrameReader(100);
    const packet = (len: number) => {
      const head = [0x30];
      let n = len;
      do {
        let b = n % 128;
        n = Math.floor(n / 128);
        if (n > 0) b |= 0x80;
        head.push(b);
      } while (n > 0);
      return Buffer.concat([Buffer.from(head), Buffer.alloc(Math.min(len, 1000))]);
    };
    const stream = Buffer.concat([packet(0), packet(100), packet(5), packet(99)]);
    for (let i = 0; i < stream.length; i++) expect(r.feed(stream.subarray(i, i + 1))).toBeNull();
    expect(r.feed(packet(101).subarray(0, 2))).toBe(101);
    expect(new FrameReader(100).feed(packet(64 * MB).subarray(0, 5))).toBe(64 * MB);
    expect(new FrameReader(100).feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toBe(-1);
  });
});

describe.skipIf(!hasMosquitto)(
  `the embedded broker on a hostile LAN${hasMosquitto ? '' : ` (${NO_MOSQUITTO_REASON})`}`,
  () => {
    it('an 8 MB and a 64 MB publish (anonymous, retained) are cut off; RSS stays ' +
      'within +30 MB; counted in the state; a halt still works', async () => {
      const { out, control, port, republish } = await box();
      const dir = mkdtempSync(join(tmpdir(), 'niftybox-big-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const before = rssMb();
      for (const [size, topic] of [
        [8 * MB, 'homeassistant/status'],
        [64 * MB, `${BASE}/cmd/halt`],
        [64 * MB, 'somewhere/else'],
      ] as const) {
        const file = join(dir, `${size}.bin`);
        writeFileSync(file, Buffer.alloc(size, 0x61));
        const r = await publish(port, ['-q', '1', '-r', '-t', topic, '-f', file]);
        expect(r.code, `${size} B on ${topic}: the broker cut it off`).not.toBe(0);
        rmSync(file);
      }
      await until(() => out.stats().embeddedBroker!.oversized === 3, 5000, 'three oversized clients counted');
      const grew = rssMb() - before;
      expect(grew, `RSS grew by ${grew.toFixed(1)} MB`).toBeLessThan(30);
      expect(await readRetained(port, 'homeassistant/status', 1)).toBeNull();
      expect(control.halts).toEqual([]);
      const { body } = await republish();
      expect(body.embeddedBroker).toMatchObject({ oversized: 3, refusedConnections: 0, overRate: 0 });
      // a normal-sized halt still gets through
      expect(
        (await publish(port, ['-q', '1', '-t', `${BASE}/cmd/halt`, '-m', '{"reason":"after the flood"}'])).code,
      ).toBe(0);
      await until(() => control.halts.length === 1, 5000, 'the halt');
      expect(control.halts[0]!.reason).toMatch(/after the flood/);
    }, 60_000);

    it("1,000 connections: 64 are held (the box's own among them) and one kept " +
      'for this machine, the rest closed at once and counted; RSS within +30 MB;' +
      ' after the flood clients connect again', async () => {
      const { out, port, republish } = await box();
      const before = rssMb();
      const socks: Socket[] = [];
      cleanups.push(() => socks.forEach((s) => s.destroy()));
      let closed = 0;
      for (let i = 0; i < 1000; i++) {
        const s = connect(port, '127.0.0.1');
        s.on('error', () => undefined);
        s.on('close', () => closed++);
        socks.push(s);
      }
      await until(
        () => {
          const b = out.stats().embeddedBroker!;
          return b.connections + b.refusedConnections === 1001;
        },
        30_000,
        'every connection accepted or refused',
      );
      const b = out.stats().embeddedBroker!;
      // 64, plus the one place kept for a connection from this machine (the box's own client reconnecting)
      expect(b.connections).toBe(65);
      expect(b.refusedConnections).toBe(936);
      await until(() => closed >= 936, 10_000, 'the refused sockets closed');
      const grew = rssMb() - before;
      expect(grew, `RSS grew by ${grew.toFixed(1)} MB`).toBeLessThan(30);
      expect(out.stats().connected).toBe(true);
      socks.forEach((s) => s.destroy());
      await until(() => out.stats().embeddedBroker!.connections === 1, 10_000, 'the flood gone');
      const { body } = await republish();
      expect((body.embeddedBroker as { refusedConnections: number }).refusedConnections).toBe(936);
    }, 60_000);

    it('a client publishing faster than maxPublishPerSecond is disconnected and ' +
      "counted; the box's own client is not limited", async () => {
      const { out, port, republish } = await box({ maxPublishPerSecond: 10 });
      // 500 publishes in one go on a clock that does not move: the burst (2 × 10) passes, then the client is cut off
      const lines = Array.from({ length: 500 }, (_, i) => `offline ${i}`).join('\n') + '\n';
      // QoS 0: mosquitto_pub may not notice it was cut off
      await publish(port, ['-q', '0', '-t', 'homeassistant/status', '-l'], lines);
      await until(() => out.stats().embeddedBroker!.overRate === 1, 5000, 'the fast client counted');
      // the box publishes more than 20 messages itself meanwhile (every state) and stays connected
      for (let i = 0; i < 30; i++) await republish();
      expect(out.stats().connected).toBe(true);
      expect(out.stats().connects).toBe(1);
      const { body } = await republish();
      expect(body.embeddedBroker).toMatchObject({ overRate: 1 });
    }, 60_000);

    it('anonymous clients retain nothing: a retained homeassistant/status is ' +
      'refused (dropped), not kept; a plain one is delivered', async () => {
      const { port } = await box();
      const sub = spawn('mosquitto_sub', [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-t',
        'homeassistant/status',
        '-v',
        '-W',
        '20',
      ]);
      cleanups.push(() => sub.kill());
      let got = '';
      sub.stdout.on('data', (d) => (got += d));
      expect((await publish(port, ['-q', '1', '-r', '-t', 'homeassistant/status', '-m', 'kept?'])).code).toBe(0);
      expect(await readRetained(port, 'homeassistant/status', 1)).toBeNull();
      // until the subscription has landed: a publish before it is simply repeated
      for (let i = 0; i < 50 && !got.includes('plain'); i++) {
        await publish(port, ['-q', '1', '-t', 'homeassistant/status', '-m', 'plain']);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(got).toContain('homeassistant/status plain');
      expect(got).not.toContain('kept?');
    }, 30_000);
  },
);
