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
    /**
     * Host names the page also answers to, besides the box's addresses, its hostname,
     * `<hostname>.local` and localhost (e.g. a DNS name of your own, or a reverse proxy's). Any other
     * Host header is refused with 421: a page on another site cannot read or halt the box by DNS rebinding.
     */
    hosts: z
      .array(
        z
          .string()
          .regex(
            /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(:\d{1,5})?$/,
            'a host name or address, e.g. niftybox.home.arpa',
          ),
      )
      .default([]),
    /** Live-update streams (the open pages) per client address, and in all; more are refused with 503. */
    maxStreamsPerClient: z.number().int().min(1).default(8),
    maxStreams: z.number().int().min(1).default(64),
  })
  .strict();

export type WebConfig = z.infer<typeof webConfigSchema>;
