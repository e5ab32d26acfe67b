import { z } from 'zod';

export const deviceConfigSchema = z
  .object({
    button: z
      .object({
        /** BCM pin number; null = no physical button. */
        bcmPin: z.number().int().min(0).max(53).nullable().default(17),
        wiring: z.enum(['no', 'nc']).default('no'),
        /** Override of the sysfs GPIO base (512 on Pi 4 kernel 6.6, 571 on Pi 5); auto when absent. */
        gpioBase: z.number().int().min(0).optional(),
        resumeHoldMs: z.number().int().positive().default(3000),
        simulated: z.boolean().default(false),
      })
      .strict()
      .default({ bcmPin: 17, wiring: 'no', resumeHoldMs: 3000, simulated: false }),
    buzzer: z
      .object({
        bcmPin: z.number().int().min(0).max(53).nullable().default(27),
        /** IST "HH:MM-HH:MM" during which only the halt acknowledgement sounds. */
        quietHours: z.string().regex(/^\d\d:\d\d-\d\d:\d\d$/).optional(),
        simulated: z.boolean().default(false),
      })
      .strict()
      .default({ bcmPin: 27, simulated: false }),
    display: z
      .object({
        /** `oled`, `terminal`, `png:<file>`, `none`, or `auto` (oled when /dev/i2c-N exists). */
        kind: z.string().regex(/^(auto|oled|terminal|none|png:.+)$/, 'one of auto, oled, terminal, none, png:<file>').default('auto'),
        i2cBus: z.number().int().min(0).default(1),
        address: z.number().int().min(0).max(127).default(0x3c),
        pageSeconds: z.number().positive().default(5),
      })
      .strict()
      .default({ kind: 'auto', i2cBus: 1, address: 0x3c, pageSeconds: 5 }),
  })
  .strict();

export type DeviceConfig = z.infer<typeof deviceConfigSchema>;
