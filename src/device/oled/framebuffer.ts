/**
 * Our own 128×64 monochrome framebuffer, laid out exactly like SSD1306 GDDRAM: byte index
 * page*128 + x, bit (y mod 8), page = ⌊y/8⌋. Screens draw here; drivers push the bytes.
 */
export const OLED_WIDTH = 128;
export const OLED_HEIGHT = 64;
const OLED_PAGES = OLED_HEIGHT / 8;

export class Framebuffer {
  readonly width = OLED_WIDTH;
  readonly height = OLED_HEIGHT;
  readonly bytes = new Uint8Array((OLED_WIDTH * OLED_HEIGHT) / 8);

  clear(): void {
    this.bytes.fill(0);
  }

  setPixel(x: number, y: number, on = true): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y >> 3) * this.width + x;
    const bit = 1 << (y & 7);
    if (on) this.bytes[i]! |= bit;
    else this.bytes[i]! &= ~bit;
  }

  getPixel(x: number, y: number): boolean {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return false;
    return (this.bytes[(y >> 3) * this.width + x]! & (1 << (y & 7))) !== 0;
  }

  fillRect(x: number, y: number, w: number, h: number, on = true): void {
    for (let yy = y; yy < y + h; yy++) for (let xx = x; xx < x + w; xx++) this.setPixel(xx, yy, on);
  }

  hline(x: number, y: number, w: number, on = true): void {
    this.fillRect(x, y, w, 1, on);
  }

  rect(x: number, y: number, w: number, h: number): void {
    this.fillRect(x, y, w, 1);
    this.fillRect(x, y + h - 1, w, 1);
    this.fillRect(x, y, 1, h);
    this.fillRect(x + w - 1, y, 1, h);
  }

  /** Inverts a rectangle (used for title bars: white bar, black text). */
  invertRect(x: number, y: number, w: number, h: number): void {
    for (let yy = y; yy < y + h; yy++) for (let xx = x; xx < x + w; xx++) this.setPixel(xx, yy, !this.getPixel(xx, yy));
  }

  copyFrom(other: Framebuffer): void {
    this.bytes.set(other.bytes);
  }

  equals(other: Framebuffer): boolean {
    for (let i = 0; i < this.bytes.length; i++) if (this.bytes[i] !== other.bytes[i]) return false;
    return true;
  }
}

/** A run of changed bytes on one page: columns c0..c1 inclusive. */
export interface DirtyWindow {
  page: number;
  c0: number;
  c1: number;
}

/**
 * Opening a window costs two I2C transactions of its own (the 7-byte command write, then the data
 * write's address and control byte) plus a system call each, so two runs of changes closer than
 * this many unchanged columns are sent as one window.
 */
const WINDOW_MERGE_GAP = 16;

/** The changed bytes between two frames as column windows per page, nearby runs merged. */
export function dirtyWindows(prev: Framebuffer, next: Framebuffer): DirtyWindow[] {
  const out: DirtyWindow[] = [];
  for (let page = 0; page < OLED_PAGES; page++) {
    let open: DirtyWindow | null = null;
    for (let x = 0; x < OLED_WIDTH; x++) {
      const i = page * OLED_WIDTH + x;
      if (prev.bytes[i] === next.bytes[i]) continue;
      if (open && x - open.c1 - 1 <= WINDOW_MERGE_GAP) open.c1 = x;
      else {
        open = { page, c0: x, c1: x };
        out.push(open);
      }
    }
  }
  return out;
}
