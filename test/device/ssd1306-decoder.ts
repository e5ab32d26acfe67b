/**
 * Test double at the wire: an i2c-bus `Bus` that records every transfer to the SSD1306 and
 * decodes it with the controller's command semantics (datasheet §10, hardware.md §5.5–5.6) back
 * into GDDRAM, so a test can compare what the panel would show with our framebuffer.
 */
export interface Transfer {
  kind: 'write' | 'read';
  address: number;
  bytes: number[];
}

/** Number of argument bytes that follow each command (the ones oled-i2c-bus can send). */
function argCount(cmd: number): number {
  if (cmd === 0x21 || cmd === 0x22) return 2;
  if (cmd === 0x26 || cmd === 0x27) return 6;
  if (cmd === 0x29 || cmd === 0x2a) return 5;
  if (cmd === 0xa3) return 2;
  if ([0x20, 0x81, 0x8d, 0xa8, 0xd3, 0xd5, 0xd9, 0xda, 0xdb].includes(cmd)) return 1;
  return 0;
}

export class Ssd1306Decoder {
  readonly gram = new Uint8Array(1024);
  displayOn = false;
  inverted = false;
  allOn = false;
  contrast = 0x7f;
  chargePump = false;
  /** 0 horizontal, 1 vertical, 2 page (reset default). */
  mode = 2;
  colStart = 0;
  colEnd = 127;
  pageStart = 0;
  pageEnd = 7;
  col = 0;
  page = 0;
  multiplex = 63;
  segRemap = false;
  comScanDec = false;
  startLine = 0;
  private pending: number[] = [];
  commands = 0;
  dataBytes = 0;

  /** One I2C write: control byte, then commands or data. */
  write(bytes: readonly number[]): void {
    const control = bytes[0]!;
    if (control & 0x80)
      throw new Error(`control byte 0x${control.toString(16)} has Co=1: oled-i2c-bus never sends that`);
    const dc = (control & 0x40) !== 0;
    for (const b of bytes.slice(1)) dc ? this.data(b) : this.command(b);
  }

  private data(b: number): void {
    this.gram[this.page * 128 + this.col] = b;
    this.dataBytes++;
    if (this.mode === 0) {
      if (this.col >= this.colEnd) {
        this.col = this.colStart;
        this.page = this.page >= this.pageEnd ? this.pageStart : this.page + 1;
      } else this.col++;
    } else if (this.mode === 1) {
      if (this.page >= this.pageEnd) {
        this.page = this.pageStart;
        this.col = this.col >= this.colEnd ? this.colStart : this.col + 1;
      } else this.page++;
    } else if (this.col < 127) this.col++;
  }

  private command(b: number): void {
    this.pending.push(b);
    const cmd = this.pending[0]!;
    if (this.pending.length <= argCount(cmd)) return;
    const args = this.pending.slice(1);
    this.pending = [];
    this.commands++;
    switch (cmd) {
      case 0xae:
        this.displayOn = false;
        return;
      case 0xaf:
        this.displayOn = true;
        return;
      case 0xa4:
      case 0xa5:
        this.allOn = cmd === 0xa5;
        return;
      case 0xa6:
      case 0xa7:
        this.inverted = cmd === 0xa7;
        return;
      case 0x81:
        this.contrast = args[0]!;
        return;
      case 0x8d:
        this.chargePump = args[0] === 0x14;
        return;
      case 0x20:
        this.mode = args[0]! & 3;
        return;
      case 0x21:
        this.colStart = args[0]! & 0x7f;
        this.colEnd = args[1]! & 0x7f;
        this.col = this.colStart;
        return;
      case 0x22:
        this.pageStart = args[0]! & 7;
        this.pageEnd = args[1]! & 7;
        this.page = this.pageStart;
        return;
      case 0xa8:
        this.multiplex = args[0]!;
        return;
      case 0xa0:
      case 0xa1:
        this.segRemap = cmd === 0xa1;
        return;
      case 0xc0:
      case 0xc8:
        this.comScanDec = cmd === 0xc8;
        return;
    }
    if (cmd >= 0xb0 && cmd <= 0xb7) this.page = cmd & 7;
    else if (cmd <= 0x0f) this.col = (this.col & 0xf0) | cmd;
    else if (cmd >= 0x10 && cmd <= 0x1f) this.col = ((cmd & 0x0f) << 4) | (this.col & 0x0f);
    else if (cmd >= 0x40 && cmd <= 0x7f) this.startLine = cmd & 0x3f;
    // others (clock, offset, precharge, COM pins, VCOMH, scrolling) do not change the picture here
  }

  /** What the viewer sees: GRAM unless the panel is off, forced on, or inverted. */
  visible(): Uint8Array {
    if (!this.displayOn) return new Uint8Array(1024);
    if (this.allOn) return new Uint8Array(1024).fill(0xff);
    return this.inverted ? this.gram.map((b) => ~b & 0xff) : this.gram.slice();
  }
}

type FailMode = null | { code: string; errno: number };

/** A fake i2c-bus Bus with the methods oled-i2c-bus and our driver call; it can be unplugged. */
export class FakeI2cBus {
  readonly decoder = new Ssd1306Decoder();
  readonly transfers: Transfer[] = [];
  private failing: FailMode = null;
  errorsThrown = 0;

  constructor(readonly address = 0x3c) {}

  /** Every transfer from now on fails like an unplugged panel (fs path: errno -121). */
  unplug(code = 'EREMOTEIO', errno = -121): void {
    this.failing = { code, errno };
  }

  plugIn(): void {
    this.failing = null;
    // a re-connected panel has lost power: it resets to its defaults
    Object.assign(this.decoder, new Ssd1306Decoder());
  }

  private check(syscall: string): void {
    if (!this.failing) return;
    this.errorsThrown++;
    const err = new Error(`${this.failing.code}: remote I/O error, ${syscall}`) as NodeJS.ErrnoException;
    err.code = this.failing.code;
    err.errno = this.failing.errno;
    err.syscall = syscall;
    throw err;
  }

  i2cWriteSync(address: number, length: number, buffer: Buffer): number {
    this.check('write');
    const bytes = [...buffer.subarray(0, length)];
    this.transfers.push({ kind: 'write', address, bytes });
    if (address === this.address) this.decoder.write(bytes);
    return length;
  }

  i2cReadSync(address: number, length: number, buffer: Buffer): number {
    this.check('read');
    this.transfers.push({ kind: 'read', address, bytes: [] });
    buffer.fill(0, 0, length);
    return length;
  }

  receiveByteSync(address: number): number {
    this.check('receiveByte');
    this.transfers.push({ kind: 'read', address, bytes: [] });
    return 0;
  }

  writeI2cBlockSync(address: number, cmd: number, length: number, buffer: Buffer): number {
    if (length > 32) throw new Error(`Invalid buffer length ${length}`);
    return this.i2cWriteSync(address, length + 1, Buffer.concat([Buffer.from([cmd]), buffer.subarray(0, length)]));
  }

  closeSync(): void {}
}
