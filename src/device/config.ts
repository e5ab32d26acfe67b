import { z } from 'zod';

export const deviceConfigSchema = z
  .object({
    button: z
      .object({
        /** BCM pin number; null = no physical button. */
        bcmPin: z.number().int().min(0).max(53).nullable().default(17),
        /** `no`: normally-open button to GND. `nc`: normally-closed contact; an open circuit (pressed or cut) halts. */
        wiring: z.enum(['no', 'nc']).default('no'),
        /** Override of the sysfs GPIO base (512 on Pi 4 kernel 6.6, 571 on Pi 5); auto when absent. */
        gpioBase: z.number().int().min(0).optional(),
        resumeHoldMs: z.number().int().positive().default(3000),
        /** A release must stay released this long before it ends a press (guards resume, never delays a halt). */
        debounceMs: z.number().int().min(0).max(1000).default(50),
        /** Backup poll of the pin in case an edge interrupt is lost; 0 = off. */
        pollMs: z.number().int().min(0).default(200),
        simulated: z.boolean().default(false),
        /**
         * true (default): without a working kill switch (pin not openable, NC circuit open at boot, no pin
         * configured) the box takes no new entries and sounds its alarm. false: it trades and says "no kill switch".
         */
        required: z.boolean().default(true),
      })
      .strict()
      .default({
        bcmPin: 17,
        wiring: 'no',
        resumeHoldMs: 3000,
        debounceMs: 50,
        pollMs: 200,
        simulated: false,
        required: true,
      }),
    buzzer: z
      .object({
        bcmPin: z.number().int().min(0).max(53).nullable().default(27),
        /** true for modules that sound when the pin is LOW (PNP driver). */
        activeLow: z.boolean().default(false),
        /** IST "HH:MM-HH:MM" during which only the halt acknowledgement sounds. */
        quietHours: z
          .string()
          .regex(/^\d\d:\d\d-\d\d:\d\d$/)
          .optional(),
        simulated: z.boolean().default(false),
      })
      .strict()
      .default({ bcmPin: 27, activeLow: false, simulated: false }),
    display: z
      .object({
        /** `oled`, `terminal`, `png:<file>`, `none`, or `auto` (oled when /dev/i2c-N exists). */
        kind: z
          .string()
          .regex(/^(auto|oled|terminal|none|png:.+)$/, 'one of auto, oled, terminal, none, png:<file>')
          .default('auto'),
        i2cBus: z.number().int().min(0).default(1),
        address: z.number().int().min(0).max(127).default(0x3c),
        pageSeconds: z.number().positive().default(5),
        /** Upper bound on frames pushed per second (the I2C transfer blocks the event loop). */
        maxFps: z.number().positive().max(10).default(2),
      })
      .strict()
      .default({ kind: 'auto', i2cBus: 1, address: 0x3c, pageSeconds: 5, maxFps: 2 }),
  })
  .strict();

export type DeviceConfig = z.infer<typeof deviceConfigSchema>;
