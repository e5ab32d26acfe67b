/** Framebuffer ⇄ PNG (white pixels on black, like the panel), via pngjs. */
import { createRequire } from 'node:module';
import type { PNG as PNGClass } from 'pngjs';
import { Framebuffer } from './framebuffer.js';

// Loaded on the first PNG (the png: display twin, tests): a box driving the real OLED never needs it.
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

/** Reads a 128×64 (scale 1) PNG back; a pixel is lit when its red channel is over half. */
export function pngToFramebuffer(data: Buffer): Framebuffer {
  const img = PNG().sync.read(data);
  const fb = new Framebuffer();
  if (img.width !== fb.width || img.height !== fb.height) {
    throw new Error(`PNG is ${img.width}×${img.height}, expected ${fb.width}×${fb.height}`);
  }
  for (let y = 0; y < fb.height; y++) for (let x = 0; x < fb.width; x++) fb.setPixel(x, y, img.data[(y * img.width + x) * 4]! > 127);
  return fb;
}
