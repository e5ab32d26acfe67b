/**
 * A column window of one page written straight to an SSD1306 over I2C (datasheet §8.1.5, §10.1.4–5;
 * hardware.md §5.2, §5.5): one command write `00 21 c0 c1 22 p p` (Co=0, D/C#=0: a command stream),
 * then one data write `40 <bytes>` (D/C#=1), which the controller stores from (p, c0) on in
 * horizontal addressing mode — the mode oled-i2c-bus's init sets. oled-i2c-bus itself can only send a
 * whole frame (`update()`) or 7 transfers per byte, and has no public call for a window.
 */
import type { I2cBusLike } from './i2c.js';

const CONTROL_COMMANDS = 0x00;
const CONTROL_DATA = 0x40;
const COLUMN_ADDR = 0x21;
const PAGE_ADDR = 0x22;

/** Writes `bytes` to columns c0..c0+bytes.length-1 of `page`; returns the data bytes sent. */
export function writePageWindow(bus: I2cBusLike, address: number, page: number, c0: number, bytes: Uint8Array): number {
  const c1 = c0 + bytes.length - 1;
  const commands = Buffer.from([CONTROL_COMMANDS, COLUMN_ADDR, c0, c1, PAGE_ADDR, page, page]);
  bus.i2cWriteSync(address, commands.length, commands);
  const data = Buffer.alloc(bytes.length + 1);
  data[0] = CONTROL_DATA;
  data.set(bytes, 1);
  bus.i2cWriteSync(address, data.length, data);
  return bytes.length;
}
