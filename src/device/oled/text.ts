/** Text on the framebuffer: the 5×7 font (optionally scaled) and the big P&L digits. */
import { BIG_GLYPHS, BIG_SCALE } from './font-big.js';
import { SMALL_ADVANCE, SMALL_GLYPHS } from './font-small.js';
import type { Framebuffer } from './framebuffer.js';

const UNKNOWN = SMALL_GLYPHS['?']!;

/** `bold` widens every lit pixel by one column (vertical strokes 3 px at ×2: reads further). */
function drawGlyph(
  fb: Framebuffer,
  x: number,
  y: number,
  rows: readonly string[],
  scale: number,
  on: boolean,
  bold = 0,
): void {
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    for (let c = 0; c < row.length; c++) {
      if (row[c] === '#') fb.fillRect(x + c * scale, y + r * scale, scale + bold, scale, on);
    }
  }
}

/** Width in pixels of `text` in the small font at `scale` (no trailing spacing column). */
export function smallTextWidth(text: string, scale = 1): number {
  const n = [...text].length;
  return n === 0 ? 0 : (n * SMALL_ADVANCE - 1) * scale;
}

/** Draws in the 5×7 font; `on=false` draws dark pixels (text on an inverted bar). Returns the width. */
export function drawSmallText(fb: Framebuffer, x: number, y: number, text: string, scale = 1, on = true): number {
  let cx = x;
  for (const ch of text) {
    drawGlyph(fb, cx, y, SMALL_GLYPHS[ch] ?? UNKNOWN, scale, on);
    cx += SMALL_ADVANCE * scale;
  }
  return smallTextWidth(text, scale);
}

export function drawSmallCentered(fb: Framebuffer, y: number, text: string, scale = 1, on = true): void {
  drawSmallText(fb, Math.max(0, Math.floor((fb.width - smallTextWidth(text, scale)) / 2)), y, text, scale, on);
}

export function drawSmallRight(fb: Framebuffer, right: number, y: number, text: string, scale = 1, on = true): void {
  drawSmallText(fb, right - smallTextWidth(text, scale), y, text, scale, on);
}

export function bigTextWidth(text: string, scale = BIG_SCALE): number {
  let w = 0;
  for (const ch of text) w += ((BIG_GLYPHS[ch]?.[0]?.length ?? 3) + 1) * scale + 1;
  return w > 0 ? w - scale : 0; // the bold column fills the last glyph's 1 px of advance
}

/** Draws the big digits (only 0-9 + - ₹ , . and space exist). Returns the width. */
export function drawBigText(fb: Framebuffer, x: number, y: number, text: string, scale = BIG_SCALE): number {
  let cx = x;
  for (const ch of text) {
    const rows = BIG_GLYPHS[ch] ?? BIG_GLYPHS[' ']!;
    drawGlyph(fb, cx, y, rows, scale, true, 1);
    cx += (rows[0]!.length + 1) * scale + 1;
  }
  return bigTextWidth(text, scale);
}

/** Greedy word wrap to `maxChars` per line; long words are cut. */
export function wrapText(text: string, maxChars: number, maxLines: number): string[] {
  const lines: string[] = [];
  let line = '';
  const words = text.split(/\s+/).filter(Boolean);
  for (let word of words) {
    while (word.length > maxChars) {
      if (line) {
        lines.push(line);
        line = '';
      }
      lines.push(word.slice(0, maxChars));
      word = word.slice(maxChars);
    }
    if (!line) line = word;
    else if (line.length + 1 + word.length <= maxChars) line += ' ' + word;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  if (lines.length > maxLines) {
    const kept = lines.slice(0, maxLines);
    const last = kept[maxLines - 1]!;
    kept[maxLines - 1] = (last.length >= maxChars ? last.slice(0, maxChars - 1) : last) + '…';
    return kept;
  }
  return lines;
}

/** Characters per line of the small font across the panel. */
export const SMALL_CHARS_PER_LINE = Math.floor((128 + 1) / SMALL_ADVANCE);
