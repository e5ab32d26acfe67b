/**
 * Framebuffer → PNG (white pixels on black, like the panel), via pngjs; tests read them back with test/support/png.ts.
 */
import { createRequire } from 'node:module';
import type { PNG as PNGClass } from 'pngjs';
import { Framebuffer } from './framebuffer.js';

// Loaded on the first PNG (the png: display twin): a box driving the real OLED never needs it.
let png: typeof PNGClass | null = null;
const PNG = (): typeof PNGClass => (png ??= (createRequire(import.meta.url)('pngjs') as typeof import('pngjs')).PNG);

export function framebufferToPng(fb: Framebuffer, scale = 1): Buffer {
  const out = new (PNG())({ width: fb.width * scale, height: fb.height * scale });
  for (let y = 0; y < out.height; y++) {
    for (let x = 0; x < out.width; x++) {
      const on = fb.getPixel(Math.floor(x / scale), Math.floor(y / scale));
      const i = (y * out.width + x) * 4;
      const v = on ? 255 : 0;
      out.data[i] = v;
      out.data[i + 1] = on ? 255 : 0;
      out.data[i + 2] = on ? 255 : 0;
      out.data[i + 3] = 255;
    }
  }
  return PNG().sync.write(out);
}
