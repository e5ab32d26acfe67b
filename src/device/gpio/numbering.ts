/**
 * BCM pin → sysfs GPIO number. Since the 6.6 kernels Raspberry Pi gives the header's gpiochip a
 * dynamic base (512 on a Pi 4, 571 on a Pi 5), so the number onoff needs is base + BCM.
 * The base is read from <sysfsRoot>/class/gpio/gpiochip*\/{label,base,ngpio}.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const DEFAULT_SYSFS_ROOT = '/sys';

/** Labels of the gpiochip that drives the 40-pin header (Pi 5, Pi 4, Pi 0–3). */
const HEADER_CHIP_LABELS = ['pinctrl-rp1', 'pinctrl-bcm2711', 'pinctrl-bcm2835'];

export interface GpioChip {
  name: string;
  label: string;
  base: number;
  ngpio: number;
}

function listGpioChips(sysfsRoot = DEFAULT_SYSFS_ROOT): GpioChip[] {
  const dir = join(sysfsRoot, 'class', 'gpio');
  if (!existsSync(dir)) return [];
  const chips: GpioChip[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.startsWith('gpiochip')) continue;
    try {
      const read = (f: string) => readFileSync(join(dir, name, f), 'utf8').trim();
      chips.push({ name, label: read('label'), base: Number(read('base')), ngpio: Number(read('ngpio')) });
    } catch {
      // a chip without readable attributes is not the one we want
    }
  }
  return chips;
}

/** The header's gpiochip: by label, else the first with ≥ 54 lines. Null when there is none. */
function findHeaderChip(sysfsRoot = DEFAULT_SYSFS_ROOT): GpioChip | null {
  const chips = listGpioChips(sysfsRoot);
  for (const label of HEADER_CHIP_LABELS) {
    const chip = chips.find((c) => c.label === label);
    if (chip) return chip;
  }
  return chips.filter((c) => c.ngpio >= 54).sort((a, b) => a.base - b.base)[0] ?? null;
}

/** The sysfs number of a BCM pin; throws an error that says what to check when it cannot tell. */
export function sysfsGpioNumber(
  bcm: number,
  opts: { gpioBase?: number; sysfsRoot?: string } = {},
): { number: number; how: string } {
  if (opts.gpioBase !== undefined) return { number: opts.gpioBase + bcm, how: `gpioBase ${opts.gpioBase} from config` };
  const root = opts.sysfsRoot ?? DEFAULT_SYSFS_ROOT;
  const chip = findHeaderChip(root);
  if (!chip) {
    throw new Error(
      `no Raspberry Pi GPIO controller under ${join(root, 'class', 'gpio')} (sysfs GPIO missing or not a Pi): ` +
        ('enable sysfs GPIO (CONFIG_GPIO_SYSFS), set device.button.gpioBase, or ' +
          'use the simulated twin (device.*.simulated)'),
    );
  }
  return { number: chip.base + bcm, how: `${chip.name} "${chip.label}" base ${chip.base}` };
}
