/**
 * Display twin for a terminal: the 128×64 framebuffer as 32 rows of Unicode half blocks in a
 * box. On a TTY each new frame overwrites the previous one in place.
 */
import type { Writable } from 'node:stream';
import { Framebuffer } from './framebuffer.js';
import type { DisplaySink } from './sink.js';

const HALF = [' ', '▀', '▄', '█'] as const;

export function framebufferToText(fb: Framebuffer): string {
  const lines = [`┌${'─'.repeat(fb.width)}┐`];
  for (let y = 0; y < fb.height; y += 2) {
    let line = '│';
    for (let x = 0; x < fb.width; x++) line += HALF[(fb.getPixel(x, y) ? 1 : 0) | (fb.getPixel(x, y + 1) ? 2 : 0)];
    lines.push(line + '│');
  }
  lines.push(`└${'─'.repeat(fb.width)}┘`);
  return lines.join('\n') + '\n';
}

export class TerminalDisplay implements DisplaySink {
  readonly kind = 'terminal';
  private readonly shown = new Framebuffer();
  private drawn = false;

  constructor(private readonly out: Writable & { isTTY?: boolean }) {}

  show(fb: Framebuffer): void {
    if (this.drawn && this.shown.equals(fb)) return;
    const text = framebufferToText(fb);
    const rows = fb.height / 2 + 2;
    try {
      this.out.write((this.drawn && this.out.isTTY ? `\x1b[${rows}A\r` : '') + text);
    } catch {
      return; // a closed terminal is not worth stopping for
    }
    this.shown.copyFrom(fb);
    this.drawn = true;
  }

  async close(): Promise<void> {}
}
