/** Topic names of the MQTT contract (interfaces.md "MQTT"). One place, so nothing drifts. */

export const COMMANDS = ['halt', 'resume'] as const;
export type CommandName = (typeof COMMANDS)[number];

export interface Topics {
  base: string;
  availability: string;
  state: string;
  trade: string;
  signal: string;
  alert: string;
  /** Home Assistant's event entity: one non-retained message per entry, exit, halt, resume, alarm (haEventPayload). */
  event: string;
  /** Wildcard the publisher subscribes to, so unknown commands are seen and reported. */
  commandWildcard: string;
  command(name: CommandName): string;
  /** Home Assistant's birth/will topic, e.g. `homeassistant/status`. */
  haStatus: string;
  /** Device-based discovery config topic (HA 2024.11+). */
  discovery: string;
}

export function topicsFor(baseTopic: string, deviceId: string, discoveryPrefix: string): Topics {
  const base = `${baseTopic}/${deviceId}`;
  return {
    base,
    availability: `${base}/availability`,
    state: `${base}/state`,
    trade: `${base}/trade`,
    signal: `${base}/signal`,
    alert: `${base}/alert`,
    event: `${base}/event`,
    commandWildcard: `${base}/cmd/+`,
    command: (name) => `${base}/cmd/${name}`,
    haStatus: `${discoveryPrefix}/status`,
    discovery: `${discoveryPrefix}/device/${deviceId}/config`,
  };
}

/** `niftybox/pi/cmd/halt` → `halt`; null when the topic is not under `<base>/cmd/`. */
export function commandOf(topics: Topics, topic: string): string | null {
  const prefix = `${topics.base}/cmd/`;
  return topic.startsWith(prefix) ? topic.slice(prefix.length) : null;
}
