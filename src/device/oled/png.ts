/** Framebuffer ⇄ PNG (white pixels on black, like the panel), via pngjs. */
import { PNG } from 'pngjs';
import { Framebuffer } from './framebuffer.js';

export function framebufferToPng(fb: Framebuffer, scale = 1): Buffer {
  const png = new PNG({ width: fb.width * scale, height: fb.height * scale });
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      const on = fb.getPixel(Math.floor(x / scale), Math.floor(y / scale));
      const i = (y * png.width + x) * 4;
      const v = on ? 255 : 0;
      png.data[i] = v;
      png.data[i + 1] = on ? 255 : 0;
      png.data[i + 2] = on ? 255 : 0;
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

/** Reads a 128×64 (scale 1) PNG back; a pixel is lit when its red channel is over half. */
export function pngToFramebuffer(data: Buffer): Framebuffer {
  const png = PNG.sync.read(data);
  const fb = new Framebuffer();
  if (png.width !== fb.width || png.height !== fb.height) {
    throw new Error(`PNG is ${png.width}×${png.height}, expected ${fb.width}×${fb.height}`);
  }
  for (let y = 0; y < fb.height; y++) for (let x = 0; x < fb.width; x++) fb.setPixel(x, y, png.data[(y * png.width + x) * 4]! > 127);
  return fb;
}
