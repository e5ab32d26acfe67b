/**
 * Reads the PNGs our display twin and the OLED goldens are written as (src/device/oled/png.ts) back into a framebuffer.
 */
import { PNG } from 'pngjs';
import { Framebuffer } from '../../src/device/oled/framebuffer.js';

/** A 128×64 (scale 1) PNG as a framebuffer; a pixel is lit when its red channel is over half. */
export function pngToFramebuffer(data: Buffer): Framebuffer {
  const img = PNG.sync.read(data);
  const fb = new Framebuffer();
  if (img.width !== fb.width || img.height !== fb.height) {
    throw new Error(`PNG is ${img.width}×${img.height}, expected ${fb.width}×${fb.height}`);
  }
  for (let y = 0; y < fb.height; y++)
    for (let x = 0; x < fb.width; x++) fb.setPixel(x, y, img.data[(y * img.width + x) * 4]! > 127);
  return fb;
}
