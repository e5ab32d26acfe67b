/**
 * `niftybox doctor` checks for the box: the kill-switch pin opens and reads released, the buzzer
 * pin opens, the OLED answers on its I2C address. Each result says what to do when it fails.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceConfig } from './config.js';
import type { DeviceHardware } from './device.js';
import { sysfsGpioNumber } from './gpio/numbering.js';
import { type GpioConstructor, loadOnoffGpio } from './gpio/onoff.js';
import { openRealI2cBus } from './oled/i2c.js';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
}

function errText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const message = String(e?.message ?? err);
  return e.code && !message.startsWith(e.code) ? `${e.code}: ${message}` : message;
}

function gpioHint(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES') return 'add the service user to group gpio';
  if (code === 'EINVAL')
    return 'wrong sysfs number: set device.button.gpioBase (512 on Pi 4, 571 on Pi 5 with kernel 6.6+)';
  if (code === 'ENOENT') return 'no sysfs GPIO on this machine';
  return code ? 'check the pin number and wiring' : '';
}

function gpioFailure(bcm: number, err: unknown): string {
  const hint = gpioHint(err);
  return `GPIO${bcm}: ${errText(err)}${hint ? ` — ${hint}` : ''}`;
}

/** Finds the pin's sysfs number and loads onoff for `probe`; any failure on the way is the check's detail. */
function openGpioCheck(
  name: string,
  bcmPin: number,
  config: DeviceConfig,
  hw: DeviceHardware,
  probe: (Gpio: GpioConstructor, number: number, where: string) => DoctorCheck,
): DoctorCheck {
  try {
    const { number, how } = sysfsGpioNumber(bcmPin, { gpioBase: config.button.gpioBase, sysfsRoot: hw.sysfsRoot });
    return probe(hw.Gpio ?? loadOnoffGpio(), number, `GPIO${bcmPin} = sysfs ${number} (${how})`);
  } catch (err) {
    return { name, ok: false, detail: gpioFailure(bcmPin, err) };
  }
}

export async function doctorDeviceChecks(config: DeviceConfig, hw: DeviceHardware = {}): Promise<DoctorCheck[]> {
  return [checkButton(config, hw), checkBuzzer(config, hw), checkDisplay(config, hw)];
}

function checkButton(config: DeviceConfig, hw: DeviceHardware): DoctorCheck {
  const name = 'kill switch (GPIO)';
  const b = config.button;
  if (b.simulated) return { name, ok: true, detail: 'simulated button (device.button.simulated)' };
  if (b.bcmPin === null) return { name, ok: false, detail: 'no kill switch configured (device.button.bcmPin is null)' };
  const bcmPin = b.bcmPin;
  return openGpioCheck(name, bcmPin, config, hw, (Gpio, number, where) => {
    const gpio = new Gpio(number, 'in', 'both', { activeLow: b.wiring === 'no', debounceTimeout: 0 });
    const pressed = gpio.readSync() === 1;
    const wiring = `${where}, ${b.wiring === 'no' ? 'normally open' : 'normally closed'}`;
    if (pressed) {
      const why =
        b.wiring === 'nc'
          ? 'circuit OPEN: pressed, cable cut or unplugged'
          : `reads PRESSED: button held, shorted to GND, or no pull-up (add ` +
            `gpio=${bcmPin}=ip,pu to /boot/firmware/config.txt)`;
      return { name, ok: false, detail: `${wiring}: ${why}` };
    }
    return { name, ok: true, detail: `${wiring}: released` };
  });
}

function checkBuzzer(config: DeviceConfig, hw: DeviceHardware): DoctorCheck {
  const name = 'buzzer (GPIO)';
  const z = config.buzzer;
  if (z.simulated) return { name, ok: true, detail: 'simulated buzzer (log only)' };
  if (z.bcmPin === null) return { name, ok: true, detail: 'no buzzer configured' };
  return openGpioCheck(name, z.bcmPin, config, hw, (Gpio, number, where) => {
    // reconfigureDirection false: a running appliance's output is left as it is
    new Gpio(number, z.activeLow ? 'high' : 'low', 'none', { activeLow: z.activeLow, reconfigureDirection: false });
    return { name, ok: true, detail: `${where} opens as an output` };
  });
}

function checkDisplay(config: DeviceConfig, hw: DeviceHardware): DoctorCheck {
  const name = 'display (I2C OLED)';
  const d = config.display;
  if (d.kind !== 'auto' && d.kind !== 'oled') return { name, ok: true, detail: `display is ${d.kind} (simulated)` };
  const dev = join(hw.devRoot ?? '/dev', `i2c-${d.i2cBus}`);
  if (!existsSync(dev)) {
    return {
      name,
      ok: false,
      detail: `${dev} missing: enable I2C (sudo raspi-config nonint do_i2c 0) or set device.display.kind`,
    };
  }
  const addr = `0x${d.address.toString(16)}`;
  try {
    const bus = (hw.openI2cBus ?? openRealI2cBus)(d.i2cBus);
    bus.i2cReadSync(d.address, 1, Buffer.alloc(1));
    return { name, ok: true, detail: `SSD1306 answers at ${addr} on ${dev}` };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint =
      code === 'EREMOTEIO' || code === 'ENXIO'
        ? `nothing answers at ${addr}: check SDA/SCL/3.3 V wiring, or the address (0x3d when SA0 is set)`
        : code === 'EACCES'
          ? 'add the service user to group i2c'
          : code === 'EBUSY'
            ? 'a kernel driver (ssd1306 overlay) owns the address: remove that dtoverlay'
            : 'check i2cdetect -y ' + d.i2cBus;
    return { name, ok: false, detail: `${dev} ${addr}: ${errText(err)} — ${hint}` };
  }
}
