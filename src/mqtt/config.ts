import { z } from 'zod';
import { PASSWORD_HASH_PATTERN } from './password.js';

/** A topic prefix we publish under: no MQTT wildcards, no empty levels at the ends. */
const topicPrefix = z
  .string()
  .regex(/^[^#+\s/][^#+\s]*$/, 'a topic prefix without +, #, spaces or a leading /')
  .refine((s) => !s.endsWith('/'), 'a topic prefix without a trailing /');

/** A topic filter for an ACL line: levels of text, `+` or a final `#`. */
const topicFilter = z
  .string()
  .min(1)
  .refine(
    (s) =>
      s
        .split('/')
        .every((l, i, all) => (l.includes('#') ? l === '#' && i === all.length - 1 : !l.includes('+') || l === '+')),
    'a topic filter (`+` for one level, `#` only at the end)',
  );

const embeddedUserSchema = z
  .object({
    name: z.string().min(1),
    /** `niftybox mqtt hash-password` makes it; never the password itself. */
    passwordHash: z
      .string()
      .regex(PASSWORD_HASH_PATTERN, 'a hash made by `niftybox mqtt hash-password` (scrypt$…), not the password itself'),
    /** Topic filters this user may publish to, besides what anonymous clients may. */
    publish: z.array(topicFilter).default([]),
    /** Topic filters this user may subscribe to, besides what anonymous clients may. */
    subscribe: z.array(topicFilter).default([]),
  })
  .strict();

export type EmbeddedUser = z.infer<typeof embeddedUserSchema>;

/** What one client may cost the embedded broker (and so the box). */
export const EMBEDDED_LIMITS = { maxPacketBytes: 65_536, maxConnections: 64, maxPublishPerSecond: 20 };

const EMBEDDED_DEFAULTS = {
  enabled: true,
  host: '0.0.0.0',
  port: 1883,
  allowAnonymous: true,
  users: [] as EmbeddedUser[],
  ...EMBEDDED_LIMITS,
};

export const mqttConfigSchema = z
  .object({
    /** mqtt:// or mqtts:// URL; absent = embedded broker. env NIFTYBOX_MQTT_URL. */
    url: z
      .string()
      .regex(/^mqtts?:\/\//, 'must start with mqtt:// or mqtts://')
      .optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    caFile: z.string().optional(),
    baseTopic: topicPrefix.default('niftybox'),
    allowRemoteResume: z.boolean().default(false),
    discovery: z.boolean().default(true),
    discoveryPrefix: topicPrefix.default('homeassistant'),
    embeddedBroker: z
      .object({
        enabled: z.boolean().default(true),
        /** All interfaces, so Home Assistant and `mosquitto_sub -h <box>` reach it; 127.0.0.1 keeps it on the box. */
        host: z.string().default(EMBEDDED_DEFAULTS.host),
        port: z.number().int().min(0).max(65535).default(1883),
        /** Anonymous clients may read and may publish only …/cmd/halt and <discoveryPrefix>/status, never retained. */
        allowAnonymous: z.boolean().default(true),
        /** A client sending a larger packet is cut off as its header arrives (the box's own are a few KB). */
        maxPacketBytes: z.number().int().min(1024).max(268_435_455).default(EMBEDDED_LIMITS.maxPacketBytes),
        /**
         * Connections open at once (Home Assistant, mosquitto_sub, the box's own), plus one kept for a loopback one;
         * more are closed at once.
         */
        maxConnections: z.number().int().min(2).default(EMBEDDED_LIMITS.maxConnections),
        /** Publishes per second one client may keep up (bursts of twice that); a faster one is disconnected. */
        maxPublishPerSecond: z.number().positive().default(EMBEDDED_LIMITS.maxPublishPerSecond),
        users: z
          .array(embeddedUserSchema)
          .default([])
          .refine((us) => new Set(us.map((u) => u.name)).size === us.length, 'each user name only once')
          .refine(
            (us) => !us.some((u) => u.name === 'niftybox-internal'),
            "the user name niftybox-internal is the box's own",
          ),
      })
      .strict()
      .default(EMBEDDED_DEFAULTS),
  })
  .strict();

export type MqttConfig = z.infer<typeof mqttConfigSchema>;
