import { z } from 'zod';

/** The verification page (interfaces.md "The page"). */
export const webConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** 0 picks a free port (the URL is printed on stdout and logged). */
    port: z.coerce.number().int().min(0).max(65535).default(8080),
    /** Default: every interface, so a phone on the LAN can open it. */
    bind: z.string().default('0.0.0.0'),
    /** When set, the page asks for it (HTTP Basic, any user name). */
    password: z.string().min(1).optional(),
    /** The page offers Resume only when this is true (halting is always allowed). */
    allowRemoteResume: z.boolean().default(false),
  })
  .strict();

export type WebConfig = z.infer<typeof webConfigSchema>;
