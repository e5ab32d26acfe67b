/**
 * Every screen: oled-i2c-bus itself drives a fake i2c-bus whose SSD1306 decoder rebuilds the
 * panel's picture; it must equal our framebuffer, and the framebuffer must equal the golden PNG
 * (UPDATE_GOLDEN=1 rewrites them; ×4 copies for viewing go to $TMPDIR/niftybox-oled-x4).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger, setLogSink } from '../../src/log.js';
import { Framebuffer } from '../../src/device/oled/framebuffer.js';
import { OledDisplay } from '../../src/device/oled/oled-display.js';
import { framebufferToPng } from '../../src/device/oled/png.js';
import { pngToFramebuffer } from '../support/png.js';
import { renderScreen } from '../../src/device/oled/screens.js';
import { framebufferToText } from '../../src/device/oled/terminal-display.js';
import { SCREEN_CASES } from './fixtures.js';
import { FakeI2cBus } from './ssd1306-decoder.js';

const GOLDEN = join(import.meta.dirname, 'golden');
const VIEW = join(tmpdir(), 'niftybox-oled-x4');
const update = process.env.UPDATE_GOLDEN === '1';

function diffCount(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) for (let bit = 0; bit < 8; bit++) if (((a[i]! ^ b[i]!) >> bit) & 1) n++;
  return n;
}

describe('OLED screens through oled-i2c-bus and an SSD1306 decoder', () => {
  const logs: string[] = [];
  beforeEach(() => {
    setLogSink((l) => logs.push(l));
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('init sequence puts the panel in horizontal mode, on, not inverted', () => {
    const bus = new FakeI2cBus();
    new OledDisplay({ bus, address: 0x3c, log: createLogger() });
    const d = bus.decoder;
    expect(d.displayOn).toBe(true);
    expect(d.mode).toBe(0);
    expect(d.inverted).toBe(false);
    expect(d.chargePump).toBe(true);
    expect(d.multiplex).toBe(63);
    // each command byte is its own 2-byte write with control byte 0x00
    expect(bus.transfers.every((t) => t.bytes.length === 2 && t.bytes[0] === 0)).toBe(true);
  });

  it('each screen: decoded GRAM == framebuffer == golden PNG; changes go as page windows', () => {
    if (update) mkdirSync(GOLDEN, { recursive: true });
    mkdirSync(VIEW, { recursive: true });
    const bus = new FakeI2cBus();
    const oled = new OledDisplay({ bus, address: 0x3c, log: createLogger() });
    const fb = new Framebuffer();
    let first = true;
    for (const c of SCREEN_CASES) {
      const id = renderScreen(fb, c.input);
      expect(id, c.name).toBe(c.expectId);
      const before = bus.transfers.length;
      oled.show(fb);
      vi.advanceTimersByTime(1); // oled-i2c-bus defers update() with setTimeout(0)
      const sent = bus.transfers.slice(before).filter((t) => t.kind === 'write');
      expect(sent.length, `${c.name}: something was sent`).toBeGreaterThan(0);
      if (!first) {
        // a changed screen goes out as windows (≤ 8 data writes) or one full update, never per byte
        const dataWrites = sent.filter((t) => t.bytes[0] === 0x40);
        expect(dataWrites.length, c.name).toBeLessThanOrEqual(40);
      }
      first = false;
      expect(
        diffCount(bus.decoder.visible(), fb.bytes),
        `${c.name}: pixels differing between panel and framebuffer`,
      ).toBe(0);

      const file = join(GOLDEN, `${c.name}.png`);
      writeFileSync(join(VIEW, `${c.name}.png`), framebufferToPng(fb, 4));
      if (update) writeFileSync(file, framebufferToPng(fb, 1));
      expect(existsSync(file), `golden ${file} missing: run with UPDATE_GOLDEN=1`).toBe(true);
      const golden = pngToFramebuffer(readFileSync(file));
      expect(diffCount(golden.bytes, fb.bytes), `${c.name}: pixels differing from golden`).toBe(0);
    }
  });

  it('an unchanged frame sends nothing; a clock tick sends one small window', () => {
    const bus = new FakeI2cBus();
    const oled = new OledDisplay({ bus, address: 0x3c, log: createLogger() });
    const fb = new Framebuffer();
    const c = SCREEN_CASES.find((s) => s.name === 'flat')!;
    renderScreen(fb, c.input);
    oled.show(fb);
    vi.advanceTimersByTime(1);
    const n = bus.transfers.length;
    oled.show(fb);
    vi.advanceTimersByTime(1);
    expect(bus.transfers.length).toBe(n);
    renderScreen(fb, { ...c.input, now: c.input.now + 1000 });
    oled.show(fb);
    vi.advanceTimersByTime(1);
    const sent = bus.transfers.slice(n);
    const data = sent.filter((t) => t.bytes[0] === 0x40);
    // only page 7 (status line) changed: the tick age on the left and the seconds on the right
    expect(data.length).toBeGreaterThanOrEqual(1);
    expect(data.length).toBeLessThanOrEqual(2);
    expect(data.reduce((n, t) => n + t.bytes.length - 1, 0)).toBeLessThan(40);
    // each window is one command write (column and page window) before its data write
    const commands = sent.filter((t) => t.bytes[0] === 0x00);
    expect(commands).toHaveLength(data.length);
    for (const t of commands)
      expect(t.bytes.slice(0, 2).concat(t.bytes.slice(4, 5), t.bytes[5] === t.bytes[6] ? [] : [-1])).toEqual([
        0x00, 0x21, 0x22,
      ]);
    expect(bus.decoder.visible()).toEqual(fb.bytes);
  });

  it('renders to terminal half blocks (32 rows inside a frame)', () => {
    const fb = new Framebuffer();
    renderScreen(fb, SCREEN_CASES.find((s) => s.name === 'halted')!.input);
    const text = framebufferToText(fb);
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(34);
    expect(lines[1]).toMatch(/^│█+/); // the inverted HALTED bar
    expect([...lines[5]!].length).toBe(130);
  });
});

describe('the SSD1306 decoder itself', () => {
  beforeEach(() => {
    setLogSink(() => {});
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it("reproduces oled-i2c-bus's own buffer after its per-byte dirty path and full updates", async () => {
    const { createRequire } = await import('node:module');
    const Oled = createRequire(import.meta.url)('oled-i2c-bus');
    const bus = new FakeI2cBus();
    const oled = new Oled(bus, { width: 128, height: 64, address: 0x3c });
    oled.fillRect(10, 5, 20, 12, 1); // ≤ 146 dirty bytes: 7 transfers per byte
    vi.advanceTimersByTime(1);
    expect(bus.decoder.gram).toEqual(new Uint8Array(oled.buffer));
    oled.drawLine(0, 63, 127, 0, 1);
    oled.drawPixel([
      [127, 63, 1],
      [0, 0, 1],
    ]);
    vi.advanceTimersByTime(1);
    expect(bus.decoder.gram).toEqual(new Uint8Array(oled.buffer));
    oled.fillRect(0, 0, 128, 40, 1); // > 146 dirty bytes: one full update
    vi.advanceTimersByTime(1);
    expect(bus.decoder.gram).toEqual(new Uint8Array(oled.buffer));
    oled.invertDisplay(true);
    expect(bus.decoder.visible()[0]).toBe(~oled.buffer[0] & 0xff);
  });

  it('page and vertical addressing modes follow the datasheet', () => {
    const bus = new FakeI2cBus();
    const cmd = (...b: number[]) => b.forEach((x) => bus.i2cWriteSync(0x3c, 2, Buffer.from([0x00, x])));
    const data = (...b: number[]) => bus.i2cWriteSync(0x3c, b.length + 1, Buffer.from([0x40, ...b]));
    cmd(0xaf, 0x20, 0x02, 0xb3, 0x05, 0x12); // page mode, page 3, column 0x25
    data(1, 2);
    expect([...bus.decoder.gram.subarray(3 * 128 + 0x25, 3 * 128 + 0x27)]).toEqual([1, 2]);
    cmd(0x20, 0x01, 0x21, 10, 11, 0x22, 6, 7); // vertical mode, 2×2 window
    data(9, 8, 7, 6, 5);
    const g = bus.decoder.gram;
    // page first, then column; the 5th byte wrapped back to the window start and overwrote the 9
    expect([g[6 * 128 + 10], g[7 * 128 + 10], g[6 * 128 + 11], g[7 * 128 + 11]]).toEqual([5, 8, 7, 6]);
    expect(bus.decoder.col).toBe(10);
    expect(bus.decoder.page).toBe(7);
  });
});

describe('page selection', () => {
  it('take-over alarms replace the pages; other alarms add a page; halted joins the alarm cycle', async () => {
    const { screenPages } = await import('../../src/device/oled/screens.js');
    const { baseState } = await import('./fixtures.js');
    const base = SCREEN_CASES.find((c) => c.name === 'flat')!.input;
    const ids = (state: ReturnType<typeof baseState>) => screenPages({ ...base, state }).map((p) => p.id);
    expect(ids(baseState())).toEqual(['flat', 'day']);
    expect(ids(baseState({ alarms: [{ code: 'MQTT', message: 'broker unreachable' }] }))).toEqual([
      'flat',
      'day',
      'alarm:MQTT',
    ]);
    expect(ids(baseState({ alarms: [{ code: 'INDICATORS_COLD', message: '' }] }))).toEqual(['flat', 'day']);
    expect(
      ids(
        baseState({
          trading: 'halted',
          alarms: [
            { code: 'STALE_FEED', message: '' },
            { code: 'TOKEN_EXPIRED', message: '' },
          ],
        }),
      ),
    ).toEqual(['alarm:STALE_FEED', 'alarm:TOKEN_EXPIRED', 'halted']);
    expect(ids(baseState({ session: 'closed' }))).toEqual(['closed']);
    expect(screenPages({ ...base, state: null }).map((p) => p.id)).toEqual(['warmup']);
  });
});
