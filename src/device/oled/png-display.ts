/** Display twin that keeps a PNG file showing the current screen (128×64, scale from options). */
import { renameSync, writeFileSync } from 'node:fs';
import type { Logger } from '../../log.js';
import { Framebuffer } from './framebuffer.js';
import { framebufferToPng } from './png.js';
import type { DisplaySink } from './sink.js';

export class PngDisplay implements DisplaySink {
  readonly kind = 'png';
  private readonly shown = new Framebuffer();
  private first = true;
  private failed = false;
  framesWritten = 0;

  constructor(
    readonly file: string,
    private readonly log: Logger,
    private readonly scale = 1,
  ) {}

  show(fb: Framebuffer): void {
    if (!this.first && this.shown.equals(fb)) return;
    try {
      // write-then-rename so an image viewer never reads half a file
      const tmp = `${this.file}.tmp`;
      writeFileSync(tmp, framebufferToPng(fb, this.scale));
      renameSync(tmp, this.file);
      this.shown.copyFrom(fb);
      this.first = false;
      this.framesWritten++;
      this.failed = false;
    } catch (err) {
      if (!this.failed) this.log.warn(`cannot write display PNG ${this.file}: ${(err as Error).message}`);
      this.failed = true;
    }
  }

  async close(): Promise<void> {}
}
