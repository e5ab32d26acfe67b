import { z } from 'zod';

/** A topic prefix we publish under: no MQTT wildcards, no empty levels at the ends. */
const topicPrefix = z
  .string()
  .regex(/^[^#+\s/][^#+\s]*$/, 'a topic prefix without +, #, spaces or a leading /')
  .refine((s) => !s.endsWith('/'), 'a topic prefix without a trailing /');

export const mqttConfigSchema = z
  .object({
    /** mqtt:// or mqtts:// URL; absent = embedded broker. env NIFTYBOX_MQTT_URL. */
    url: z.string().regex(/^mqtts?:\/\//, 'must start with mqtt:// or mqtts://').optional(),
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
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(1883),
      })
      .strict()
      .default({ enabled: true, host: '127.0.0.1', port: 1883 }),
  })
  .strict();

export type MqttConfig = z.infer<typeof mqttConfigSchema>;
