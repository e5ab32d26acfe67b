import type { Framebuffer } from './framebuffer.js';

/** Where frames go: the real OLED, a terminal, a PNG file, or nowhere. */
export interface DisplaySink {
  readonly kind: string;
  /** Shows this frame (the sink copies what it needs; it must not throw). */
  show(fb: Framebuffer): void;
  close(): Promise<void>;
}

export class NullDisplay implements DisplaySink {
  readonly kind = 'none';
  show(): void {}
  async close(): Promise<void> {}
}
