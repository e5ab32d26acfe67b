import { describe, expect, it } from 'vitest';
import { fitPrices, formatDate, formatPrice } from '../../src/device/oled/format.js';
import { Framebuffer } from '../../src/device/oled/framebuffer.js';
import { renderScreen } from '../../src/device/oled/screens.js';
import { framebufferToText } from '../../src/device/oled/terminal-display.js';
import { SCREEN_CASES } from './fixtures.js';

describe('OLED number formats', () => {
  it('prices keep two decimals, and never show a binary artefact (118.05 is not 118.0, 10.55 is not 10.6)', () => {
    expect(formatPrice(10.55)).toBe('10.55');
    expect(formatPrice(118.05)).toBe('118.05');
    expect(formatPrice(102.5)).toBe('102.50');
    expect(formatPrice(102.5, 'exact')).toBe('102.5');
    expect(formatPrice(118.05, 1)).toBe('118.1');
    expect(formatPrice(0.05, 0)).toBe('0');
    expect(formatPrice(1234.5)).toBe('1234.50');
  });

  it('a line drops precision only as far as it must to fit', () => {
    const line = (entry: number, ltp: number) => fitPrices(21, (px) => `CE 24550 ${px(entry)}→${px(ltp)}`);
    expect(line(10.55, 12.4)).toBe('CE 24550 10.55→12.40');
    expect(line(102.5, 118.05)).toBe('CE 24550 102.5→118.05'); // exact: nothing lost
    expect(line(102.55, 118.05)).toBe('CE 24550 102.6→118.1');
    expect(line(1102.55, 1118.05)).toBe('CE 24550 1103→1118');
  });

  it('dates read as a person says them', () => {
    expect(formatDate('2025-06-05')).toBe('Thu 05 Jun 2025');
  });
});

describe('what the screens say', () => {
  const text = (name: string) => {
    const fb = new Framebuffer();
    renderScreen(fb, SCREEN_CASES.find((c) => c.name === name)!.input);
    return fb;
  };
  it(
    "the feed age is the feed's, not the snapshot age: a demo state a minute " +
      'old with a 3 s old tick draws the same as a fresh one',
    () => {
      const c = SCREEN_CASES.find((x) => x.name === 'demo-flat')!;
      const fresh = new Framebuffer();
      renderScreen(fresh, { ...c.input, state: { ...c.input.state!, ts: c.input.now } });
      expect(framebufferToText(text('demo-flat'))).toBe(framebufferToText(fresh));
    },
  );
});
