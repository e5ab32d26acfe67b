import { z } from 'zod';

export const upstoxConfigSchema = z
  .object({
    /** Analytics token (1-year, read-only) or a stored OAuth token; env NIFTYBOX_UPSTOX_TOKEN. */
    token: z.string().min(1).optional(),
    apiKey: z.string().optional(),
    apiSecret: z.string().optional(),
    redirectUri: z.string().url().optional(),
    apiBaseUrl: z.string().url().default('https://api.upstox.com'),
    loginBaseUrl: z.string().url().default('https://api.upstox.com'),
    /** Direct V3 feed URL; empty = ask the authorize endpoint. */
    feedUrl: z.string().url().optional(),
    /** Local login page. */
    loginHost: z.string().default('0.0.0.0'),
    loginPort: z.number().int().min(1).max(65535).default(8080),
    staleFeedSeconds: z.number().positive().default(20),
    requestTimeoutMs: z.number().int().positive().default(10_000),
  })
  .strict();

export type UpstoxConfig = z.infer<typeof upstoxConfigSchema>;
